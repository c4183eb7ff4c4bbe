"""Who may see the dashboard: coordinators and privacy officers (and sysadmins)."""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk

DASHBOARD_ROLES = ("coordinator", "privacy_officer")


def review_roles(user: str) -> set[str]:
    """The privacy review roles of ``user`` (empty when gemeente_privacy is not enabled)."""
    try:
        role_list = tk.get_action("gemeente_review_role_list")
    except KeyError:
        return set()
    result = role_list({"ignore_auth": True}, {"user": user})
    if isinstance(result, dict):
        result = result.get("results") or result.get("roles") or []
    return {str(item.get("role")) for item in result or [] if isinstance(item, dict)}


@tk.auth_disallow_anonymous_access
def gemeente_dashboard_show(context: dict[str, Any], data_dict: dict[str, Any]
                            ) -> dict[str, Any]:
    user = context.get("user") or ""
    if review_roles(user) & set(DASHBOARD_ROLES):
        return {"success": True}
    return {"success": False,
            "msg": tk._("Only coordinators and privacy officers can see the dashboard")}


def get_auth_functions() -> dict[str, Any]:
    return {"gemeente_dashboard_show": gemeente_dashboard_show}
