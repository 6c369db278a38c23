"""Kenniskamer: a search engine for a knowledge room of research on public support for migration."""

__version__ = "0.1.0"
