"""The privacy review's pages through CKAN's Flask test client, as each role.

The Privacy tab with its decision form, the review queue, the role administration and the
audit download: status codes per role (200 / 403 / 404 / redirects), form errors shown per
field with the input kept, and the Dutch texts of a portal with ``ckan.locale_default = nl``.
Every step goes through the real actions on the real database.
"""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

import pytest
from privacy_testdata import DEFAULT_PLUGINS, Town, call

PLUGINS = DEFAULT_PLUGINS


def _auth(user: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": user["token"]}


@pytest.fixture
def portal(town: Town) -> dict[str, Any]:
    """The test municipality (conftest's ``town``) by role, and a new (concept) dataset of
    its editor."""
    return {"org": town.org, "dataset": town.dataset(), "admin": town["sysadmin"],
            "editor": town["editor"], "officer": town["officer"],
            "coordinator": town["coordinator"], "outsider": town["user"]}


def _state(portal: dict[str, Any]) -> str:
    return call("gemeente_review_show", portal["admin"], id=portal["dataset"]["id"])["state"]


def _tab(portal: dict[str, Any]) -> str:
    return f"/dataset/{portal['dataset']['name']}/privacy"


def _approve_form(**extra: str) -> dict[str, Any]:
    form = {
        "transition": "approve",
        "checklist.personal_data": "true",
        "checklist.personal_data_categories": ["locatie"],
        "checklist.bsn": "false",
        "checklist.legal_basis": "AVG art. 6 lid 1 sub e (publieke taak)",
        "checklist.measure": "geaggregeerd",
        "checklist.dpia": "niet_nodig",
        "checklist.retention": "5 jaar",
        "conditions": "Alleen per buurt, aantallen onder 10 onderdrukt",
        "comment": "Akkoord",
    }
    form.update(extra)
    return form


@pytest.mark.ckan_config("ckan.plugins", PLUGINS)
@pytest.mark.ckan_config("ckan.locale_default", "nl")
@pytest.mark.usefixtures("with_plugins")
class TestPrivacyTab:
    def test_editor_sees_the_state_and_submits(self, app: Any, portal: dict) -> None:
        page = app.get(_tab(portal), headers=_auth(portal["editor"]))
        assert page.status_code == 200
        body = page.get_data(as_text=True)
        assert "Privacybeoordeling" in body  # "Privacy review"
        assert 'data-review-state="concept"' in body
        assert 'value="submit"' in body
        assert 'value="approve"' not in body  # editors do not decide
        # the dataset page has the Privacy tab
        read = app.get(f"/dataset/{portal['dataset']['name']}", headers=_auth(portal["editor"]))
        assert _tab(portal) in read.get_data(as_text=True)

        resp = app.post(_tab(portal), headers=_auth(portal["editor"]),
                        data={"transition": "submit", "comment": "Graag beoordelen"},
                        follow_redirects=False)
        assert resp.status_code == 302
        assert resp.headers["Location"].endswith(_tab(portal))
        assert _state(portal) == "ingediend"
        after = app.get(_tab(portal), headers=_auth(portal["editor"])).get_data(as_text=True)
        assert "Graag beoordelen" in after  # the history shows the step and its comment
        assert 'value="submit"' not in after

    def test_anonymous_and_outsider_cannot_see_an_unpublished_review(
            self, app: Any, portal: dict) -> None:
        assert app.get(_tab(portal)).status_code == 404
        assert app.get(_tab(portal), headers=_auth(portal["outsider"])).status_code == 404
        resp = app.post(_tab(portal), headers=_auth(portal["outsider"]),
                        data={"transition": "submit"})
        assert resp.status_code == 404
        assert _state(portal) == "concept"

    def test_unknown_dataset_is_404_and_unknown_step_400(self, app: Any, portal: dict) -> None:
        assert app.get("/dataset/bestaat-niet/privacy",
                       headers=_auth(portal["admin"])).status_code == 404
        resp = app.post(_tab(portal), headers=_auth(portal["editor"]),
                        data={"transition": "publiceer-maar"})
        assert resp.status_code == 400

    def test_wrong_role_gets_403_not_500(self, app: Any, portal: dict) -> None:
        call("gemeente_review_submit", portal["editor"], id=portal["dataset"]["id"])
        # the editor tries to approve their own dataset through a hand-made form
        resp = app.post(_tab(portal), headers=_auth(portal["editor"]), data=_approve_form())
        assert resp.status_code == 403
        assert _state(portal) == "ingediend"

    def test_officer_decision_errors_are_shown_per_field_and_input_kept(
            self, app: Any, portal: dict) -> None:
        call("gemeente_review_submit", portal["editor"], id=portal["dataset"]["id"])
        page = app.get(_tab(portal), headers=_auth(portal["officer"])).get_data(as_text=True)
        for step in ("approve", "request_changes", "reject"):
            assert f'value="{step}"' in page
        assert "Persoonsgegevens aanwezig" in page  # checklist in Dutch
        assert 'value="submit"' not in page

        # personal data but no legal basis and no retention: refused, fields marked
        form = _approve_form(**{"checklist.legal_basis": "", "checklist.retention": "",
                                "conditions": "Alleen per wijk"})
        resp = app.post(_tab(portal), headers=_auth(portal["officer"]), data=form)
        assert resp.status_code == 200
        body = resp.get_data(as_text=True)
        assert re.search(r'data-field="legal_basis">[^<]+</div>', body), body
        assert 'data-field="retention"' in body
        assert "Alleen per wijk" in body  # input kept
        assert 'id="field-measure-geaggregeerd" value="geaggregeerd" checked' in body
        assert 'value="locatie" checked' in body
        assert _state(portal) == "ingediend"

        # request changes without a comment: the comment is required
        resp = app.post(_tab(portal), headers=_auth(portal["officer"]),
                        data={"transition": "request_changes"})
        assert resp.status_code == 200
        assert 'data-field="comment"' in resp.get_data(as_text=True) or \
            "error-block" in resp.get_data(as_text=True)
        assert _state(portal) == "ingediend"

        resp = app.post(_tab(portal), headers=_auth(portal["officer"]), follow_redirects=False,
                        data={"transition": "request_changes",
                              "comment": "Graag de huisnummers weglaten"})
        assert resp.status_code == 302
        assert _state(portal) == "wijziging_gevraagd"

    def test_full_flow_through_the_forms(self, app: Any, portal: dict) -> None:
        ds = portal["dataset"]
        app.post(_tab(portal), headers=_auth(portal["editor"]), data={"transition": "submit"})
        resp = app.post(_tab(portal), headers=_auth(portal["officer"]), data=_approve_form(),
                        follow_redirects=False)
        assert resp.status_code == 302, resp.get_data(as_text=True)
        assert _state(portal) == "privacy_goedgekeurd"
        # anonymous still cannot see it
        assert app.get(f"/dataset/{ds['name']}").status_code == 404

        page = app.get(_tab(portal), headers=_auth(portal["coordinator"])).get_data(as_text=True)
        assert 'value="publish"' in page
        assert "aantallen onder 10 onderdrukt" in page  # the officer's conditions
        resp = app.post(_tab(portal), headers=_auth(portal["coordinator"]),
                        data={"transition": "publish", "comment": "Gepubliceerd"},
                        follow_redirects=False)
        assert resp.status_code == 302
        assert _state(portal) == "gepubliceerd"
        page = app.get(f"/dataset/{ds['name']}")
        assert page.status_code == 200
        # the public sees the dataset, not its review (no tab, the page itself is refused)
        assert _tab(portal) not in page.get_data(as_text=True)
        assert app.get(_tab(portal)).status_code == 403

        # withdraw needs a reason: refused with the field marked, then taken
        resp = app.post(_tab(portal), headers=_auth(portal["coordinator"]),
                        data={"transition": "withdraw", "reason": ""})
        assert resp.status_code == 200
        assert "error" in resp.get_data(as_text=True)
        assert _state(portal) == "gepubliceerd"
        resp = app.post(_tab(portal), headers=_auth(portal["coordinator"]),
                        data={"transition": "withdraw", "reason": "Bron niet meer actueel"},
                        follow_redirects=False)
        assert resp.status_code == 302
        assert _state(portal) == "ingetrokken"
        assert app.get(f"/dataset/{ds['name']}").status_code == 404

    def test_sysadmin_override_needs_a_reason(self, app: Any, portal: dict) -> None:
        page = app.get(_tab(portal), headers=_auth(portal["admin"])).get_data(as_text=True)
        assert 'value="override"' in page
        resp = app.post(_tab(portal), headers=_auth(portal["admin"]),
                        data={"transition": "override", "to_state": "ingediend", "reason": ""})
        assert resp.status_code == 200
        assert "Overschrijven" in resp.get_data(as_text=True) or \
            'value="override"' in resp.get_data(as_text=True)
        assert _state(portal) == "concept"
        resp = app.post(_tab(portal), headers=_auth(portal["admin"]), follow_redirects=False,
                        data={"transition": "override", "to_state": "ingediend",
                              "reason": "Ingediend namens de afdeling (papieren aanvraag)"})
        assert resp.status_code == 302
        assert _state(portal) == "ingediend"
        resp = app.post(_tab(portal), headers=_auth(portal["editor"]),
                        data={"transition": "override", "to_state": "gepubliceerd",
                              "reason": "Ik wil publiceren"})
        assert resp.status_code == 403
        assert _state(portal) == "ingediend"


@pytest.mark.ckan_config("ckan.plugins", PLUGINS)
@pytest.mark.ckan_config("ckan.locale_default", "nl")
@pytest.mark.usefixtures("with_plugins")
class TestQueue:
    def test_queue_per_role(self, app: Any, portal: dict) -> None:
        call("gemeente_review_submit", portal["editor"], id=portal["dataset"]["id"])
        for role in ("officer", "coordinator", "admin"):
            resp = app.get("/gemeente/review", headers=_auth(portal[role]))
            assert resp.status_code == 200, role
            body = resp.get_data(as_text=True)
            assert "Beoordelingswachtrij" in body
            assert 'data-package="meldingen-openbare-ruimte"' in body
        for role in ("editor", "outsider"):
            assert app.get("/gemeente/review", headers=_auth(portal[role])).status_code == 403
        assert app.get("/gemeente/review").status_code == 403

    def test_filters_counts_and_age(self, app: Any, portal: dict) -> None:
        from ckan.tests import factories

        call("gemeente_review_submit", portal["editor"], id=portal["dataset"]["id"])
        other_org = factories.Organization(
            name="verkeer-en-vervoer", users=[{"name": "redacteur", "capacity": "editor"}])
        call("package_create", portal["editor"], name="parkeerautomaten",
              title="Parkeerautomaten", owner_org=other_org["id"], private=True)
        headers = _auth(portal["officer"])

        body = app.get("/gemeente/review", headers=headers).get_data(as_text=True)
        counts = dict(re.findall(
            r'data-state="(\w+)">.*?gemeente-review-count">(\d+)<', body, re.S))
        assert counts["ingediend"] == "1" and counts["concept"] == "1", counts
        assert 'data-age-days="0"' in body and "vandaag" in body

        body = app.get("/gemeente/review?state=concept", headers=headers).get_data(as_text=True)
        assert 'data-package="parkeerautomaten"' in body
        assert 'data-package="meldingen-openbare-ruimte"' not in body

        body = app.get("/gemeente/review?state=&organization=openbare-ruimte",
                       headers=headers).get_data(as_text=True)
        assert 'data-package="meldingen-openbare-ruimte"' in body
        assert 'data-package="parkeerautomaten"' not in body

        body = app.get("/gemeente/review?min_age_days=3", headers=headers).get_data(as_text=True)
        assert 'data-package=' not in body

    def test_bad_filter_is_a_message_not_a_500(self, app: Any, portal: dict) -> None:
        resp = app.get("/gemeente/review?min_age_days=veel", headers=_auth(portal["officer"]))
        assert resp.status_code == 200
        body = resp.get_data(as_text=True)
        assert re.search(r'id="filter-min_age_days"[^>]*value="veel"', body)  # input kept
        assert "invalid-feedback d-block error-block" in body
        resp = app.get("/gemeente/review?state=geheim", headers=_auth(portal["officer"]))
        assert resp.status_code == 200
        assert "error-explanation" in resp.get_data(as_text=True)

    def test_header_link_only_for_reviewers(self, app: Any, portal: dict) -> None:
        officer = app.get("/dataset/", headers=_auth(portal["officer"])).get_data(as_text=True)
        assert 'href="/gemeente/review"' in officer
        editor = app.get("/dataset/", headers=_auth(portal["editor"])).get_data(as_text=True)
        assert 'href="/gemeente/review"' not in editor


@pytest.mark.ckan_config("ckan.plugins", PLUGINS)
@pytest.mark.ckan_config("ckan.locale_default", "nl")
@pytest.mark.usefixtures("with_plugins")
class TestRolesAndAudit:
    def test_roles_page_is_for_sysadmins(self, app: Any, portal: dict) -> None:
        resp = app.get("/gemeente/review/roles", headers=_auth(portal["admin"]))
        assert resp.status_code == 200
        body = resp.get_data(as_text=True)
        assert 'data-user="privacy-officer" data-role="privacy_officer"' in body or \
            'data-role="privacy_officer"' in body
        for role in ("officer", "coordinator", "editor"):
            assert app.get("/gemeente/review/roles",
                           headers=_auth(portal[role])).status_code == 403
            resp = app.post("/gemeente/review/roles", headers=_auth(portal[role]),
                            data={"op": "grant", "user": portal[role]["name"],
                                  "role": "coordinator"})
            assert resp.status_code == 403
        grants = call("gemeente_review_role_list", portal["admin"], user="redacteur")
        assert not grants
        # the page is a tab of CKAN's sysadmin settings
        admin = app.get("/ckan-admin", headers=_auth(portal["admin"])).get_data(as_text=True)
        assert 'href="/gemeente/review/roles"' in admin and "Beoordelingsrollen" in admin

    def test_grant_and_revoke_through_the_form(self, app: Any, portal: dict) -> None:
        headers = _auth(portal["admin"])
        name = portal["outsider"]["name"]
        form = {"user": name, "role": "coordinator", "organization": "openbare-ruimte"}
        resp = app.post("/gemeente/review/roles", headers=headers, follow_redirects=False,
                        data=dict(form, op="grant"))
        assert resp.status_code == 302
        grants = call("gemeente_review_role_list", portal["admin"], user=name)
        assert [(g["role"], g["organization"]) for g in grants] == [
            ("coordinator", "openbare-ruimte")]
        body = app.get("/gemeente/review/roles", headers=headers).get_data(as_text=True)
        assert f'data-user="{name}" data-role="coordinator"' in body

        resp = app.post("/gemeente/review/roles", headers=headers, follow_redirects=False,
                        data=dict(form, op="revoke"))
        assert resp.status_code == 302
        assert not call("gemeente_review_role_list", portal["admin"], user=name)

    def test_grant_errors_are_shown_with_input_kept(self, app: Any, portal: dict) -> None:
        resp = app.post("/gemeente/review/roles", headers=_auth(portal["admin"]),
                        data={"op": "grant", "user": "niemand-bekend", "role": "coordinator"})
        assert resp.status_code == 200
        body = resp.get_data(as_text=True)
        assert "error-explanation" in body
        assert 'value="niemand-bekend"' in body
        resp = app.post("/gemeente/review/roles", headers=_auth(portal["admin"]),
                        data={"op": "grant", "user": portal["outsider"]["name"], "role": "baas"})
        assert resp.status_code == 200
        assert "error" in resp.get_data(as_text=True)

    def test_audit_download_for_privacy_officers(self, app: Any, portal: dict) -> None:
        call("gemeente_review_submit", portal["editor"], id=portal["dataset"]["id"],
              comment="Eerste indiening")
        headers = _auth(portal["officer"])
        page = app.get("/gemeente/review/audit", headers=headers)
        assert page.status_code == 200
        assert "Autoriteit Persoonsgegevens" in page.get_data(as_text=True)

        resp = app.get("/gemeente/review/audit?download=1&from=2000-01-01&to=2100-12-31"
                       "&format=csv", headers=headers)
        assert resp.status_code == 200
        assert resp.headers["Content-Type"].startswith("text/csv")
        assert "attachment" in resp.headers["Content-Disposition"]
        rows = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
        assert any(r.get("comment") == "Eerste indiening" for r in rows), rows[:2]

        resp = app.get("/gemeente/review/audit?download=1&from=2000-01-01&to=2100-12-31"
                       "&format=json", headers=headers)
        assert resp.status_code == 200
        exported = json.loads(resp.get_data(as_text=True))
        text = json.dumps(exported)
        assert "Eerste indiening" in text

        resp = app.get("/gemeente/review/audit?download=1&from=2024-13-01&to=2024-01-01",
                       headers=headers)
        assert resp.status_code == 200
        assert "error-explanation" in resp.get_data(as_text=True)

        for role in ("editor", "outsider"):
            assert app.get("/gemeente/review/audit",
                           headers=_auth(portal[role])).status_code == 403
        assert app.get("/gemeente/review/audit?download=1&from=2000-01-01&to=2100-01-01"
                       ).status_code == 403


@pytest.mark.ckan_config("ckan.plugins", PLUGINS)
@pytest.mark.ckan_config("ckan.locale_default", "nl")
@pytest.mark.usefixtures("with_plugins")
class TestPendingChange:
    def test_pending_change_is_shown_and_decided_on_the_tab(
            self, app: Any, portal: dict) -> None:
        ds = portal["dataset"]
        call("gemeente_review_submit", portal["editor"], id=ds["id"])
        app.post(_tab(portal), headers=_auth(portal["officer"]), data=_approve_form())
        app.post(_tab(portal), headers=_auth(portal["coordinator"]),
                 data={"transition": "publish"})
        assert _state(portal) == "gepubliceerd"
        # a new resource on the published dataset is a material change
        call("resource_create", portal["editor"], package_id=ds["id"],
              url="https://data.zaanstad.example.nl/meldingen/adressen.csv",
              name="Meldingen met adres", format="CSV")

        body = app.get(_tab(portal), headers=_auth(portal["officer"])).get_data(as_text=True)
        assert 'id="review-pending"' in body
        assert "Wijziging in behandeling" in body
        assert 'data-pending-state="ingediend"' in body
        assert "Meldingen met adres" in body  # what changed
        assert 'data-review-state="gepubliceerd"' in body  # the public version stays
        assert 'value="approve"' in body  # the officer decides on the change

        resp = app.post(_tab(portal), headers=_auth(portal["officer"]), follow_redirects=False,
                        data={"transition": "reject", "comment": "Adressen niet publiceren"})
        assert resp.status_code == 302
        after = call("gemeente_review_show", portal["admin"], id=ds["id"])
        assert after["state"] == "gepubliceerd" and after["pending"] is None
        body = app.get(_tab(portal), headers=_auth(portal["officer"])).get_data(as_text=True)
        assert 'id="review-pending"' not in body
        assert "Adressen niet publiceren" in body
