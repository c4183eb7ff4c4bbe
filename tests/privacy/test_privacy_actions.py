"""The review's actions end to end on the real database: the flow, bad input, wrong
transitions, separation of duties, roles, the queue, the sysadmin override and the audit."""

from __future__ import annotations

import json

import pytest
from ckan.plugins import toolkit as tk
from privacy_testdata import APPROVE_CHECKLIST, DEFAULT_PLUGINS, Town, call

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", DEFAULT_PLUGINS),
    pytest.mark.ckan_config("ckan.locale_default", "en"),
    pytest.mark.usefixtures("with_plugins"),
]


def test_new_dataset_is_private_concept_with_one_review_record(town: Town) -> None:
    ds = town.dataset()
    assert ds["private"] is True
    shown = call("gemeente_review_show", town["editor"], id=ds["id"])
    assert shown["state"] == "concept"
    assert shown["history"] == []
    assert {t["step"] for t in shown["allowed"]} == {"submit"}


def test_full_flow_publishes_only_at_the_coordinators_step(town: Town) -> None:
    ds = town.dataset()
    town.submit(ds, comment="Graag beoordelen")
    assert call("package_show", None, id=ds["id"])["private"] is True
    shown = call("gemeente_review_decide", town["officer"], id=ds["id"],
                 decision="request_changes", checklist={}, comment="Buurtniveau te fijn")
    assert shown["state"] == "wijziging_gevraagd"
    town.submit(ds, comment="Nu per wijk")
    shown = town.approve(ds, conditions="Alleen per wijk publiceren")
    assert shown["state"] == "privacy_goedgekeurd"
    assert shown["conditions"] == "Alleen per wijk publiceren"
    assert call("package_show", None, id=ds["id"])["private"] is True
    shown = town.publish(ds, comment="Akkoord")
    assert shown["state"] == "gepubliceerd"
    assert call("package_show", None, id=ds["id"])["private"] is False
    steps = [(h["step"], h["from_state"], h["to_state"], h["actor"]) for h in shown["history"]]
    assert steps == [
        ("submit", "concept", "ingediend", "redacteur"),
        ("request_changes", "ingediend", "wijziging_gevraagd", "privacy-officer"),
        ("submit", "wijziging_gevraagd", "ingediend", "redacteur"),
        ("approve", "ingediend", "privacy_goedgekeurd", "privacy-officer"),
        ("publish", "privacy_goedgekeurd", "gepubliceerd", "coordinator"),
    ]
    approve = shown["history"][3]
    assert approve["checklist"]["legal_basis"] == APPROVE_CHECKLIST["legal_basis"]
    assert approve["checklist"]["conditions"] == "Alleen per wijk publiceren"
    assert len(approve["content_hash"]) == 64
    assert call("gemeente_audit_verify", town["officer"])["ok"] is True


def test_wrong_transition_lists_the_allowed_ones(town: Town) -> None:
    ds = town.dataset()
    with pytest.raises(tk.ValidationError) as err:
        town.publish(ds)
    message = err.value.error_dict["state"][0]
    assert "publish" in message and "concept" in message
    town.submit(ds)
    with pytest.raises(tk.ValidationError) as err:
        town.submit(ds)
    message = err.value.error_dict["state"][0]
    assert "Allowed now" in message or "No step is allowed" in message


def test_decide_bad_input_is_field_level(town: Town) -> None:
    ds = town.dataset()
    town.submit(ds)
    with pytest.raises(tk.ValidationError) as err:
        call("gemeente_review_decide", town["officer"], id=ds["id"], decision="maybe")
    assert "decision" in err.value.error_dict
    with pytest.raises(tk.ValidationError) as err:
        call("gemeente_review_decide", town["officer"], id=ds["id"], decision="approve",
             checklist={"personal_data": True, "measure": "niet_nodig", "dpia": "nodig"})
    errors = err.value.error_dict
    assert {"legal_basis", "measure", "dpia", "retention"} <= set(errors)
    with pytest.raises(tk.ValidationError) as err:
        call("gemeente_review_decide", town["officer"], id=ds["id"], decision="reject",
             checklist={})
    assert "comment" in err.value.error_dict
    with pytest.raises(tk.ValidationError) as err:
        call("gemeente_review_decide", town["officer"], id=ds["id"], decision="approve",
             checklist={**APPROVE_CHECKLIST, "bsn": "misschien", "kleur": "blauw"})
    assert "bsn" in err.value.error_dict and "checklist" in err.value.error_dict
    assert town.state(ds) == "ingediend"  # nothing was recorded


