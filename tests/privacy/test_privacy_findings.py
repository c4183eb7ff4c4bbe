"""IGemeenteReview: a (test) scanner's findings show in gemeente_review_show, a blocking
finding refuses approval unless the officer writes a justification, and the audit row keeps
the findings summary; review_after_transition sees every recorded step.

The test plugin is registered the way CKAN's own ``provide_plugin`` fixture does it (by
name, before the plugins are loaded), so it runs on CKAN 2.11 and 2.12 alike.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import ckan.plugins as p
import pytest
from ckan.plugins import toolkit as tk
from privacy_testdata import APPROVE_CHECKLIST, Town, call

from ckanext.gemeente.privacy.interfaces import IGemeenteReview

SEEN: list[dict[str, Any]] = []


class FakeScanPlugin(p.SingletonPlugin):
    p.implements(IGemeenteReview, inherit=True)

    def review_findings(self, context: dict, package: dict) -> list[dict]:
        res = (package.get("resources") or [{}])[0]
        return [
            {"source": "testscan", "resource_id": res.get("id"), "title": "Kolom c01: BSN",
             "risk": "hoog", "summary": "1.204 van 1.210 waarden zijn geldige BSN's",
             "blocking": True},
            {"source": "testscan", "resource_id": res.get("id"), "title": "Kolom c07: postcode",
             "risk": "laag", "summary": "Postcodes op 4 cijfers", "blocking": False},
        ]

    def review_after_transition(self, context: dict, package: dict, entry: dict) -> None:
        SEEN.append(entry)


@pytest.fixture
def scan_plugin(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    import ckan.plugins.core as core

    original = core._get_service
    monkeypatch.setattr(core, "_get_service",
                        lambda name: FakeScanPlugin() if name == "gemeente_testscan"
                        else original(name))
    SEEN.clear()
    yield


@pytest.fixture
def plugins_with_scan(scan_plugin: None, with_plugins: None) -> None:
    """scan_plugin before with_plugins (the plugin is looked up when loaded)."""


@pytest.mark.ckan_config("ckan.plugins", "activity gemeente_privacy gemeente_testscan")
@pytest.mark.ckan_config("ckan.locale_default", "en")
@pytest.mark.usefixtures("plugins_with_scan")
def test_blocking_finding_needs_a_justification(town: Town) -> None:
    ds = town.dataset()
    town.submit(ds)
    shown = call("gemeente_review_show", town["officer"], id=ds["id"])
    assert [f["risk"] for f in shown["findings"]] == ["hoog", "laag"]
    with pytest.raises(tk.ValidationError) as err:
        town.approve(ds)
    assert "Kolom c01: BSN" in err.value.error_dict["justification"][0]
    assert town.state(ds) == "ingediend"
    # request changes is not blocked
    call("gemeente_review_decide", town["officer"], id=ds["id"], decision="request_changes",
         checklist={}, comment="Verwijder de BSN-kolom")
    town.submit(ds)
    shown = town.approve(ds, justification="Kolom c01 bevat klantnummers, geen BSN's "
                                           "(gecontroleerd bij de bronhouder)")
    assert shown["state"] == "privacy_goedgekeurd"
    row = shown["history"][-1]
    assert row["findings"]["blocking"] == 1 and row["findings"]["count"] == 2
    assert row["findings"]["by_risk"] == {"hoog": 1, "laag": 1}
    assert row["findings"]["justification"].startswith("Kolom c01 bevat klantnummers")
    assert row["findings"]["blockers"] == ["Kolom c01: BSN"]
    assert [e["step"] for e in SEEN] == ["submit", "request_changes", "submit", "approve"]
    assert call("gemeente_audit_verify", town["officer"])["ok"]


@pytest.mark.ckan_config("ckan.plugins", "activity gemeente_privacy")
@pytest.mark.usefixtures("with_plugins")
def test_without_findings_approval_is_not_blocked(town: Town) -> None:
    ds = town.dataset()
    town.submit(ds)
    assert call("gemeente_review_show", town["officer"], id=ds["id"])["findings"] == []
    assert town.approve(ds, checklist=APPROVE_CHECKLIST)["state"] == "privacy_goedgekeurd"
