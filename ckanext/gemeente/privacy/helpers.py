"""Template helpers of the privacy review: state labels and badges, the checklist's choices.

Registered by ``@tk.blanket.helpers``, which exports the names in ``__all__``. The English
texts are msgids of the suite's ``nl`` catalogue: Dutch portals show the Dutch labels.
"""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk

from . import model as pmodel
from . import workflow
from .logic import core, schema

__all__ = [
    "gemeente_review_state_label",
    "gemeente_review_state_class",
    "gemeente_review_state",
    "gemeente_review_state_options",
    "gemeente_review_transition_label",
    "gemeente_review_choices",
    "gemeente_review_risk_class",
    "gemeente_review_age",
    "gemeente_review_role_label",
    "gemeente_review_value_label",
]

def N_(text: str) -> str:
    """Marks a msgid for extraction; translated where it is shown (``tk._``)."""
    return text


# badge class of each state (the labels are workflow.STATE_LABELS)
_STATE_CLASSES: dict[str, str] = {
    workflow.CONCEPT: "bg-secondary",
    workflow.SUBMITTED: "bg-info",
    workflow.FIRST_APPROVAL: "bg-info",
    workflow.CHANGES_REQUESTED: "bg-warning",
    workflow.REJECTED: "bg-danger",
    workflow.APPROVED: "bg-primary",
    workflow.PUBLISHED: "bg-success",
    workflow.WITHDRAWN: "bg-dark",
}

_TRANSITIONS = {
    "submit": N_("Submit for review"),
    "approve": N_("Approve"),
    "request_changes": N_("Request changes"),
    "reject": N_("Reject"),
    "publish": N_("Publish"),
    "withdraw": N_("Withdraw"),
    "override": N_("Override (sysadmin)"),
}

_ROLES = {
    "privacy_officer": N_("Privacy officer"),
    "coordinator": N_("Open data coordinator"),
    "editor": N_("Editor"),
    "sysadmin": N_("Sysadmin"),
}

# the checklist's choice lists: value -> English label
_CHOICES: dict[str, list[tuple[str, str]]] = {
    "personal_data_categories": [
        ("naw", N_("Name and address")),
        ("contact", N_("Contact details (e-mail, phone)")),
        ("geboortedatum", N_("Date of birth or age")),
        ("locatie", N_("Location data (address, coordinates)")),
        ("financieel", N_("Financial data")),
        ("kenteken", N_("Licence plates")),
        ("beeld", N_("Images or recordings")),
    ],
    "special_categories": [
        ("gezondheid", N_("Health")),
        ("etniciteit", N_("Racial or ethnic origin")),
        ("politiek", N_("Political opinions")),
        ("religie", N_("Religious or philosophical beliefs")),
        ("vakbond", N_("Trade union membership")),
        ("genetisch", N_("Genetic or biometric data")),
        ("seksualiteit", N_("Sex life or sexual orientation")),
        ("strafrechtelijk", N_("Criminal convictions and offences")),
    ],
    # the action's schema lists the values; a value without a label here shows as it is
    "measure": [(v, {
        "geanonimiseerd": N_("Anonymised"),
        "gepseudonimiseerd": N_("Pseudonymised"),
        "geaggregeerd": N_("Aggregated, small cells suppressed"),
        "niet_nodig": N_("None needed"),
    }.get(v, v)) for v in schema.MEASURES],
    "dpia": [(v, {
        "niet_nodig": N_("Not needed"),
        "nodig": N_("Needed (not done yet)"),
        "uitgevoerd": N_("Done"),
    }.get(v, v)) for v in schema.DPIA],
    "legal_basis": [
        ("wettelijke_taak", N_("Public task (GDPR art. 6(1)(e))")),
        ("wettelijke_plicht", N_("Legal obligation (GDPR art. 6(1)(c))")),
        ("toestemming", N_("Consent (GDPR art. 6(1)(a))")),
        ("gerechtvaardigd_belang", N_("Legitimate interest (GDPR art. 6(1)(f))")),
        ("niet_van_toepassing", N_("Not applicable (no personal data)")),
    ],
}


def gemeente_review_state_label(state: str | None) -> str:
    """The Dutch (or English) label of a review state; unknown states as they are."""
    if not state:
        return ""
    return core.state_label(state)


def gemeente_review_state_class(state: str | None) -> str:
    """The Bootstrap badge class of a review state."""
    return _STATE_CLASSES.get(state or "", "bg-secondary")


def gemeente_review_state(package: dict[str, Any] | None) -> str | None:
    """The review state of a dataset shown on a page or in search results (for its badge).

    Package dicts from ``package_show``/``package_search`` do not carry it (the index has it
    only as the ``review_state`` facet), so it is read from the dataset's review record; the
    caller already sees the dataset, and the badge shows nothing more than its state.
    """
    if not package:
        return None
    if package.get("review_state"):
        return str(package["review_state"])
    if not package.get("id"):
        return None
    review = pmodel.get_review(str(package["id"]))
    return review.state if review is not None else None


def gemeente_review_state_options(states: list[str] | None = None) -> list[dict[str, str]]:
    """``[{value, text}]`` of review states for a select (all states by default)."""
    states = states or list(workflow.STATES)
    return [{"value": s, "text": gemeente_review_state_label(s)} for s in states]


def gemeente_review_transition_label(transition: str) -> str:
    label = _TRANSITIONS.get(transition)
    return tk._(label) if label else transition


def gemeente_review_role_label(role: str) -> str:
    label = _ROLES.get(role)
    return tk._(label) if label else role


def gemeente_review_choices(field: str) -> list[dict[str, str]]:
    """``[{value, text}]`` of a checklist field with a fixed list of answers."""
    return [{"value": value, "text": tk._(text)} for value, text in _CHOICES.get(field, [])]


def gemeente_review_value_label(field: str, value: Any) -> str:
    """The label of one checklist answer (history and summaries)."""
    if isinstance(value, bool):
        return tk._("Yes") if value else tk._("No")
    if isinstance(value, list):
        return ", ".join(gemeente_review_value_label(field, v) for v in value)
    for choice, text in _CHOICES.get(field, []):
        if choice == value:
            return tk._(text)
    return "" if value is None else str(value)


def gemeente_review_risk_class(risk: str | None) -> str:
    """Badge class of a finding's risk (hoog | midden | laag | geen | fout)."""
    return {
        "hoog": "bg-danger",
        "midden": "bg-warning",
        "laag": "bg-info",
        "geen": "bg-success",
        "fout": "bg-dark",
    }.get(risk or "", "bg-secondary")


def gemeente_review_age(days: Any) -> str:
    """``3 dagen`` / ``1 dag`` / ``vandaag`` for an age in whole days."""
    try:
        n = int(days)
    except (TypeError, ValueError):
        return ""
    if n <= 0:
        return tk._("today")
    return tk._("1 day") if n == 1 else tk._("{n} days").format(n=n)


def get_helpers() -> dict[str, Any]:
    """The helpers for a plugin that lists them itself (``ITemplateHelpers``)."""
    return {name: globals()[name] for name in __all__}
