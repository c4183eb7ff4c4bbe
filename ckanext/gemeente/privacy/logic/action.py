"""The review's actions (``gemeente_review_*``, ``gemeente_audit_*``).

Each step validates its input (field-level errors), checks the auth function of the same
name, asks the state machine (:mod:`..workflow`) whether the caller may take it now, records
it in the audit trail and only then changes the dataset. A dataset becomes public only here
(publish, the open-data shortcut of a configured workflow, or a sysadmin's override).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Any

import sqlalchemy as sa
from ckan import model
from ckan.plugins import toolkit as tk

from .. import audit, notify, workflow
from .. import model as pmodel
from . import core, pending, schema

Context = dict[str, Any]


# --- shared ----------------------------------------------------------------------------

def _user(context: Context) -> model.User:
    user = core.user_object(context)
    if user is None:
        raise tk.NotAuthorized(tk._("You must be logged in"))
    return user


def _workflow_error(err: workflow.WorkflowError) -> Exception:
    allowed = ", ".join(f"{t.step} ({t.from_state} -> {t.to_state})" for t in err.allowed)
    if isinstance(err, workflow.SeparationError):
        return tk.NotAuthorized(tk._(
            "Nobody approves or publishes their own submission; a second officer must "
            "approve after the first"))
    if isinstance(err, workflow.RoleError):
        return tk.NotAuthorized(tk._("You do not have the role needed for this step"))
    message = tk._("Step {step} is not possible from state {state}.").format(
        step=err.step, state=err.state)
    message += " " + (tk._("Allowed now: {allowed}").format(allowed=allowed) if allowed
                      else tk._("No step is allowed to you now."))
    error = tk.ValidationError({"state": [message]})
    error.allowed = [t.as_dict() for t in err.allowed]  # type: ignore[attr-defined]
    return error


def _target(review: pmodel.Review, pkg: model.Package
            ) -> tuple[Any, str, pmodel.PendingChange | None]:
    """The record a step applies to: the pending change of a published dataset, if any."""
    pend = pmodel.get_pending(pkg.id)
    if pend is not None and review.state == workflow.PUBLISHED:
        return pend, "pending", pend
    return review, "dataset", None


def _pending_view(pkg_dict: dict[str, Any], pend: pmodel.PendingChange | None
                  ) -> dict[str, Any]:
    """The dataset as it would be with the pending change's package fields applied."""
    if pend is None:
        return pkg_dict
    merged = dict(pkg_dict)
    for op in pend.operations_list():
        if op["op"] == "package_patch":
            merged.update({k: v for k, v in op["data"].items() if k != "resources"})
    return merged


def _check(context: Context, step: str, target: Any, roles: set[str], user: model.User,
           pkg_dict: dict[str, Any]) -> workflow.Transition:
    wf = core.get_workflow()
    try:
        return wf.check(target.state, step, roles, actor=user.id,
                        submitted_by=target.submitted_by, first_approver=target.first_approver,
                        open_without_personal_data=core.open_without_personal_data(pkg_dict))
    except workflow.WorkflowError as err:
        raise _workflow_error(err) from None


def _finish(context: Context, pkg: model.Package, entry: pmodel.AuditEntry, step: str,
            to_state: str, target: str) -> dict[str, Any]:
    entry_dict = entry.as_dict()
    model.Session.commit()
    core.reindex(pkg.id)
    pkg_dict = core.package_dict(pkg.id)
    notify.after_step(context, pkg.id, step, to_state, target=target, entry=entry_dict)
    core.after_transition(context, pkg_dict, entry_dict)
    return gemeente_review_show(dict(context), {"id": pkg.id})


def _load(context: Context, data: dict[str, Any], auth: str
          ) -> tuple[model.Package, pmodel.Review, model.User, set[str]]:
    pkg = core.get_package(data["id"])
    tk.check_access(auth, context, dict(data, id=pkg.id))
    user = _user(context)
    review = core.get_review(pkg)
    assert review is not None
    return pkg, review, user, core.roles_for(user, pkg)


