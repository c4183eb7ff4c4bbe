"""Material changes of a published dataset go back to review without unpublishing it.

The public (API, search, the dataset page, DCAT, the file download) keeps the approved
version while the change waits; the new file is reachable through no URL; the change is
visible to reviewers in gemeente_review_show; approval + publication applies it, rejection
discards it. Metadata-only edits apply at once. With ``offline_on_change`` the dataset goes
offline until re-approved instead.
"""

from __future__ import annotations

import io
import os
from typing import Any

import pytest
from ckan import model
from ckan.plugins import toolkit as tk
from privacy_testdata import APPROVE_CHECKLIST, Town, call

PLUGINS = "activity dcat gemeente_privacy"
NEW_FILE = b"wijk,meldingen\nKogerveld,31\nRosmolenwijk,12\n"

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", PLUGINS),
    pytest.mark.ckan_config("ckan.locale_default", "en"),
    pytest.mark.usefixtures("with_plugins"),
]


def _upload(body: bytes = NEW_FILE, name: str = "meldingen-per-wijk.csv") -> Any:
    from werkzeug.datastructures import FileStorage

    return FileStorage(io.BytesIO(body), name, content_type="text/csv")


def _public_views(app: Any, ds: dict[str, Any]) -> dict[str, bytes]:
    return {
        "api": app.get(f"/api/3/action/package_show?id={ds['id']}").get_data(),
        "search": app.get("/api/3/action/package_search?q=name:" + ds["name"]).get_data(),
        "page": app.get(f"/dataset/{ds['name']}").get_data(),
        "dcat": app.get(f"/dataset/{ds['name']}.ttl").get_data(),
        "catalog": app.get("/catalog.ttl").get_data(),
    }


def _all_files_served(app: Any, ds: dict[str, Any]) -> list[bytes]:
    shown = call("package_show", None, id=ds["id"])
    out = []
    for res in shown["resources"]:
        if res.get("url_type") == "upload":
            out.append(app.get(f"/dataset/{ds['id']}/resource/{res['id']}/download/x").get_data())
    return out


def _stored_files(storage: str) -> set[str]:
    out = set()
    for root, _dirs, files in os.walk(os.path.join(storage, "resources")):
        out.update(os.path.join(root, f) for f in files)
    return out


def test_new_uploaded_resource_waits_and_is_not_reachable(town: Town, app: Any,
                                                          ckan_config: dict) -> None:
    ds = town.published()
    before = _public_views(app, ds)
    storage = ckan_config["ckan.storage_path"]
    files_before = _stored_files(storage)
    res = call("resource_create", town["editor"], package_id=ds["id"],
               name="Meldingen per wijk (nieuw)", format="CSV", upload=_upload())
    assert res["gemeente_review_pending"] is True
    # the public still sees the approved version everywhere
    shown = call("package_show", None, id=ds["id"])
    assert shown["private"] is False and len(shown["resources"]) == 1
    after = _public_views(app, ds)
    for name, body in after.items():
        assert b"Meldingen per wijk (nieuw)" not in body, name
        assert (b"Meldingen 2024 (CSV)" in body) == (b"Meldingen 2024 (CSV)" in before[name])
    assert all(NEW_FILE not in f for f in _all_files_served(app, ds))
    # the file sits in the pending store, not in CKAN's resource storage
    assert _stored_files(storage) == files_before
    review = call("gemeente_review_show", town["officer"], id=ds["id"])
    assert review["state"] == "gepubliceerd"
    pending = review["pending"]
    assert pending["state"] == "ingediend" and pending["submitted_by"] == "redacteur"
    op = pending["operations"][0]
    assert op["op"] == "resource_create" and op["files"][0]["size"] == len(NEW_FILE)
    # an editor sees that a change waits, not its content; outsiders see nothing
    assert "operations" not in call("gemeente_review_show", town["editor"], id=ds["id"])[
        "pending"]
    with pytest.raises(tk.NotAuthorized):
        call("gemeente_review_show", town["user"], id=ds["id"])
    queue = call("gemeente_review_queue", town["officer"])
    assert [(r["name"], r["state"], r["pending"]) for r in queue["results"]] == [
        (ds["name"], "ingediend", True)]
    # approval alone changes nothing public; publication applies the change
    town.approve(ds)
    assert len(call("package_show", None, id=ds["id"])["resources"]) == 1
    town.publish(ds)
    shown = call("package_show", None, id=ds["id"])
    assert [r["name"] for r in shown["resources"]] == ["Meldingen 2024 (CSV)",
                                                       "Meldingen per wijk (nieuw)"]
    assert NEW_FILE in _all_files_served(app, ds)
    review = call("gemeente_review_show", town["officer"], id=ds["id"])
    assert review["pending"] is None and review["state"] == "gepubliceerd"
    assert [h["target"] for h in review["history"][-3:]] == ["pending"] * 3


