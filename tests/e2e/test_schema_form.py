"""The DCAT-AP-DONL dataset form in a real browser (Dutch portal): validation errors appear
in Dutch, and a dataset created through the form shows readable Dutch labels."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
VOCAB_DIR = os.path.join(HERE, "..", "schema", "data", "vocabularies")
OWMS = "http://standaarden.overheid.nl/owms/terms/"
EU = "http://publications.europa.eu/resource/authority/"
PASSWORD = "Zaanstad-Open-Data-2024"

CONFIG = {
    "ckan.plugins": "scheming_datasets scheming_organizations gemeente_schema dcat",
    "scheming.dataset_schemas": "ckanext.gemeente.schema:schemas/gemeente_dataset.yaml",
    "scheming.organization_schemas": "ckanext.gemeente.schema:schemas/gemeente_organization.yaml",
    "scheming.presets": "ckanext.scheming:presets.json ckanext.gemeente.schema:presets.json",
    "ckanext.dcat.rdf.profiles": "euro_dcat_ap_2 euro_dcat_ap_scheming donl",
    "ckanext.gemeente.municipality_uri": "https://identifier.overheid.nl/tooi/id/gemeente/gm0479",
    "ckanext.gemeente.municipality_name": "Gemeente Zaanstad",
    "ckan.locale_default": "nl",
}


def configured(cls: Any) -> Any:
    for key, value in CONFIG.items():
        cls = pytest.mark.ckan_config(key, value)(cls)
    return cls


@pytest.fixture
def portal(
    clean_db: None, clean_index: None, migrate_db_for: Callable[..., None]
) -> Iterator[dict[str, Any]]:
    from ckan.tests import factories

    from ckanext.gemeente.schema import vocabularies

    migrate_db_for("gemeente_schema")
    vocabularies.invalidate_cache()
    report = vocabularies.update(VOCAB_DIR, allow_incomplete=True)
    assert all(line.ok for line in report if line.name != "IANA:Mediatype"), report
    user = factories.Sysadmin(name="beheerder", password=PASSWORD)
    org = factories.Organization(
        name="openbare-ruimte",
        title="Openbare Ruimte",
        municipality_uri=CONFIG["ckanext.gemeente.municipality_uri"],
    )
    yield {"user": user, "org": org}
    vocabularies.invalidate_cache()


def login(page: Any, base: str) -> None:
    page.goto(f"{base}/user/login")
    page.fill("#field-login", "beheerder")
    page.fill("#field-password", PASSWORD)
    with page.expect_navigation():
        page.locator("form button.btn-primary[type=submit]").first.click()
    assert "/user/login" not in page.url, "login failed"


def fill_dataset(page: Any, email: str, end: str) -> None:
    page.fill("#field-title", "Afvalinzamelpunten")
    page.fill("#field-notes", "Locaties van ondergrondse containers voor rest, papier en glas.")
    page.select_option("#field-language", [EU + "language/NLD"])
    page.select_option("#field-metadata_language", EU + "language/NLD")
    page.fill("#field-contact_name", "Team Open Data")
    page.fill("#field-contact_email", email)
    page.fill("#field-contact_phone", "14 075")
    page.select_option(
        "#field-license_id", "http://creativecommons.org/publicdomain/zero/1.0/deed.nl"
    )
    page.fill("#field-modified", "2024-05-01")
    page.select_option("#field-theme", [OWMS + "Afval_(thema)"])
    page.fill("#field-temporal_start", "2024-01-01")
    page.fill("#field-temporal_end", end)
    page.select_option("#field-privacy_classification", "geen-persoonsgegevens")


@configured
@pytest.mark.usefixtures("with_plugins")
class TestDatasetForm:
    def test_create_through_form_with_dutch_errors(
        self, live_server: str, page: Any, portal: dict
    ) -> None:
        login(page, live_server)
        page.goto(f"{live_server}/dataset/new")
        # Dutch labels on the form
        assert "Registratiehouder" in page.locator("label[for=field-authority]").inner_text()
        fill_dataset(page, email="opendata@zaanstad", end="2023-12-31")
        with page.expect_navigation():
            page.locator("button.btn-primary[name=save]").first.click()
        body = page.content()
        assert "Ongeldig e-mailadres: gebruik de vorm naam@voorbeeld.nl" in body
        assert "De einddatum (2023-12-31) moet op of na de begindatum (2024-01-01) liggen" in body

        # correct the errors: the form keeps the other values
        page.fill("#field-contact_email", "opendata@zaanstad.example.nl")
        page.fill("#field-temporal_end", "2024-12-31")
        page.locator("button.btn-primary[name=save]").first.click()
        page.wait_for_url("**/dataset/afvalinzamelpunten/resource/new")

        # the distribution
        link = page.locator("#resource-link-button")
        if link.count() and link.first.is_visible():
            link.first.click()  # "Link": a URL instead of an upload
        url_input = page.locator("#field-resource-url, #field-image-url").first
        url_input.fill("https://data.zaanstad.example.nl/afval/inzamelpunten.csv")
        page.fill("#field-format", "CSV")
        page.fill("#field-name", "Afvalinzamelpunten (CSV)")
        page.click("button[name=save][value=go-metadata]")
        page.wait_for_url("**/dataset/afvalinzamelpunten")

        body = page.content()
        for label in ["Afval", "Publiek", "Geen persoonsgegevens", "Nederlands", "Zaanstad"]:
            assert label in body, label
        assert "access-right/PUBLIC" not in body

        from ckan.tests import helpers

        ds = helpers.call_action("package_show", id="afvalinzamelpunten")
        assert ds["theme"] == [OWMS + "Afval_(thema)"]
        assert ds["authority"] == CONFIG["ckanext.gemeente.municipality_uri"]
        assert ds["resources"][0]["format"] == "CSV"
        page.screenshot(
            path=os.path.join(os.environ.get("E2E_SCREENSHOTS", "/tmp"), "schema_dataset.png")
        )
