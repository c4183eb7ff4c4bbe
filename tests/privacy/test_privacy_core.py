"""The pure cores: the workflow state machine and the audit hash chain (no CKAN)."""

from __future__ import annotations

import copy
import datetime as dt

import pytest

from ckanext.gemeente.privacy import audit, workflow
from ckanext.gemeente.privacy.workflow import Workflow, WorkflowConfig

E, OF, C, S = workflow.EDITOR, workflow.PRIVACY_OFFICER, workflow.COORDINATOR, workflow.SYSADMIN


def test_default_path_and_roles() -> None:
    wf = Workflow()
    assert wf.check("concept", "submit", {E}).to_state == "ingediend"
    assert wf.check("ingediend", "approve", {OF}, actor="o", submitted_by="e").to_state == \
        "privacy_goedgekeurd"
    assert wf.check("privacy_goedgekeurd", "publish", {C}, actor="c",
                    submitted_by="e").to_state == "gepubliceerd"
    assert wf.check("gepubliceerd", "withdraw", {S}).to_state == "ingetrokken"
    assert wf.check("wijziging_gevraagd", "submit", {E}).to_state == "ingediend"
    with pytest.raises(workflow.RoleError):
        wf.check("ingediend", "approve", {E, C, S})
    with pytest.raises(workflow.RoleError):
        wf.check("privacy_goedgekeurd", "publish", {OF, E, S})


def test_wrong_transition_lists_allowed() -> None:
    wf = Workflow()
    with pytest.raises(workflow.TransitionError) as err:
        wf.check("concept", "publish", {E, C})
    assert [str(t) for t in err.value.allowed] == ["submit: concept -> ingediend",
                                                   "withdraw: concept -> ingetrokken"]
    with pytest.raises(workflow.TransitionError):
        wf.check("bestaat-niet", "submit", {E})


def test_separation_of_duties() -> None:
    wf = Workflow()
    with pytest.raises(workflow.SeparationError):
        wf.check("ingediend", "approve", {OF, E}, actor="u1", submitted_by="u1")
    with pytest.raises(workflow.SeparationError):
        wf.check("privacy_goedgekeurd", "publish", {C}, actor="u1", submitted_by="u1")
    steps = {t.step for t in wf.allowed("ingediend", {OF}, actor="u1", submitted_by="u1")}
    assert steps == {"request_changes", "reject"}


def test_second_reviewer_and_skip_coordinator() -> None:
    wf = Workflow(WorkflowConfig(second_reviewer=True))
    t = wf.check("ingediend", "approve", {OF}, actor="o1", submitted_by="e")
    assert t.to_state == "eerste_goedkeuring"
    with pytest.raises(workflow.SeparationError):
        wf.check("eerste_goedkeuring", "approve", {OF}, actor="o1", submitted_by="e",
                 first_approver="o1")
    assert wf.check("eerste_goedkeuring", "approve", {OF}, actor="o2", submitted_by="e",
                    first_approver="o1").to_state == "privacy_goedgekeurd"
    skip = Workflow(WorkflowConfig(skip_coordinator_for_open=True))
    assert skip.check("ingediend", "approve", {OF}, actor="o",
                      open_without_personal_data=True).to_state == "gepubliceerd"
    assert skip.check("ingediend", "approve", {OF}, actor="o",
                      open_without_personal_data=False).to_state == "privacy_goedgekeurd"
    assert Workflow().check("ingediend", "approve", {OF}, actor="o",
                            open_without_personal_data=True).to_state == "privacy_goedgekeurd"


def test_override_only_sysadmin() -> None:
    wf = Workflow()
    assert wf.override("concept", "gepubliceerd", {S}).step == "override"
    with pytest.raises(workflow.RoleError):
        wf.override("concept", "gepubliceerd", {C, OF})
    with pytest.raises(workflow.TransitionError):
        wf.override("concept", "concept", {S})


def test_only_publish_reaches_published() -> None:
    for cfg in (WorkflowConfig(), WorkflowConfig(second_reviewer=True)):
        for t in Workflow(cfg).transitions():
            if t.to_state == "gepubliceerd":
                assert (t.step, t.roles) == ("publish", (C,))


def _rows(n: int) -> list[dict]:
    prev = audit.GENESIS
    out = []
    start = dt.datetime(2026, 1, 5, 9, 0, 0)
    for i in range(1, n + 1):
        row = {"seq": i, "package_id": f"p{i % 7}", "step": "submit", "actor": "redacteur",
               "role": "editor", "created": start + dt.timedelta(minutes=i),
               "from_state": "concept", "to_state": "ingediend",
               "checklist": audit.canonical_json({"bsn": False, "measure": "geaggregeerd"}),
               "findings": "{}", "content_hash": "ab" * 32, "comment": f"stap {i} – é",
               "target": "dataset"}
        audit.seal(row, prev)
        prev = row["hash"]
        out.append(row)
    return out


def test_chain_intact_and_empty() -> None:
    assert audit.verify([]).ok
    rows = _rows(50)
    result = audit.verify(rows)
    assert result.ok and result.count == 50 and result.last_hash == rows[-1]["hash"]


@pytest.mark.parametrize("tamper, seq", [
    (lambda r: r[9].__setitem__("comment", "anders"), 10),
    (lambda r: r[9].__setitem__("created", r[9]["created"] + dt.timedelta(seconds=1)), 10),
    (lambda r: r.pop(20), 22),
    (lambda r: r.insert(5, r.pop(30)), 31),
    (lambda r: r[0].__setitem__("to_state", "gepubliceerd"), 1),
])
def test_chain_detects_edit_delete_reorder(tamper, seq) -> None:
    rows = copy.deepcopy(_rows(40))
    tamper(rows)
    result = audit.verify(rows)
    assert not result.ok
    assert result.broken_seq == seq
    assert "BROKEN" in result.message()


def test_payload_is_the_canonical_json_array() -> None:
    import json

    for row in _rows(5) + [{"seq": 7, "comment": 'aanhalingsteken " en \\ en \n en ü'}]:
        expected = json.dumps(
            [audit.timestamp(row.get(k)) if k == "created" else row.get(k)
             for k in audit.HASHED_FIELDS], separators=(",", ":"), ensure_ascii=False)
        assert audit.payload(row) == expected
