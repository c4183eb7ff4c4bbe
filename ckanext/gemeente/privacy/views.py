"""Flask views of the privacy review (``gemeente_privacy``).

Pages: the review queue (``/gemeente/review``), the dataset's Privacy tab with the decision
form (``/dataset/<id>/privacy``), the role administration for sysadmins
(``/gemeente/review/roles``) and the audit export for privacy officers
(``/gemeente/review/audit``). Views only call actions: who may see or do what is decided by
the auth functions behind them (``NotAuthorized`` becomes a 403 page, ``ValidationError`` a
form with field-level messages and the input kept, a missing dataset a 404).
"""

from __future__ import annotations

import datetime
import json
from typing import Any

import ckan.plugins.toolkit as tk
from flask import Blueprint, Response

from .logic.schema import CHECKLIST_FIELDS

privacy = Blueprint("gemeente_privacy", __name__)

QUEUE_ROWS = 25

# The form's buttons: ``transition`` value -> (action, decision of gemeente_review_decide).
TRANSITIONS: dict[str, tuple[str, str | None]] = {
    "submit": ("gemeente_review_submit", None),
    "approve": ("gemeente_review_decide", "approve"),
    "request_changes": ("gemeente_review_decide", "request_changes"),
    "reject": ("gemeente_review_decide", "reject"),
    "publish": ("gemeente_review_publish", None),
    "withdraw": ("gemeente_review_withdraw", None),
    "override": ("gemeente_review_override", None),
}

# Checklist fields of the decision form by kind (the action's schema is the source).
CHECKLIST_LISTS = tuple(k for k, kind in CHECKLIST_FIELDS.items() if kind == "list")
CHECKLIST_FLAGS = tuple(k for k, kind in CHECKLIST_FIELDS.items() if kind == "bool")
CHECKLIST_TEXTS = tuple(k for k, kind in CHECKLIST_FIELDS.items()
                        if kind not in ("list", "bool"))


def _context() -> dict[str, Any]:
    return {"user": tk.current_user.name if tk.current_user.is_authenticated else ""}


def _flatten_errors(error_dict: dict[str, Any], prefix: str = "") -> dict[str, list[str]]:
    """``ValidationError.error_dict`` as ``{field: [message]}``; nested checklist errors
    (``{"checklist": {"legal_basis": [...]}}``) under their own field name."""
    flat: dict[str, list[str]] = {}
    for key, value in (error_dict or {}).items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten_errors(value))
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for item in value:
                flat.update(_flatten_errors(item))
        elif isinstance(value, list):
            flat[name] = [str(v) for v in value]
        else:
            flat[name] = [str(value)]
    return flat


def _checklist_from_form(form: Any) -> dict[str, Any]:
    checklist: dict[str, Any] = {}
    for key in CHECKLIST_FLAGS:
        value = form.get(f"checklist.{key}")
        if value not in (None, ""):
            checklist[key] = value == "true"
    for key in CHECKLIST_LISTS:
        values = [v.strip() for v in form.getlist(f"checklist.{key}") if v.strip()]
        other = (form.get(f"checklist.{key}_other") or "").strip()
        values.extend(v.strip() for v in other.split(",") if v.strip())
        checklist[key] = values
    for key in CHECKLIST_TEXTS:
        value = (form.get(f"checklist.{key}") or "").strip()
        if value:
            checklist[key] = value
    return checklist


def _action_data(transition: str, package_id: str, form: Any) -> dict[str, Any]:
    """The data_dict of the action behind ``transition`` from the posted form."""
    action, decision = TRANSITIONS[transition]
    data: dict[str, Any] = {"id": package_id}
    comment = (form.get("comment") or "").strip()
    if action == "gemeente_review_decide":
        data.update(decision=decision, checklist=_checklist_from_form(form))
        for key in ("conditions", "justification"):
            value = (form.get(key) or "").strip()
            if value:
                data[key] = value
        if comment:
            data["comment"] = comment
    elif action in ("gemeente_review_withdraw", "gemeente_review_override"):
        data["reason"] = (form.get("reason") or "").strip()
        if action == "gemeente_review_override":
            data["to_state"] = (form.get("to_state") or "").strip()
    elif comment:
        data["comment"] = comment
    return data


