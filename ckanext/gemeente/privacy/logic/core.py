"""The CKAN side of the review shared by actions, auth functions and enforcement.

Configuration, who holds which role for a dataset, the review record of a dataset
(created on first sight for datasets that existed before the plugin: *adoption*), the
dataset's content hash and the one function that takes a step (:func:`record_step`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from typing import Any

import sqlalchemy as sa
from ckan import model
from ckan.plugins import toolkit as tk

from .. import audit, workflow
from .. import model as pmodel
from ..workflow import Workflow, WorkflowConfig

log = logging.getLogger(__name__)

#: Context key set by the review itself when it changes ``private`` or applies a change.
ALLOW = "gemeente_privacy_allow"

CONFIG = "ckanext.gemeente.privacy."
DEFAULT_MATERIAL_FIELDS = (
    "privacy_classification access_rights processing_legal_basis legal_basis "
    "legal_foundation_label legal_foundation_ref legal_foundation_uri"
)
# Fields of a package dict left out of the content hash (they change without the content).
VOLATILE = frozenset({
    "metadata_modified", "revision_id", "tracking_summary", "num_resources", "num_tags",
    "review_state", "relationships_as_object", "relationships_as_subject", "state",
    "private", "organization", "groups",
})
VOLATILE_RES = frozenset({"tracking_summary", "metadata_modified", "position", "package_id",
                          "datastore_active", "datastore_contains_all_records_of_source"})


def cfg_bool(name: str, default: bool = False) -> bool:
    return tk.asbool(tk.config.get(CONFIG + name, default))


def get_workflow() -> Workflow:
    return Workflow(WorkflowConfig(
        second_reviewer=cfg_bool("second_reviewer"),
        skip_coordinator_for_open=cfg_bool("skip_coordinator_for_open"),
    ))


def material_fields() -> list[str]:
    value = tk.config.get(CONFIG + "material_fields") or DEFAULT_MATERIAL_FIELDS
    return tk.aslist(value)


def pending_storage_path() -> str:
    path = tk.config.get(CONFIG + "pending_storage_path") or ""
    if not path:
        base = tk.config.get("ckan.storage_path") or ""
        if not base:
            raise tk.ValidationError({"upload": [tk._(
                "File uploads to a published dataset need ckan.storage_path or "
                "ckanext.gemeente.privacy.pending_storage_path")]})
        path = os.path.join(base, "gemeente_privacy_pending")
    return path


def state_label(state: str) -> str:
    nl, en = workflow.STATE_LABELS.get(state, (state, state))
    return tk._(en)


# --- users and roles -------------------------------------------------------------------

def user_object(context: dict[str, Any]) -> model.User | None:
    obj = context.get("auth_user_obj")
    if obj is not None and getattr(obj, "id", None):
        return obj
    name = context.get("user")
    return model.User.get(name) if name else None


def granted_roles(user_id: str, organization_id: str | None) -> set[str]:
    """Roles granted to the user that cover ``organization_id`` (None: global ones only)."""
    query = sa.select(pmodel.Role.role).where(pmodel.Role.user_id == user_id)
    if organization_id:
        query = query.where(sa.or_(pmodel.Role.organization_id.is_(None),
                                   pmodel.Role.organization_id == organization_id))
    else:
        query = query.where(pmodel.Role.organization_id.is_(None))
    return set(model.Session.execute(query).scalars())


def any_granted_roles(user_id: str) -> set[str]:
    return set(model.Session.execute(
        sa.select(pmodel.Role.role).where(pmodel.Role.user_id == user_id)).scalars())


def can_edit(user: model.User | None, package_id: str) -> bool:
    if user is None:
        return False
    try:
        tk.check_access("package_update", {"user": user.name, "auth_user_obj": user},
                        {"id": package_id})
    except tk.NotAuthorized:
        return False
    return True


def roles_for(user: model.User | None, pkg: model.Package) -> set[str]:
    """Every workflow role ``user`` holds for the dataset ``pkg``."""
    if user is None:
        return set()
    roles = granted_roles(user.id, pkg.owner_org)
    if user.sysadmin:
        roles.add(workflow.SYSADMIN)
    if can_edit(user, pkg.id):
        roles.add(workflow.EDITOR)
    return roles


def primary_role(roles: set[str], step: str) -> str:
    """The role recorded in the audit for ``step`` (the role that permits it)."""
    preferred = {
        workflow.SUBMIT: (workflow.EDITOR, workflow.SYSADMIN),
        workflow.APPROVE: (workflow.PRIVACY_OFFICER,),
        workflow.REQUEST_CHANGES: (workflow.PRIVACY_OFFICER,),
        workflow.REJECT: (workflow.PRIVACY_OFFICER,),
        workflow.PUBLISH: (workflow.COORDINATOR,),
        workflow.WITHDRAW: (workflow.COORDINATOR, workflow.SYSADMIN),
        workflow.OVERRIDE: (workflow.SYSADMIN,),
    }.get(step, ())
    for role in preferred:
        if role in roles:
            return role
    return sorted(roles)[0] if roles else "system"


# --- the dataset and its review record -------------------------------------------------

def get_package(package_id: str | None) -> model.Package:
    pkg = model.Package.get(package_id) if package_id else None
    if pkg is None:
        raise tk.ObjectNotFound(tk._("Dataset not found"))
    return pkg


def get_review(pkg: model.Package, *, adopt: bool = True) -> pmodel.Review | None:
    review = pmodel.get_review(pkg.id)
    if review is None and adopt:
        review = adopt_package(pkg)
    return review


def adopt_package(pkg: model.Package, *, commit: bool = False) -> pmodel.Review:
    """Create the review record of a dataset that existed before the plugin was enabled.

    A public dataset is recorded as ``gepubliceerd`` with an audit entry saying so, or -
    with ``ckanext.gemeente.privacy.existing_public = review`` - made private and sent to
    review (``ingediend``). A private one starts as ``concept``.
    """
    now = pmodel.utcnow()
    public = not pkg.private and pkg.state == "active"
    mode = (tk.config.get(CONFIG + "existing_public") or "publish").strip()
    if public and mode == "review":
        state = workflow.SUBMITTED
    elif public:
        state = workflow.PUBLISHED
    else:
        state = workflow.CONCEPT
    review = pmodel.Review(package_id=pkg.id, state=state, organization_id=pkg.owner_org,
                           checklist="{}", conditions="", state_changed=now, created=now)
    model.Session.add(review)
    if public:
        comment = (
            "Bestaande openbare dataset bij het inschakelen van de privacytoets vastgelegd als "
            "gepubliceerd" if state == workflow.PUBLISHED else
            "Bestaande openbare dataset bij het inschakelen van de privacytoets offline gehaald "
            "en ter beoordeling aangeboden")
        site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
        pmodel.append_audit({
            "package_id": pkg.id, "step": "adopt", "actor": site_user["name"],
            "role": "system", "created": now, "from_state": None, "to_state": state,
            "checklist": "{}", "findings": "{}", "content_hash": content_hash(pkg.id),
            "comment": comment, "target": "dataset",
        })
        if state == workflow.SUBMITTED:
            pkg.private = True
            site = model.User.get(site_user["name"])
            review.submitted_by = site.id if site else None
            review.submitted_at = now
    model.Session.flush()
    if commit or (public and state == workflow.SUBMITTED):
        model.Session.commit()
        if public and state == workflow.SUBMITTED:
            reindex(pkg.id)
    return review


def adopt_all() -> dict[str, int]:
    """Adopt every dataset without a review record (``ckan gemeente review adopt``)."""
    ids = model.Session.execute(
        sa.select(model.Package.id)
        .outerjoin(pmodel.Review, pmodel.Review.package_id == model.Package.id)
        .where(pmodel.Review.package_id.is_(None), model.Package.state != "deleted",
               model.Package.type == "dataset")
    ).scalars().all()
    counts: dict[str, int] = {}
    for pkg_id in ids:
        review = adopt_package(model.Package.get(pkg_id), commit=True)
        counts[review.state] = counts.get(review.state, 0) + 1
    return counts


def reindex(package_id: str) -> None:
    """Re-index one dataset (review state and permission labels are in the index)."""
    from ckan.lib import search  # the toolkit has no index call

    search.rebuild(package_id)


def package_dict(package_id: str) -> dict[str, Any]:
    return tk.get_action("package_show")(
        {"ignore_auth": True, "use_cache": False, "for_view": False}, {"id": package_id})


def content_hash(package_id: str, pkg_dict: dict[str, Any] | None = None) -> str:
    """sha256 of the dataset's content (metadata and resources, volatile fields left out)."""
    data = dict(pkg_dict or package_dict(package_id))
    for key in VOLATILE:
        data.pop(key, None)
    data["resources"] = [
        {k: v for k, v in res.items() if k not in VOLATILE_RES}
        for res in data.get("resources") or []
    ]
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def field_value(pkg_dict: dict[str, Any], field: str) -> Any:
    """A schema field of the dataset (top level with gemeente_schema, or an extra)."""
    if field in pkg_dict:
        return pkg_dict[field]
    for extra in pkg_dict.get("extras") or []:
        if extra.get("key") == field:
            return extra.get("value")
    return None


