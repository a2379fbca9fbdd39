"""Messages to hosts and invitees: render and deliver."""
