"""Run by the installed-wheel test inside a fresh venv, from another directory.

Builds the app from the installed package only, brings a SQLite file up with the shipped
migrations, makes a host, an event type and a booking, then opens every GET page as a visitor
and as the signed-in host. Prints one JSON object: {"package": path, "pages": {url: [status, bytes]}}.
"""
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask_migrate import upgrade

import linktime
from linktime import create_app
from linktime.bookings import service
from linktime.extensions import db
from linktime.models import EventType, User

work = Path(sys.argv[1])
app = create_app({
    "TESTING": True, "SECRET_KEY": "installed", "WTF_CSRF_ENABLED": False, "SCHEDULER_ENABLED": False,
    "ENCRYPTION_KEYS": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
    "SQLALCHEMY_DATABASE_URI": f"sqlite:///{work / 'linktime.db'}",
}, instance_path=str(work / "instance"))

with app.app_context():
    upgrade()
    ada = User(name="Ada", email="ada@example.com", username="ada", timezone="UTC", is_admin=True)
    ada.set_password("correct horse")
    db.session.add(ada)
    db.session.commit()
    event_type = EventType(host_id=ada.id, title="Intro Call", slug="intro-call", min_notice_minutes=0,
                           weekly_hours={str(d): [["00:00", "24:00"]] for d in range(7)}, date_overrides={})
    db.session.add(event_type)
    db.session.commit()
    start = (datetime.now(UTC) + timedelta(days=2)).replace(hour=10, minute=0, second=0, microsecond=0)
    booking = service.book_slot(event_type, start, service.Invitee(name="Bea", email="bea@example.com", timezone="UTC"))
    free = start + timedelta(hours=1)
    ids = dict(token=booking.manage_token, booking_id=booking.id, event_type_id=event_type.id,
               start=free.isoformat().replace("+", "%2B"))
    mail = sorted((work / "instance" / "outbox").glob("*.eml"))[0].name
    import io

    from PIL import Image

    from linktime.accounts import looks

    picture = io.BytesIO()
    Image.new("RGB", (40, 30), (30, 90, 200)).save(picture, "PNG")
    looks.save_looks(ada, color="#7c3aed", photo=looks.prepare_photo(picture.getvalue()), remove_photo=False)
    ids["digest"] = ada.photo_digest
    from linktime.models import EventTypeHost, Team, TeamMember

    team = Team(slug="sales", name="Sales", members=[TeamMember(user_id=ada.id)])
    db.session.add(team)
    db.session.flush()
    talk = EventType(host_id=ada.id, team_id=team.id, scheduling="round_robin", title="Talk", slug="talk",
                     min_notice_minutes=0, weekly_hours={str(d): [["00:00", "24:00"]] for d in range(7)},
                     date_overrides={}, team_hosts=[EventTypeHost(user_id=ada.id)])
    db.session.add(talk)
    from linktime.event_types import schedules

    db.session.commit()
    schedule = schedules.create_schedule(ada, "Work")
    ids.update(team_id=team.id, team_event_type_id=talk.id, schedule_id=schedule.id)
    import hashlib
    import secrets

    from linktime.api.keys import make_key
    from linktime.models import Webhook

    hook = Webhook(user_id=ada.id, url="https://crm.example.com/hook", events=["booking.created"])
    hook.secret = "whsec_installed"
    db.session.add(hook)
    api_key = make_key(ada, "installed")[1]
    feed = secrets.token_urlsafe(16)
    ada.feed_digest = hashlib.sha256(feed.encode()).hexdigest()
    db.session.commit()
    ids.update(webhook_id=hook.id, feed=feed)

public = ["/", "/login", "/signup", "/privacy", "/ada", "/ada/intro-call", "/ada/intro-call?embed=1",
          "/ada/intro-call/book?start={start}", "/photos/{digest}.webp", "/brand/7c3aed.css", "/static/embed.js",
          "/booking/{token}", "/booking/{token}/invite.ics", "/booking/{token}/series.ics", "/booking/{token}/cancel",
          "/booking/{token}/reschedule?start={start}", "/static/app.css", "/static/app.js", "/static/add-zone.js",
          "/static/vendor/htmx-2.0.11.min.js", "/static/vendor/pico-2.1.1.min.css",
          "/team/sales", "/team/sales/talk", "/team/sales/talk?embed=1", "/team/sales/talk/book?start={start}",
          "/zones?q=India", "/feeds/{feed}.ics", "/api/v1/docs", "/api/v1/openapi.json"]
host = ["/settings", "/bookings", "/bookings/{booking_id}", "/bookings/{booking_id}/reschedule",
        "/bookings/{booking_id}/cancel", "/event-types", "/event-types/new",
        "/event-types/{event_type_id}/edit", "/settings/profile", "/settings/integrations", "/team",
        "/integrations/zoom/card", "/integrations/google/callback?state=not-started-here&code=x",
        "/settings/email/confirm", "/admin/mail", f"/admin/mail/{mail}", f"/admin/mail/{mail}/html", "/admin/jobs",
        "/teams", "/teams/new", "/teams/{team_id}/edit", "/teams/{team_id}/event-types/new",
        "/teams/{team_id}/event-types/{team_event_type_id}/edit", "/settings/out-of-office", "/meetings/new",
        "/bookings/export.csv", "/settings/availability", "/settings/availability/{schedule_id}",
        "/settings/webhooks", "/settings/webhooks/{webhook_id}", "/settings/api-keys"]
# The REST API: with a key, not a session.
api = ["/api/v1/me", "/api/v1/bookings", "/api/v1/bookings/{booking_id}", "/api/v1/event-types",
       "/api/v1/event-types/{event_type_id}", "/api/v1/event-types/{event_type_id}/availability"]
pages, opened = {}, set()
client = app.test_client()
router = app.url_map.bind("localhost")


def open_page(url: str, headers: dict | None = None) -> None:
    url = url.format(**ids)
    response = client.get(url, headers=headers or {})
    pages[url] = [response.status_code, len(response.data)]
    opened.add(router.match(url.split("?")[0])[0])


for url in public:
    open_page(url)
client.post("/login", data={"email": "ada@example.com", "password": "correct horse"})
for url in host:
    open_page(url)
for url in api:
    open_page(url, {"Authorization": f"Bearer {api_key}"})
every_get = {rule.endpoint for rule in app.url_map.iter_rules() if "GET" in rule.methods}
print(json.dumps({"package": linktime.__file__, "templates": app.template_folder, "pages": pages,
                  "not_opened": sorted(every_get - opened)}))
