"""Booking: the public booking pages (views.py), the host's booking pages (host_views.py), the
booking transactions (service.py), series (series.py) and what the booking page keeps (page_cache.py)."""
