"""The dataset page lists only the metadata a dataset has: no empty rows (issue 22)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from ckan.tests import helpers
from schema_testdata import dataset_dict, schema_config


def _rows(body: str) -> dict[str, str]:
    """Label -> cell text of the 'Extra informatie' table."""
    out = {}
    for label, cell in re.findall(
        r'<th scope="row" class="dataset-label">\s*(.*?)\s*</th>\s*'
        r'<td class="dataset-details"[^>]*>(.*?)</td>', body, flags=re.S):
        out[label.strip()] = re.sub(r"<[^>]+>", "", cell).strip()
    return out


@schema_config(locale="nl")
@pytest.mark.usefixtures("with_plugins")
class TestDatasetPage:
    def test_empty_fields_have_no_row(self, app: Any, department: dict[str, Any]) -> None:
        data = dataset_dict(owner_org=department["id"])
        for key in ("legal_foundation_label", "legal_foundation_ref", "legal_foundation_uri",
                    "conforms_to", "sample", "provenance"):
            data.pop(key)
        helpers.call_action("package_create", **data)
        rows = _rows(app.get("/dataset/afvalinzamelpunten").body)
        for empty in ("Grondslag voor verwerking", "Harvestbron", "Juridische grondslag – naam",
                      "Voldoet aan", "Voorbeeld", "Herkomst"):
            assert empty not in rows, empty
        assert all(rows.values()), [label for label, text in rows.items() if not text]
        # filled fields keep their row, with readable Dutch values
        assert rows["Privacyclassificatie"] == "Geen persoonsgegevens"
        assert rows["Bijwerkmethode"]
        assert "Zaanstad" in rows["Registratiehouder"]

    def test_filled_optional_fields_are_shown(self, app: Any, department: dict[str, Any]
                                              ) -> None:
        helpers.call_action("package_create", **dataset_dict(
            owner_org=department["id"], update_method="geharvest",
            harvest_source="https://geo.zaanstad.example.nl/csw",
            privacy_classification="geaggregeerd",
            processing_legal_basis="AVG art. 6 lid 1 sub e"))
        rows = _rows(app.get("/dataset/afvalinzamelpunten").body)
        assert rows["Harvestbron"] == "https://geo.zaanstad.example.nl/csw"
        assert rows["Grondslag voor verwerking"] == "AVG art. 6 lid 1 sub e"
        assert rows["Juridische grondslag – naam"] == "Wet milieubeheer, art. 10.21"
