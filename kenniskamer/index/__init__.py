"""The Whoosh index, the only package that imports whoosh: schema, analysis, codec, writing and reading."""