# --- steps -----------------------------------------------------------------------------

def gemeente_review_submit(context: Context, data_dict: dict[str, Any]) -> dict[str, Any]:
    """Submit a dataset (or its pending change) for review. ``{id, comment?}``"""
    data = schema.validate_simple(data_dict)
    pkg, review, user, roles = _load(context, data, "gemeente_review_submit")
    target, kind, _pend = _target(review, pkg)
    pkg_dict = core.package_dict(pkg.id)
    t = _check(context, workflow.SUBMIT, target, roles, user, pkg_dict)
    entry = core.audit_row(pkg.id, workflow.SUBMIT, user, core.primary_role(roles, t.step),
                           target.state, t.to_state, comment=data["comment"], target=kind,
                           chash=core.content_hash(pkg.id, pkg_dict))
    now = pmodel.utcnow()
    target.state = t.to_state
    target.state_changed = now
    target.submitted_by = user.id
    target.first_approver = None
    if kind == "dataset":
        review.submitted_at = now
    return _finish(context, pkg, entry, t.step, t.to_state, kind)


def gemeente_review_decide(context: Context, data_dict: dict[str, Any]) -> dict[str, Any]:
    """A privacy officer's decision. ``{id, decision, checklist, conditions?, comment?,
    justification?}`` with ``decision`` one of approve, request_changes, reject."""
    data = schema.validate_decide(data_dict)
    pkg, review, user, roles = _load(context, data, "gemeente_review_decide")
    target, kind, pend = _target(review, pkg)
    pkg_dict = core.package_dict(pkg.id)
    t = _check(context, data["decision"], target, roles, user, _pending_view(pkg_dict, pend))
    findings = core.findings_for(context, pkg_dict)
    blockers: list[str] = []
    if t.step == workflow.APPROVE:
        blockers = core.blockers_for(context, pkg_dict, findings, data)
        if blockers and not data["justification"]:
            raise tk.ValidationError({"justification": [tk._(
                "Approval is blocked by: {reasons}. Give a written justification to approve "
                "anyway").format(reasons="; ".join(blockers))]})
    summary = core.findings_summary(findings, blockers=blockers,
                                    justification=data["justification"])
    checklist = dict(data["checklist"], conditions=data["conditions"])
    entry = core.audit_row(pkg.id, t.step, user, workflow.PRIVACY_OFFICER, target.state,
                           t.to_state, checklist=checklist, findings=summary,
                           comment=data["comment"], target=kind,
                           chash=core.content_hash(pkg.id, pkg_dict))
    target.state = t.to_state
    target.state_changed = pmodel.utcnow()
    target.checklist = audit.canonical_json(data["checklist"])
    target.conditions = data["conditions"]
    if t.to_state == workflow.FIRST_APPROVAL:
        target.first_approver = user.id
    if pend is not None and t.step == workflow.REJECT:
        pending.discard(pend)
    elif t.to_state == workflow.PUBLISHED:  # skip_coordinator_for_open
        if pend is not None:
            pending.apply(context, pkg, pend)
        else:
            model.Session.flush()
            core.set_private(context, pkg.id, False)
    return _finish(context, pkg, entry, t.step, t.to_state, kind)


def gemeente_review_publish(context: Context, data_dict: dict[str, Any]) -> dict[str, Any]:
    """The coordinator publishes an approved dataset (or applies its approved change)."""
    data = schema.validate_simple(data_dict)
    pkg, review, user, roles = _load(context, data, "gemeente_review_publish")
    target, kind, pend = _target(review, pkg)
    pkg_dict = core.package_dict(pkg.id)
    t = _check(context, workflow.PUBLISH, target, roles, user, pkg_dict)
    entry = core.audit_row(pkg.id, t.step, user, workflow.COORDINATOR, target.state,
                           t.to_state, comment=data["comment"], target=kind,
                           checklist=json.loads(target.checklist or "{}"),
                           chash=core.content_hash(pkg.id, pkg_dict))
    target.state = t.to_state
    target.state_changed = pmodel.utcnow()
    if pend is not None:
        pending.apply(context, pkg, pend)
    else:
        model.Session.flush()
        core.set_private(context, pkg.id, False)
    return _finish(context, pkg, entry, t.step, t.to_state, kind)


