"""Outlook Calendar: the client (Microsoft Graph v1.0)."""
