"""Connected calendars: each provider a folder (its ``KIND`` and client) listed by ``registry.py``;
``clients.py`` makes an account's client, ``busy.py`` reads conflicts, ``events.py`` writes each
booking into the host's calendar, ``oauth.py`` connects Google and Outlook, ``service.py`` keeps the
connections."""
