"""Shared pieces of the portal browser journeys (tests/e2e/test_portal_*.py).

The demo-like portal (schema, theme, dashboard on CKAN), a few realistic invented datasets,
and the two checks every page passes: no console errors, and axe-core's WCAG 2.1 AA rules
(axe.min.js vendored from npm in tests/e2e/vendor by scripts/build_theme_assets.py).
"""

from __future__ import annotations

import json
import os
import pathlib
from typing import Any

import pytest

HERE = pathlib.Path(__file__).resolve().parent
AXE = HERE / "vendor" / "axe.min.js"
VOCAB_DIR = HERE.parent / "schema" / "data" / "vocabularies"
SCREENSHOTS = pathlib.Path(os.environ.get("E2E_SCREENSHOTS", "/tmp/gemeente-e2e"))
MUNICIPALITY = "https://identifier.overheid.nl/tooi/id/gemeente/gm0479"
OWMS = "http://standaarden.overheid.nl/owms/terms/"
EU = "http://publications.europa.eu/resource/authority/"
PASSWORD = "Zaanstad-Open-Data-2026"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

CONFIG = {
    "ckan.plugins": "scheming_datasets scheming_organizations dcat gemeente_schema "
                    "gemeente_dashboard gemeente_theme",
    "scheming.dataset_schemas": "ckanext.gemeente.schema:schemas/gemeente_dataset.yaml",
    "scheming.organization_schemas": "ckanext.gemeente.schema:schemas/gemeente_organization.yaml",
    "scheming.presets": "ckanext.scheming:presets.json ckanext.gemeente.schema:presets.json",
    "ckanext.dcat.rdf.profiles": "euro_dcat_ap_2 euro_dcat_ap_scheming donl",
    "ckanext.gemeente.municipality_uri": MUNICIPALITY,
    "ckanext.gemeente.municipality_name": "Gemeente Zaanstad",
    "ckan.site_title": "Open data Zaanstad",
    "ckanext.gemeente.theme.accessibility_statement_url":
        "https://www.zaanstad.example.nl/toegankelijkheid",
    "ckan.locale_default": "nl",
}


def configured(cls: Any) -> Any:
    for key, value in CONFIG.items():
        cls = pytest.mark.ckan_config(key, value)(cls)
    return pytest.mark.usefixtures("with_plugins")(cls)


def dataset(owner: str, name: str, title: str, notes: str, themes: list[str],
            fmt: str = "CSV", **extra: Any) -> dict[str, Any]:
    data = {
        "name": name, "title": title, "notes": notes, "owner_org": owner,
        "language": [EU + "language/NLD"], "metadata_language": EU + "language/NLD",
        "contact_name": "Team Open Data", "contact_email": "opendata@zaanstad.example.nl",
        "license_id": "http://creativecommons.org/publicdomain/zero/1.0/deed.nl",
        "modified": "2026-10-01", "theme": [OWMS + t for t in themes],
        "access_rights": EU + "access-right/PUBLIC", "update_method": "handmatig",
        "privacy_classification": "geen-persoonsgegevens",
        "geo_coverage": [{"scheme": "gemeente", "value": "GM0479"}],
        "resources": [{"url": f"https://data.zaanstad.example.nl/{name}/{name}.{fmt.lower()}",
                       "name": f"{title} ({fmt})", "format": fmt}],
    }
    data.update(extra)
    return data


def seed_city() -> dict[str, Any]:
    """Vocabularies, two departments, three datasets and a sysadmin who can log in."""
    from ckan.tests import factories, helpers

    from ckanext.gemeente.schema import vocabularies

    vocabularies.invalidate_cache()
    vocabularies.update(str(VOCAB_DIR), allow_incomplete=True)
    admin = factories.Sysadmin(name="beheerder", password=PASSWORD, image_url="")
    # image_url="" here and above: CKAN's factories link a random picture on the internet
    ruimte = factories.Organization(name="openbare-ruimte", title="Openbare Ruimte",
                                    municipality_uri=MUNICIPALITY, image_url="")
    mobiliteit = factories.Organization(name="mobiliteit", title="Mobiliteit",
                                        municipality_uri=MUNICIPALITY, image_url="")
    for data in (
        dataset(ruimte["id"], "afvalinzamelpunten", "Afvalinzamelpunten",
                "Locaties van ondergrondse containers voor restafval, papier en glas.",
                ["Afval_(thema)"]),
        dataset(ruimte["id"], "speelplekken", "Speelplekken",
                "Openbare speelplekken met leeftijdsgroep en toestellen.",
                ["Cultuur_en_recreatie"], fmt="GEOJSON"),
        dataset(mobiliteit["id"], "laadpalen", "Openbare laadpalen",
                "Locaties en aantal laadpunten van openbare laadpalen.",
                ["Verkeer_(thema)"], fmt="GEOJSON"),
    ):
        helpers.call_action("package_create", **data)
    return {"admin": admin, "orgs": [ruimte, mobiliteit]}


class PageWatch:
    """Console errors and uncaught exceptions of a page, collected while it is used."""

    def __init__(self, page: Any) -> None:
        self.errors: list[str] = []
        page.on("console", lambda msg: self.errors.append(f"console: {msg.text}")
                if msg.type == "error" else None)
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        # (a navigation cancels the previous page's pending requests: ERR_ABORTED is no error)
        page.on("requestfailed", lambda req: None if "ERR_ABORTED" in str(req.failure)
                else self.errors.append(f"request failed: {req.url} ({req.failure})"))


def check_page(page: Any, watch: PageWatch, name: str) -> None:
    """No console errors, no WCAG 2.1 AA violation (axe-core), and a screenshot."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    assert not watch.errors, watch.errors
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_AA)
    violations = [
        {"id": v["id"], "impact": v["impact"], "help": v["help"],
         "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
    ]
    assert result["passes"], "axe-core ran no rule"
    assert not violations, json.dumps(violations, indent=1, ensure_ascii=False)


def login(page: Any, base: str, user: str = "beheerder") -> None:
    page.goto(f"{base}/user/login")
    page.fill("#field-login", user)
    page.fill("#field-password", PASSWORD)
    with page.expect_navigation():
        page.locator("form button.btn-primary[type=submit]").first.click()
    assert "/user/login" not in page.url, "login failed"