def _form_values(form: Any) -> dict[str, Any]:
    """The posted form as the template reads it back (input kept after an error)."""
    values: dict[str, Any] = {key: form.get(key) for key in form}
    for key in CHECKLIST_LISTS:
        values[f"checklist.{key}"] = form.getlist(f"checklist.{key}")
    return values


def _values_from_review(review: dict[str, Any]) -> dict[str, Any]:
    """Form values prefilled from the last recorded checklist (a re-review starts there)."""
    values: dict[str, Any] = {}
    for key, value in (review.get("checklist") or {}).items():
        if value is None:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        values[f"checklist.{key}"] = value
    if review.get("conditions"):
        values["conditions"] = review["conditions"]
    return values


def dataset_privacy(id: str) -> str | Response:
    """The Privacy tab: state, findings, pending change, history and the decision form."""
    context = _context()
    try:
        pkg_dict = tk.get_action("package_show")(context, {"id": id})
    except (tk.ObjectNotFound, tk.NotAuthorized):
        # like CKAN's dataset page: a private dataset does not reveal that it exists
        return tk.abort(404, tk._("Dataset not found"))
    try:
        review = tk.get_action("gemeente_review_show")(_context(), {"id": pkg_dict["id"]})
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Dataset not found"))
    except tk.NotAuthorized:
        return tk.abort(403, tk._("Not authorized to see the privacy review of this dataset"))

    errors: dict[str, list[str]] = {}
    error_summary: dict[str, Any] = {}
    values = _values_from_review(review)
    transition = ""
    if tk.request.method == "POST":
        form = tk.request.form
        transition = form.get("transition", "")
        if transition not in TRANSITIONS:
            return tk.abort(400, tk._("Unknown review step"))
        action = TRANSITIONS[transition][0]
        try:
            tk.get_action(action)(_context(), _action_data(transition, pkg_dict["id"], form))
        except tk.NotAuthorized as err:
            return tk.abort(403, str(err) or tk._("Not authorized to take this review step"))
        except tk.ObjectNotFound:
            return tk.abort(404, tk._("Dataset not found"))
        except tk.ValidationError as err:
            errors = _flatten_errors(err.error_dict)
            error_summary = err.error_summary or {}
            values = _form_values(form)
        else:
            tk.h.flash_success(tk._("The review step was recorded."))
            return tk.redirect_to("gemeente_privacy.dataset_privacy", id=pkg_dict["name"])

    return tk.render("gemeente_privacy/dataset.html", {
        "pkg_dict": pkg_dict,
        "dataset_type": pkg_dict.get("type") or "dataset",
        "review": review,
        # the steps the caller may take now (gemeente_review_show's "allowed" transitions)
        "steps": [t["step"] if isinstance(t, dict) else t for t in review.get("allowed") or []],
        "errors": errors,
        "error_summary": error_summary,
        "values": values,
        "transition": transition,
    })


