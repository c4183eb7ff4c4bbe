"""Another dataset type on the same portal keeps CKAN's (and its own schema's) behaviour.

The portal runs the municipal schema (type ``dataset``) next to a second ckanext-scheming
type, ``evenement`` (events: invented, with a multi-valued field and CKAN's licence ids).
The schema plugin's facets, its index-time flattening of list fields, its licence snippet
and ``adopt`` apply to the municipal type only.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from ckan.tests import factories, helpers
from schema_testdata import MUNICIPALITY, OWMS, dataset_dict, schema_config

from ckanext.gemeente.cli import gemeente as gemeente_cli
from ckanext.gemeente.schema import dataset_types
from ckanext.gemeente.schema.plugin import GemeenteSchemaPlugin

CC_BY = "http://creativecommons.org/licenses/by/4.0/deed.nl"
EVENT_SCHEMA = """\
scheming_version: 2
dataset_type: evenement
about: Evenementen in de gemeente (a second dataset type of the test portal)
dataset_fields:
- field_name: title
  label: Titel
  preset: title
- field_name: name
  label: URL
  preset: dataset_slug
- field_name: notes
  label: Beschrijving
  form_snippet: markdown.html
- field_name: owner_org
  label: Afdeling
  preset: dataset_organization
- field_name: license_id
  label: Licentie
  form_snippet: license.html
- field_name: doelgroep
  label: Doelgroep
  preset: multiple_select
  choices:
  - {value: jeugd, label: Jeugd}
  - {value: ouderen, label: Ouderen}
  - {value: gezinnen, label: Gezinnen}
resource_fields:
- field_name: url
  label: URL
  preset: resource_url_upload
- field_name: name
  label: Naam
"""


@pytest.fixture
def two_types(
    tmp_path: Any, ckan_config: dict, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    path = tmp_path / "evenement.yaml"
    path.write_text(EVENT_SCHEMA)
    monkeypatch.setitem(
        ckan_config, "scheming.dataset_schemas",
        f"ckanext.gemeente.schema:schemas/gemeente_dataset.yaml file://{path}",
    )
    yield


@pytest.fixture
def portal(two_types: None, with_plugins: None, vocab_db: None) -> dict[str, Any]:
    org = factories.Organization(name="cultuur", title="Cultuur",
                                 municipality_uri=MUNICIPALITY)
    event = helpers.call_action(
        "package_create", type="evenement", name="zomerfestival-2024",
        title="Zomerfestival 2024", notes="Programma van het zomerfestival in het park.",
        owner_org=org["id"], license_id="cc-by", doelgroep=["jeugd", "gezinnen"],
    )
    municipal = helpers.call_action(
        "package_create", owner_org=org["id"],
        **dataset_dict(name="evenementenvergunningen", license_id=CC_BY),
    )
    return {"org": org, "event": event, "dataset": municipal}


@schema_config
@pytest.mark.ckan_config("ckanext.gemeente.municipality_uri", MUNICIPALITY)
class TestTwoDatasetTypes:
    def test_the_suites_types_are_those_of_its_schema_files(self, portal: dict) -> None:
        assert dataset_types.suite_dataset_types() == {"dataset"}
        assert dataset_types.is_suite_type("dataset")
        assert not dataset_types.is_suite_type("evenement")

    @pytest.mark.ckan_config("ckanext.gemeente.dataset_types", "dataset evenement")
    def test_the_types_can_be_named(self, two_types: None, with_plugins: None) -> None:
        assert dataset_types.suite_dataset_types() == {"dataset", "evenement"}

    def test_facets(self, portal: dict) -> None:
        plugin = GemeenteSchemaPlugin()
        stock = {"organization": "Organizations", "tags": "Tags", "license_id": "Licenses",
                 "res_format": "Formats", "groups": "Groups"}
        other = plugin.dataset_facets(dict(stock), "evenement")
        assert other == stock  # untouched, license_id included
        ours = plugin.dataset_facets(dict(stock), "dataset")
        assert "license_id" not in ours and "vocab_theme" in ours

    def test_search_pages_show_each_types_facets(self, portal: dict, app: Any) -> None:
        events = app.get("/evenement/").body
        assert "zomerfestival-2024" in events
        assert "license_id=cc-by" in events  # CKAN's licence facet is there
        assert "vocab_theme" not in events
        datasets = app.get("/dataset/").body
        assert "evenementenvergunningen" in datasets
        assert "vocab_theme=" in datasets
        assert "license_id=" not in datasets

    def test_index_flattening_only_for_the_suites_types(self, portal: dict) -> None:
        plugin = GemeenteSchemaPlugin()
        doc = {"type": "evenement", "doelgroep": ["jeugd", "gezinnen"], "theme": ["x"]}
        assert plugin.before_dataset_index(dict(doc)) == doc
        ours = plugin.before_dataset_index({"type": "dataset", "theme": [OWMS + "Bestuur"]})
        assert ours["vocab_theme"] == [OWMS + "Bestuur"]
        # and through the real index: the event is found by its own field, not as vocab_*
        found = helpers.call_action("package_search", fq="type:evenement", rows=5)
        assert [d["name"] for d in found["results"]] == ["zomerfestival-2024"]
        assert found["results"][0]["doelgroep"] == ["jeugd", "gezinnen"]
        vocab = helpers.call_action("package_search", fq="vocab_theme:*", rows=5)
        assert [d["name"] for d in vocab["results"]] == ["evenementenvergunningen"]

    def test_licence_snippet_only_for_the_suites_types(self, portal: dict, app: Any) -> None:
        event_with_uri = helpers.call_action(
            "package_patch", id=portal["event"]["id"], license_id=CC_BY
        )
        assert event_with_uri["license_id"] == CC_BY
        page = app.get("/evenement/zomerfestival-2024").body
        assert "CC-BY 4.0" not in page  # CKAN's own snippet: the licence id as CKAN knows it
        ours = app.get("/dataset/evenementenvergunningen").body
        assert "CC-BY 4.0" in ours  # the DONL:License label

    def test_adopt_leaves_other_types_alone(self, portal: dict, cli: Any) -> None:
        result = cli.invoke(gemeente_cli, ["adopt", "check", "--json"])
        names = [json.loads(line)["name"] for line in result.output.splitlines()
                 if line.startswith("{")]
        assert names == ["evenementenvergunningen"]
