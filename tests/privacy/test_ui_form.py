"""The privacy review in CKAN's own pages: the dataset form offers no "Public" (CKAN's
default form and the gemeente_schema scheming form), an edit of a published dataset keeps
it published, state badges on dataset pages and in search results, and the review-state
facet with Dutch labels."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import Any

import pytest
from privacy_testdata import DEFAULT_PLUGINS, Town, call

HERE = os.path.dirname(os.path.abspath(__file__))
VOCAB_DIR = os.path.join(HERE, "..", "schema", "data", "vocabularies")
NOTE = "Publicatie loopt via de privacybeoordeling"


def _auth(user: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": user["token"]}


def _visibility_options(body: str) -> list[str]:
    match = re.search(r'<select id="field-private"[^>]*>(.*?)</select>', body, re.S)
    assert match, "no visibility select"
    return re.findall(r'<option value="([^"]*)"', match.group(1))


@pytest.fixture
def people(town: Town) -> dict[str, Any]:
    """conftest's test municipality by role."""
    return {"admin": town["sysadmin"], "editor": town["editor"], "officer": town["officer"],
            "coordinator": town["coordinator"], "org": town.org, "town": town}


def _publish(people: dict[str, Any], name: str) -> dict[str, Any]:
    return people["town"].published(name, title=name.title())


@pytest.mark.ckan_config("ckan.plugins", DEFAULT_PLUGINS)
@pytest.mark.ckan_config("ckan.locale_default", "nl")
@pytest.mark.usefixtures("with_plugins")
class TestDefaultForm:
    def test_new_dataset_form_offers_no_public(self, app: Any, people: dict) -> None:
        for who in ("editor", "admin"):
            body = app.get("/dataset/new", headers=_auth(people[who])).get_data(as_text=True)
            assert _visibility_options(body) == ["True"], who
            assert NOTE in body

    def test_edit_of_a_published_dataset_keeps_it_published(
            self, app: Any, people: dict) -> None:
        ds = _publish(people, "speeltoestellen")
        body = app.get("/dataset/edit/speeltoestellen",
                       headers=_auth(people["editor"])).get_data(as_text=True)
        assert 'name="private"' not in body
        assert "gepubliceerd na de privacybeoordeling" in body
        resp = app.post("/dataset/edit/speeltoestellen", headers=_auth(people["editor"]),
                        data={"name": "speeltoestellen", "title": "Speeltoestellen",
                              "notes": "Speeltoestellen in parken en op pleinen.",
                              "owner_org": people["org"]["id"], "save": ""},
                        follow_redirects=False)
        assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
        shown = call("package_show", people["admin"], id=ds["id"])
        assert shown["private"] is False
        assert shown["notes"] == "Speeltoestellen in parken en op pleinen."
        review = call("gemeente_review_show", people["admin"], id=ds["id"])
        assert review["state"] == "gepubliceerd" and review["pending"] is None

    def test_a_public_choice_posted_anyway_is_refused_with_a_message(
            self, app: Any, people: dict) -> None:
        resp = app.post("/dataset/new", headers=_auth(people["editor"]),
                        data={"name": "stiekem-openbaar", "title": "Stiekem openbaar",
                              "owner_org": people["org"]["id"], "private": "False",
                              "save": ""})
        assert resp.status_code == 200
        body = resp.get_data(as_text=True)
        assert "error-explanation" in body or "alert-error" in body
        assert 'value="stiekem-openbaar"' in body  # the form keeps the input
        from ckan.tests import helpers

        with pytest.raises(Exception):  # noqa: B017 - ObjectNotFound under any CKAN version
            helpers.call_action("package_show", id="stiekem-openbaar")