def test_rejection_discards_the_change(town: Town, ckan_config: dict) -> None:
    ds = town.published()
    res_id = ds["resources"][0]["id"]
    call("resource_patch", town["editor"], id=res_id,
         url="https://data.zaanstad.example.nl/mor/meldingen-2024-met-adressen.csv")
    shown = call("package_show", None, id=ds["id"])
    assert shown["resources"][0]["url"].endswith("meldingen-2024.csv")
    pending = call("gemeente_review_show", town["officer"], id=ds["id"])["pending"]
    assert pending["operations"][0]["op"] == "resource_update"
    call("gemeente_review_decide", town["officer"], id=ds["id"], decision="reject",
         checklist={}, comment="Adressen mogen niet openbaar")
    review = call("gemeente_review_show", town["officer"], id=ds["id"])
    assert review["pending"] is None and review["state"] == "gepubliceerd"
    shown = call("package_show", None, id=ds["id"])
    assert shown["private"] is False
    assert shown["resources"][0]["url"].endswith("meldingen-2024.csv")


def test_metadata_edit_applies_directly_material_fields_wait(town: Town) -> None:
    ds = town.published(extras=[{"key": "access_rights", "value": "PUBLIC"}])
    call("package_patch", town["editor"], id=ds["id"], notes="Typfout hersteld in de tekst.")
    shown = call("package_show", None, id=ds["id"])
    assert shown["notes"] == "Typfout hersteld in de tekst."
    assert call("gemeente_review_show", town["officer"], id=ds["id"])["pending"] is None
    # access rights change + a description change in one edit: the description applies
    call("package_patch", town["editor"], id=ds["id"], notes="Nieuwe omschrijving",
         extras=[{"key": "access_rights", "value": "NON_PUBLIC"}])
    shown = call("package_show", None, id=ds["id"])
    assert shown["notes"] == "Nieuwe omschrijving"
    assert {e["key"]: e["value"] for e in shown["extras"]}["access_rights"] == "PUBLIC"
    pending = call("gemeente_review_show", town["officer"], id=ds["id"])["pending"]
    assert pending["operations"][0]["data"]["extras"] == [
        {"key": "access_rights", "value": "NON_PUBLIC"}]
    town.approve(ds)
    town.publish(ds)
    shown = call("package_show", None, id=ds["id"])
    assert {e["key"]: e["value"] for e in shown["extras"]}["access_rights"] == "NON_PUBLIC"
    assert shown["notes"] == "Nieuwe omschrijving"


def test_resource_delete_waits(town: Town) -> None:
    ds = town.published()
    call("resource_delete", town["editor"], id=ds["resources"][0]["id"])
    assert len(call("package_show", None, id=ds["id"])["resources"]) == 1
    town.approve(ds, checklist=APPROVE_CHECKLIST)
    town.publish(ds)
    assert call("package_show", None, id=ds["id"])["resources"] == []


def test_request_changes_then_resubmit_pending(town: Town) -> None:
    ds = town.published()
    call("resource_create", town["editor"], package_id=ds["id"], name="Extra",
         url="https://data.zaanstad.example.nl/mor/extra.csv")
    call("gemeente_review_decide", town["officer"], id=ds["id"], decision="request_changes",
         checklist={}, comment="Beschrijf de kolommen")
    assert call("gemeente_review_show", town["officer"], id=ds["id"])["pending"]["state"] == \
        "wijziging_gevraagd"
    town.submit(ds)
    assert call("gemeente_review_show", town["officer"], id=ds["id"])["pending"]["state"] == \
        "ingediend"


@pytest.mark.ckan_config("ckanext.gemeente.privacy.offline_on_change", "true")
def test_offline_on_change(town: Town) -> None:
    ds = town.published()
    call("resource_create", town["editor"], package_id=ds["id"], name="Nieuwe bron",
         url="https://data.zaanstad.example.nl/mor/nieuw.csv")
    shown = call("package_show", None, id=ds["id"])
    assert shown["private"] is True and len(shown["resources"]) == 2
    assert town.state(ds) == "ingediend"
    town.approve(ds)
    town.publish(ds)
    assert call("package_show", None, id=ds["id"])["private"] is False


def test_pending_file_is_removed_after_rejection(town: Town) -> None:
    from ckanext.gemeente.privacy import model as pmodel

    ds = town.published()
    call("resource_create", town["editor"], package_id=ds["id"], name="Bijlage",
         format="CSV", upload=_upload())
    pend = pmodel.get_pending(ds["id"])
    path = pend.operations_list()[0]["files"]["0"]["path"]
    assert open(path, "rb").read() == NEW_FILE
    model.Session.remove()
    call("gemeente_review_decide", town["officer"], id=ds["id"], decision="reject",
         checklist={}, comment="Niet nodig")
    assert not os.path.exists(path)
