"""gemeente_privacy together with gemeente_schema (scheming, DCAT-AP-DONL): the review reads
the schema's privacy classification, access rights and legal basis.

- a change of privacy classification or legal basis after publication goes back to review
  while the public keeps the approved values; a description edit applies directly;
- ``skip_coordinator_for_open``: an open dataset without personal data is published by the
  officer's approval, one with personal data still waits for the coordinator;
- the review state is a search facet ("Privacystatus").
"""

from __future__ import annotations

import importlib.util
import pathlib
from typing import Any

import pytest
from privacy_testdata import SCHEMA_PLUGINS, Town, call

HERE = pathlib.Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location(
    "schema_testdata_for_privacy", HERE.parent / "schema" / "schema_testdata.py")
assert _spec and _spec.loader
schema_testdata = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(schema_testdata)


def schema_config(target: Any) -> Any:
    for key, value in {**schema_testdata.SCHEMA_CONFIG, "ckan.plugins": SCHEMA_PLUGINS,
                       "ckan.locale_default": "en"}.items():
        target = pytest.mark.ckan_config(key, value)(target)
    return target


@pytest.fixture
def stown(town: Town, migrate_db_for: Any) -> Town:
    from ckanext.gemeente.schema import vocabularies

    migrate_db_for("gemeente_schema")
    vocabularies.invalidate_cache()
    vocabularies.update(schema_testdata.VOCAB_DIR, allow_incomplete=True)
    yield town
    vocabularies.invalidate_cache()


def _create(town: Town, name: str, **overrides: Any) -> dict[str, Any]:
    data = schema_testdata.dataset_dict(owner_org=town.org["id"], name=name, **overrides)
    data.pop("private", None)
    return call("package_create", town["editor"], **data)


pytestmark = [pytest.mark.usefixtures("with_plugins")]


@schema_config
def test_flow_and_material_change_on_the_schema(stown: Town) -> None:
    ds = _create(stown, "afvalinzamelpunten")
    assert ds["private"] is True
    stown.submit(ds)
    stown.approve(ds)
    stown.publish(ds)
    assert call("package_show", None, id=ds["id"])["private"] is False
    call("package_patch", stown["editor"], id=ds["id"], notes="Typfout in de omschrijving.")
    assert call("gemeente_review_show", stown["officer"], id=ds["id"])["pending"] is None
    call("package_patch", stown["editor"], id=ds["id"],
         privacy_classification="bevat-persoonsgegevens",
         processing_legal_basis="AVG art. 6 lid 1 sub e")
    shown = call("package_show", None, id=ds["id"])
    assert shown["privacy_classification"] == "geen-persoonsgegevens"
    assert not shown.get("processing_legal_basis")
    assert shown["notes"] == "Typfout in de omschrijving."
    pending = call("gemeente_review_show", stown["officer"], id=ds["id"])["pending"]
    assert pending["operations"][0]["data"] == {
        "privacy_classification": "bevat-persoonsgegevens",
        "processing_legal_basis": "AVG art. 6 lid 1 sub e"}
    stown.approve(ds)
    stown.publish(ds)
    shown = call("package_show", None, id=ds["id"])
    assert shown["privacy_classification"] == "bevat-persoonsgegevens"
    assert shown["private"] is False


@schema_config
@pytest.mark.ckan_config("ckanext.gemeente.privacy.skip_coordinator_for_open", "true")
def test_skip_coordinator_for_open_data_without_personal_data(stown: Town) -> None:
    open_ds = _create(stown, "afvalinzamelpunten")
    stown.submit(open_ds)
    assert stown.approve(open_ds)["state"] == "gepubliceerd"
    assert call("package_show", None, id=open_ds["id"])["private"] is False
    personal = _create(stown, "wmo-voorzieningen", privacy_classification="gepseudonimiseerd",
                       processing_legal_basis="AVG art. 6 lid 1 sub e")
    stown.submit(personal)
    assert stown.approve(personal)["state"] == "privacy_goedgekeurd"
    assert call("package_show", None, id=personal["id"])["private"] is True


@schema_config
def test_review_state_facet(stown: Town) -> None:
    a = _create(stown, "afvalinzamelpunten")
    b = _create(stown, "bomenregister", title="Bomenregister")
    stown.submit(a)
    result = call("package_search", stown["officer"], include_private=True,
                  **{"facet.field": '["review_state"]'})
    items = {i["name"]: i for i in result["search_facets"]["review_state"]["items"]}
    assert items["ingediend"]["count"] == 1 and items["ingediend"]["display_name"] == "Submitted"
    assert result["count"] == 1  # the concept is not shown to the officer, only to members
    member = call("package_search", stown["editor"], include_private=True,
                  fq="review_state:concept")
    assert [r["name"] for r in member["results"]] == [b["name"]]
