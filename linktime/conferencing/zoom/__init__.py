"""Zoom: OAuth connection and tokens (``service.py``), the API client (``client.py``), the provider
(``adapter.py``), the Integrations card (``cards.py``), pages and the deauthorization webhook
(``views.py``), and the look-alike used in development and tests (``sandbox.py``)."""
