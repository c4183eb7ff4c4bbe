"""Auth functions of the scanner: one per action, same name.

Scan results (counts and masked examples) are for the dataset's editors and, when the
privacy review is enabled, for those who may see its review (privacy officers,
coordinators). Running a scan and pseudonymising need the right to update the dataset.
"""

from __future__ import annotations

from typing import Any

from ckan.plugins import toolkit as tk

Context = dict[str, Any]


def _package_id(context: Context, data_dict: dict[str, Any]) -> str | None:
    rid = data_dict.get("resource_id") or data_dict.get("id")
    if not rid:
        return None
    res = context["model"].Resource.get(str(rid))
    return res.package_id if res is not None else None


def _can_update(context: Context, package_id: str) -> bool:
    try:
        tk.check_access("package_update", dict(context), {"id": package_id})
        return True
    except tk.NotAuthorized:
        return False


def gemeente_scan_show(context: Context, data_dict: dict[str, Any]) -> dict[str, Any]:
    pid = _package_id(context, data_dict)
    if pid is None:
        return {"success": False, "msg": tk._("Resource not found")}
    if _can_update(context, pid):
        return {"success": True}
    try:  # reviewers of the privacy review, when that plugin is enabled
        tk.check_access("gemeente_review_show", dict(context), {"id": pid})
        return {"success": True}
    except (KeyError, ValueError, tk.NotAuthorized):
        pass
    return {"success": False,
            "msg": tk._("Only the dataset's editors and reviewers can see its scan results")}


def gemeente_scan_run(context: Context, data_dict: dict[str, Any]) -> dict[str, Any]:
    pid = _package_id(context, data_dict)
    if pid is not None and _can_update(context, pid):
        return {"success": True}
    return {"success": False, "msg": tk._("Only the dataset's editors can start a scan")}


def gemeente_pseudonymise(context: Context, data_dict: dict[str, Any]) -> dict[str, Any]:
    pid = _package_id(context, data_dict)
    if pid is not None and _can_update(context, pid):
        return {"success": True}
    return {"success": False,
            "msg": tk._("Only the dataset's editors can pseudonymise its resources")}


def get_auth_functions() -> dict[str, Any]:
    return {"gemeente_scan_show": gemeente_scan_show, "gemeente_scan_run": gemeente_scan_run,
            "gemeente_pseudonymise": gemeente_pseudonymise}
