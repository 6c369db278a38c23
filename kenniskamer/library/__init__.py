"""A library folder: the catalog (source of truth), the originals, and the curator's operations on them."""