@pytest.mark.ckan_config("ckan.plugins", DEFAULT_PLUGINS)
@pytest.mark.ckan_config("ckan.locale_default", "nl")
@pytest.mark.usefixtures("with_plugins")
class TestBadgesAndFacet:
    def test_badges_on_the_dataset_page_and_in_search_results(
            self, app: Any, people: dict) -> None:
        concept = call("package_create", people["editor"], name="bomenregister",
                        title="Bomenregister", owner_org=people["org"]["id"])
        _publish(people, "afvalinzamelpunten")
        headers = _auth(people["editor"])
        page = app.get(f"/dataset/{concept['name']}", headers=headers).get_data(as_text=True)
        assert 'data-review-state="concept"' in page
        assert "Concept" in page or "Schets" in page

        results = app.get("/dataset/", headers=headers).get_data(as_text=True)
        items = {}
        for item in results.split('<li class="dataset-item">')[1:]:
            name = re.search(r'href="/dataset/([\w-]+)"', item)
            state = re.search(r'data-review-state="(\w+)"', item.split("</li>")[0])
            assert name and state, item[:500]
            items[name.group(1)] = state.group(1)
        assert items.get("bomenregister") == "concept", items
        assert items.get("afvalinzamelpunten") == "gepubliceerd", items

        # a visitor sees only the published dataset, without a review badge
        anonymous = app.get("/dataset/").get_data(as_text=True)
        assert "afvalinzamelpunten" in anonymous and "bomenregister" not in anonymous
        assert "data-review-state" not in anonymous

    def test_review_state_facet_has_dutch_labels(self, app: Any, people: dict) -> None:
        ds = call("package_create", people["editor"], name="bomenregister",
                   title="Bomenregister", owner_org=people["org"]["id"])
        call("gemeente_review_submit", people["editor"], id=ds["id"])
        body = app.get("/dataset/", headers=_auth(people["officer"])).get_data(as_text=True)
        match = re.search(r'href="[^"]*review_state=ingediend[^"]*"[^>]*>(.*?)</a>', body, re.S)
        assert match, "no review_state facet item"
        assert "Ingediend" in match.group(1)
        filtered = app.get("/dataset/?review_state=ingediend",
                           headers=_auth(people["officer"])).get_data(as_text=True)
        assert "/dataset/bomenregister" in filtered


SCHEMA_CONFIG = {
    # gemeente_privacy before scheming: its template for scheming's organization/visibility
    # field takes precedence (plugins listed first win template look-ups)
    "ckan.plugins": "gemeente_privacy scheming_datasets scheming_organizations gemeente_schema",
    "scheming.dataset_schemas": "ckanext.gemeente.schema:schemas/gemeente_dataset.yaml",
    "scheming.organization_schemas": "ckanext.gemeente.schema:schemas/gemeente_organization.yaml",
    "scheming.presets": "ckanext.scheming:presets.json ckanext.gemeente.schema:presets.json",
    "ckanext.gemeente.municipality_uri": "https://identifier.overheid.nl/tooi/id/gemeente/gm0479",
    "ckan.locale_default": "nl",
}


def _schema_configured(cls: Any) -> Any:
    for key, value in SCHEMA_CONFIG.items():
        cls = pytest.mark.ckan_config(key, value)(cls)
    return cls


@_schema_configured
@pytest.mark.usefixtures("with_plugins")
class TestSchemingForm:
    def test_scheming_form_offers_no_public(
            self, app: Any, clean_db: None, clean_index: None,
            migrate_db_for: Callable[..., None]) -> None:
        from ckan.tests import factories

        from ckanext.gemeente.schema import vocabularies

        migrate_db_for("gemeente_schema")
        migrate_db_for("gemeente_privacy")
        vocabularies.invalidate_cache()
        vocabularies.update(VOCAB_DIR, allow_incomplete=True)
        editor = factories.UserWithToken(name="redacteur")
        factories.Organization(
            name="openbare-ruimte", title="Openbare Ruimte",
            municipality_uri=SCHEMA_CONFIG["ckanext.gemeente.municipality_uri"],
            users=[{"name": "redacteur", "capacity": "editor"}])
        try:
            body = app.get("/dataset/new", headers=_auth(editor)).get_data(as_text=True)
        finally:
            vocabularies.invalidate_cache()
        assert 'id="field-privacy_classification"' in body  # it is the scheming form
        assert _visibility_options(body) == ["True"]
        assert NOTE in body
