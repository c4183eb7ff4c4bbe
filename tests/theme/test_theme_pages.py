"""gemeente_theme on CKAN's own pages: a municipality's home page, header, footer, tokens.

Runs the plugin alone on CKAN's defaults and together with gemeente_schema.
"""

from __future__ import annotations

import json
import pathlib
import re
from typing import Any

import pytest
from ckan.tests import factories

ROOT = pathlib.Path(__file__).resolve().parents[2]
VENDOR = ROOT / "ckanext" / "gemeente" / "theme" / "assets" / "vendor"


def _home(app: Any) -> str:
    resp = app.get("/")
    assert resp.status_code == 200
    return resp.body


@pytest.mark.ckan_config("ckan.plugins", "gemeente_theme")
@pytest.mark.ckan_config("ckan.site_title", "Open data Zaanstad")
@pytest.mark.ckan_config("ckanext.gemeente.municipality_name", "Gemeente Zaanstad")
@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")
class TestThemeAlone:
    def test_home_page_is_the_municipality_not_ckan_placeholder(self, app: Any) -> None:
        org = factories.Organization(name="openbare-ruimte", title="Openbare Ruimte")
        factories.Dataset(name="bomenregister", title="Bomenregister", owner_org=org["id"],
                          notes="Alle gemeentelijke bomen met soort en plantjaar.")
        factories.Dataset(name="speelplekken", title="Speelplekken", owner_org=org["id"])
        body = _home(app)
        for placeholder in ("Welkom bij CKAN", "Welcome to CKAN", "placeholder-420x220",
                            "mooie inleidende paragraaf", "nice introductory paragraph",
                            "ckan-footer-logo"):
            assert placeholder not in body, placeholder
        assert "Open data van Gemeente Zaanstad</h1>" in body
        assert 'class="voorbeeld-theme gemeente-theme utrecht-document"' in body
        assert "/gemeente-theme/logo.svg" in body
        # departments with their counts, the newest datasets, the Dutch search label
        assert "Openbare Ruimte" in body and "2 datasets" in body
        assert "Bomenregister" in body and "Speelplekken" in body
        assert "Zoek in de datasets" in body
        assert 'class="utrecht-page-footer gemeente-footer"' in body

    def test_bundle_holds_tokens_components_and_theme(self, app: Any) -> None:
        body = _home(app)
        hrefs = re.findall(r'href="([^"]*gemeente_theme[^"]*\.css[^"]*)"', body)
        assert hrefs, "the theme's webassets bundle is not on the page"
        css = app.get(hrefs[0]).body
        assert ".voorbeeld-theme" in css            # NL Design System tokens
        assert ".utrecht-page-footer" in css        # Utrecht component CSS
        assert ".gemeente-hero" in css              # the theme's own rules
        assert "cdn" not in " ".join(hrefs).lower()

    @pytest.mark.ckan_config("ckanext.gemeente.theme.class", "zaanstad-theme")
    @pytest.mark.ckan_config("ckanext.gemeente.theme.tokens",
                             "--basis-color-accent-1-inverse-bg-default: #00589c\n"
                             "--basis-heading-font-family: Georgia, serif")
    @pytest.mark.ckan_config("ckanext.gemeente.theme.stylesheets",
                             "/huisstijl/tokens.css /huisstijl/fonts.css")
    @pytest.mark.ckan_config("ckanext.gemeente.theme.logo", "/huisstijl/logo.svg")
    @pytest.mark.ckan_config("ckanext.gemeente.theme.logo_alt", "Logo gemeente Zaanstad")
    def test_municipality_applies_its_own_tokens_by_configuration(self, app: Any) -> None:
        body = _home(app)
        assert 'class="zaanstad-theme gemeente-theme utrecht-document"' in body
        assert ("<style>.zaanstad-theme.zaanstad-theme{--basis-color-accent-1-inverse-bg-default:"
                "#00589c;--basis-heading-font-family:Georgia, serif;}</style>") in body
        assert '<link rel="stylesheet" href="/huisstijl/tokens.css">' in body
        assert '<link rel="stylesheet" href="/huisstijl/fonts.css">' in body
        assert 'src="/huisstijl/logo.svg" alt="Logo gemeente Zaanstad"' in body

    @pytest.mark.ckan_config("ckanext.gemeente.theme.accessibility_statement_url",
                             "https://www.toegankelijkheidsverklaring.nl/register/1234")
    @pytest.mark.ckan_config("ckanext.gemeente.theme.privacy_statement_url",
                             "https://www.zaanstad.example.nl/privacy")
    def test_footer_links_from_configuration(self, app: Any) -> None:
        body = _home(app)
        assert "Toegankelijkheidsverklaring" in body
        assert "https://www.toegankelijkheidsverklaring.nl/register/1234" in body
        assert "Privacyverklaring" in body
        assert "Contact</a>" not in body  # not configured: not shown

    @pytest.mark.ckan_config("ckanext.gemeente.theme.intro",
                             "Alle **open data** van Zaanstad op één plek.")
    def test_intro_from_configuration_is_markdown(self, app: Any) -> None:
        assert "<strong>open data</strong> van Zaanstad" in _home(app)

    def test_other_pages_carry_the_theme(self, app: Any) -> None:
        body = app.get("/dataset/").body
        assert "gemeente-theme" in body and "gemeente-brand" in body


