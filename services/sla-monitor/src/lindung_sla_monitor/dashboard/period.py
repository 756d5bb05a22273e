"""The period a dashboard view reports on, from its query parameters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

__all__ = ["LONGEST", "PRESETS", "Period", "PeriodError", "choose_period"]

PRESETS: dict[str, timedelta] = {
    "24h": timedelta(days=1),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
    "90d": timedelta(days=90),
}
DEFAULT = "7d"
LONGEST = timedelta(days=366)
_HOURLY_UP_TO = timedelta(days=2)


class PeriodError(ValueError):
    """A period that cannot be reported on: which parameter, and why."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class Period:
    """Referrals requested from `since` (inclusive) to `until` (exclusive)."""

    since: datetime
    until: datetime
    last: str | None  # the preset chosen, if one was

    @property
    def bucket(self) -> str:
        """How the trend is cut: by the hour for two days or less, else by the day."""
        return "hour" if self.until - self.since <= _HOURLY_UP_TO else "day"

    def starts(self, zone: ZoneInfo) -> list[datetime]:
        """The start of every hour or day (in `zone`) the period touches, empty ones too."""
        local = self.since.astimezone(zone)
        if self.bucket == "hour":
            at, step = local.replace(minute=0, second=0, microsecond=0), timedelta(hours=1)
        else:
            at, step = datetime.combine(local.date(), time(0), zone), timedelta(days=1)
        starts = []
        while at < self.until:
            starts.append(at)
            # Whole days step by the calendar, so a day stays a day across offsets.
            at = (
                (at + step).astimezone(zone)
                if self.bucket == "hour"
                else (datetime.combine(at.date() + step, time(0), zone))
            )
        return starts


def choose_period(
    now: datetime,
    zone: ZoneInfo,
    *,
    last: str | None = None,
    since: str | None = None,
    until: str | None = None,
) -> Period:
    """`last` (24h, 7d, 30d, 90d), or `since` [and `until`]: a date or a time with an offset.

    A date is a whole day in `zone`: `since=2026-11-01&until=2026-11-30` is all of
    November. Without anything, the last seven days.
    """
    if since is None and until is None:
        preset = last or DEFAULT
        if preset not in PRESETS:
            raise PeriodError("last", f"must be one of {', '.join(PRESETS)}")
        return Period(now - PRESETS[preset], now, preset)
    if last is not None:
        raise PeriodError("last", "give either last, or since and until, not both")
    if since is None:
        raise PeriodError("since", "required with until")
    start = _instant("since", since, zone, end_of_day=False)
    end = now if until is None else _instant("until", until, zone, end_of_day=True)
    if end <= start:
        raise PeriodError("until", "must be after since")
    if end - start > LONGEST:
        raise PeriodError("since", f"a period is at most {LONGEST.days} days")
    return Period(start, end, None)


def _instant(field: str, text: str, zone: ZoneInfo, *, end_of_day: bool) -> datetime:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        pass
    else:
        # A date is the whole day: `until` a date includes that day.
        start = datetime.combine(day, time(0), zone)
        return start + timedelta(days=1) if end_of_day else start
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise PeriodError(field, "not a date (YYYY-MM-DD) or a time with an offset") from None
    if moment.tzinfo is None:
        raise PeriodError(field, "a time needs its offset, e.g. 2026-11-01T08:00+08:00")
    return moment