def test_nobody_approves_or_publishes_their_own_submission(town: Town) -> None:
    ds = town.dataset()
    # the officer is also an editor of the department and submits: may not approve it
    call("member_create", None, id=town.org["id"], object=town["officer"]["name"],
         object_type="user", capacity="editor")
    call("gemeente_review_submit", town["officer"], id=ds["id"])
    with pytest.raises(tk.NotAuthorized):
        town.approve(ds, officer="officer")
    town.approve(ds, officer="officer2")
    # the coordinator submits a resubmission elsewhere: may not publish own submission
    ds2 = town.dataset("afvalbakken")
    call("member_create", None, id=town.org["id"], object=town["coordinator"]["name"],
         object_type="user", capacity="editor")
    call("gemeente_review_submit", town["coordinator"], id=ds2["id"])
    town.approve(ds2)
    with pytest.raises(tk.NotAuthorized):
        town.publish(ds2)


def test_roles_are_needed_and_sysadmin_is_not_an_officer(town: Town) -> None:
    ds = town.dataset()
    town.submit(ds)
    for who in ("editor", "org_admin", "coordinator", "sysadmin", "user"):
        with pytest.raises(tk.NotAuthorized):
            town.approve(ds, officer=who)
    town.approve(ds)
    for who in ("editor", "org_admin", "officer", "sysadmin", "user"):
        with pytest.raises(tk.NotAuthorized):
            call("gemeente_review_publish", town[who], id=ds["id"])
    with pytest.raises(tk.NotAuthorized):
        call("gemeente_review_submit", town["user"], id=ds["id"])


@pytest.mark.ckan_config("ckanext.gemeente.privacy.second_reviewer", "true")
def test_second_reviewer(town: Town) -> None:
    ds = town.dataset()
    town.submit(ds)
    assert town.approve(ds)["state"] == "eerste_goedkeuring"
    with pytest.raises(tk.NotAuthorized):
        town.approve(ds)  # the same officer again
    assert town.approve(ds, officer="officer2")["state"] == "privacy_goedgekeurd"


def test_organization_scoped_officer(town: Town) -> None:
    from ckan.tests import factories

    scoped = factories.User(name="fg-burgerzaken")
    call("gemeente_review_role_grant", town["sysadmin"], user=scoped["name"],
         role="privacy_officer", organization=town.other_org["name"])
    ds = town.dataset()
    town.submit(ds)
    with pytest.raises(tk.NotAuthorized):
        call("gemeente_review_decide", scoped, id=ds["id"], decision="approve",
             checklist=APPROVE_CHECKLIST)
    queue = call("gemeente_review_queue", scoped)
    assert queue["count"] == 0
    with pytest.raises(tk.NotAuthorized):
        call("package_show", scoped, id=ds["id"])
    assert call("package_show", town["officer"], id=ds["id"])["id"] == ds["id"]


def test_override_needs_a_reason_and_is_audited(town: Town) -> None:
    ds = town.dataset()
    with pytest.raises(tk.ValidationError) as err:
        call("gemeente_review_override", town["sysadmin"], id=ds["id"],
             to_state="gepubliceerd", reason="")
    assert "reason" in err.value.error_dict
    with pytest.raises(tk.NotAuthorized):
        call("gemeente_review_override", town["coordinator"], id=ds["id"],
             to_state="gepubliceerd", reason="spoed")
    shown = call("gemeente_review_override", town["sysadmin"], id=ds["id"],
                 to_state="gepubliceerd", reason="Raadsbesluit 2024-118: direct openbaar")
    assert shown["state"] == "gepubliceerd"
    assert call("package_show", None, id=ds["id"])["private"] is False
    last = shown["history"][-1]
    assert (last["step"], last["role"], last["comment"]) == (
        "override", "sysadmin", "Raadsbesluit 2024-118: direct openbaar")
    shown = call("gemeente_review_withdraw", town["coordinator"], id=ds["id"],
                 reason="Klacht over herleidbaarheid")
    assert shown["state"] == "ingetrokken"
    assert call("package_show", None, id=ds["id"])["private"] is True


def test_withdraw_needs_reason(town: Town) -> None:
    ds = town.published()
    with pytest.raises(tk.ValidationError) as err:
        call("gemeente_review_withdraw", town["coordinator"], id=ds["id"])
    assert "reason" in err.value.error_dict
    with pytest.raises(tk.NotAuthorized):
        call("gemeente_review_withdraw", town["editor"], id=ds["id"], reason="weg")


