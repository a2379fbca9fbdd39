"""Connected calendars: CalDAV now; Google and Outlook to come."""
