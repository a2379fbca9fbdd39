"""Video meetings for bookings: the provider interface (``base.py``), one folder per provider
(``zoom/``, ``google_meet/``), and the reconciler that keeps each booked slot's meeting (``meetings.py``)."""
