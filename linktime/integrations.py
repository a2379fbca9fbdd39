"""Settings → Integrations and the Data & privacy page: the pages that list every provider,
composed here from what each provider states (its cards, its privacy facts)."""
from __future__ import annotations

from flask import render_template
from flask_login import current_user

from linktime.audit import recent
from linktime.calendars import oauth, registry, service
from linktime.calendars.forms import CalDAVForm
from linktime.conferencing.base import PROVIDERS
from linktime.privacy import Integration


def privacy_facts() -> list[Integration]:
    """Each integration's facts, as its provider states them (conferencing, then calendars)."""
    stated = [provider.privacy for provider in PROVIDERS.values()] + [kind.privacy for kind in registry.all_kinds()]
    return [facts for facts in stated if facts is not None]


def integrations_page(calendars: dict | None = None) -> str:
    """The whole page: video conferencing cards, the Calendars section, recent activity."""
    return render_template(
        "accounts/integrations.html",
        conferencing_cards=[card for provider in PROVIDERS.values() for card in provider.cards(current_user)],
        activity=recent(current_user.id),
        **(calendars or calendars_section()),
    )

def calendars_section(form: CalDAVForm | None = None, error: str | None = None, notice: str | None = None) -> dict:
    cards = []
    for kind in registry.oauth_kinds():  # the providers connected by OAuth, by the name in their URLs
        app = oauth.app_for(kind.provider)
        cards.append(dict(name=kind.slug, provider=kind.provider, pending=oauth.pending(kind.provider),
                          sandbox=app.sandbox, scopes=app.scopes, company=kind.company,
                          setting=f"{kind.slug.upper()}_CLIENT_ID"))
    return dict(connections=service.connections(current_user), caldav_form=form or CalDAVForm(formdata=None),
                caldav_error=error, calendars_notice=notice, oauth_cards=cards,
                # the secrets a host types in (an app password), by provider: "connect again with a new …"
                typed_secrets={kind.provider.value: kind.secret_name for kind in registry.all_kinds()
                               if kind.password_client is not None})
