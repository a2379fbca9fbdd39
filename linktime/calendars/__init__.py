"""Connected calendars: each provider a folder behind the registry (registry.py); the conflict
reader (busy.py) and the event reconciler (events.py) serve them all."""
