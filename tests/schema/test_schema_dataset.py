"""Every field of the dataset schema, through package_create: good values and bad values."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from ckan.plugins import toolkit
from ckan.tests import factories, helpers
from schema_testdata import EU, MUNICIPALITY, OWMS, dataset_dict, schema_config


def create(department: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    data = dataset_dict(owner_org=department["id"], **overrides)
    return helpers.call_action("package_create", **data)


def errors_of(department: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    with pytest.raises(toolkit.ValidationError) as exc:
        create(department, **overrides)
    return exc.value.error_dict


def resource_errors(department: dict[str, Any], **res_overrides: Any) -> dict[str, Any]:
    res = copy.deepcopy(dataset_dict()["resources"][0])
    res.update(res_overrides)
    errors = errors_of(department, resources=[res])
    assert "resources" in errors, errors
    return next(e for e in errors["resources"] if e)


pytestmark = [pytest.mark.usefixtures("with_plugins")]


@schema_config
class TestValidDataset:
    def test_full_dataset_round_trips_through_the_api(self, department: dict) -> None:
        ds = create(department)
        shown = helpers.call_action("package_show", id=ds["id"])
        assert shown["theme"] == [OWMS + "Afval_(thema)", OWMS + "Natuur_en_milieu"]
        assert shown["language"] == [EU + "language/NLD"]
        assert shown["base_registries"] == ["BAG", "BGT"]
        assert shown["documentation"] == ["https://www.zaanstad.example.nl/afval/documentatie"]
        assert shown["geo_coverage"][0] == {"scheme": "gemeente", "value": "GM0479"}
        assert shown["geo_coverage"][2] == {"scheme": "postcode", "value": "1506"}
        assert shown["temporal_end"] == "2024-12-31"
        assert shown["privacy_classification"] == "geen-persoonsgegevens"
        assert shown["high_value"] == "True"
        res = shown["resources"][0]
        assert res["format"] == "CSV"
        assert res["language"] == [EU + "language/NLD"]
        assert res["conforms_to"] == ["https://data.zaanstad.example.nl/afval/datawoordenboek.json"]
        assert res["size"] == 48213

    def test_defaults_authority_publisher_identifier(self, department: dict) -> None:
        ds = create(department, authority="", publisher_uri="", identifier="")
        assert ds["authority"] == MUNICIPALITY
        assert ds["publisher_uri"] == MUNICIPALITY
        assert ds["identifier"] == "http://test.ckan.net/dataset/afvalinzamelpunten"

    def test_department_municipality_wins_over_portal(self, vocab_db: None) -> None:
        oostzaan = "https://identifier.overheid.nl/tooi/id/gemeente/gm0431"
        org = factories.Organization(name="oostzaan-burgerzaken", municipality_uri=oostzaan)
        ds = helpers.call_action(
            "package_create",
            **dataset_dict(owner_org=org["id"], authority="", publisher_uri=""),
        )
        assert ds["authority"] == oostzaan
        assert ds["publisher_uri"] == oostzaan

    def test_email_mailto_prefix_is_stripped(self, department: dict) -> None:
        ds = create(department, contact_email="mailto:opendata@zaanstad.example.nl")
        assert ds["contact_email"] == "opendata@zaanstad.example.nl"

    @pytest.mark.parametrize("phone", ["020 123 4567", "+31 20 1234567", "14 075", "0031201234567"])
    def test_good_phones(self, department: dict, phone: str) -> None:
        assert create(department, contact_phone=phone)["contact_phone"] == phone

    def test_list_values_given_as_text(self, department: dict) -> None:
        ds = create(
            department,
            documentation="https://a.example.nl/doc\nhttps://b.example.nl/doc",
            theme=f'["{OWMS}Bestuur"]',
        )
        assert ds["documentation"] == ["https://a.example.nl/doc", "https://b.example.nl/doc"]
        assert ds["theme"] == [OWMS + "Bestuur"]

    def test_resource_format_uri_is_normalised_to_code(self, department: dict) -> None:
        res = dict(dataset_dict()["resources"][0], format=EU + "file-type/GEOJSON")
        ds = create(department, resources=[res])
        assert ds["resources"][0]["format"] == "GEOJSON"

    def test_personal_data_with_legal_basis(self, department: dict) -> None:
        ds = create(
            department,
            privacy_classification="gepseudonimiseerd",
            processing_legal_basis="AVG art. 6 lid 1 sub e",
        )
        assert ds["processing_legal_basis"] == "AVG art. 6 lid 1 sub e"

    def test_harvested_with_source(self, department: dict) -> None:
        ds = create(
            department,
            update_method="geharvest",
            harvest_source="https://geo.zaanstad.example.nl/csw",
        )
        assert ds["harvest_source"] == "https://geo.zaanstad.example.nl/csw"


@schema_config
class TestInvalidDataset:
    @pytest.mark.parametrize(
        "field",
        [
            "title",
            "notes",
            "contact_name",
            "contact_email",
            "modified",
            "license_id",
            "theme",
            "language",
            "metadata_language",
            "privacy_classification",
        ],
    )
    def test_required(self, department: dict, field: str) -> None:
        errors = errors_of(department, **{field: [] if field in ("theme", "language") else ""})
        assert field in errors, errors

    @pytest.mark.parametrize(
        ("field", "value", "message"),
        [
            ("contact_email", "opendata@zaanstad", "Invalid e-mail address"),
            ("contact_email", "Team Open Data", "Invalid e-mail address"),
            ("contact_phone", "12345", "Invalid phone number"),
            ("contact_phone", "06-1234", "Invalid phone number"),
            ("contact_url", "www.zaanstad.nl", "Invalid URI"),
            ("identifier", "afvalinzamelpunten", "Invalid URI"),
            ("legal_foundation_uri", "wetten.overheid.nl/BWBR0003245", "Invalid URI"),
            ("modified", "01-05-2024", "Invalid date"),
            ("issued", "2024-13-01", "Invalid date"),
            ("temporal_start", "vorig jaar", "Invalid date"),
            ("documentation", ["https://ok.example.nl", "niet-een-uri"], "Invalid URI"),
            ("sample", "ftp://files.example.nl/x.csv", "Invalid URI"),
            ("conforms_to", ["docs.geostandaarden.nl/imgeo"], "Invalid URI"),
            ("temporal_end", "2024-02-30", "Invalid date"),
            ("theme", [OWMS + "Onbekend_thema"], "not in the value list"),
            ("language", [EU + "language/XXX"], "not in the value list"),
            ("metadata_language", "nl", "not in the value list"),
            ("authority", OWMS + "Atlantis", "not in the value list"),
            ("publisher_uri", "https://example.org/org", "not in the value list"),
            ("license_id", "cc-by", "not in the value list"),
            ("access_rights", "publiek", "not in the value list"),
            ("frequency", EU + "frequency/HOURLY", "not in the value list"),
            ("dataset_status", "beschikbaar", "not in the value list"),
            ("privacy_classification", "geheim", "not in the value list"),
            ("base_registries", ["BAG", "XYZ"], "not in the value list"),
            ("update_method", "automatisch", "not in the value list"),
            ("high_value", "misschien", "Invalid value"),
        ],
    )
    def test_bad_value(self, department: dict, field: str, value: Any, message: str) -> None:
        errors = errors_of(department, **{field: value})
        assert field in errors, errors
        assert any(message in e for e in errors[field]), errors[field]

    def test_end_before_start(self, department: dict) -> None:
        errors = errors_of(department, temporal_start="2024-06-01", temporal_end="2024-05-31")
        assert "must be on or after the start date" in errors["temporal_end"][0]

    def test_end_equal_to_start_is_fine(self, department: dict) -> None:
        create(department, temporal_start="2024-06-01", temporal_end="2024-06-01")

    def test_personal_data_needs_legal_basis(self, department: dict) -> None:
        errors = errors_of(department, privacy_classification="bevat-persoonsgegevens")
        assert "legal basis for processing" in errors["processing_legal_basis"][0]

    def test_harvested_needs_source(self, department: dict) -> None:
        errors = errors_of(department, update_method="geharvest")
        assert "harvest source is required" in errors["harvest_source"][0]

    def test_harvest_source_must_be_uri(self, department: dict) -> None:
        errors = errors_of(department, update_method="geharvest", harvest_source="de CSW")
        assert "Invalid URI" in errors["harvest_source"][0]

    @pytest.mark.parametrize(
        ("scheme", "value", "message"),
        [
            ("gemeente", "0479", "Invalid municipality"),
            ("gemeente", OWMS + "Atlantis", "Invalid municipality"),
            ("wijk-buurt", "WK12", "Invalid district/neighbourhood code"),
            ("postcode", "0123", "Invalid postcode area"),
            ("postcode", "1506 ABC", "Invalid postcode area"),
            ("punt", "POINT(200 52)", "Invalid point"),
            ("punt", "52.43, 4.83", "Invalid point"),
        ],
    )
    def test_bad_spatial(self, department: dict, scheme: str, value: str, message: str) -> None:
        errors = errors_of(department, geo_coverage=[{"scheme": scheme, "value": value}])
        flat = str(errors["geo_coverage"])
        assert message in flat, errors

    def test_spatial_value_without_scheme(self, department: dict) -> None:
        errors = errors_of(department, geo_coverage=[{"scheme": "", "value": "GM0479"}])
        assert "Choose the kind of area" in str(errors["geo_coverage"])

    def test_unloaded_list_is_reported(self, department: dict) -> None:
        from ckan import model

        from ckanext.gemeente.schema import vocabularies
        from ckanext.gemeente.schema.model import Vocabulary

        model.Session.query(Vocabulary).filter(Vocabulary.name == "Overheid:Frequency").delete()
        model.Session.commit()
        vocabularies.invalidate_cache()
        errors = errors_of(department)
        assert "value list Overheid:Frequency is not loaded" in errors["frequency"][0]
        assert "ckan gemeente vocabularies update" in errors["frequency"][0]


@schema_config
class TestInvalidResource:
    @pytest.mark.parametrize(
        ("field", "value", "message"),
        [
            ("url", "", "Missing value"),
            ("download_url", "inzamelpunten.csv", "Invalid URI"),
            ("format", "EXCEL97", "not in the value list"),
            ("mimetype", "csv", "Invalid media type"),
            ("license", "vrij te gebruiken", "not in the value list"),
            ("size", "groot", "Invalid size"),
            ("size", "-1", "Invalid size"),
            ("hash", "xyz", "only hexadecimal characters"),
            ("hash", "abc123", "a SHA-256 checksum has 64 hexadecimal characters"),
            ("hash_algorithm", "crc32", "not in the value list"),
            ("language", [EU + "language/KLI"], "not in the value list"),
            ("status", "klaar", "not in the value list"),
            ("conforms_to", "schema.json", "Invalid URI"),
        ],
    )
    def test_bad_value(self, department: dict, field: str, value: Any, message: str) -> None:
        errors = resource_errors(department, **{field: value})
        assert field in errors, errors
        assert any(message in e for e in errors[field]), errors[field]


@schema_config
class TestOrganization:
    def test_municipality_uri_tooi(self, vocab_db: None) -> None:
        org = factories.Organization(
            municipality_uri="https://identifier.overheid.nl/tooi/id/gemeente/gm0431"
        )
        shown = helpers.call_action("organization_show", id=org["id"])
        assert shown["municipality_uri"].endswith("gm0431")

    @pytest.mark.parametrize("value", ["gm0479", OWMS + "Atlantis"])
    def test_municipality_uri_bad(self, vocab_db: None, value: str) -> None:
        with pytest.raises(toolkit.ValidationError) as exc:
            factories.Organization(municipality_uri=value)
        assert "municipality_uri" in exc.value.error_dict


@schema_config(locale="nl")
class TestDutchMessages:
    def test_api_errors_in_dutch(self, app: Any, department: dict) -> None:
        user = factories.SysadminWithToken()
        data = dataset_dict(
            owner_org=department["id"],
            contact_email="opendata@zaanstad",
            temporal_start="2024-06-01",
            temporal_end="2024-01-01",
            theme=[OWMS + "Onbekend"],
        )
        resp = app.post(
            "/api/3/action/package_create",
            json=data,
            headers={"Authorization": user["token"]},
            status=409,
        )
        errors = resp.json["error"]
        assert errors["contact_email"] == [
            "Ongeldig e-mailadres: gebruik de vorm naam@voorbeeld.nl"
        ]
        assert errors["temporal_end"] == [
            "De einddatum (2024-01-01) moet op of na de begindatum (2024-06-01) liggen"
        ]
        assert "staat niet in de waardelijst Overheid:TaxonomieBeleidsagenda" in errors["theme"][0]