def gemeente_review_withdraw(context: Context, data_dict: dict[str, Any]) -> dict[str, Any]:
    """Withdraw a dataset (private again, state ``ingetrokken``). ``{id, reason}``"""
    data = schema.validate_simple(data_dict, reason_field="reason")
    pkg, review, user, roles = _load(context, data, "gemeente_review_withdraw")
    pkg_dict = core.package_dict(pkg.id)
    t = _check(context, workflow.WITHDRAW, review, roles, user, pkg_dict)
    entry = core.audit_row(pkg.id, t.step, user, core.primary_role(roles, t.step),
                           review.state, t.to_state, comment=data["reason"],
                           chash=core.content_hash(pkg.id, pkg_dict))
    review.state = t.to_state
    review.state_changed = pmodel.utcnow()
    pend = pmodel.get_pending(pkg.id)
    if pend is not None:
        pending.discard(pend)
    model.Session.flush()
    if not pkg.private:
        core.set_private(context, pkg.id, True)
    return _finish(context, pkg, entry, t.step, t.to_state, "dataset")


def gemeente_review_override(context: Context, data_dict: dict[str, Any]) -> dict[str, Any]:
    """A sysadmin sets any state, with a written reason (itself a step in the audit)."""
    data = schema.validate_override(data_dict)
    pkg, review, user, roles = _load(context, data, "gemeente_review_override")
    try:
        t = core.get_workflow().override(review.state, data["to_state"], roles)
    except workflow.WorkflowError as err:
        raise _workflow_error(err) from None
    entry = core.audit_row(pkg.id, t.step, user, workflow.SYSADMIN, review.state, t.to_state,
                           comment=data["reason"])
    review.state = t.to_state
    review.state_changed = pmodel.utcnow()
    model.Session.flush()
    want_private = t.to_state != workflow.PUBLISHED
    if bool(pkg.private) != want_private:
        core.set_private(context, pkg.id, want_private)
    return _finish(context, pkg, entry, t.step, t.to_state, "dataset")


# --- reading ---------------------------------------------------------------------------

def _names(user_ids: set[str]) -> dict[str, str]:
    ids = {u for u in user_ids if u}
    if not ids:
        return {}
    rows = model.Session.execute(
        sa.select(model.User.id, model.User.name).where(model.User.id.in_(ids)))
    return {row[0]: row[1] for row in rows}


