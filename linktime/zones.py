"""Time zones as people name them: the list they pick from, and a search that answers how they ask.

The list is the tz database's own (``zone.tab``: one entry per region of a country, no aliases
such as Europe/Kiev beside Europe/Kyiv). The search finds a zone by its city, a city it serves
(Mumbai, Munich, San Francisco), its country, a common abbreviation (EST, CET, IST) or an offset
written any usual way ("UTC+9", "GMT-5", "UTC−5", "+5:30"), and puts the zones most people mean
first: "UTC+9" is Tokyo before Chita.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from importlib import resources
from itertools import groupby
from zoneinfo import ZoneInfo, available_timezones

from babel import Locale
from babel.core import get_global
from babel.dates import get_timezone_location
from markupsafe import Markup, escape

from linktime.i18n import N_, gettext, writing_for

# The languages whose names for countries and cities the search also knows.
NAME_LANGUAGES = ("en", "de", "fr", "es", "pt", "ja")

# The zones most people mean, most used first: they lead every answer that has several.
PROMINENT = (
    "America/New_York", "Europe/London", "America/Los_Angeles", "America/Chicago", "Europe/Berlin",
    "Europe/Paris", "Asia/Kolkata", "Asia/Tokyo", "Asia/Shanghai", "Asia/Singapore", "Australia/Sydney",
    "America/Sao_Paulo", "America/Denver", "America/Toronto", "Europe/Madrid", "Europe/Amsterdam",
    "Europe/Zurich", "Asia/Dubai", "Asia/Hong_Kong", "Asia/Seoul", "America/Mexico_City",
    "Europe/Rome", "Europe/Stockholm", "Europe/Warsaw", "Europe/Dublin", "Europe/Lisbon",
    "Europe/Istanbul", "Europe/Moscow", "Europe/Kyiv", "Europe/Athens", "Africa/Lagos",
    "Africa/Johannesburg", "Africa/Cairo", "Africa/Nairobi", "Asia/Jakarta", "Asia/Bangkok",
    "Asia/Manila", "Asia/Karachi", "Asia/Dhaka", "Asia/Jerusalem", "Asia/Riyadh", "Asia/Tehran",
    "Australia/Melbourne", "Australia/Brisbane", "Australia/Perth", "Australia/Adelaide",
    "Pacific/Auckland", "America/Phoenix", "America/Anchorage", "Pacific/Honolulu",
    "America/Vancouver", "America/Halifax", "America/St_Johns", "America/Argentina/Buenos_Aires",
    "America/Bogota", "America/Lima", "America/Santiago", "America/Caracas", "Asia/Taipei",
    "Asia/Kuala_Lumpur", "Asia/Ho_Chi_Minh", "Asia/Kathmandu", "Asia/Colombo", "Asia/Yangon",
    "Atlantic/Reykjavik", "Atlantic/Azores", "America/Noronha", "Pacific/Chatham",
)

# Places the tz database does not name, and what people call a zone by (lower case, no accents).
ALSO_KNOWN_AS: dict[str, tuple[str, ...]] = {
    "Asia/Kolkata": ("mumbai", "bombay", "delhi", "new delhi", "bangalore", "bengaluru", "chennai",
                     "hyderabad", "pune", "calcutta", "ist", "indian standard time"),
    "Asia/Shanghai": ("beijing", "shenzhen", "guangzhou", "chengdu", "china standard time"),
    "America/Los_Angeles": ("san francisco", "seattle", "san diego", "portland", "silicon valley",
                            "san jose", "las vegas", "pacific time", "pst", "pdt", "pt", "california"),
    "America/New_York": ("washington", "boston", "miami", "atlanta", "philadelphia", "eastern time",
                         "est", "edt", "et"),
    "America/Chicago": ("dallas", "houston", "austin", "minneapolis", "new orleans", "central time",
                        "cst", "cdt", "ct", "texas"),
    "America/Denver": ("salt lake city", "albuquerque", "mountain time", "mst", "mdt", "mt"),
    "America/Phoenix": ("arizona",),
    "America/Anchorage": ("alaska", "akst", "akdt"),
    "Pacific/Honolulu": ("hawaii", "hst"),
    "America/Toronto": ("montreal", "ottawa", "quebec"),
    "America/Vancouver": ("british columbia",),
    "Europe/London": ("manchester", "edinburgh", "birmingham", "glasgow", "gmt", "bst", "uk",
                      "britain", "england", "scotland", "wales"),
    "Europe/Berlin": ("munich", "munchen", "frankfurt", "hamburg", "cologne", "koln", "stuttgart",
                      "dusseldorf", "cet", "cest", "central european time"),
    "Europe/Paris": ("lyon", "marseille", "toulouse", "nice"),
    "Europe/Zurich": ("geneva", "geneve", "genf", "bern", "basel", "lausanne"),
    "Europe/Rome": ("milan", "milano", "naples", "turin", "florence", "venice"),
    "Europe/Madrid": ("barcelona", "valencia", "seville", "sevilla"),
    "Europe/Amsterdam": ("rotterdam", "the hague", "utrecht", "eindhoven"),
    "Europe/Athens": ("eet", "eest", "eastern european time"),
    "Europe/Lisbon": ("porto", "wet", "west"),
    "Europe/Moscow": ("saint petersburg", "st petersburg", "msk"),
    "Europe/Istanbul": ("ankara", "izmir"),
    "America/Sao_Paulo": ("rio de janeiro", "rio", "brasilia", "belo horizonte", "brt"),
    "America/Argentina/Buenos_Aires": ("art",),
    "Asia/Tokyo": ("osaka", "kyoto", "yokohama", "nagoya", "jst"),
    "Asia/Seoul": ("busan", "kst"),
    "Asia/Dubai": ("abu dhabi", "gst"),
    "Asia/Jerusalem": ("tel aviv", "haifa", "israel standard time"),
    "Asia/Ho_Chi_Minh": ("hanoi", "saigon"),
    "Asia/Singapore": ("sgt",),
    "Asia/Hong_Kong": ("hkt",),
    "Asia/Karachi": ("lahore", "islamabad", "pkt"),
    "Asia/Jakarta": ("wib", "bandung", "surabaya"),
    "Asia/Manila": ("pht", "cebu"),
    "Asia/Bangkok": ("ict",),
    "Africa/Johannesburg": ("cape town", "durban", "pretoria", "sast"),
    "Africa/Lagos": ("abuja", "wat"),
    "Africa/Nairobi": ("eat",),
    "Australia/Sydney": ("canberra", "aest", "aedt"),
    "Australia/Adelaide": ("acst", "acdt"),
    "Australia/Perth": ("awst",),
    "Pacific/Auckland": ("wellington", "christchurch", "nzst", "nzdt"),
}

NO_MATCH = 9
_OFFSET = re.compile(r"^(?:utc|gmt|z)?\s*([+-])\s*(\d{1,2})(?:[:.h]?(\d{2}))?(?:\s*h)?$")
_DASHES = str.maketrans({"−": "-", "–": "-", "—": "-", "‐": "-", "‑": "-", "＋": "+"})


def fold(text: str) -> str:
    """Text as the search compares it: lower case, no accents, one kind of hyphen, single spaces."""
    plain = unicodedata.normalize("NFKD", text.translate(_DASHES))
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch))
    return " ".join(plain.casefold().replace("_", " ").split())


@dataclass(frozen=True)
class PickerZone:
    name: str                 # the IANA name
    country: str              # ISO 3166 code, "" for UTC
    terms: tuple[str, ...]    # what it is found by, folded
    rank: int                 # lower is more commonly meant


def _zone_tab() -> list[tuple[str, str]]:
    text = resources.files("tzdata.zoneinfo").joinpath("zone.tab").read_text(encoding="utf-8")
    rows = [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]
    return [(row[2], row[0]) for row in rows]


@lru_cache(maxsize=1)
def _links() -> dict[str, str]:
    """Alias -> the zone it names, from the tz database's own link lines."""
    text = resources.files("tzdata.zoneinfo").joinpath("tzdata.zi").read_text(encoding="utf-8")
    return {parts[2]: parts[1] for line in text.splitlines() if line.startswith("L ") for parts in [line.split()]}


