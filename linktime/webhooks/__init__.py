"""Webhooks: bookings told to the URLs a team gives (``events.py`` writes each event in the
transaction of the change; ``delivery.py`` sends them through the outbox, signed, in order per
booking; ``views.py`` is Settings → Webhooks). The contract is README → Webhooks."""
