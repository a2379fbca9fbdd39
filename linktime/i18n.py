"""The languages LinkTime speaks to invitees, and which one a request is answered in.

An invitee's pages and messages are in the language they chose with the page's switcher (kept in a
cookie), else in the one their browser asks for (Accept-Language), else in the event type's default;
a host's own screens in the language of their profile. Catalogues live in ``translations/``
(``pybabel`` keeps them; see README → Development).
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import Any

import flask_babel
from babel import Locale, UnknownLocaleError
from flask import g, has_request_context, request
from flask_babel.speaklater import LazyString

# Language code -> its own name, as the switcher shows it.
LANGUAGES = {"en": "English", "de": "Deutsch", "fr": "Français", "es": "Español", "pt": "Português",
             "ja": "日本語"}
# Where a language is written without a country, dates are written as there.
HOME_TERRITORY = {"en": "GB", "de": "DE", "fr": "FR", "es": "ES", "pt": "BR", "ja": "JP"}
LANGUAGE_COOKIE = "lt_lang"
TRANSLATIONS = Path(__file__).parent / "translations"
DEFAULT = "en"
_forced: ContextVar[str | None] = ContextVar("forced_locale", default=None)
# The pages an invitee reads: in the invitee's language, whoever is signed in.
INVITEE_PAGES = frozenset({
    "bookings.event_page", "bookings.book", "bookings.manage", "bookings.invitee_cancel", "bookings.reschedule",
    "bookings.host_page", "bookings.zone_search", "teams.team_page", "teams.event_page", "teams.book"})


@lru_cache(maxsize=1)
def spoken() -> tuple[str, ...]:
    """The languages offered: English, and each other whose catalogue is there (a language is added
    only with every word translated: tests/unit/test_translations.py)."""
    return tuple(code for code in LANGUAGES
                 if code == DEFAULT or (TRANSLATIONS / code / "LC_MESSAGES" / "messages.mo").is_file())


def language_of(tag: str | None) -> str | None:
    """The language LinkTime speaks for a tag ("de-AT" -> "de"), or None."""
    if not tag:
        return None
    code = tag.replace("-", "_").split("_")[0].lower()
    return code if code in spoken() else None


@lru_cache(maxsize=512)
def locale_for(language: str, accept_language: str = "") -> str:
    """The full locale dates are written in: the language with the reader's country when their
    browser names one for it ("en-US" -> "en_US"), else the language's home ("de" -> "de_DE")."""
    from werkzeug.datastructures import LanguageAccept
    from werkzeug.http import parse_accept_header

    for tag, _quality in parse_accept_header(accept_language[:500], LanguageAccept):
        try:
            found = Locale.parse(tag.replace("_", "-"), sep="-")
        except (ValueError, TypeError, UnknownLocaleError):
            continue
        if found.language == language and found.territory:
            return f"{language}_{found.territory}"
    return f"{language}_{HOME_TERRITORY[language]}"


def asked_language() -> str | None:
    """The language this visitor chose (``?lang=`` or its cookie), if LinkTime speaks it."""
    return language_of(request.args.get("lang")) or language_of(request.cookies.get(LANGUAGE_COOKIE))


def browser_language() -> str | None:
    if "HTTP_ACCEPT_LANGUAGE" not in request.environ:
        return None
    return request.accept_languages.best_match(list(spoken()))


def current_language() -> str:
    """The language of what is being written now: a message's addressee's, else the request's."""
    forced = _forced.get()
    if forced is not None:
        return forced.split("_")[0]
    if not has_request_context():
        return DEFAULT
    chosen = getattr(g, "language", None)
    if chosen is None:
        chosen = g.language = select_language()
    return chosen


def select_language() -> str:
    """Which language this request is answered in (see the module's docstring). Other pages than an
    invitee's are a host's: in their profile's language once signed in; before (sign-in, sign-up,
    Data & privacy), in the visitor's."""
    from flask_login import current_user

    if request.endpoint in INVITEE_PAGES:
        return (asked_language() or browser_language() or language_of(getattr(g, "page_language", None))
                or DEFAULT)
    if current_user and current_user.is_authenticated:
        return language_of(getattr(current_user, "language", "")) or DEFAULT
    return asked_language() or browser_language() or DEFAULT


def current_locale() -> str:
    """The locale of what is being written now ("en_US", "de_DE", …)."""
    forced = _forced.get()
    if forced is not None:
        return forced
    language = current_language()
    if not has_request_context():
        return locale_for(language)
    return locale_for(language, request.environ.get("HTTP_ACCEPT_LANGUAGE", ""))


