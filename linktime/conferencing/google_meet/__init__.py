"""Google Meet links, made through the Google Calendar API (uses calendars/google)."""