@tk.side_effect_free
def gemeente_review_show(context: Context, data_dict: dict[str, Any]) -> dict[str, Any]:
    """State, checklist, history, pending change, findings and the caller's allowed steps."""
    errors = schema.Errors()
    pkg_id = schema.require_id(data_dict, errors)
    errors.raise_if_any()
    pkg = core.get_package(pkg_id)
    tk.check_access("gemeente_review_show", context, {"id": pkg.id})
    review = core.get_review(pkg, adopt=False)
    if review is None:
        # a dataset from before the plugin: its review record is made and kept now (a read
        # must not leave it to a rollback, or the review queue would never list the dataset)
        try:
            review = core.adopt_package(pkg, commit=True)
        except sa.exc.IntegrityError:  # another request adopted it at the same moment
            model.Session.rollback()
            pkg = core.get_package(pkg_id)
            review = core.get_review(pkg, adopt=False)
    assert review is not None
    user = core.user_object(context)
    roles = core.roles_for(user, pkg)
    reviewer = bool(roles & {workflow.PRIVACY_OFFICER, workflow.COORDINATOR, workflow.SYSADMIN})
    history = [e.as_dict() for e in model.Session.execute(
        sa.select(pmodel.AuditEntry).where(pmodel.AuditEntry.package_id == pkg.id)
        .order_by(pmodel.AuditEntry.seq)).scalars()]
    target, _kind, pend = _target(review, pkg)
    pkg_dict = core.package_dict(pkg.id)
    allowed: list[dict[str, Any]] = []
    if user is not None:
        wf = core.get_workflow()
        allowed = [t.as_dict() for t in wf.allowed(
            target.state, roles, actor=user.id, submitted_by=target.submitted_by,
            first_approver=target.first_approver,
            open_without_personal_data=core.open_without_personal_data(
                _pending_view(pkg_dict, pend)))]
        if workflow.SYSADMIN in roles:
            allowed.append({"step": workflow.OVERRIDE, "from_state": review.state,
                            "to_state": "*", "roles": [workflow.SYSADMIN]})
    names = _names({review.submitted_by or "", review.first_approver or ""})
    return {
        "package_id": pkg.id,
        "name": pkg.name,
        "state": review.state,
        "state_label": core.state_label(review.state),
        "checklist": review.checklist_dict(),
        "conditions": review.conditions,
        "submitted_by": names.get(review.submitted_by or ""),
        "submitted_at": audit.timestamp(review.submitted_at),
        "state_changed": audit.timestamp(review.state_changed),
        "history": history,
        "pending": pending.describe(pend, full=reviewer) if pend is not None else None,
        "findings": core.findings_for(context, pkg_dict),
        "allowed": allowed,
        "roles": sorted(roles),
    }


def _scope(user: model.User) -> list[str] | None:
    """Organizations whose queue the user sees (None: all)."""
    if user.sysadmin:
        return None
    rows = model.Session.execute(
        sa.select(pmodel.Role.organization_id).where(pmodel.Role.user_id == user.id)).all()
    if any(r[0] is None for r in rows):
        return None
    return sorted({r[0] for r in rows})


def _queue_conditions(data: dict[str, Any], user: model.User, package: Any) -> list[Any]:
    """The queue's filters on the dataset (``package``): active, scope, department, text."""
    conditions = [package.c.state == "active"]
    scope = _scope(user)
    if scope is not None:
        conditions.append(package.c.owner_org.in_(scope))
    if data["organization"]:
        org = model.Group.get(data["organization"])
        conditions.append(package.c.owner_org == (org.id if org else data["organization"]))
    if data["q"]:
        like = f"%{data['q']}%"
        conditions.append(sa.or_(package.c.title.ilike(like), package.c.name.ilike(like)))
    return conditions


