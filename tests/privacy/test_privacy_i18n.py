"""Dutch messages of the review on a Dutch portal (``ckan.locale_default = nl``), through
the API as a client sees them."""

from __future__ import annotations

import pytest
from privacy_testdata import DEFAULT_PLUGINS, Town

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", DEFAULT_PLUGINS),
    pytest.mark.ckan_config("ckan.locale_default", "nl"),
    pytest.mark.usefixtures("with_plugins"),
]


def test_dutch_messages_through_the_api(town: Town, app) -> None:
    ds = town.dataset()
    town.submit(ds)
    resp = app.post("/api/3/action/gemeente_review_decide",
                    headers={"Authorization": town["officer"]["token"]},
                    json={"id": ds["id"], "decision": "approve",
                          "checklist": {"personal_data": True, "measure": "geaggregeerd",
                                        "dpia": "niet_nodig", "retention": "1 jaar"}},
                    status=409)
    error = resp.json["error"]
    assert "grondslag" in error["legal_basis"][0].lower()
    resp = app.post("/api/3/action/gemeente_review_publish",
                    headers={"Authorization": town["coordinator"]["token"]},
                    json={"id": ds["id"]}, status=409)
    assert "toegestaan" in resp.json["error"]["state"][0].lower()
    resp = app.post("/api/3/action/package_patch",
                    headers={"Authorization": town["editor"]["token"]},
                    json={"id": ds["id"], "private": False}, status=409)
    assert "privacytoets" in resp.json["error"]["private"][0]
