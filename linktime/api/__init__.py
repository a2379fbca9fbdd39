"""The REST API (``views.py``, described by ``openapi.py``) and the keys that open it, with a host's
private calendar feed (``keys.py``)."""