def _queue_counts(conditions: list[Any], cutoff: dt.datetime | None
                  ) -> tuple[dict[str, int], dict[str, int]]:
    """Datasets per queue state, and of those how many are pending changes.

    Filtered (a scope, department, text or age): one aggregate over the joined tables.
    Unfiltered (a privacy officer for all departments, the usual case): the review records
    per state straight from their index, corrected by the few records whose dataset is not
    active and by the pending changes - the same figures without joining every review
    record to its dataset. (A purged dataset's review record goes with it: see
    ``enforce.dataset_purge``.)
    """
    r, p, pe = pmodel.Review.__table__, model.package_table, pmodel.PendingChange.__table__
    counts: dict[str, int] = {}
    changes: dict[str, int] = {}
    if len(conditions) > 1 or cutoff is not None:
        effective = sa.func.coalesce(pe.c.state, r.c.state)
        counted = (sa.select(effective, sa.func.count(), sa.func.count(pe.c.id))
                   .select_from(r.join(p, p.c.id == r.c.package_id)
                                .outerjoin(pe, pe.c.package_id == r.c.package_id))
                   .where(*conditions).group_by(effective))
        if cutoff is not None:
            counted = counted.where(
                sa.func.coalesce(pe.c.state_changed, r.c.state_changed) <= cutoff)
        for state, n, n_pending in model.Session.execute(counted):
            counts[state] = n
            changes[state] = n_pending
        return counts, changes
    kind = sa.literal_column("'all'").label("kind")
    counted = sa.union_all(
        sa.select(kind, r.c.state, sa.null().label("pending_state"), sa.func.count())
        .group_by(r.c.state),
        sa.select(sa.literal_column("'inactive'"), r.c.state, sa.null(), sa.func.count())
        .select_from(p.join(r, r.c.package_id == p.c.id))
        .where(p.c.state.is_distinct_from("active")).group_by(r.c.state),
        sa.select(sa.literal_column("'pending'"), r.c.state, pe.c.state, sa.func.count())
        .select_from(pe.join(r, r.c.package_id == pe.c.package_id)
                     .join(p, p.c.id == pe.c.package_id))
        .where(*conditions).group_by(r.c.state, pe.c.state),
    )
    for what, review_state, pending_state, n in model.Session.execute(counted):
        if what == "all":
            counts[review_state] = counts.get(review_state, 0) + n
        elif what == "inactive":
            counts[review_state] = counts.get(review_state, 0) - n
        else:
            counts[review_state] = counts.get(review_state, 0) - n
            counts[pending_state] = counts.get(pending_state, 0) + n
            changes[pending_state] = changes.get(pending_state, 0) + n
    return {state: n for state, n in counts.items() if n > 0}, changes


@tk.side_effect_free
def gemeente_review_queue(context: Context, data_dict: dict[str, Any]) -> dict[str, Any]:
    """Datasets waiting in the review, oldest first.

    A dataset's queue state is that of its pending change if it has one, else its review
    state. Two queries whatever the size of the queue: the counts per state (one aggregate,
    from which the total follows), and the page, read in order from the index on
    ``(state, state_changed)`` for each requested state that has datasets, plus the
    pending changes if there are any, merged, and only then joined to the organization and
    the submitter (so the page costs ``start + rows`` index entries per state, not a sort
    of the whole queue).
    """
    data = schema.validate_queue(data_dict)
    tk.check_access("gemeente_review_queue", context, data)
    user = _user(context)
    conditions = _queue_conditions(data, user, model.package_table)
    cutoff = (pmodel.utcnow() - dt.timedelta(days=data["min_age_days"])
              if data["min_age_days"] else None)

    counts, changes = _queue_counts(conditions, cutoff)
    states = [data["state"]] if data["state"] else sorted(workflow.UNDER_REVIEW)
    count = sum(counts.get(state, 0) for state in states)

    results: list[dict[str, Any]] = []
    if count > data["start"] and data["rows"]:
        # read only where the counts say there is something to read
        results = _queue_page(
            data, [s for s in states if counts.get(s, 0) > changes.get(s, 0)],
            [s for s in states if changes.get(s)], conditions, cutoff, count)
    return {"count": count, "results": results, "counts": counts}


