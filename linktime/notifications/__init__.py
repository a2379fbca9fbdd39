"""Messages to hosts and invitees: booking messages queued and written (``booking_messages.py``),
email (``email.py``), texts and WhatsApp (``sms.py``), and calendar invitations (``ics.py``)."""
