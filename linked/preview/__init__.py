"""``linked preview``: a local, self-reloading view of an edition as readers will get it."""

from linked.preview.server import create_preview_app, serve_preview

__all__ = ["create_preview_app", "serve_preview"]