def test_queue_filters_counts_and_age(town: Town) -> None:
    from ckan import model

    from ckanext.gemeente.privacy import model as pmodel

    a = town.dataset("meldingen-a", title="Meldingen A")
    b = town.dataset("bomen-b", title="Bomenregister B")
    town.dataset("concept-c")
    town.submit(a)
    town.submit(b)
    town.approve(b)
    review = pmodel.get_review(a["id"])
    review.state_changed = review.state_changed.replace(year=review.state_changed.year - 1)
    model.Session.commit()
    queue = call("gemeente_review_queue", town["officer"])
    assert queue["count"] == 2
    assert [r["name"] for r in queue["results"]] == ["meldingen-a", "bomen-b"]
    assert queue["results"][0]["age_days"] >= 365
    assert queue["results"][0]["submitted_by"] == "redacteur"
    assert queue["counts"] == {"ingediend": 1, "privacy_goedgekeurd": 1, "concept": 1}
    assert call("gemeente_review_queue", town["officer"], state="ingediend")["count"] == 1
    assert call("gemeente_review_queue", town["officer"], min_age_days=30)["count"] == 1
    assert call("gemeente_review_queue", town["officer"], q="bomen")["count"] == 1
    assert call("gemeente_review_queue", town["officer"],
                organization=town.other_org["name"])["count"] == 0
    with pytest.raises(tk.ValidationError) as err:
        call("gemeente_review_queue", town["officer"], state="klaar", rows="veel")
    assert {"state", "rows"} <= set(err.value.error_dict)
    for who in ("editor", "user"):
        with pytest.raises(tk.NotAuthorized):
            call("gemeente_review_queue", town[who])


def test_queue_pages_merge_states_and_pending_changes(town: Town) -> None:
    """The page is merged from each state and the pending changes in one order (oldest
    first), paged consistently; deleted datasets and concepts stay out of the list."""
    import datetime as dt

    from ckan import model

    from ckanext.gemeente.privacy import model as pmodel

    now = pmodel.utcnow()
    a = town.dataset("queue-a", title="Queue A")
    b = town.dataset("queue-b", title="Queue B")
    c = town.published("queue-c", title="Queue C")
    d = town.dataset("queue-d", title="Queue D")
    town.dataset("queue-e", title="Queue E")
    for ds in (a, b, d):
        town.submit(ds)
    town.approve(b)
    call("resource_create", town["editor"], package_id=c["id"], name="Nieuw",
         url="https://data.zaanstad.example.nl/mor/nieuw.csv", format="CSV")
    call("package_delete", town["sysadmin"], id=d["id"])
    ages = {a["id"]: 5, b["id"]: 1, d["id"]: 9}
    for pkg_id, days in ages.items():
        pmodel.get_review(pkg_id).state_changed = now - dt.timedelta(days=days)
    pmodel.get_pending(c["id"]).state_changed = now - dt.timedelta(days=3)
    model.Session.commit()

    queue = call("gemeente_review_queue", town["officer"])
    assert [(r["name"], r["state"], r["pending"], r["dataset_state"])
            for r in queue["results"]] == [
        ("queue-a", "ingediend", False, "ingediend"),
        ("queue-c", "ingediend", True, "gepubliceerd"),
        ("queue-b", "privacy_goedgekeurd", False, "privacy_goedgekeurd")]
    assert queue["count"] == 3
    assert queue["counts"] == {"ingediend": 2, "privacy_goedgekeurd": 1, "concept": 1}
    assert [r["age_days"] for r in queue["results"]] == [5, 3, 1]
    assert {r["organization"]["name"] for r in queue["results"]} == {town.org["name"]}
    paged = [call("gemeente_review_queue", town["officer"], start=i, rows=1)
             for i in range(4)]
    assert [[r["name"] for r in p["results"]] for p in paged] == [
        ["queue-a"], ["queue-c"], ["queue-b"], []]
    assert {p["count"] for p in paged} == {3}
    old = call("gemeente_review_queue", town["officer"], min_age_days=2)
    assert [r["name"] for r in old["results"]] == ["queue-a", "queue-c"]
    assert old["count"] == 2 and old["counts"] == {"ingediend": 2}
    approved = call("gemeente_review_queue", town["officer"], state="privacy_goedgekeurd")
    assert [r["name"] for r in approved["results"]] == ["queue-b"]
    assert approved["count"] == 1
    found = call("gemeente_review_queue", town["officer"], q="queue c")
    assert [r["name"] for r in found["results"]] == ["queue-c"]
    none = call("gemeente_review_queue", town["officer"], rows=0)
    assert none["results"] == [] and none["count"] == 3
    # the filtered counts (one join) and the unfiltered ones (from the index) agree
    in_org = call("gemeente_review_queue", town["officer"], organization=town.org["name"])
    assert in_org["counts"] == queue["counts"] and in_org["results"] == queue["results"]


