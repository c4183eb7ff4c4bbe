"""Solr date parsing, date math and formatting."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from ckanext.gemeente.search.solr.datemath import (
    format_solr_date,
    parse_solr_date,
    to_epoch_millis,
)
from ckanext.gemeente.search.solr.errors import SolrError

UTC = timezone.utc
NOW = datetime(2024, 3, 15, 13, 45, 30, 123456, tzinfo=UTC)


def d(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2024-01-01T00:00:00Z", d(2024, 1, 1)),
        ("2024-03-01T10:00:00.5Z", d(2024, 3, 1, 10, 0, 0, 500000)),
        ("2024-03-01T10:00:00.123456789Z", d(2024, 3, 1, 10, 0, 0, 123000)),
        ("2024-03-01T10:00Z", d(2024, 3, 1, 10, 0)),
        ("NOW", d(2024, 3, 15, 13, 45, 30, 123000)),
        ("NOW/DAY", d(2024, 3, 15)),
        ("NOW-1DAY/DAY", d(2024, 3, 14)),
        ("NOW/DAY-1DAY", d(2024, 3, 14)),
        ("NOW/MONTH", d(2024, 3, 1)),
        ("NOW/YEAR", d(2024, 1, 1)),
        ("NOW/HOUR", d(2024, 3, 15, 13)),
        ("NOW/MINUTE", d(2024, 3, 15, 13, 45)),
        ("NOW/SECOND", d(2024, 3, 15, 13, 45, 30)),
        ("NOW+1YEAR", d(2025, 3, 15, 13, 45, 30, 123000)),
        ("NOW+2HOURS", d(2024, 3, 15, 15, 45, 30, 123000)),
        ("NOW-30MINUTES", d(2024, 3, 15, 13, 15, 30, 123000)),
        ("NOW+500MILLIS", d(2024, 3, 15, 13, 45, 30, 623000)),
        ("NOW/DAY+1DAY-1SECOND", d(2024, 3, 15, 23, 59, 59)),
        ("NOW-7DAYS/DAY", d(2024, 3, 8)),
        ("NOW/DATE", d(2024, 3, 15)),
        ("2024-01-01T00:00:00Z+1MONTH", d(2024, 2, 1)),
        ("2024-01-31T00:00:00Z+1MONTH", d(2024, 2, 29)),  # day clamped (leap year)
        ("2023-01-31T00:00:00Z+1MONTH", d(2023, 2, 28)),
        ("2024-02-29T12:00:00Z+1YEAR", d(2025, 2, 28, 12)),
        ("2024-02-29T12:00:00Z-1YEAR/YEAR", d(2023, 1, 1)),
        ("2024-12-15T08:00:00Z+1MONTH/MONTH", d(2025, 1, 1)),
    ],
)
def test_parse(text: str, expected: datetime) -> None:
    assert parse_solr_date(text, now=NOW) == expected


# Instants with a numeric UTC offset, as Java 17's lenient ISO instant parser (checked
# against ``DateTimeFormatterBuilder().parseLenient().appendInstant()``) reads them.
@pytest.mark.parametrize(
    "text, expected",
    [
        ("2019-10-10T01:15:00+00:00", d(2019, 10, 10, 1, 15)),  # CKAN's isoformat()
        ("2019-10-10T01:15:00-00:00", d(2019, 10, 10, 1, 15)),
        ("2019-10-10T01:15:00+02:00", d(2019, 10, 9, 23, 15)),
        ("2019-10-10T01:15:00-05:00", d(2019, 10, 10, 6, 15)),
        ("2019-10-10T01:15:00-05", d(2019, 10, 10, 6, 15)),
        ("2019-10-10T01:15:00+02:00:30", d(2019, 10, 9, 23, 14, 30)),
        ("2019-10-10T01:15:00.123+02:00", d(2019, 10, 9, 23, 15, 0, 123000)),
        ("2019-10-10T01:15:00.1234567+02:00", d(2019, 10, 9, 23, 15, 0, 123000)),
        ("2019-10-10t01:15:00+02:00", d(2019, 10, 9, 23, 15)),
        ("2019-10-10T01:15:00+18:00", d(2019, 10, 9, 7, 15)),
        ("2019-10-10T01:15:00-18:00", d(2019, 10, 10, 19, 15)),
        ("2024-03-01T00:30:00+01:00", d(2024, 2, 29, 23, 30)),  # crosses a (leap) month
        ("2024-12-31T23:00:00-01:00", d(2025, 1, 1)),  # crosses a year
        # date math after the offset applies to the UTC instant
        ("2019-10-10T01:15:00+02:00+1DAY", d(2019, 10, 10, 23, 15)),
        ("2019-10-10T01:15:00+02:00/DAY", d(2019, 10, 9)),
        ("2019-10-10T01:15:00-05+1MONTH/MONTH", d(2019, 11, 1)),
        ("2019-10-10T01:15:00+02:00:30-30SECONDS", d(2019, 10, 9, 23, 14)),
    ],
)
def test_parse_offset_instants(text: str, expected: datetime) -> None:
    got = parse_solr_date(text, now=NOW)
    assert got == expected
    assert got.utcoffset() == timedelta(0)


def test_offset_instant_indexes_in_canonical_utc_form() -> None:
    assert format_solr_date(parse_solr_date("2019-10-10T01:15:00+00:00")) == (
        "2019-10-10T01:15:00Z"
    )
    assert format_solr_date(parse_solr_date("2019-10-10T01:15:00.5-05:00")) == (
        "2019-10-10T06:15:00.500Z"
    )


def test_naive_now_is_utc() -> None:
    assert parse_solr_date("NOW/DAY", now=datetime(2020, 5, 6, 7, 8)) == d(2020, 5, 6)


def test_now_defaults_to_current_time() -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    got = parse_solr_date("NOW")
    assert got.tzinfo is not None
    assert before <= got.replace(microsecond=0) <= datetime.now(UTC)


@pytest.mark.parametrize(
    "text, msg",
    [
        ("abc", "Invalid Date String:'abc'"),
        ("2024-01-01", "Invalid Date String:'2024-01-01'"),
        ("2024-01-01T00:00:00", "Invalid Date String:'2024-01-01T00:00:00'"),
        ("2024-13-01T00:00:00Z", "Invalid Date in Date Math String:'2024-13-01T00:00:00Z'"),
        ("2024-02-30T00:00:00Z", "Invalid Date in Date Math String:'2024-02-30T00:00:00Z'"),
        ("xyzZ", "Invalid Date in Date Math String:'xyzZ'"),
        ("NOW+1FOO", "Invalid Date Math String:'NOW+1FOO'"),
        ("NOW/", "Invalid Date Math String:'NOW/'"),
        ("NOW-DAY", "Invalid Date Math String:'NOW-DAY'"),
        ("NOW 1DAY", "Invalid Date Math String:'NOW 1DAY'"),
        ("2024-01-01T00:00:00Z+1day", "Invalid Date Math String:'2024-01-01T00:00:00Z+1day'"),
        # offsets that Java's lenient ISO instant parser rejects: no "Z", so Solr's text
        ("2019-10-10T01:15:00-0500", "Invalid Date String:'2019-10-10T01:15:00-0500'"),
        ("2019-10-10T01:15:00+0200", "Invalid Date String:'2019-10-10T01:15:00+0200'"),
        ("2019-10-10T01:15:00+2:00", "Invalid Date String:'2019-10-10T01:15:00+2:00'"),
        ("2019-10-10T01:15:00+02:0", "Invalid Date String:'2019-10-10T01:15:00+02:0'"),
        ("2019-10-10T01:15:00+02:60", "Invalid Date String:'2019-10-10T01:15:00+02:60'"),
        ("2019-10-10T01:15:00+19:00", "Invalid Date String:'2019-10-10T01:15:00+19:00'"),
        ("2019-10-10T01:15:00+18:01", "Invalid Date String:'2019-10-10T01:15:00+18:01'"),
        ("2019-10-10T01:15+02:00", "Invalid Date String:'2019-10-10T01:15+02:00'"),  # no seconds
        ("2019-10-10T01:15:00+", "Invalid Date String:'2019-10-10T01:15:00+'"),
        ("2019-13-10T01:15:00+02:00", "Invalid Date String:'2019-13-10T01:15:00+02:00'"),
        ("2019-02-30T01:15:00+02:00", "Invalid Date String:'2019-02-30T01:15:00+02:00'"),
        ("2019-10-10T24:15:00+02:00", "Invalid Date String:'2019-10-10T24:15:00+02:00'"),
        ("0001-01-01T00:30:00+01:00", "Invalid Date String:'0001-01-01T00:30:00+01:00'"),
        ("2019-10-10T01:15:00+02:00 ", "Invalid Date String:'2019-10-10T01:15:00+02:00 '"),
        # an offset and a "Z": the part before "Z" is not an instant (as in Solr)
        (
            "2019-10-10T01:15:00+00:00Z",
            "Invalid Date in Date Math String:'2019-10-10T01:15:00+00:00Z'",
        ),
        # bad date math after a valid offset instant
        (
            "2019-10-10T01:15:00+02:00+1FOO",
            "Invalid Date Math String:'2019-10-10T01:15:00+02:00+1FOO'",
        ),
        (
            "2019-10-10T01:15:00+02:00/",
            "Invalid Date Math String:'2019-10-10T01:15:00+02:00/'",
        ),
        (
            "2019-10-10T01:15:00+02:00+1day",
            "Invalid Date Math String:'2019-10-10T01:15:00+02:00+1day'",
        ),
    ],
)
def test_parse_errors(text: str, msg: str) -> None:
    with pytest.raises(SolrError) as exc:
        parse_solr_date(text, now=NOW)
    assert exc.value.msg == msg
    assert exc.value.code == 400


@pytest.mark.parametrize(
    "dt, expected",
    [
        (d(2024, 3, 1, 10), "2024-03-01T10:00:00Z"),
        (d(2024, 3, 1, 10, 0, 0, 500000), "2024-03-01T10:00:00.500Z"),
        (d(2024, 3, 1, 10, 0, 0, 123999), "2024-03-01T10:00:00.123Z"),
        (d(2024, 3, 1, 10, 0, 0, 999), "2024-03-01T10:00:00Z"),
        (d(5, 1, 2), "0005-01-02T00:00:00Z"),
        (datetime(2024, 3, 1, 10), "2024-03-01T10:00:00Z"),
    ],
)
def test_format(dt: datetime, expected: str) -> None:
    assert format_solr_date(dt) == expected


def test_format_converts_other_timezones() -> None:
    from datetime import timedelta

    cet = timezone(timedelta(hours=1))
    assert format_solr_date(datetime(2024, 1, 1, 1, 0, tzinfo=cet)) == "2024-01-01T00:00:00Z"


def test_round_trip_and_epoch() -> None:
    text = "2024-03-01T10:00:00.250Z"
    assert format_solr_date(parse_solr_date(text)) == text
    assert to_epoch_millis(parse_solr_date("1970-01-01T00:00:01.5Z")) == 1500
    assert to_epoch_millis(parse_solr_date("1969-12-31T23:59:59Z")) == -1000
