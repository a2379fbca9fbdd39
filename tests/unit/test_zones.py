"""The zone search answers the way people ask: cities, countries, abbreviations and offsets."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from linktime.zones import canonical_zone, find_zones, picker_zones, zone_options

pytestmark = pytest.mark.same_on_every_database

WINTER = datetime(2026, 12, 7, 12, tzinfo=UTC)
SUMMER = datetime(2026, 7, 7, 12, tzinfo=UTC)


@pytest.mark.parametrize(("query", "first"), [
    ("India", "Asia/Kolkata"),  # the country, not Indianapolis
    ("EST", "America/New_York"),  # not Creston
    ("UTC+9", "Asia/Tokyo"),  # not Chita
    ("UTC-5", "America/New_York"),
    ("UTC−5", "America/New_York"),  # the minus sign
    ("utc – 5", "America/New_York"),  # an en dash, spaces
    ("PST", "America/Los_Angeles"),
    ("GMT", "UTC"),
    ("GMT+1", "Europe/Berlin"),
    ("+5:30", "Asia/Kolkata"),
    ("UTC+0530", "Asia/Kolkata"),
    ("Mumbai", "Asia/Kolkata"),
    ("Bangalore", "Asia/Kolkata"),
    ("Beijing", "Asia/Shanghai"),
    ("San Francisco", "America/Los_Angeles"),
    ("Munich", "Europe/Berlin"),
    ("München", "Europe/Berlin"),
    ("Zürich", "Europe/Zurich"),
    ("zurich", "Europe/Zurich"),
    ("São Paulo", "America/Sao_Paulo"),
    ("sao paulo", "America/Sao_Paulo"),
    ("Hawaii", "Pacific/Honolulu"),
    ("Kiev", "Europe/Kyiv"),
    ("Deutschland", "Europe/Berlin"),  # country names in the languages LinkTime speaks
    ("日本", "Asia/Tokyo"),
    ("Brazil", "America/Sao_Paulo"),
    ("United States", "America/New_York"),
    ("new y", "America/New_York"),
    ("Asia/Calcutta", "Asia/Kolkata"),  # a browser's name for it
])
def test_people_find_the_zone_they_mean_first(query, first):
    assert find_zones(query, WINTER)[0] == first


def test_an_offset_means_the_zones_at_that_offset_on_that_day():
    assert find_zones("UTC+1", WINTER)[0] == "Europe/Berlin"
    assert "Europe/Berlin" not in find_zones("UTC+1", SUMMER)  # Berlin is at +2 in July
    assert find_zones("UTC+2", SUMMER)[0] == "Europe/Berlin"
    assert all(name != "Asia/Chita" for name in find_zones("UTC+9", WINTER)[:2])


def test_nothing_found_is_an_empty_answer_and_long_input_is_cut():
    assert find_zones("xyzzy", WINTER) == []
    assert find_zones("", WINTER) == []
    assert find_zones("a" * 10_000, WINTER) == []
    assert len(find_zones("a", WINTER)) == 12


def test_the_list_has_each_zone_once_without_aliases():
    names = set(picker_zones())
    assert "Europe/Kyiv" in names and "Europe/Kiev" not in names
    assert "America/Argentina/ComodRivadavia" not in names and "US/Eastern" not in names
    assert "UTC" in names and 400 < len(names) < 450
    assert canonical_zone("US/Pacific") == "America/Los_Angeles"
    assert canonical_zone("Europe/Kiev") == "Europe/Kyiv"


def test_an_alias_someone_has_is_shown_as_its_zone_selected():
    options = zone_options("Asia/Calcutta")
    assert options.count(" selected>") == 1
    assert '<option value="Asia/Kolkata" selected>' in options
