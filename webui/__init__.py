"""The search site: a Flask app over one library (webui.app); it reads, it never writes the library."""

from webui.app import create_app, serve

__all__ = ["create_app", "serve"]
