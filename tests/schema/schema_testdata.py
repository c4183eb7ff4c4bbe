"""Test data of the gemeente_schema tests (importable: pytest puts this folder on sys.path)."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
VOCAB_DIR = os.path.join(HERE, "data", "vocabularies")
SHARED_DCAT = os.path.normpath(os.path.join(HERE, "..", "..", "..", "shared", "dcat"))
MUNICIPALITY = "https://identifier.overheid.nl/tooi/id/gemeente/gm0479"
OWMS = "http://standaarden.overheid.nl/owms/terms/"
EU = "http://publications.europa.eu/resource/authority/"


PLUGINS = "scheming_datasets scheming_organizations gemeente_schema dcat"

SCHEMA_CONFIG: dict[str, str] = {
    "ckan.plugins": PLUGINS,
    "scheming.dataset_schemas": "ckanext.gemeente.schema:schemas/gemeente_dataset.yaml",
    "scheming.organization_schemas": "ckanext.gemeente.schema:schemas/gemeente_organization.yaml",
    "scheming.presets": "ckanext.scheming:presets.json ckanext.gemeente.schema:presets.json",
    "ckanext.dcat.rdf.profiles": "euro_dcat_ap_2 euro_dcat_ap_scheming donl",
    "ckanext.gemeente.municipality_uri": MUNICIPALITY,
    "ckanext.gemeente.municipality_name": "Gemeente Zaanstad",
    "ckanext.gemeente.vocabulary_dir": "",
    "ckanext.gemeente.vocabulary_source_url": "http://127.0.0.1:9/",
}


def schema_config(func: Any = None, *, locale: str = "en") -> Any:
    """Apply every ``ckan_config`` option of the schema plugin to a test or class.

    API tests run in English (``locale="en"``) so they can assert the msgids; pages and the
    Dutch-message tests use ``@schema_config(locale="nl")``.
    """

    def apply(target: Any) -> Any:
        for key, value in {**SCHEMA_CONFIG, "ckan.locale_default": locale}.items():
            target = pytest.mark.ckan_config(key, value)(target)
        return target

    return apply(func) if func is not None else apply


def dataset_dict(**overrides: Any) -> dict[str, Any]:
    """A complete, valid dataset of the schema (realistic, invented, no personal data)."""
    data: dict[str, Any] = {
        "name": "afvalinzamelpunten",
        "title": "Afvalinzamelpunten",
        "notes": "Locaties van ondergrondse containers voor restafval, papier en glas.",
        "language": [EU + "language/NLD"],
        "metadata_language": EU + "language/NLD",
        "contact_name": "Team Open Data",
        "contact_email": "opendata@zaanstad.example.nl",
        "contact_phone": "14 075",
        "contact_url": "https://www.zaanstad.example.nl/contact",
        "license_id": "http://creativecommons.org/publicdomain/zero/1.0/deed.nl",
        "modified": "2024-05-01",
        "issued": "2019-01-15",
        "theme": [OWMS + "Afval_(thema)", OWMS + "Natuur_en_milieu"],
        "tags": [{"name": "afval"}, {"name": "containers"}],
        "access_rights": EU + "access-right/PUBLIC",
        "geo_coverage": [
            {"scheme": "gemeente", "value": "GM0479"},
            {"scheme": "wijk-buurt", "value": "WK047901"},
            {"scheme": "postcode", "value": "1506"},
            {"scheme": "punt", "value": "POINT(4.8283 52.4387)"},
        ],
        "temporal_start": "2024-01-01",
        "temporal_end": "2024-12-31",
        "frequency": EU + "frequency/MONTHLY",
        "dataset_status": "http://data.overheid.nl/status/beschikbaar",
        "high_value": "True",
        "basis_register": "False",
        "referentie_data": "False",
        "legal_foundation_label": "Wet milieubeheer, art. 10.21",
        "legal_foundation_ref": "jci1.3:c:BWBR0003245&artikel=10.21",
        "legal_foundation_uri": "https://wetten.overheid.nl/BWBR0003245",
        "documentation": ["https://www.zaanstad.example.nl/afval/documentatie"],
        "conforms_to": ["https://docs.geostandaarden.nl/imgeo/"],
        "provenance": "Export uit het beheersysteem openbare ruimte, wekelijks bijgewerkt.",
        "sample": ["https://data.zaanstad.example.nl/afval/voorbeeld.csv"],
        "data_owner": "Hoofd Openbare Ruimte",
        "information_manager": "Informatiebeheer Openbare Ruimte",
        "source_system": "GBI beheer openbare ruimte",
        "base_registries": ["BAG", "BGT"],
        "privacy_classification": "geen-persoonsgegevens",
        "update_method": "handmatig",
        "resources": [
            {
                "url": "https://data.zaanstad.example.nl/afval/inzamelpunten.csv",
                "name": "Afvalinzamelpunten (CSV)",
                "description": "Alle inzamelpunten met coördinaten.",
                "download_url": "https://data.zaanstad.example.nl/afval/inzamelpunten.csv",
                "format": "CSV",
                "mimetype": "text/csv",
                "size": 48213,
                "hash_algorithm": "sha256",
                "hash": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                "language": [EU + "language/NLD"],
                "status": "http://purl.org/adms/status/Completed",
                "conforms_to": ["https://data.zaanstad.example.nl/afval/datawoordenboek.json"],
            }
        ],
    }
    data.update(overrides)
    return data


def load_json(path: str) -> Any:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)
