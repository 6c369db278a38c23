"""The search engine: a query and filters in, ranked hits with passages and facet counts out."""
