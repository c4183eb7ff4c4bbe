"""Solr date parsing, date math and formatting (``DateMathParser`` semantics).

Everything is UTC, as in Solr without a ``TZ`` parameter. Supported input:

* ISO instants ``YYYY-MM-DDThh:mm[:ss[.fff...]]Z`` (years 0001-9999, the range of
  Python's :class:`datetime`; Solr accepts a wider range, an approximation);
* ISO instants with a numeric UTC offset instead of ``Z``,
  ``YYYY-MM-DDThh:mm:ss[.fff...]±HH[:MM[:SS]]`` (e.g. ``2019-10-10T01:15:00+00:00``, what
  Python's ``isoformat()`` writes for an aware datetime), converted to UTC. This is
  what Java 17's ``DateTimeFormatter.ISO_INSTANT``-style lenient parser accepts (offsets
  since Java 12): seconds are required, the offset needs its colons (``-0500`` is
  rejected, ``-05`` is accepted) and lies within +-18:00. Solr 9 stores such values
  when it indexes them through the ``parse-date`` update processor of its ``_default``
  configset (the one CKAN's Solr images use); date math may follow the offset
  (``2019-10-10T01:15:00+02:00+1DAY``). A malformed offset instant is an
  ``Invalid Date String`` (it has no ``Z``);
* ``NOW`` followed by optional date math, e.g. ``NOW-1DAY/DAY``;
* an instant followed by date math, e.g. ``2024-01-01T00:00:00Z+1MONTH``.

Date math is a sequence of ``+N<UNIT>``, ``-N<UNIT>`` and ``/<UNIT>`` (rounding
down), units ``YEAR(S) MONTH(S) DAY(S) DATE HOUR(S) MINUTE(S) SECOND(S) MILLI(S)
MILLISECOND(S)``. Month/year arithmetic clamps the day of month (Jan 31 + 1MONTH =
Feb 28/29) like ``java.time``. Precision is milliseconds; finer digits are dropped.

Errors use Solr's texts: no ``Z`` -> ``Invalid Date String:'x'``; a bad instant
before ``Z`` -> ``Invalid Date in Date Math String:'x'``; bad math ->
``Invalid Date Math String:'x'``.
"""

from __future__ import annotations

import calendar
import re
from datetime import datetime, timedelta, timezone

from .errors import SolrError

__all__ = ["parse_solr_date", "format_solr_date", "to_epoch_millis", "from_epoch_millis"]

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

_INSTANT_RE = re.compile(
    r"(?P<year>[+-]?\d{4,})-(?P<month>\d{2})-(?P<day>\d{2})[Tt]"
    r"(?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.(?P<frac>\d{1,9}))?)?[Zz]\Z"
)

# The instant with a numeric offset, then whatever follows (date math or junk).
_OFFSET_INSTANT_RE = re.compile(
    r"(?P<year>[+-]?\d{4,})-(?P<month>\d{2})-(?P<day>\d{2})[Tt]"
    r"(?P<hour>\d{2}):(?P<minute>\d{2}):(?P<second>\d{2})(?:\.(?P<frac>\d{1,9}))?"
    r"(?P<sign>[+-])(?P<oh>\d{2})(?::(?P<om>\d{2})(?::(?P<os>\d{2}))?)?"
)

_MAX_OFFSET_SECONDS = 18 * 3600

_MATH_RE = re.compile(r"([+-])(\d+)([A-Z]+)|/([A-Z]+)")

_UNITS = {
    "YEAR": "YEAR",
    "YEARS": "YEAR",
    "MONTH": "MONTH",
    "MONTHS": "MONTH",
    "DAY": "DAY",
    "DAYS": "DAY",
    "DATE": "DAY",
    "HOUR": "HOUR",
    "HOURS": "HOUR",
    "MINUTE": "MINUTE",
    "MINUTES": "MINUTE",
    "SECOND": "SECOND",
    "SECONDS": "SECOND",
    "MILLI": "MILLI",
    "MILLIS": "MILLI",
    "MILLISECOND": "MILLI",
    "MILLISECONDS": "MILLI",
}


class _BadInstant(ValueError):
    pass


class _BadMath(ValueError):
    pass