def open_without_personal_data(pkg_dict: dict[str, Any]) -> bool:
    """Open (``openbaar``) access and a classification without personal data."""
    access = str(field_value(pkg_dict, "access_rights") or "")
    cls = str(field_value(pkg_dict, "privacy_classification") or "")
    open_access = access.rstrip("/").rsplit("/", 1)[-1].upper() in ("PUBLIC", "OPENBAAR")
    none_classes = tk.aslist(tk.config.get(CONFIG + "no_personal_data_classes")
                             or "geen-persoonsgegevens")
    return open_access and cls in none_classes


# --- findings from IGemeenteReview plugins ---------------------------------------------

def findings_for(context: dict[str, Any], pkg_dict: dict[str, Any]) -> list[dict[str, Any]]:
    from ckan.plugins import PluginImplementations

    from ..interfaces import IGemeenteReview

    out: list[dict[str, Any]] = []
    for plugin in PluginImplementations(IGemeenteReview):
        try:
            out.extend(plugin.review_findings(context, pkg_dict) or [])
        except Exception as err:  # a broken hook must not break the review
            log.exception("review_findings of %s failed", plugin)
            out.append({"source": getattr(plugin, "name", "?"), "resource_id": None,
                        "title": "Controle mislukt", "risk": "fout", "summary": str(err),
                        "blocking": False})
    return out