def _queue_page(data: dict[str, Any], states: list[str], pending_states: list[str],
                conditions: list[Any], cutoff: dt.datetime | None, count: int
                ) -> list[dict[str, Any]]:
    """``states``: read from the review records; ``pending_states``: from pending changes."""
    r, p, g, u = (pmodel.Review.__table__, model.package_table, model.group_table,
                  model.user_table)
    pe = pmodel.PendingChange.__table__
    depth = min(data["start"] + data["rows"], count)
    no_pending = ~sa.exists().where(pe.c.package_id == r.c.package_id)
    branches: list[Any] = []
    for state in states:  # datasets without a pending change, in the order of the index
        branch = (sa.select(r.c.package_id, r.c.state_changed.label("changed"),
                            r.c.state.label("state"), r.c.submitted_by.label("submitter_id"),
                            sa.null().label("pending_id"))
                  .select_from(r.join(p, p.c.id == r.c.package_id))
                  .where(r.c.state == state, no_pending, *conditions))
        if cutoff is not None:
            branch = branch.where(r.c.state_changed <= cutoff)
        branches.append(branch.order_by(r.c.state_changed, r.c.package_id).limit(depth))
    if pending_states:
        changes = (sa.select(pe.c.package_id, pe.c.state_changed.label("changed"),
                             pe.c.state.label("state"),
                             pe.c.submitted_by.label("submitter_id"),
                             pe.c.id.label("pending_id"))
                   .select_from(pe.join(r, r.c.package_id == pe.c.package_id)
                                .join(p, p.c.id == pe.c.package_id))
                   .where(pe.c.state.in_(pending_states), *conditions))
        if cutoff is not None:
            changes = changes.where(pe.c.state_changed <= cutoff)
        branches.append(changes.order_by(pe.c.state_changed, pe.c.package_id).limit(depth))
    # at most (states + 1) x depth rows: joined to the names only then, and cut to the page
    merged = (sa.union_all(*branches) if len(branches) > 1 else branches[0]).subquery("merged")
    rows = model.Session.execute(
        sa.select(merged.c.package_id, merged.c.changed, merged.c.state, merged.c.pending_id,
                  p.c.name, p.c.title, g.c.name.label("org_name"),
                  g.c.title.label("org_title"), r.c.state.label("dataset_state"),
                  u.c.name.label("submitter"))
        .select_from(merged.join(p, p.c.id == merged.c.package_id)
                     .join(r, r.c.package_id == merged.c.package_id)
                     .outerjoin(g, g.c.id == p.c.owner_org)
                     .outerjoin(u, u.c.id == merged.c.submitter_id))
        .order_by(merged.c.changed, merged.c.package_id)
        .offset(data["start"]).limit(data["rows"])
    ).mappings().all()
    now = pmodel.utcnow()
    return [{
        "package_id": row["package_id"],
        "name": row["name"],
        "title": row["title"] or row["name"],
        "organization": {"name": row["org_name"], "title": row["org_title"]}
        if row["org_name"] else None,
        "state": row["state"],
        "state_label": core.state_label(row["state"]),
        "dataset_state": row["dataset_state"],
        "pending": row["pending_id"] is not None,
        "age_days": (now - row["changed"]).days,
        "submitted_by": row["submitter"],
        "updated": audit.timestamp(row["changed"]),
    } for row in rows]


# --- roles -----------------------------------------------------------------------------

def _role_dict(role: pmodel.Role) -> dict[str, Any]:
    user = model.User.get(role.user_id)
    org = model.Group.get(role.organization_id) if role.organization_id else None
    return {"id": role.id, "user": user.name if user else role.user_id, "user_id": role.user_id,
            "role": role.role, "organization": org.name if org else None,
            "organization_id": role.organization_id, "granted_by": role.granted_by,
            "created": audit.timestamp(role.created)}


def _resolve_role_input(data: dict[str, Any]) -> tuple[model.User | None, model.Group | None]:
    errors = schema.Errors()
    user = model.User.get(data["user"]) if data["user"] else None
    if data["user"] and user is None:
        errors.add("user", tk._("User not found"))
    org = None
    if data["organization"]:
        org = model.Group.get(data["organization"])
        if org is None or not org.is_organization:
            errors.add("organization", tk._("Organization not found"))
    errors.raise_if_any()
    return user, org


def _role_query(user: model.User, role: str, org: model.Group | None) -> Any:
    query = sa.select(pmodel.Role).where(pmodel.Role.user_id == user.id,
                                         pmodel.Role.role == role)
    if org is None:
        return query.where(pmodel.Role.organization_id.is_(None))
    return query.where(pmodel.Role.organization_id == org.id)