def queue() -> str:
    """The review queue of privacy officers and coordinators, with filters and counts."""
    args = tk.request.args
    filters = {key: (args.get(key) or "").strip()
               for key in ("state", "organization", "min_age_days", "q")}
    try:
        page = max(int(args.get("page") or 1), 1)
    except ValueError:
        page = 1
    data: dict[str, Any] = {k: v for k, v in filters.items() if v}
    data.update(start=(page - 1) * QUEUE_ROWS, rows=QUEUE_ROWS)
    errors: dict[str, list[str]] = {}
    result: dict[str, Any] = {"count": 0, "results": [], "counts": {}}
    try:
        result = tk.get_action("gemeente_review_queue")(_context(), data)
    except tk.NotAuthorized:
        return tk.abort(403, tk._("Only privacy officers and coordinators see the review queue"))
    except tk.ValidationError as err:
        errors = _flatten_errors(err.error_dict)
    organizations = tk.get_action("organization_list")(
        _context(), {"all_fields": True, "limit": 1000})
    pages = max((int(result.get("count") or 0) + QUEUE_ROWS - 1) // QUEUE_ROWS, 1)
    return tk.render("gemeente_privacy/queue.html", {
        "result": result,
        "filters": filters,
        "errors": errors,
        "organizations": organizations,
        "page": page,
        "pages": pages,
    })


def roles() -> str | Response:
    """Sysadmins grant and revoke the roles privacy officer and coordinator."""
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    if tk.request.method == "POST":
        form = tk.request.form
        op = form.get("op")
        data = {"user": (form.get("user") or "").strip(), "role": (form.get("role") or "").strip()}
        if (form.get("organization") or "").strip():
            data["organization"] = form["organization"].strip()
        action = {"grant": "gemeente_review_role_grant",
                  "revoke": "gemeente_review_role_revoke"}.get(op or "")
        if action is None:
            return tk.abort(400, tk._("Unknown role operation"))
        try:
            tk.get_action(action)(_context(), data)
        except tk.NotAuthorized:
            return tk.abort(403, tk._("Only sysadmins grant or revoke review roles"))
        except (tk.ValidationError, tk.ObjectNotFound) as err:
            if isinstance(err, tk.ValidationError):
                errors = _flatten_errors(err.error_dict)
            else:
                errors = {"user": [str(err) or tk._("Not found")]}
            values = data
        else:
            tk.h.flash_success(tk._("Role granted.") if op == "grant" else tk._("Role revoked."))
            return tk.redirect_to("gemeente_privacy.roles")
    try:
        grants = tk.get_action("gemeente_review_role_list")(_context(), {})
    except tk.NotAuthorized:
        return tk.abort(403, tk._("Only sysadmins grant or revoke review roles"))
    organizations = tk.get_action("organization_list")(
        _context(), {"all_fields": True, "limit": 1000})
    if isinstance(grants, dict):
        grants = grants.get("results") or grants.get("roles") or []
    return tk.render("gemeente_privacy/roles.html", {
        "grants": grants,
        "organizations": organizations,
        "errors": errors,
        "values": values,
    })


def _export_body(exported: Any, fmt: str) -> str:
    if isinstance(exported, str):
        return exported
    if isinstance(exported, dict):
        for key in ("data", "content", "csv", "json", "body"):
            if isinstance(exported.get(key), str):
                return exported[key]
    return json.dumps(exported, ensure_ascii=False, indent=2, default=str)


def audit() -> str | Response:
    """The audit trail for the authority: a period and a format, then a download."""
    args = tk.request.args
    today = datetime.date.today()
    values = {
        "from": args.get("from") or (today - datetime.timedelta(days=365)).isoformat(),
        "to": args.get("to") or today.isoformat(),
        "format": args.get("format") or "csv",
    }
    errors: dict[str, list[str]] = {}
    try:
        tk.check_access("gemeente_audit_export", _context(), {})
    except tk.NotAuthorized:
        return tk.abort(403, tk._("Only privacy officers export the audit trail"))
    if args.get("download"):
        fmt = values["format"] if values["format"] in ("csv", "json") else "csv"
        try:
            exported = tk.get_action("gemeente_audit_export")(
                _context(), {"from": values["from"], "to": values["to"], "format": fmt})
        except tk.NotAuthorized:
            return tk.abort(403, tk._("Only privacy officers export the audit trail"))
        except tk.ValidationError as err:
            errors = _flatten_errors(err.error_dict)
        else:
            name = f"audit-{values['from']}-{values['to']}.{fmt}"
            mimetype = "text/csv" if fmt == "csv" else "application/json"
            return Response(
                _export_body(exported, fmt), mimetype=f"{mimetype}; charset=utf-8",
                headers={"Content-Disposition": f'attachment; filename="{name}"'})
    return tk.render("gemeente_privacy/audit.html", {"values": values, "errors": errors})


privacy.add_url_rule("/dataset/<id>/privacy", view_func=dataset_privacy,
                     methods=["GET", "POST"])
privacy.add_url_rule("/gemeente/review", view_func=queue)
privacy.add_url_rule("/gemeente/review/roles", view_func=roles, methods=["GET", "POST"])
privacy.add_url_rule("/gemeente/review/audit", view_func=audit)


def get_blueprint() -> list[Blueprint]:
    return [privacy]
