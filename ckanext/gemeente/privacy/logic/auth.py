"""Auth functions of the review: one per action, same name.

Editors (organization members who may update the dataset) submit; privacy officers decide;
coordinators publish; coordinators and sysadmins withdraw; only sysadmins override and grant
roles. ``decide`` and ``publish`` check sysadmins too (``auth_sysadmins_check``): being a
sysadmin does not make one a privacy officer or coordinator.
"""

from __future__ import annotations

from typing import Any

from ckan import model
from ckan.plugins import toolkit as tk

from .. import workflow
from . import core

Context = dict[str, Any]


def _ok() -> dict[str, Any]:
    return {"success": True}


def _no(msg: str) -> dict[str, Any]:
    return {"success": False, "msg": msg}


def _package(data_dict: dict[str, Any]) -> model.Package | None:
    return model.Package.get(str(data_dict.get("id") or ""))


def _has_role(context: Context, data_dict: dict[str, Any], *roles: str) -> bool:
    user = core.user_object(context)
    pkg = _package(data_dict)
    if user is None or pkg is None:
        return False
    held = core.granted_roles(user.id, pkg.owner_org)
    if user.sysadmin:
        held.add(workflow.SYSADMIN)
    return bool(held.intersection(roles))


def gemeente_review_submit(context: Context, data_dict: dict[str, Any]) -> dict[str, Any]:
    pkg = _package(data_dict)
    if pkg is not None and core.can_edit(core.user_object(context), pkg.id):
        return _ok()
    return _no(tk._("Only editors of the dataset's organization can submit it for review"))


@tk.auth_sysadmins_check
def gemeente_review_decide(context: Context, data_dict: dict[str, Any]) -> dict[str, Any]:
    if _has_role(context, data_dict, workflow.PRIVACY_OFFICER):
        return _ok()
    return _no(tk._("Only a privacy officer of the dataset's organization can decide"))


@tk.auth_sysadmins_check
def gemeente_review_publish(context: Context, data_dict: dict[str, Any]) -> dict[str, Any]:
    if _has_role(context, data_dict, workflow.COORDINATOR):
        return _ok()
    return _no(tk._("Only an open data coordinator can publish a dataset"))


def gemeente_review_withdraw(context: Context, data_dict: dict[str, Any]) -> dict[str, Any]:
    if _has_role(context, data_dict, workflow.COORDINATOR, workflow.SYSADMIN):
        return _ok()
    return _no(tk._("Only an open data coordinator or a sysadmin can withdraw a dataset"))


def gemeente_review_override(context: Context, data_dict: dict[str, Any]) -> dict[str, Any]:
    return _no(tk._("Only sysadmins can override the review"))


def gemeente_review_show(context: Context, data_dict: dict[str, Any]) -> dict[str, Any]:
    user = core.user_object(context)
    pkg = _package(data_dict)
    if user is not None and pkg is not None:
        if core.granted_roles(user.id, pkg.owner_org) or core.can_edit(user, pkg.id):
            return _ok()
    return _no(tk._("Only the dataset's editors and its reviewers can see its review"))


def _any_role(context: Context) -> bool:
    user = core.user_object(context)
    return user is not None and bool(core.any_granted_roles(user.id))


def gemeente_review_queue(context: Context, data_dict: dict[str, Any]) -> dict[str, Any]:
    if _any_role(context):
        return _ok()
    return _no(tk._("Only privacy officers and coordinators can see the review queue"))


def gemeente_review_role_grant(context: Context, data_dict: dict[str, Any]) -> dict[str, Any]:
    return _no(tk._("Only sysadmins can grant review roles"))


def gemeente_review_role_revoke(context: Context, data_dict: dict[str, Any]) -> dict[str, Any]:
    return _no(tk._("Only sysadmins can revoke review roles"))


def gemeente_review_role_list(context: Context, data_dict: dict[str, Any]) -> dict[str, Any]:
    user = core.user_object(context)
    if user is not None and data_dict.get("user") in (user.name, user.id):
        return _ok()
    return _no(tk._("Only sysadmins can list the review roles of other users"))


def _officer_anywhere(context: Context) -> bool:
    user = core.user_object(context)
    return user is not None and workflow.PRIVACY_OFFICER in core.any_granted_roles(user.id)


def gemeente_audit_export(context: Context, data_dict: dict[str, Any]) -> dict[str, Any]:
    if _officer_anywhere(context):
        return _ok()
    return _no(tk._("Only privacy officers can export the audit trail"))


def gemeente_audit_verify(context: Context, data_dict: dict[str, Any]) -> dict[str, Any]:
    if _officer_anywhere(context):
        return _ok()
    return _no(tk._("Only privacy officers can verify the audit trail"))


def get_auth_functions() -> dict[str, Any]:
    return {name: func for name, func in globals().items()
            if name.startswith(("gemeente_review_", "gemeente_audit_")) and callable(func)}