def test_purged_dataset_leaves_the_queue_and_keeps_its_audit(town: Town) -> None:
    from ckanext.gemeente.privacy import model as pmodel

    ds = town.dataset("weg-ermee")
    town.submit(ds)
    c = town.published("blijft")
    call("resource_create", town["editor"], package_id=c["id"], name="Nieuw",
         url="https://data.zaanstad.example.nl/mor/nieuw.csv", format="CSV")
    assert call("gemeente_review_queue", town["officer"])["count"] == 2
    call("dataset_purge", town["sysadmin"], id=ds["id"])
    call("dataset_purge", town["sysadmin"], id=c["id"])
    assert pmodel.get_review(ds["id"]) is None and pmodel.get_pending(c["id"]) is None
    queue = call("gemeente_review_queue", town["officer"])
    assert (queue["count"], queue["results"], queue["counts"]) == (0, [], {})
    verified = call("gemeente_audit_verify", town["officer"])
    assert verified["ok"] and verified["count"] >= 5


def test_role_actions(town: Town) -> None:
    roles = call("gemeente_review_role_list", town["sysadmin"], role="privacy_officer")
    assert {r["user"] for r in roles} == {"privacy-officer", "privacy-officer-2"}
    with pytest.raises(tk.NotAuthorized):
        call("gemeente_review_role_grant", town["officer"], user="inwoner", role="coordinator")
    with pytest.raises(tk.ValidationError) as err:
        call("gemeente_review_role_grant", town["sysadmin"], user="niemand", role="baas")
    assert {"user", "role"} <= set(err.value.error_dict) or "role" in err.value.error_dict
    call("gemeente_review_role_revoke", town["sysadmin"], user="privacy-officer-2",
         role="privacy_officer")
    with pytest.raises(tk.ObjectNotFound):
        call("gemeente_review_role_revoke", town["sysadmin"], user="privacy-officer-2",
             role="privacy_officer")
    assert call("gemeente_review_role_list", town["officer"], user="privacy-officer")


def test_audit_export_csv_and_json(town: Town) -> None:
    ds = town.published()
    today = ds["metadata_modified"][:10]
    out = call("gemeente_audit_export", town["officer"], **{"from": today, "to": today,
                                                           "format": "json"})
    rows = json.loads(out["content"])
    assert out["count"] == 3 and [r["step"] for r in rows] == ["submit", "approve", "publish"]
    assert out["last_hash"] == rows[-1]["hash"]
    out = call("gemeente_audit_export", town["officer"], **{"from": today, "to": today,
                                                           "format": "csv"})
    assert out["content"].splitlines()[0].startswith("seq,package_id,step")
    assert len(out["content"].strip().splitlines()) == 4
    empty = call("gemeente_audit_export", town["officer"],
                 **{"from": "2001-01-01", "to": "2001-12-31", "format": "csv"})
    assert empty["count"] == 0
    with pytest.raises(tk.ValidationError) as err:
        call("gemeente_audit_export", town["officer"],
             **{"from": "gisteren", "to": "2001-01-01", "format": "xml"})
    assert {"from", "format"} <= set(err.value.error_dict)
    with pytest.raises(tk.NotAuthorized):
        call("gemeente_audit_export", town["editor"],
             **{"from": today, "to": today, "format": "csv"})


def test_review_show_auth(town: Town) -> None:
    ds = town.dataset()
    for who in ("editor", "org_admin", "officer", "coordinator", "sysadmin"):
        assert call("gemeente_review_show", town[who], id=ds["id"])["state"] == "concept"
    with pytest.raises(tk.NotAuthorized):
        call("gemeente_review_show", town["user"], id=ds["id"])
    with pytest.raises(tk.ObjectNotFound):
        call("gemeente_review_show", town["officer"], id="bestaat-niet")
    with pytest.raises(tk.ValidationError):
        call("gemeente_review_show", town["officer"])
