"""The dashboard's pure arithmetic: completeness, percentiles, lead times, SVG charts."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ckanext.gemeente.dashboard import figures


def test_missing_fields_treats_blank_values_as_missing() -> None:
    pkg = {"title": "Bomenregister", "notes": "  ", "theme": "[]", "language": ["", None],
           "license_id": "cc-zero", "tags": [], "contact": {}}
    assert figures.missing_fields(
        pkg, ["title", "notes", "theme", "language", "license_id", "tags", "contact", "owner"]
    ) == ["notes", "theme", "language", "tags", "contact", "owner"]


def test_percentile_interpolates_like_numpy() -> None:
    values = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    assert figures.percentile(values, 50) == 5.5
    assert figures.percentile(values, 90) == 9.1
    assert figures.percentile([4], 90) == 4
    assert figures.percentile([], 50) is None


def test_lead_times_from_audit_entries() -> None:
    entries = [
        # a: submitted, changes requested after 2 days, resubmitted, approved 1 day later,
        #    published 3 days after that
        {"package_id": "a", "to_state": "ingediend", "created": "2026-03-01T09:00:00"},
        {"package_id": "a", "to_state": "wijziging_gevraagd", "created": "2026-03-03T09:00:00"},
        {"package_id": "a", "to_state": "ingediend", "created": "2026-03-04T09:00:00"},
        {"package_id": "a", "to_state": "privacy_goedgekeurd", "created": "2026-03-05T09:00:00"},
        {"package_id": "a", "to_state": "gepubliceerd", "created": "2026-03-08T09:00:00"},
        # b: still waiting (not counted); c: given out of order, approved after 12 hours
        {"package_id": "b", "to_state": "ingediend", "created": "2026-03-06T09:00:00Z"},
        {"package_id": "c", "to_state": "privacy_goedgekeurd",
         "created": "2026-03-02T21:00:00+00:00"},
        {"package_id": "c", "to_state": "ingediend", "created": "2026-03-02T09:00:00+00:00"},
    ]
    decided = ("privacy_goedgekeurd", "wijziging_gevraagd", "afgewezen")
    assert sorted(figures.lead_times(entries, ["ingediend"], decided)) == [0.5, 1.0, 2.0]
    # publication: from the first submission, across the requested change, to publication
    assert figures.lead_times(entries, ["ingediend"], ["gepubliceerd"]) == [7.0]
    assert figures.summary([0.5, 1.0, 2.0]) == {"count": 3, "median_days": 1.0,
                                                "p90_days": 1.8}
    assert figures.summary([]) == {"count": 0, "median_days": None, "p90_days": None}


def test_bar_chart_is_valid_escaped_svg_with_a_title() -> None:
    svg = figures.bar_chart("Datasets per afdeling", [
        ("Openbare Ruimte", 12), ("Wonen <&> Ruimte", 3), ("Leeg", 0)])
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    assert root.get("role") == "img"
    title = root.find(f"{ns}title")
    assert title is not None and title.text == "Datasets per afdeling"
    assert root.get("aria-labelledby") == title.get("id")
    bars = root.findall(f"{ns}rect")
    widths = [int(b.get("width")) for b in bars]
    assert widths[0] > widths[1] > widths[2] == 0
    labels = [t.text for t in root.findall(f"{ns}text")]
    assert "Wonen <&> Ruimte" in labels and "12" in labels
