"""The review workflow of a dataset as a pure state machine (no CKAN imports).

States (Dutch keys, as stored and indexed)::

    concept --submit--> ingediend --approve--> privacy_goedgekeurd --publish--> gepubliceerd
                            |  \\--request_changes--> wijziging_gevraagd --submit--> ingediend
                            \\----reject--> afgewezen --submit--> ingediend
    any state --withdraw--> ingetrokken --submit--> ingediend   (coordinator, sysadmin)

Configurable steps (:class:`WorkflowConfig`):

- ``second_reviewer``: the first approval leads to ``eerste_goedkeuring``; a second privacy
  officer (not the first) approves to ``privacy_goedgekeurd``.
- ``skip_coordinator_for_open``: for a dataset that is open (``openbaar``) and holds no
  personal data the (last) approval publishes directly (``gepubliceerd``).

Who may take a step is a *role*: ``editor`` (a member of the dataset's organization with edit
rights), ``privacy_officer``, ``coordinator`` (granted roles) and ``sysadmin``. The
``override`` step (any state to any state) is for sysadmins only and needs a reason (the
caller checks the reason; this module only knows states and roles). Separation of duties:
nobody approves or publishes a submission of their own, and the second approval must come
from another officer than the first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

CONCEPT = "concept"
SUBMITTED = "ingediend"
FIRST_APPROVAL = "eerste_goedkeuring"
APPROVED = "privacy_goedgekeurd"
CHANGES_REQUESTED = "wijziging_gevraagd"
REJECTED = "afgewezen"
PUBLISHED = "gepubliceerd"
WITHDRAWN = "ingetrokken"

STATES: tuple[str, ...] = (
    CONCEPT,
    SUBMITTED,
    FIRST_APPROVAL,
    APPROVED,
    CHANGES_REQUESTED,
    REJECTED,
    PUBLISHED,
    WITHDRAWN,
)

#: Dutch and English label of every state (the plugin passes them through ``tk._``).
STATE_LABELS: dict[str, tuple[str, str]] = {
    CONCEPT: ("Concept", "Draft"),
    SUBMITTED: ("Ingediend", "Submitted"),
    FIRST_APPROVAL: ("Eerste goedkeuring", "First approval"),
    APPROVED: ("Privacy goedgekeurd", "Privacy approved"),
    CHANGES_REQUESTED: ("Wijziging gevraagd", "Changes requested"),
    REJECTED: ("Afgewezen", "Rejected"),
    PUBLISHED: ("Gepubliceerd", "Published"),
    WITHDRAWN: ("Ingetrokken", "Withdrawn"),
}

#: States in which a dataset waits for a privacy officer or a coordinator.
UNDER_REVIEW: frozenset[str] = frozenset({SUBMITTED, FIRST_APPROVAL, APPROVED})

EDITOR = "editor"
PRIVACY_OFFICER = "privacy_officer"
COORDINATOR = "coordinator"
SYSADMIN = "sysadmin"
#: Roles stored in the plugin's table (``editor`` comes from CKAN's organization membership).
GRANTABLE_ROLES: tuple[str, ...] = (PRIVACY_OFFICER, COORDINATOR)
ROLES: tuple[str, ...] = (EDITOR, PRIVACY_OFFICER, COORDINATOR, SYSADMIN)

SUBMIT = "submit"
APPROVE = "approve"
REQUEST_CHANGES = "request_changes"
REJECT = "reject"
PUBLISH = "publish"
WITHDRAW = "withdraw"
OVERRIDE = "override"
DECISIONS: tuple[str, ...] = (APPROVE, REQUEST_CHANGES, REJECT)
STEPS: tuple[str, ...] = (SUBMIT, APPROVE, REQUEST_CHANGES, REJECT, PUBLISH, WITHDRAW, OVERRIDE)


@dataclass(frozen=True)
class Transition:
    """One possible step: ``step`` takes a dataset from ``from_state`` to ``to_state``."""

    step: str
    from_state: str
    to_state: str
    roles: tuple[str, ...]
    not_by_submitter: bool = False
    not_by_first_approver: bool = False

    def as_dict(self) -> dict[str, object]:
        return {
            "step": self.step,
            "from_state": self.from_state,
            "to_state": self.to_state,
            "roles": list(self.roles),
        }

    def __str__(self) -> str:
        return f"{self.step}: {self.from_state} -> {self.to_state}"


@dataclass(frozen=True)
class WorkflowConfig:
    second_reviewer: bool = False
    skip_coordinator_for_open: bool = False


class WorkflowError(Exception):
    """A step that may not be taken now. ``allowed`` lists the transitions that may."""

    def __init__(self, message: str, state: str, step: str,
                 allowed: Iterable[Transition] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.state = state
        self.step = step
        self.allowed = list(allowed)


class TransitionError(WorkflowError):
    """The step does not exist from this state (or not for the caller's roles)."""


class RoleError(WorkflowError):
    """The step exists from this state, but the caller lacks the role for it."""


class SeparationError(WorkflowError):
    """The caller would approve or publish their own submission (or approve twice)."""


class Workflow:
    """The transitions under a :class:`WorkflowConfig`."""

    def __init__(self, config: WorkflowConfig | None = None) -> None:
        self.config = config or WorkflowConfig()

    def transitions(self, *, open_without_personal_data: bool = False) -> list[Transition]:
        """Every transition (``override`` excluded) for a dataset of this kind."""
        cfg = self.config
        skip = cfg.skip_coordinator_for_open and open_without_personal_data
        final_approval = PUBLISHED if skip else APPROVED
        officer = (PRIVACY_OFFICER,)
        out = [
            Transition(SUBMIT, state, SUBMITTED, (EDITOR,))
            for state in (CONCEPT, CHANGES_REQUESTED, REJECTED, WITHDRAWN)
        ]
        if cfg.second_reviewer:
            out.append(Transition(APPROVE, SUBMITTED, FIRST_APPROVAL, officer,
                                  not_by_submitter=True))
            out.append(Transition(APPROVE, FIRST_APPROVAL, final_approval, officer,
                                  not_by_submitter=True, not_by_first_approver=True))
            review_states: tuple[str, ...] = (SUBMITTED, FIRST_APPROVAL)
        else:
            out.append(Transition(APPROVE, SUBMITTED, final_approval, officer,
                                  not_by_submitter=True))
            review_states = (SUBMITTED,)
        for state in review_states:
            out.append(Transition(REQUEST_CHANGES, state, CHANGES_REQUESTED, officer))
            out.append(Transition(REJECT, state, REJECTED, officer))
        out.append(Transition(PUBLISH, APPROVED, PUBLISHED, (COORDINATOR,),
                              not_by_submitter=True))
        for state in STATES:
            if state != WITHDRAWN:
                out.append(Transition(WITHDRAW, state, WITHDRAWN, (COORDINATOR, SYSADMIN)))
        return out

    def from_state(self, state: str, *, open_without_personal_data: bool = False
                   ) -> list[Transition]:
        return [t for t in self.transitions(open_without_personal_data=open_without_personal_data)
                if t.from_state == state]

    def allowed(self, state: str, roles: Iterable[str], *, actor: str | None = None,
                submitted_by: str | None = None, first_approver: str | None = None,
                open_without_personal_data: bool = False) -> list[Transition]:
        """The transitions from ``state`` that a holder of ``roles`` may take now."""
        roles = set(roles)
        out = []
        for t in self.from_state(state, open_without_personal_data=open_without_personal_data):
            if not roles.intersection(t.roles):
                continue
            if actor and t.not_by_submitter and submitted_by == actor:
                continue
            if actor and t.not_by_first_approver and first_approver == actor:
                continue
            out.append(t)
        return out

    def check(self, state: str, step: str, roles: Iterable[str], *, actor: str | None = None,
              submitted_by: str | None = None, first_approver: str | None = None,
              open_without_personal_data: bool = False) -> Transition:
        """The transition ``step`` from ``state`` for the caller, or a :class:`WorkflowError`."""
        if state not in STATES:
            raise TransitionError(f"unknown state {state!r}", state, step)
        roles = set(roles)
        kw = {"open_without_personal_data": open_without_personal_data}
        allowed = self.allowed(state, roles, actor=actor, submitted_by=submitted_by,
                               first_approver=first_approver, **kw)
        for t in self.from_state(state, **kw):
            if t.step != step:
                continue
            if not roles.intersection(t.roles):
                raise RoleError(
                    f"step {step!r} from {state!r} needs the role {' or '.join(t.roles)}",
                    state, step, allowed)
            if actor and t.not_by_submitter and submitted_by == actor:
                raise SeparationError(
                    f"{actor} submitted this dataset and may not {step} it", state, step,
                    allowed)
            if actor and t.not_by_first_approver and first_approver == actor:
                raise SeparationError(
                    f"{actor} gave the first approval; a second officer must approve",
                    state, step, allowed)
            return t
        raise TransitionError(f"step {step!r} is not possible from {state!r}", state, step,
                              allowed)

    def override(self, state: str, to_state: str, roles: Iterable[str]) -> Transition:
        """A sysadmin's override from any state to any other state."""
        if SYSADMIN not in set(roles):
            raise RoleError("override needs the role sysadmin", state, OVERRIDE)
        if to_state not in STATES:
            raise TransitionError(f"unknown state {to_state!r}", state, OVERRIDE)
        if to_state == state:
            raise TransitionError(f"the dataset is already {state!r}", state, OVERRIDE)
        return Transition(OVERRIDE, state, to_state, (SYSADMIN,))


def is_public_state(state: str) -> bool:
    """Only a published dataset may be public."""
    return state == PUBLISHED
