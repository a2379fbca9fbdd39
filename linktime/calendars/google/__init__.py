"""Google Calendar: the client (Calendar API v3)."""
