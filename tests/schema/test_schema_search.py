"""Index documents fit CKAN's stock Solr schema; facets through package_search; the dataset
page shows readable Dutch labels instead of codes."""

from __future__ import annotations

from typing import Any

import pytest
from ckan.tests import helpers
from schema_testdata import EU, OWMS, dataset_dict, schema_config

from ckanext.gemeente.schema.plugin import (
    MULTIVALUED_INDEX_FIELDS,
    MULTIVALUED_INDEX_PREFIXES,
    flatten_for_index,
)

FACETS = [
    "vocab_theme",
    "organization",
    "vocab_access_rights",
    "res_format",
    "vocab_privacy_classification",
    "vocab_geo_coverage",
]


def test_flatten_leaves_no_list_in_single_valued_fields() -> None:
    doc = flatten_for_index(
        {
            "theme": '["a", "b"]',
            "extras_theme": '["a", "b"]',
            "access_rights": "x",
            "geo_coverage": '[{"scheme": "postcode", "value": "1506"}]',
            "odd_list": ["p", "q"],
            "odd_dict": {"k": "v"},
            "tags": ["t1", "t2"],
            "res_format": ["CSV"],
        }
    )
    assert doc["vocab_theme"] == ["a", "b"]
    assert doc["theme"] == "a b"
    assert doc["extras_theme"] == "a b"
    assert doc["vocab_access_rights"] == ["x"]
    assert doc["vocab_geo_coverage"] == ["postcode:1506"]
    assert doc["odd_list"] == "p q"
    assert doc["odd_dict"] == '{"k": "v"}'
    assert doc["tags"] == ["t1", "t2"]
    for key, value in doc.items():
        if isinstance(value, list):
            assert key in MULTIVALUED_INDEX_FIELDS or key.startswith(MULTIVALUED_INDEX_PREFIXES)


def make(department: dict[str, Any], name: str, **overrides: Any) -> dict[str, Any]:
    return helpers.call_action(
        "package_create", **dataset_dict(name=name, owner_org=department["id"], **overrides)
    )


@schema_config
@pytest.mark.usefixtures("with_plugins")
class TestFacets:
    def test_facets_through_package_search(self, department: dict) -> None:
        make(department, "afval-2024")
        res = dict(dataset_dict()["resources"][0], format="GEOJSON")
        make(
            department,
            "buurtcijfers",
            theme=[OWMS + "Sociale_zekerheid"],
            access_rights=EU + "access-right/RESTRICTED",
            privacy_classification="geaggregeerd",
            geo_coverage=[{"scheme": "wijk-buurt", "value": "BU04790101"}],
            resources=[res],
        )
        result = helpers.call_action("package_search", q="*:*", **{"facet.field": FACETS}, rows=10)
        assert result["count"] == 2
        facets = result["facets"]
        assert facets["vocab_theme"] == {
            OWMS + "Afval_(thema)": 1,
            OWMS + "Natuur_en_milieu": 1,
            OWMS + "Sociale_zekerheid": 1,
        }
        assert facets["organization"] == {"openbare-ruimte": 2}
        assert facets["vocab_access_rights"] == {
            EU + "access-right/PUBLIC": 1,
            EU + "access-right/RESTRICTED": 1,
        }
        # CKAN core indexes res_format with its own format names (unified_resource_format):
        # 2.12 writes "GeoJSON", 2.11 keeps the stored MDR code "GEOJSON"
        assert {k.upper(): v for k, v in facets["res_format"].items()} == \
            {"CSV": 1, "GEOJSON": 1}
        assert facets["vocab_privacy_classification"] == {
            "geen-persoonsgegevens": 1,
            "geaggregeerd": 1,
        }
        assert facets["vocab_geo_coverage"]["wijk-buurt:BU04790101"] == 1
        assert facets["vocab_geo_coverage"]["gemeente:GM0479"] == 1

        # readable labels in search_facets
        items = {
            i["name"]: i["display_name"]
            for i in result["search_facets"]["vocab_privacy_classification"]["items"]
        }
        assert items == {"geen-persoonsgegevens": "No personal data", "geaggregeerd": "Aggregated"}

    def test_filter_on_facets(self, department: dict) -> None:
        make(department, "afval-2024")
        make(department, "bijstand", theme=[OWMS + "Sociale_zekerheid"])
        found = helpers.call_action("package_search", fq=f'vocab_theme:"{OWMS}Sociale_zekerheid"')
        assert [d["name"] for d in found["results"]] == ["bijstand"]
        found = helpers.call_action(
            "package_search", fq="vocab_privacy_classification:geen-persoonsgegevens"
        )
        assert found["count"] == 2


@schema_config(locale="nl")
@pytest.mark.usefixtures("with_plugins")
class TestDatasetPage:
    def test_labels_not_codes(self, app: Any, department: dict) -> None:
        make(department, "afval-2024")
        body = app.get("/dataset/afval-2024").body
        for label in [
            "Afval",
            "Natuur en milieu",
            "Publiek",
            "Geen persoonsgegevens",
            "Handmatig bijgewerkt",
            "Nederlands",
            "Maandelijks",
            "Beschikbaar",
            "Basisregistratie Adressen en Gebouwen (BAG)",
            "Zaanstad",  # DONL:Organization label of the authority
            "Registratiehouder",  # Dutch field label
            "Privacyclassificatie",
            "CC0 1.0",  # licence label in the sidebar, not its URI
        ]:
            assert label in body, label
        assert "access-right/PUBLIC" not in body
        assert "geen-persoonsgegevens" not in body
        assert ">http://creativecommons.org/publicdomain/zero/1.0/deed.nl<" not in body

    def test_search_page_facets_in_dutch(self, app: Any, department: dict) -> None:
        make(department, "afval-2024")
        body = app.get("/dataset/").body
        for text in ["Geen persoonsgegevens", "Publiek", "Afval", "Openbare Ruimte"]:
            assert text in body, text


@schema_config(locale="en")
@pytest.mark.usefixtures("with_plugins")
class TestDatasetPageEnglish:
    def test_english_labels(self, app: Any, department: dict) -> None:
        make(department, "afval-2024")
        body = app.get("/en/dataset/afval-2024").body
        for label in ["Waste", "No personal data", "Public", "Authority (register holder)"]:
            assert label in body, label