def gemeente_review_role_grant(context: Context, data_dict: dict[str, Any]) -> dict[str, Any]:
    """Grant ``privacy_officer`` or ``coordinator`` for one organization or (none) all."""
    data = schema.validate_role(data_dict)
    tk.check_access("gemeente_review_role_grant", context, data)
    user, org = _resolve_role_input(data)
    assert user is not None
    existing = model.Session.execute(_role_query(user, data["role"], org)).scalar_one_or_none()
    if existing is not None:
        return _role_dict(existing)
    role = pmodel.Role(user_id=user.id, role=data["role"],
                       organization_id=org.id if org else None,
                       granted_by=context.get("user"), created=pmodel.utcnow())
    model.Session.add(role)
    model.Session.commit()
    return _role_dict(role)


def gemeente_review_role_revoke(context: Context, data_dict: dict[str, Any]) -> dict[str, Any]:
    data = schema.validate_role(data_dict)
    tk.check_access("gemeente_review_role_revoke", context, data)
    user, org = _resolve_role_input(data)
    assert user is not None
    existing = model.Session.execute(_role_query(user, data["role"], org)).scalar_one_or_none()
    if existing is None:
        raise tk.ObjectNotFound(tk._("This user does not hold this role"))
    out = _role_dict(existing)
    model.Session.delete(existing)
    model.Session.commit()
    return out


@tk.side_effect_free
def gemeente_review_role_list(context: Context, data_dict: dict[str, Any]
                              ) -> list[dict[str, Any]]:
    data = schema.validate_role(data_dict, listing=True)
    tk.check_access("gemeente_review_role_list", context, data)
    user, org = _resolve_role_input(data)
    query = sa.select(pmodel.Role).order_by(pmodel.Role.role, pmodel.Role.created)
    if user is not None:
        query = query.where(pmodel.Role.user_id == user.id)
    if data["role"]:
        query = query.where(pmodel.Role.role == data["role"])
    if org is not None:
        query = query.where(pmodel.Role.organization_id == org.id)
    return [_role_dict(r) for r in model.Session.execute(query).scalars()]


# --- audit -----------------------------------------------------------------------------

EXPORT_COLUMNS = (*audit.HASHED_FIELDS, "prev_hash", "hash")


@tk.side_effect_free
def gemeente_audit_export(context: Context, data_dict: dict[str, Any]) -> dict[str, Any]:
    """The audit rows of a period as CSV or JSON text, for the data protection authority.
    ``{from, to, format}``; a date ``to`` includes that day."""
    data = schema.validate_export(data_dict)
    tk.check_access("gemeente_audit_export", context, data_dict)
    rows = list(pmodel.iter_audit_rows(since=data["from"], until=data["to"]))
    records = []
    for row in rows:
        rec = {k: row[k] for k in EXPORT_COLUMNS}
        rec["created"] = audit.timestamp(row["created"])
        records.append(rec)
    if data["format"] == "json":
        content = json.dumps(
            [dict(r, checklist=json.loads(r["checklist"]), findings=json.loads(r["findings"]))
             for r in records], ensure_ascii=False, indent=1)
    else:
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=list(EXPORT_COLUMNS))
        writer.writeheader()
        writer.writerows(records)
        content = buf.getvalue()
    return {
        "format": data["format"],
        "from": data["from_text"],
        "to": data["to_text"],
        "count": len(records),
        "last_hash": records[-1]["hash"] if records else None,
        "content": content,
    }


@tk.side_effect_free
def gemeente_audit_verify(context: Context, data_dict: dict[str, Any]) -> dict[str, Any]:
    """Verify the whole hash chain; reports the first broken row."""
    tk.check_access("gemeente_audit_verify", context, data_dict)
    result = audit.verify(pmodel.iter_audit_rows())
    return {"ok": result.ok, "count": result.count, "broken_seq": result.broken_seq,
            "reason": result.reason, "last_hash": result.last_hash,
            "message": result.message()}


def get_actions() -> dict[str, Any]:
    from . import enforce

    actions: dict[str, Any] = {
        name: func for name, func in globals().items()
        if name.startswith(("gemeente_review_", "gemeente_audit_")) and callable(func)
    }
    actions.update(enforce.get_actions())
    return actions
