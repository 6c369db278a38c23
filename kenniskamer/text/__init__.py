"""Text as the whole project reads it: folding, words, dates, names and page layout."""
