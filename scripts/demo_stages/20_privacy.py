"""Demo stage of the privacy review (gemeente_privacy): roles, and datasets in every state.

Grants the demo's privacy officers and coordinator their roles, then takes the demo
datasets through the review with the real actions, each step as the user whose step it is:
an editor of the dataset's department submits, a privacy officer decides, the coordinator
publishes or withdraws. The result: datasets in ``concept``, ``ingediend``,
``wijziging_gevraagd``, ``afgewezen``, ``privacy_goedgekeurd``, ``gepubliceerd`` and
``ingetrokken``, so that the review queue of the demo's privacy officer and coordinator
has work in it. Only datasets still in ``concept`` without review steps are moved (and,
in a demo database from before the plugin, datasets adopted as published, which the
sysadmin first overrides back to ``concept``), so a second run (or a demo user's own steps
in between) changes nothing. API tokens of the acting users are made
once with ``ckan user token add`` and kept in ``.dev/demo-token-<user>``.
"""

from __future__ import annotations

import pathlib
from typing import Any

# The review states shown in the demo besides the published majority, in the order they
# are handed out (datasets with personal data first, they are the ones worth reviewing).
SHOWN_STATES = ("ingediend", "wijziging_gevraagd", "privacy_goedgekeurd", "ingetrokken",
                "afgewezen", "concept", "ingediend")
# The steps that lead from concept to each state: (step, who)
PATHS: dict[str, list[tuple[str, str]]] = {
    "concept": [],
    "ingediend": [("submit", "editor")],
    "wijziging_gevraagd": [("submit", "editor"), ("request_changes", "officer")],
    "afgewezen": [("submit", "editor"), ("reject", "officer")],
    "privacy_goedgekeurd": [("submit", "editor"), ("approve", "officer")],
    "gepubliceerd": [("submit", "editor"), ("approve", "officer"), ("publish", "coordinator")],
    "ingetrokken": [("submit", "editor"), ("approve", "officer"), ("publish", "coordinator"),
                    ("withdraw", "coordinator")],
}
NO_PERSONAL_DATA = "geen-persoonsgegevens"


def _people(data: dict[str, Any]) -> tuple[list[str], str | None]:
    """The demo's privacy officers and coordinator, recognised by their description."""
    officers, coordinator = [], None
    for user in data["users"]:
        about = f"{user.get('about', '')} {user.get('fullname', '')}".lower()
        if "privacy officer" in about:
            officers.append(user["name"])
        elif coordinator is None and ("coördinator" in about or "coordinator" in about):
            coordinator = user["name"]
    return officers, coordinator


def _editors(data: dict[str, Any], reviewers: set[str]) -> dict[str, str]:
    """Per department (organization name): a member who edits (editor, else admin)."""
    out: dict[str, str] = {}
    for org in data["organizations"]:
        members = [m for m in org.get("members", []) if m["username"] not in reviewers]
        for role in ("editor", "admin"):
            match = [m["username"] for m in members if m["role"] == role]
            if match:
                out[org["name"]] = match[0]
                break
    return out


