"""Availability schedules: named weekly hours a host shares between event types, with days off,
other hours on some days, and the public holidays of a country."""
from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from datetime import date, datetime
from functools import lru_cache
from typing import TYPE_CHECKING

import holidays
from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from linktime.extensions import Model
from linktime.models.columns import UTCDateTime, now_utc
from linktime.scheduling import Availability
from linktime.scheduling.rules import WorkingHours, hours_from_json

if TYPE_CHECKING:
    from linktime.models.accounts import User


@lru_cache(maxsize=64)
def public_holidays(country: str, first_year: int, last_year: int, language: str = "en") -> dict[date, str]:
    """The public holidays of ``country`` (ISO 3166 code) in those years, by day, named in ``language``
    where the package has their names in it (else in English, else in the country's own)."""
    try:
        known = holidays.country_holidays(country).supported_languages
        named = next((tag for tag in known if tag.split("_")[0] == language),
                     next((tag for tag in known if tag.startswith("en")), None))
        found = holidays.country_holidays(country, years=range(first_year, last_year + 1), language=named)
    except NotImplementedError:  # a code the holidays package does not know
        return {}
    return dict(found.items())


@lru_cache(maxsize=8)
def holiday_countries(locale: str = "en") -> dict[str, str]:
    """The countries whose holidays LinkTime knows: code -> name in ``locale``, in its alphabetical order."""
    from babel import Locale

    names = Locale.parse(locale).territories
    return dict(sorted(((code, names.get(code, code)) for code in holidays.list_supported_countries()),
                       key=lambda pair: _sort_key(pair[1])))


def _sort_key(name: str) -> str:
    """"Österreich" among the O's: letters without their accents, any case."""
    return "".join(ch for ch in unicodedata.normalize("NFKD", name) if not unicodedata.combining(ch)).casefold()


class Schedule(Model):
    __tablename__ = "schedules"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    weekly_hours: Mapped[dict] = mapped_column(JSON, default=dict)  # {"0": [["09:00", "17:00"]], …}, Monday 0
    # Days with other hours than the week's: {"2026-12-24": []} (off) or {"2026-12-31": [["09:00", "12:00"]]}
    date_overrides: Mapped[dict] = mapped_column(JSON, default=dict)
    holiday_country: Mapped[str] = mapped_column(String(8), default="")  # "" for none
    is_default: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    user: Mapped[User] = relationship()

    def overrides(self, around: date | None = None) -> dict[date, WorkingHours]:
        """Its days off and other hours: the country's public holidays (a year back, two ahead of
        ``around``), then the host's own days, which win (working on a holiday is a choice)."""
        days: dict[date, WorkingHours] = {}
        if self.holiday_country:
            year = (around or now_utc().date()).year
            days.update((day, ()) for day in public_holidays(self.holiday_country, year - 1, year + 2))
        days.update((date.fromisoformat(k), hours_from_json(v)) for k, v in (self.date_overrides or {}).items())
        return days

    def availability_in(self, zone: str, days_away: Iterable[date] = ()) -> Availability:
        overrides = self.overrides()
        overrides.update((day, ()) for day in days_away)
        return Availability(timezone=zone,
                            weekly={int(k): hours_from_json(v) for k, v in (self.weekly_hours or {}).items()},
                            overrides=overrides)

    def holidays_between(self, first: date, last: date, language: str = "en") -> dict[date, str]:
        if not self.holiday_country:
            return {}
        found = public_holidays(self.holiday_country, first.year, last.year, language)
        return {day: name for day, name in sorted(found.items()) if first <= day <= last}
