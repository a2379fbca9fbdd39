"""Accounts: sign-up and sign-in, sessions that can be ended, profile and looks, team invites."""
