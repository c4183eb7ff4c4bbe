"""Input validation of the review actions: field-level errors, Dutch and English.

Each ``validate_*`` function returns the cleaned input or raises ``tk.ValidationError``
with an error dict keyed by field (checklist answers are keyed by their own name, e.g.
``{"legal_basis": ["..."]}``), the way CKAN's own actions report errors.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ckan.plugins import toolkit as tk

from .. import workflow

MEASURES = ("geanonimiseerd", "gepseudonimiseerd", "geaggregeerd", "niet_nodig")
DPIA = ("niet_nodig", "nodig", "uitgevoerd")
EXPORT_FORMATS = ("csv", "json")

#: The checklist of the review form: field -> kind.
CHECKLIST_FIELDS: dict[str, str] = {
    "personal_data": "bool",            # persoonsgegevens aanwezig
    "personal_data_categories": "list",  # categorieën (bijv. naam, adres)
    "special_categories": "list",        # bijzondere categorieën (AVG art. 9)
    "bsn": "bool",                       # bevat BSN
    "legal_basis": "text",               # grondslag (AVG art. 6)
    "measure": "choice:measure",         # genomen maatregel
    "dpia": "choice:dpia",               # DPIA nodig / uitgevoerd
    "retention": "text",                 # bewaartermijn
}


class Errors(dict):
    def add(self, field: str, message: str) -> None:
        self.setdefault(field, []).append(message)

    def raise_if_any(self) -> None:
        if self:
            raise tk.ValidationError(dict(self))


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _bool(value: Any) -> bool | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "ja", "on", "y"):
        return True
    if text in ("false", "0", "no", "nee", "off", "n"):
        return False
    raise ValueError(text)


def _list(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if str(v).strip()]
    raise ValueError(value)


def require_id(data_dict: dict[str, Any], errors: Errors) -> str:
    value = _text(data_dict.get("id"))
    if not value:
        errors.add("id", tk._("Missing value"))
    return value


def validate_checklist(raw: Any, *, for_approval: bool) -> dict[str, Any]:
    """The cleaned checklist; on approval its answers must be complete and consistent."""
    errors = Errors()
    if raw is None or raw == "":
        raw = {}
    if isinstance(raw, str):
        import json

        try:
            raw = json.loads(raw)
        except ValueError:
            raise tk.ValidationError({"checklist": [tk._("Must be a JSON object")]}) from None
    if not isinstance(raw, dict):
        raise tk.ValidationError({"checklist": [tk._("Must be a JSON object")]})
    out: dict[str, Any] = {}
    choices = {"measure": MEASURES, "dpia": DPIA}
    for field, kind in CHECKLIST_FIELDS.items():
        value = raw.get(field)
        try:
            if kind == "bool":
                out[field] = _bool(value)
            elif kind == "list":
                out[field] = _list(value)
            elif kind == "text":
                out[field] = _text(value)
            else:
                text = _text(value)
                allowed = choices[kind.split(":", 1)[1]]
                if text and text not in allowed:
                    errors.add(field, tk._("Value must be one of {values}").format(
                        values=", ".join(allowed)))
                out[field] = text
        except ValueError:
            errors.add(field, tk._("Invalid value") if kind != "bool"
                       else tk._("Must be yes or no (true/false)"))
    unknown = sorted(set(raw) - set(CHECKLIST_FIELDS))
    if unknown:
        errors.add("checklist", tk._("Unknown checklist fields: {fields}").format(
            fields=", ".join(unknown)))
    if for_approval and not errors:
        if out["personal_data"] is None:
            errors.add("personal_data", tk._("Answer whether the data holds personal data"))
        if not out["measure"]:
            errors.add("measure", tk._("Choose the measure taken"))
        if not out["dpia"]:
            errors.add("dpia", tk._("Say whether a DPIA is needed"))
        if out["personal_data"]:
            if not out["legal_basis"]:
                errors.add("legal_basis", tk._(
                    "A legal basis is required when the data holds personal data"))
            if out["measure"] == "niet_nodig":
                errors.add("measure", tk._(
                    "Data with personal data needs a measure (anonymised, pseudonymised "
                    "or aggregated)"))
            if not out["retention"]:
                errors.add("retention", tk._(
                    "A retention period is required when the data holds personal data"))
        if out["bsn"] and out["measure"] not in ("geanonimiseerd", "geaggregeerd"):
            errors.add("bsn", tk._("Data with BSNs may only be published anonymised or "
                                   "aggregated"))
        if out["dpia"] == "nodig":
            errors.add("dpia", tk._("A needed DPIA must be done before approval"))
    errors.raise_if_any()
    return out


def validate_decide(data_dict: dict[str, Any]) -> dict[str, Any]:
    errors = Errors()
    pkg_id = require_id(data_dict, errors)
    decision = _text(data_dict.get("decision"))
    if not decision:
        errors.add("decision", tk._("Missing value"))
    elif decision not in workflow.DECISIONS:
        errors.add("decision", tk._("Value must be one of {values}").format(
            values=", ".join(workflow.DECISIONS)))
    comment = _text(data_dict.get("comment"))
    if decision in (workflow.REQUEST_CHANGES, workflow.REJECT) and not comment:
        errors.add("comment", tk._("Say why (the editor reads this)"))
    errors.raise_if_any()
    checklist = validate_checklist(data_dict.get("checklist"),
                                   for_approval=decision == workflow.APPROVE)
    return {
        "id": pkg_id, "decision": decision, "checklist": checklist,
        "conditions": _text(data_dict.get("conditions")), "comment": comment,
        "justification": _text(data_dict.get("justification")),
    }


def validate_simple(data_dict: dict[str, Any], *, reason_field: str | None = None
                    ) -> dict[str, Any]:
    errors = Errors()
    pkg_id = require_id(data_dict, errors)
    out = {"id": pkg_id, "comment": _text(data_dict.get("comment"))}
    if reason_field:
        reason = _text(data_dict.get(reason_field))
        if not reason:
            errors.add(reason_field, tk._("A written reason is required"))
        out[reason_field] = reason
    errors.raise_if_any()
    return out


def validate_override(data_dict: dict[str, Any]) -> dict[str, Any]:
    out = validate_simple(data_dict, reason_field="reason")
    to_state = _text(data_dict.get("to_state"))
    if to_state not in workflow.STATES:
        raise tk.ValidationError({"to_state": [tk._("Value must be one of {values}").format(
            values=", ".join(workflow.STATES))]})
    out["to_state"] = to_state
    return out


def _int(data_dict: dict[str, Any], key: str, default: int, errors: Errors,
         maximum: int | None = None) -> int:
    value = data_dict.get(key)
    if value in (None, ""):
        return default
    try:
        number = int(value)
        if number < 0:
            raise ValueError
    except (TypeError, ValueError):
        errors.add(key, tk._("Must be a natural number"))
        return default
    return min(number, maximum) if maximum else number


def validate_queue(data_dict: dict[str, Any]) -> dict[str, Any]:
    errors = Errors()
    state = _text(data_dict.get("state"))
    if state and state not in workflow.STATES:
        errors.add("state", tk._("Value must be one of {values}").format(
            values=", ".join(workflow.STATES)))
    out = {
        "state": state or None,
        "organization": _text(data_dict.get("organization")) or None,
        "min_age_days": _int(data_dict, "min_age_days", 0, errors),
        "q": _text(data_dict.get("q")) or None,
        "start": _int(data_dict, "start", 0, errors),
        "rows": _int(data_dict, "rows", 20, errors, maximum=1000),
    }
    errors.raise_if_any()
    return out


def validate_role(data_dict: dict[str, Any], *, listing: bool = False) -> dict[str, Any]:
    errors = Errors()
    user = _text(data_dict.get("user"))
    role = _text(data_dict.get("role"))
    if not user and not listing:
        errors.add("user", tk._("Missing value"))
    if role and role not in workflow.GRANTABLE_ROLES or not role and not listing:
        errors.add("role", tk._("Value must be one of {values}").format(
            values=", ".join(workflow.GRANTABLE_ROLES)))
    errors.raise_if_any()
    return {"user": user or None, "role": role or None,
            "organization": _text(data_dict.get("organization")) or None}


def _date(value: Any, field: str, errors: Errors) -> dt.datetime | None:
    text = _text(value)
    if not text:
        errors.add(field, tk._("Missing value"))
        return None
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        errors.add(field, tk._("Date format incorrect (use YYYY-MM-DD)"))
        return None


def validate_export(data_dict: dict[str, Any]) -> dict[str, Any]:
    errors = Errors()
    since = _date(data_dict.get("from"), "from", errors)
    until = _date(data_dict.get("to"), "to", errors)
    fmt = _text(data_dict.get("format")) or "json"
    if fmt not in EXPORT_FORMATS:
        errors.add("format", tk._("Value must be one of {values}").format(
            values=", ".join(EXPORT_FORMATS)))
    if since and until and until < since:
        errors.add("to", tk._("The end date lies before the start date"))
    errors.raise_if_any()
    assert since is not None and until is not None
    if len(_text(data_dict.get("to"))) <= 10:
        until = until + dt.timedelta(days=1)  # a date "to" includes that whole day
    return {"from": since, "to": until, "format": fmt,
            "from_text": _text(data_dict.get("from")), "to_text": _text(data_dict.get("to"))}
