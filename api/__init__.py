"""Flask layer: the REST API (``api.rest``), the Chinese web UI (``api.ui``) and their assembly (``api.app``)."""