@contextmanager
def writing_for(locale: str | None) -> Iterator[None]:
    """Write in ``locale`` meanwhile (an email is read by its addressee, not by whoever's request
    sent it); None: the default."""
    from flask import current_app
    from flask_babel import force_locale

    language = language_of(locale) or DEFAULT
    full = locale if locale and "_" in locale and language_of(locale) else locale_for(language)
    token = _forced.set(full)
    try:
        if current_app:
            with force_locale(full):
                yield
        else:
            yield
    finally:
        _forced.reset(token)


def language_choices() -> list[Any]:
    """The languages a host may choose (their own, an event type's): "" stands for English."""
    from wtforms import SelectChoice

    return [SelectChoice("" if code == DEFAULT else code, LANGUAGES[code]) for code in spoken()]


SWITCHER_KEEPS = ("tz", "month", "date", "embed", "start", "reschedule", "booked")


def switcher_links() -> list[tuple[str, str, str, bool]]:
    """The language switcher of an invitee's page: (code, own name, address, current) for each
    language spoken, the page's other choices (zone, month, day) kept; none while only one is."""
    from flask import url_for

    if len(spoken()) < 2 or request.endpoint not in INVITEE_PAGES:
        return []
    # Only the page's own choices: a kept page is served to everyone, so its links must not carry
    # whatever the first visitor put in the address.
    kept: dict[str, Any] = {key: request.args[key] for key in SWITCHER_KEEPS if key in request.args}
    here = current_language()
    # The address's own parts win over query arguments of the same name (?token=… on /booking/<token>).
    return [(code, LANGUAGES[code], url_for(request.endpoint, **{**kept, **(request.view_args or {}), "lang": code}),
             code == here) for code in spoken()]


def remember_language(response: Any) -> Any:
    """Keep a language chosen with the switcher for the visitor's next pages (a year)."""
    chosen = language_of(request.args.get("lang")) if "lang" in request.args else None
    if chosen and chosen != request.cookies.get(LANGUAGE_COOKIE) and request.endpoint in INVITEE_PAGES:
        response.set_cookie(LANGUAGE_COOKIE, chosen, max_age=365 * 86400, samesite="Lax", httponly=True)
    return response


def _untranslated() -> bool:
    """Outside LinkTime's own app (the sandboxes are apps of their own), words stay English."""
    from flask import current_app, has_app_context

    return has_app_context() and "babel" not in current_app.extensions


def gettext(message: str, **variables: object) -> str:
    """``message`` in the current language, with its %(name)s filled in (Flask-Babel's, typed)."""
    if _untranslated():
        return message % variables if variables else message
    return str(flask_babel.gettext(message, **variables))


def ngettext(singular: str, plural: str, num: int, **variables: object) -> str:
    """The singular or plural of a message for ``num`` (which fills %(num)d), in the current language."""
    if _untranslated():
        return (singular if num == 1 else plural) % {"num": num, **variables}
    return str(flask_babel.ngettext(singular, plural, num, **variables))


class LazyText(LazyString):
    """A message translated when it is used. Shown in a page it is text, escaped like any other
    ("/<username>/<event>" stays visible), never taken for markup."""

    @property
    def __html__(self) -> Any:
        raise AttributeError("__html__")


def lazy_gettext(message: str, **variables: object) -> Any:
    """``message`` translated when it is used (module constants, form labels)."""
    return LazyText(gettext, message, **variables)


def script_words() -> dict[str, str]:
    """What static/app.js writes on a host's pages, English -> the current language ({day} and the
    other braces are filled in by the script)."""
    return {text: gettext(text) for text in SCRIPT_WORDS}


def N_(message: str) -> str:
    """Marks a message for the catalogues where it is translated later, by its English words."""
    return message


SCRIPT_WORDS = (N_("Copied!"), N_("Your changes under “{section}” are not saved yet and will be lost. Go on?"),
                N_("Your changes in another form on this page are not saved yet and will be lost. Go on?"),
                N_("Unavailable"), N_("{day} from"), N_("{day} until"), N_("Remove {day} {hours}"), N_("Add hours"),
                N_("Copy to all weekdays"), N_("{day}’s hours to Tuesday to Friday"),
                N_("Copied {day}’s hours to Tuesday to Friday."))