@lru_cache(maxsize=1)
def picker_zones() -> dict[str, PickerZone]:
    """Every zone people pick from, by IANA name."""
    locales = [Locale.parse(tag) for tag in NAME_LANGUAGES]
    windows = set(get_global("windows_zone_mapping").values())
    order = {name: index for index, name in enumerate(PROMINENT)}
    zones: dict[str, PickerZone] = {}
    for name, country in [*_zone_tab(), ("UTC", "")]:
        terms = {fold(part) for part in name.split("/")[1:]} or {"utc", "universal", "coordinated universal time"}
        for locale in locales:
            if country:
                terms.add(fold(locale.territories.get(country, "")))
            city = locale.time_zones.get(name, {}).get("city")
            if city:
                terms.add(fold(city))
        terms.update(ALSO_KNOWN_AS.get(name, ()))
        if country == "US":
            terms.update(("usa", "united states of america", "us"))
        rank = order.get(name, len(PROMINENT) + (0 if name in windows else 1))
        zones[name] = PickerZone(name, country, tuple(sorted(terms - {""})), rank)
    return zones


def canonical_zone(name: str) -> str:
    """The picker's name for ``name``: Asia/Calcutta and US/Pacific as the list has them."""
    zones, links = picker_zones(), _links()
    seen = name
    for _ in range(4):  # a link names a zone, which the list may hold under a link of its own
        if seen in zones:
            return seen
        seen = links.get(seen, seen)
    return seen if seen in zones else name


