"""The package data: themes.toml, thesaurus.tsv and the demo's sample documents (installed as kenniskamer.data)."""
