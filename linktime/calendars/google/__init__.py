"""Google Calendar: the client (Calendar API v3, ``client.py``), its OAuth app and scopes."""
from __future__ import annotations

from linktime.calendars.oauth import OAuthApp, Scope, callback_url
from linktime.calendars.registry import CalendarKind, register
from linktime.models import CalendarProvider

SCOPES = (
    Scope("openid", "Know which Google account this is"),
    Scope("email", "See the account's email address, to show you which one is connected"),
    Scope("https://www.googleapis.com/auth/calendar.calendarlist.readonly",
          "See the list of your calendars, so you can choose which ones LinkTime uses"),
    Scope("https://www.googleapis.com/auth/calendar.events.freebusy",
          "See when you are busy in them (only the times: no titles, people or details)"),
    Scope("https://www.googleapis.com/auth/calendar.events.owned",
          "Add, move and delete events for your bookings in your calendars"),
)
# Google's consent page lets the user untick each of these.
WITHHOLDABLE = "https://www.googleapis.com/auth/calendar"


def oauth_app(config) -> OAuthApp:
    oauth, token = str(config["GOOGLE_OAUTH_URL"]).rstrip("/"), str(config["GOOGLE_TOKEN_URL"]).rstrip("/")
    return OAuthApp(CalendarProvider.GOOGLE, config["GOOGLE_CLIENT_ID"], config["GOOGLE_CLIENT_SECRET"],
                    f"{oauth}/o/oauth2/v2/auth", f"{token}/token", f"{token}/revoke", SCOPES,
                    callback_url(config, "google"),
                    (("access_type", "offline"), ("prompt", "consent"), ("include_granted_scopes", "false")),
                    bool(config.get("GOOGLE_SANDBOX")), float(config.get("CALENDAR_TIMEOUT", 10)), WITHHOLDABLE)


def client(config, access_token: str, timeout: float):
    from linktime.calendars.google.client import GoogleCalendar

    return GoogleCalendar(config["GOOGLE_API_URL"], access_token, timeout=timeout)


register(CalendarKind(CalendarProvider.GOOGLE, slug="google", company="Google", oauth_app=oauth_app,
                      oauth_client=client, manage_access="myaccount.google.com/permissions"))