def test_bad_token_stops_start_up() -> None:
    from ckanext.gemeente.theme.plugin import GemeenteThemePlugin

    plugin = GemeenteThemePlugin()
    with pytest.raises(ValueError, match="ckanext.gemeente.theme.*--x"):
        plugin.configure({"ckanext.gemeente.theme.tokens": "--x: red;} body{display:none"})
    plugin.configure({"ckanext.gemeente.theme.tokens": "--x: red"})


def test_vendored_assets_match_package_json() -> None:
    """The vendored CSS comes from exactly the npm versions package.json pins."""
    pins = json.loads((ROOT / "package.json").read_text())
    wanted = {**pins["dependencies"], **pins["devDependencies"]}
    manifest = json.loads((VENDOR / "MANIFEST.json").read_text())
    assert {name: meta["version"] for name, meta in manifest.items()} == wanted
    lock = json.loads((ROOT / "package-lock.json").read_text())
    for name, version in wanted.items():
        assert lock["packages"][f"node_modules/{name}"]["version"] == version, name
    tokens = (VENDOR / "design-tokens.css").read_text()
    assert tokens.startswith("/* @nl-design-system-unstable/voorbeeld-design-tokens "
                             + wanted["@nl-design-system-unstable/voorbeeld-design-tokens"])
    assert (ROOT / "tests" / "e2e" / "vendor" / "axe.min.js").stat().st_size > 100_000


SCHEMA_PLUGINS = "scheming_datasets scheming_organizations gemeente_schema dcat gemeente_theme"
OWMS = "http://standaarden.overheid.nl/owms/terms/"
EU = "http://publications.europa.eu/resource/authority/"


@pytest.mark.ckan_config("ckan.plugins", SCHEMA_PLUGINS)
@pytest.mark.ckan_config("scheming.dataset_schemas",
                         "ckanext.gemeente.schema:schemas/gemeente_dataset.yaml")
@pytest.mark.ckan_config("scheming.organization_schemas",
                         "ckanext.gemeente.schema:schemas/gemeente_organization.yaml")
@pytest.mark.ckan_config("scheming.presets",
                         "ckanext.scheming:presets.json ckanext.gemeente.schema:presets.json")
@pytest.mark.ckan_config("ckanext.gemeente.municipality_uri",
                         "https://identifier.overheid.nl/tooi/id/gemeente/gm0479")
@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")
class TestThemeWithSchema:
    def test_home_page_lists_the_themes_with_labels(
        self, app: Any, migrate_db_for: Any
    ) -> None:
        from ckan.tests import helpers

        from ckanext.gemeente.schema import vocabularies

        migrate_db_for("gemeente_schema")
        vocabularies.invalidate_cache()
        vocabularies.update(str(ROOT / "tests" / "schema" / "data" / "vocabularies"),
                            allow_incomplete=True)
        org = factories.Organization(
            name="openbare-ruimte", title="Openbare Ruimte",
            municipality_uri="https://identifier.overheid.nl/tooi/id/gemeente/gm0479")
        helpers.call_action("package_create", **{
            "name": "afvalinzamelpunten", "title": "Afvalinzamelpunten",
            "notes": "Locaties van ondergrondse containers.", "owner_org": org["id"],
            "language": [EU + "language/NLD"], "metadata_language": EU + "language/NLD",
            "contact_name": "Team Open Data", "contact_email": "opendata@zaanstad.example.nl",
            "license_id": "http://creativecommons.org/publicdomain/zero/1.0/deed.nl",
            "modified": "2024-05-01", "theme": [OWMS + "Afval_(thema)"],
            "privacy_classification": "geen-persoonsgegevens", "update_method": "handmatig",
            "access_rights": EU + "access-right/PUBLIC",
        })
        body = _home(app)
        vocabularies.invalidate_cache()
        assert "Thema&#39;s" in body or "Thema's" in body
        assert "vocab_theme=" in body and ">Afval</a>" in body
        assert "Afvalinzamelpunten" in body


@pytest.mark.ckan_config("ckan.plugins", "gemeente_theme")
@pytest.mark.usefixtures("with_plugins", "clean_db")
def test_no_gravatar_by_default(app: Any) -> None:
    user = factories.UserWithToken(image_url="")
    body = app.get("/dataset/", headers={"Authorization": user["token"]}).body
    assert "gravatar.com" not in body
    assert user["name"] in body  # logged in: the account menu with the user's picture


@pytest.mark.ckan_config("ckan.plugins", "gemeente_theme")
@pytest.mark.ckan_config("ckanext.gemeente.theme.allow_gravatar", "true")
@pytest.mark.usefixtures("with_plugins", "clean_db")
def test_gravatar_when_allowed(app: Any) -> None:
    user = factories.UserWithToken(image_url="")
    assert "gravatar.com" in app.get("/dataset/", headers={"Authorization": user["token"]}).body
