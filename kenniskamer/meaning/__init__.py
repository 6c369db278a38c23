"""Search by meaning: the encoder, the vectors of documents and passages, and the index the search engine reads."""