def blockers_for(context: dict[str, Any], pkg_dict: dict[str, Any],
                 findings: list[dict[str, Any]], decision: dict[str, Any]) -> list[str]:
    from ckan.plugins import PluginImplementations

    from ..interfaces import IGemeenteReview

    reasons = [f"{f.get('title') or f.get('summary')}" for f in findings if f.get("blocking")]
    for plugin in PluginImplementations(IGemeenteReview):
        reasons.extend(plugin.review_blockers(context, pkg_dict, decision) or [])
    return reasons


def findings_summary(findings: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    by_risk: dict[str, int] = {}
    for f in findings:
        risk = str(f.get("risk") or "geen")
        by_risk[risk] = by_risk.get(risk, 0) + 1
    out: dict[str, Any] = {
        "count": len(findings),
        "blocking": sum(1 for f in findings if f.get("blocking")),
        "by_risk": by_risk,
        "titles": [str(f.get("title") or "") for f in findings if f.get("blocking")][:20],
    }
    out.update({k: v for k, v in extra.items() if v not in (None, "", [])})
    return out


def after_transition(context: dict[str, Any], pkg_dict: dict[str, Any],
                     entry: dict[str, Any]) -> None:
    from ckan.plugins import PluginImplementations

    from ..interfaces import IGemeenteReview

    for plugin in PluginImplementations(IGemeenteReview):
        try:
            plugin.review_after_transition(context, pkg_dict, entry)
        except Exception:
            log.exception("review_after_transition of %s failed", plugin)


# --- recording a step ------------------------------------------------------------------

def audit_row(pkg_id: str, step: str, actor: model.User | dict[str, Any], role: str,
              from_state: str | None, to_state: str, *, checklist: dict[str, Any] | None = None,
              findings: dict[str, Any] | None = None, comment: str = "",
              target: str = "dataset", chash: str | None = None) -> pmodel.AuditEntry:
    name = actor["name"] if isinstance(actor, dict) else actor.name
    return pmodel.append_audit({
        "package_id": pkg_id, "step": step, "actor": name, "role": role,
        "from_state": from_state, "to_state": to_state,
        "checklist": audit.canonical_json(checklist or {}),
        "findings": audit.canonical_json(findings or {}),
        "content_hash": chash or content_hash(pkg_id), "comment": comment or "",
        "target": target,
    })


def set_private(context: dict[str, Any], pkg_id: str, private: bool) -> None:
    """Flip ``private`` through CKAN's own package_patch (the review's own path)."""
    ctx = {"user": context.get("user"), "ignore_auth": True, ALLOW: True}
    tk.get_action("package_patch")(ctx, {"id": pkg_id, "private": private})