def _truncate_millis(dt: datetime) -> datetime:
    return dt.replace(microsecond=(dt.microsecond // 1000) * 1000)


def _utc(dt: datetime) -> datetime:
    if dt.tzinfo is None:
        return dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc)


def _parse_instant(text: str) -> datetime:
    m = _INSTANT_RE.match(text)
    if not m:
        raise _BadInstant(text)
    try:
        year = int(m.group("year"))
        frac = m.group("frac") or ""
        micro = int((frac + "000000")[:6]) // 1000 * 1000
        return datetime(
            year,
            int(m.group("month")),
            int(m.group("day")),
            int(m.group("hour")),
            int(m.group("minute")),
            int(m.group("second") or 0),
            micro,
            tzinfo=timezone.utc,
        )
    except ValueError as exc:  # out of range month/day/hour, year outside 1..9999
        raise _BadInstant(text) from exc


def _parse_offset_instant(text: str) -> tuple[datetime, str]:
    """An instant with a numeric UTC offset at the start of ``text`` (converted to UTC)
    and the rest of the text (date math); :class:`_BadInstant` if there is none."""
    m = _OFFSET_INSTANT_RE.match(text)
    if not m:
        raise _BadInstant(text)
    rest = text[m.end() :]
    if rest and rest[0] not in "+-/":
        raise _BadInstant(text)  # e.g. "-0500": Java parses "-05", then finds "00"
    oh, om, osec = int(m.group("oh")), int(m.group("om") or 0), int(m.group("os") or 0)
    if oh > 18 or om > 59 or osec > 59:
        raise _BadInstant(text)
    offset = oh * 3600 + om * 60 + osec
    if offset > _MAX_OFFSET_SECONDS:
        raise _BadInstant(text)
    if m.group("sign") == "-":
        offset = -offset
    try:
        frac = m.group("frac") or ""
        local = datetime(
            int(m.group("year")),
            int(m.group("month")),
            int(m.group("day")),
            int(m.group("hour")),
            int(m.group("minute")),
            int(m.group("second")),
            int((frac + "000000")[:6]) // 1000 * 1000,
            tzinfo=timezone(timedelta(seconds=offset)),
        )
        return local.astimezone(timezone.utc), rest
    except (ValueError, OverflowError) as exc:  # bad field, or outside years 1..9999 in UTC
        raise _BadInstant(text) from exc


def _add_months(dt: datetime, months: int) -> datetime:
    total = dt.year * 12 + (dt.month - 1) + months
    year, month0 = divmod(total, 12)
    month = month0 + 1
    if not 1 <= year <= 9999:
        raise _BadMath("year out of range")
    day = min(dt.day, calendar.monthrange(year, month)[1])
    return dt.replace(year=year, month=month, day=day)


def _add(dt: datetime, amount: int, unit: str) -> datetime:
    try:
        if unit == "YEAR":
            return _add_months(dt, 12 * amount)
        if unit == "MONTH":
            return _add_months(dt, amount)
        if unit == "DAY":
            return dt + timedelta(days=amount)
        if unit == "HOUR":
            return dt + timedelta(hours=amount)
        if unit == "MINUTE":
            return dt + timedelta(minutes=amount)
        if unit == "SECOND":
            return dt + timedelta(seconds=amount)
        return dt + timedelta(milliseconds=amount)
    except OverflowError as exc:
        raise _BadMath("overflow") from exc


def _round(dt: datetime, unit: str) -> datetime:
    if unit == "YEAR":
        return dt.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    if unit == "MONTH":
        return dt.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if unit == "DAY":
        return dt.replace(hour=0, minute=0, second=0, microsecond=0)
    if unit == "HOUR":
        return dt.replace(minute=0, second=0, microsecond=0)
    if unit == "MINUTE":
        return dt.replace(second=0, microsecond=0)
    if unit == "SECOND":
        return dt.replace(microsecond=0)
    return dt  # MILLI: already millisecond precision


def _apply_math(base: datetime, math: str) -> datetime:
    pos = 0
    dt = base
    while pos < len(math):
        m = _MATH_RE.match(math, pos)
        if not m:
            raise _BadMath(math)
        pos = m.end()
        if m.group(4) is not None:
            unit = _UNITS.get(m.group(4))
            if unit is None:
                raise _BadMath(math)
            dt = _round(dt, unit)
        else:
            unit = _UNITS.get(m.group(3))
            if unit is None:
                raise _BadMath(math)
            amount = int(m.group(2))
            if amount > 2**31 - 1:
                raise _BadMath(math)
            dt = _add(dt, -amount if m.group(1) == "-" else amount, unit)
    return dt


def parse_solr_date(text: str, now: datetime | None = None) -> datetime:
    """Parse a Solr date (instant, ``NOW``, with optional date math) to an aware UTC datetime."""
    if text.startswith("NOW"):
        base = _truncate_millis(_utc(now) if now is not None else datetime.now(timezone.utc))
        math = text[3:]
    else:
        zz = text.find("Z")
        if zz == -1:
            try:
                base, math = _parse_offset_instant(text)
            except _BadInstant:
                raise SolrError(f"Invalid Date String:'{text}'") from None
        else:
            try:
                base = _parse_instant(text[: zz + 1])
            except _BadInstant:
                raise SolrError(f"Invalid Date in Date Math String:'{text}'") from None
            math = text[zz + 1 :]
    if not math:
        return base
    try:
        return _apply_math(base, math)
    except (_BadMath, ValueError, OverflowError):
        raise SolrError(f"Invalid Date Math String:'{text}'") from None


def format_solr_date(dt: datetime) -> str:
    """Solr's canonical output (``Instant.toString()``): milliseconds printed in groups of
    three digits only when non-zero, e.g. ``2024-03-01T10:00:00Z``,
    ``2024-03-01T10:00:00.500Z``, ``2024-03-01T10:00:00.123Z``."""
    dt = _utc(dt)
    base = (
        f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d}T{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d}"
    )
    millis = dt.microsecond // 1000
    if millis:
        return f"{base}.{millis:03d}Z"
    return base + "Z"


def to_epoch_millis(dt: datetime) -> int:
    """Milliseconds since the epoch (the sort/range key of date fields)."""
    delta = _utc(dt) - _EPOCH
    return (delta.days * 86400 + delta.seconds) * 1000 + delta.microseconds // 1000


def from_epoch_millis(millis: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=millis)