def _plan(datasets: list[dict[str, Any]]) -> dict[str, str]:
    """Target state per dataset name: the shown states first, the rest published."""
    personal = [d for d in datasets if d.get("privacy_classification") != NO_PERSONAL_DATA]
    others = [d for d in datasets if d.get("privacy_classification") == NO_PERSONAL_DATA]
    ordered = personal + others
    plan = {d["name"]: "gepubliceerd" for d in datasets}
    # leave at least half of the datasets published so the public portal is not empty
    for dataset, state in zip(ordered[: len(datasets) // 2], SHOWN_STATES, strict=False):
        plan[dataset["name"]] = state
    return plan


def _checklist(dataset: dict[str, Any]) -> dict[str, Any]:
    cls = dataset.get("privacy_classification") or NO_PERSONAL_DATA
    if cls == NO_PERSONAL_DATA:
        return {"personal_data": False, "bsn": False, "measure": "niet_nodig",
                "dpia": "niet_nodig"}
    return {
        "personal_data": True,
        "personal_data_categories": ["locatie"],
        "special_categories": ["gezondheid"] if "gezondheid" in dataset["name"] else [],
        "bsn": False,
        "legal_basis": dataset.get("processing_legal_basis")
        or "AVG art. 6 lid 1 sub e (publieke taak)",
        "measure": "geanonimiseerd" if cls == "geanonimiseerd" else "geaggregeerd",
        "dpia": "uitgevoerd" if "gezondheid" in dataset["name"] else "niet_nodig",
        "retention": "5 jaar na afloop van het kalenderjaar (Selectielijst gemeenten 2020)",
    }


def _step_data(step: str, dataset: dict[str, Any]) -> dict[str, Any]:
    base: dict[str, Any] = {"id": dataset["name"]}
    personal = (dataset.get("privacy_classification") or NO_PERSONAL_DATA) != NO_PERSONAL_DATA
    if step == "submit":
        return dict(base, comment="Graag beoordelen voor publicatie op het open data portaal.")
    if step == "approve":
        return dict(base, decision="approve", checklist=_checklist(dataset),
                    conditions="Alleen per buurt; aantallen onder 10 onderdrukken."
                    if personal else "",
                    comment="Akkoord." if not personal else "Akkoord onder voorwaarden.",
                    # the demo's resource URLs are invented, so the scanner cannot fetch them
                    # and its failed scan blocks approval until someone justifies it
                    justification="Het bestand is handmatig gecontroleerd: de scan kon het "
                                  "niet ophalen.")
    if step == "request_changes":
        return dict(base, decision="request_changes", checklist={},
                    comment="Graag huisnummers en exacte tijdstippen uit de data weglaten.")
    if step == "reject":
        return dict(base, decision="reject", checklist={},
                    comment="Niet publiceren: de aantallen per adres zijn herleidbaar.")
    if step == "publish":
        return dict(base, comment="Gepubliceerd op het open data portaal.")
    if step == "withdraw":
        return dict(base, reason="Bronsysteem vervangen; de dataset is niet meer actueel.")
    raise ValueError(step)


def _token(ckan: Any, dev: pathlib.Path, api: Any, user: str) -> str:
    """An API token of ``user`` (made once, then reused while it works)."""
    path = dev / f"demo-token-{user}"
    if path.exists():
        token = path.read_text().strip()
        try:
            type(api)(token).call("gemeente_review_role_list", user=user)
            return token
        except Exception:  # expired or from an older demo database: make a new one
            pass
    out = ckan("user", "token", "add", user, "demo-privacy").stdout
    token = out.strip().splitlines()[-1].strip()
    path.write_text(token)
    return token


def seed(api: Any, venv: Any, ckan: Any, data: dict[str, Any], ini: pathlib.Path
         ) -> dict[str, int]:
    done = {"roles granted": 0, "review steps": 0}
    if "gemeente_privacy" not in ini.read_text():
        return done
    officers, coordinator = _people(data)
    if not officers or coordinator is None:
        return done
    # datasets from before the plugin get their review record (as an existing portal does)
    ckan("gemeente", "review", "adopt")
    for user, role in [(o, "privacy_officer") for o in officers] + [(coordinator,
                                                                      "coordinator")]:
        if not api.call("gemeente_review_role_list", user=user, role=role):
            api.call("gemeente_review_role_grant", user=user, role=role)
            done["roles granted"] += 1

    dev = ini.parent
    editors = _editors(data, set(officers) | {coordinator})
    apis: dict[str, Any] = {}

    def as_user(name: str | None) -> Any:
        if name is None:
            return api  # the sysadmin edits every department
        if name not in apis:
            apis[name] = type(api)(_token(ckan, dev, api, name))
        return apis[name]

    plan = _plan(data["datasets"])
    for dataset in data["datasets"]:
        target = plan[dataset["name"]]
        try:
            review = api.call("gemeente_review_show", id=dataset["name"])
        except Exception:  # the base seed did not create it
            continue
        steps = {entry["step"] for entry in review["history"]}
        if target == review["state"]:
            continue
        if review["state"] == "gepubliceerd" and steps <= {"adopt"}:
            # a demo database from before the plugin: its datasets were adopted as published;
            # the sysadmin's override (with its reason in the audit trail) starts them over
            api.call("gemeente_review_override", id=dataset["name"], to_state="concept",
                     reason="Demo: terug naar concept om de privacytoets te laten zien")
            done["review steps"] += 1
        elif review["state"] != "concept" or steps - {"adopt"}:
            continue  # already moved (by an earlier run or by a demo user)
        who = {"editor": editors.get(dataset.get("owner_org", "")),
               "officer": officers[0], "coordinator": coordinator}
        for step, actor in PATHS[target]:
            action = {"submit": "gemeente_review_submit", "publish": "gemeente_review_publish",
                      "withdraw": "gemeente_review_withdraw"}.get(step, "gemeente_review_decide")
            as_user(who[actor]).call(action, **_step_data(step, dataset))
            done["review steps"] += 1
    return done