def is_timezone(name: str | None) -> bool:
    """Any IANA name zoneinfo knows, aliases included (browsers report some)."""
    return bool(name) and name in _known_zones()


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def zone_city(zone: str) -> str:
    """What people call a zone: 'New York', 'Buenos Aires (Argentina)', 'UTC'."""
    parts = zone.replace("_", " ").split("/")
    return f"{parts[-1]} ({parts[1]})" if len(parts) == 3 else parts[-1]


@lru_cache(maxsize=4096)
def zone_city_in(zone: str, locale: str) -> str:
    """A zone's city as ``locale`` names it ("ベルリン", "Zúrich"); English keeps the tz database's
    own names."""
    if zone == "UTC" or locale.startswith("en"):
        return zone_city(zone)
    try:
        return get_timezone_location(zone, locale=locale, return_city=True)
    except (LookupError, ValueError):
        return zone_city(zone)


def offset_minutes(zone: str, at: datetime) -> int:
    offset = at.astimezone(ZoneInfo(zone)).utcoffset()
    return int(offset.total_seconds() // 60) if offset else 0


def utc_offset(zone: str, at: datetime | None = None) -> str:
    """The zone's offset at ``at`` (now by default): 'UTC+1', 'UTC−3:30', 'UTC'."""
    minutes = offset_minutes(zone, at or datetime.now(UTC))
    if not minutes:
        return "UTC"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{'+' if minutes > 0 else '−'}{hours}{f':{rest:02d}' if rest else ''}"


def zone_label(zone: str, at: datetime | None = None, locale: str = "en") -> str:
    """'Berlin (UTC+1)' ('ベルリン (UTC+1)' for a Japanese reader)."""
    city = zone_city_in(zone, locale)
    return city if city == "UTC" else f"{city} ({utc_offset(zone, at)})"


def country_name(zone: str, locale: str = "en") -> str:
    entry = picker_zones().get(zone)
    return Locale.parse(locale).territories.get(entry.country, "") if entry and entry.country else ""


def _asked_offset(query: str) -> int | None:
    match = _OFFSET.match(query.replace(" ", ""))
    if not match:
        return None
    sign, hours, minutes = match.groups()
    total = int(hours) * 60 + int(minutes or 0)
    return -total if sign == "-" else total


def find_zones(query: str, at: datetime | None = None, limit: int = 12) -> list[str]:
    """The zones a person typing ``query`` most likely means, best first (at most ``limit``).

    An offset finds the zones at that offset at ``at`` (now by default); anything else is matched
    against every zone's names: a whole name first, then names that start with it, then names with
    a word that starts with it, then (from three letters) names containing it.
    """
    if "/" in query and is_timezone(query.strip()):  # a browser's own name for a zone ("EST" is one too)
        return [canonical_zone(query.strip())]
    asked = fold(query)[:60]
    if not asked:
        return []
    zones = picker_zones().values()
    if asked in ("utc", "gmt", "z"):
        wanted = [zone for zone in zones if zone.name == "UTC" or asked in zone.terms]
        return [zone.name for zone in sorted(wanted, key=lambda z: (z.name != "UTC", z.rank, z.name))][:limit]
    offset = _asked_offset(asked)
    if offset is not None:
        moment = at or datetime.now(UTC)
        wanted = [zone for zone in zones if offset_minutes(zone.name, moment) == offset]
        return [zone.name for zone in sorted(wanted, key=lambda z: (z.rank, zone_city(z.name)))][:limit]
    scored = []
    for zone in zones:
        score = min(_match(term, asked) for term in zone.terms)
        if score < NO_MATCH:
            scored.append((score, zone.rank, zone_city(zone.name), zone.name))
    return [name for *_, name in sorted(scored)][:limit]


def _match(term: str, asked: str) -> int:
    if term == asked:
        return 0
    if term.startswith(asked):
        return 1
    if f" {asked}" in f" {term}" or f"({asked}" in term:
        return 2
    return 3 if len(asked) >= 3 and asked in term else NO_MATCH


@dataclass(frozen=True)
class ZoneChoice:
    name: str
    city: str
    country: str
    offset: str


def zone_choices(query: str, at: datetime | None = None, locale: str = "en") -> list[ZoneChoice]:
    """The picker's suggestions for ``query``: each zone with its city, country and offset now, named
    as ``locale`` names them."""
    moment = at or datetime.now(UTC)
    return [ZoneChoice(name, zone_city_in(name, locale), country_name(name, locale), utc_offset(name, moment))
            for name in find_zones(query, moment)]


def _region(name: str) -> str:
    return name.split("/")[0] if "/" in name else "Universal"


# The tz database's regions, as the picker's groups name them (translated where they are shown).
REGION_NAMES = {"Africa": N_("Africa"), "America": N_("Americas"), "Antarctica": N_("Antarctica"),
                "Arctic": N_("Arctic"), "Asia": N_("Asia"), "Atlantic": N_("Atlantic Ocean"),
                "Australia": N_("Australia"), "Europe": N_("Europe"), "Indian": N_("Indian Ocean"),
                "Pacific": N_("Pacific"), "Universal": N_("Universal")}


@lru_cache(maxsize=16)
def _zone_options(hour: datetime, locale: str) -> str:
    """Every zone by city and offset, grouped by region; the offsets as they are in ``hour``."""
    ordered = sorted(picker_zones(), key=lambda name: (_region(name), zone_city_in(name, locale)))
    with writing_for(locale):
        groups = {region: escape(gettext(english)) for region, english in REGION_NAMES.items()}
    return "".join(
        f'<optgroup label="{groups[group]}">'
        + "".join(f'<option value="{name}">{escape(zone_label(name, hour, locale))}</option>' for name in names)
        + "</optgroup>"
        for group, names in groupby(ordered, key=_region)
    )


def zone_options(selected: str, locale: str = "en") -> Markup:
    """The <option>s of every zone, ``selected`` chosen (listed first when the list lacks it).

    Written once an hour per process (offsets change with daylight saving time): the list is the
    same on every page.
    """
    options = _zone_options(datetime.now(UTC).replace(minute=0, second=0, microsecond=0), locale)
    if not is_timezone(selected):  # a form sent back with what someone typed
        return Markup(options)
    selected = canonical_zone(selected)
    chosen = f'<option value="{escape(selected)}">'
    if chosen in options:
        return Markup(options.replace(chosen, chosen[:-1] + " selected>", 1))
    return Markup(f'<option value="{escape(selected)}" selected>{escape(zone_label(selected, locale=locale))}</option>'
                  + options)
