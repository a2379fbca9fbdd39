"""The catalogues: every message marked in the code is in each language, translated, with the same
placeholders, and the compiled files LinkTime reads are those catalogues."""
from __future__ import annotations

import io
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from linktime.i18n import LANGUAGES, TRANSLATIONS, spoken

pytestmark = pytest.mark.same_on_every_database  # no database here

ROOT = Path(__file__).resolve().parents[2]
OTHERS = [code for code in LANGUAGES if code != "en"]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2), "lazy_gettext": None, "_l": None,
            "N_": None}


def marked_in_the_code() -> set[str]:
    """Every message the code and templates mark for translation, extracted as pybabel does."""
    found = set()
    for folder, method, pattern in ((ROOT / "linktime", "python", "**.py"),
                                    (ROOT / "templates", "jinja2", "**.html"),
                                    (ROOT / "templates", "jinja2", "**.txt")):
        for _file, _line, message, _comments, _context in extract_from_dir(
                str(folder), method_map=[(pattern, method)], keywords=KEYWORDS):
            found.add(message[0] if isinstance(message, tuple) else message)
    return found


def catalogue(code: str):
    with open(TRANSLATIONS / code / "LC_MESSAGES" / "messages.po", "rb") as po:
        return read_po(po, locale=code)


def test_every_language_is_spoken():
    assert set(spoken()) == set(LANGUAGES)


def test_the_template_holds_every_message_the_code_marks():
    with open(TRANSLATIONS / "messages.pot", "rb") as pot:
        template = {message.id[0] if isinstance(message.id, tuple) else message.id
                    for message in read_po(pot) if message.id}
    assert template == marked_in_the_code(), "run the extract command in README → Development"


@pytest.mark.parametrize("code", OTHERS)
def test_each_catalogue_translates_every_message_with_its_placeholders(code):
    messages = catalogue(code)
    ids = {message.id[0] if isinstance(message.id, tuple) else message.id for message in messages if message.id}
    assert ids == marked_in_the_code()
    for message in messages:
        if not message.id:
            continue
        assert not message.fuzzy, message.id
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), f"untranslated in {code}: {message.id!r}"
    assert [(m.id, errors) for m, errors in messages.check()] == []


@pytest.mark.parametrize("code", OTHERS)
def test_the_compiled_catalogue_is_the_catalogue(code):
    def entries(messages) -> dict:
        def plain(value):
            return tuple(value) if isinstance(value, list | tuple) else value

        return {plain(message.id): plain(message.string) for message in messages if message.id}

    compiled = read_mo(io.BytesIO((TRANSLATIONS / code / "LC_MESSAGES" / "messages.mo").read_bytes()))
    assert entries(compiled) == entries(catalogue(code)), "run the compile command in README → Development"
