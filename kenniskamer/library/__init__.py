"""A library folder: the catalog (source of truth), the originals, and the curator's operations on them."""

from kenniskamer.library.catalog import Library, utc_now

__all__ = ["Library", "utc_now"]
