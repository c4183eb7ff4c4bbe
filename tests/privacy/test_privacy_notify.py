"""Notifications: after each step the next actor gets an e-mail through CKAN's mailer (a
local SMTP server started by the fixture) and an activity on their dashboard."""

from __future__ import annotations

import pytest
from privacy_testdata import DEFAULT_PLUGINS, Town, call

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", DEFAULT_PLUGINS),
    pytest.mark.ckan_config("ckan.locale_default", "en"),
    pytest.mark.usefixtures("with_plugins"),
]


def test_mail_and_activity_for_the_next_actor(town: Town, smtp_server) -> None:
    ds = town.dataset()
    town.submit(ds, comment="Graag voor vrijdag")
    to_officers = [m for m in smtp_server.messages if "fg@gemeente.test" in m["to"]]
    assert len(to_officers) == 1
    mail = to_officers[0]
    assert "Ter beoordeling" in mail["subject"] and "Meldingen openbare ruimte" in mail["subject"]
    assert "Graag voor vrijdag" in mail["body"] and "/dataset/meldingen-openbare-ruimte/privacy" \
        in mail["body"]
    assert {r for m in smtp_server.messages for r in m["to"]} == {
        "fg@gemeente.test", "fg2@gemeente.test"}
    smtp_server.messages.clear()
    town.approve(ds)
    assert [m["to"] for m in smtp_server.messages] == [["od@gemeente.test"]]
    assert "Klaar om te publiceren" in smtp_server.messages[0]["subject"]
    smtp_server.messages.clear()
    town.publish(ds)
    assert [m["to"] for m in smtp_server.messages] == [["redacteur@gemeente.test"]]
    assert "Gepubliceerd" in smtp_server.messages[0]["subject"]
    # the review steps are on the next actors' dashboards
    dash = call("dashboard_activity_list", town["officer"])
    steps = [a["data"].get("gemeente_review", {}).get("step") for a in dash]
    assert "submit" in steps
    dash = call("dashboard_activity_list", town["coordinator"])
    assert "approve" in [a["data"].get("gemeente_review", {}).get("step") for a in dash]


def test_no_mail_server_does_not_undo_a_step(town: Town, ckan_config, monkeypatch) -> None:
    from privacy_testdata import free_port_unused

    monkeypatch.setitem(ckan_config, "smtp.server", f"127.0.0.1:{free_port_unused()}")
    ds = town.dataset()
    assert town.submit(ds)["state"] == "ingediend"
