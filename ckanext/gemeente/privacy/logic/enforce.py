"""Closing every publish path: CKAN's own actions chained (``tk.chained_action``).

- A dataset is created private (``private`` defaults to True); ``private=False`` from anyone,
  sysadmins included, is a ValidationError: only the coordinator's publish step makes a
  dataset public. Unowned datasets cannot be private in CKAN, so they are refused.
- ``private`` of an existing dataset cannot be changed through package_update/patch/revise
  (the dataset form goes through package_update), nor through bulk_update_public/private.
- Removing a dataset's organization (package_owner_org_update) is refused: it would make it
  public.
- Material changes of a published dataset become a pending change (:mod:`.pending`), or with
  ``ckanext.gemeente.privacy.offline_on_change`` take the dataset offline and back to review.

The review's own steps pass ``core.ALLOW`` in the context (API callers cannot set context).
"""

from __future__ import annotations

import json
from typing import Any

from ckan import model
from ckan.plugins import toolkit as tk

from .. import labels, workflow
from .. import model as pmodel
from . import core, pending

PENDING_FLAG = "gemeente_review_pending"


def _private_given(data_dict: dict[str, Any]) -> bool | None:
    if "private" not in data_dict or data_dict.get("private") in (None, ""):
        return None
    try:
        return tk.asbool(data_dict["private"])
    except ValueError:
        raise tk.ValidationError({"private": [tk._("Must be true or false")]}) from None


def _refuse_public() -> tk.ValidationError:
    return tk.ValidationError({"private": [tk._(
        "A dataset becomes public only through the privacy review: the coordinator "
        "publishes it after the privacy officer approved it")]})


def _unowned_error() -> tk.ValidationError:
    return tk.ValidationError({"owner_org": [tk._(
        "Datasets must belong to an organization (department) under the privacy review: "
        "unowned datasets cannot be private in CKAN")]})


@tk.chained_action
def package_create(up_func: Any, context: dict[str, Any], data_dict: dict[str, Any]) -> Any:
    if context.get(core.ALLOW):
        return up_func(context, data_dict)
    if _private_given(data_dict) is False:
        raise _refuse_public()
    if not data_dict.get("owner_org"):
        raise _unowned_error()
    data_dict["private"] = True
    result = up_func(context, data_dict)
    pkg_id = result if isinstance(result, str) else result["id"]
    pkg = model.Package.get(pkg_id)
    if pkg is not None and pmodel.get_review(pkg.id) is None:
        now = pmodel.utcnow()
        model.Session.add(pmodel.Review(
            package_id=pkg.id, state=workflow.CONCEPT, organization_id=pkg.owner_org,
            checklist="{}", conditions="", state_changed=now, created=now))
        if not context.get("defer_commit"):
            model.Session.commit()
        else:
            model.Session.flush()
    if isinstance(result, dict):
        result["review_state"] = workflow.CONCEPT
    return result


def _take_offline(context: dict[str, Any], pkg: model.Package, summary: str) -> None:
    """``offline_on_change``: back to review, private until re-approved and published."""
    user = core.user_object(context)
    review = core.get_review(pkg)
    assert review is not None
    role = core.primary_role(core.roles_for(user, pkg), workflow.SUBMIT)
    core.audit_row(pkg.id, "change", user or {"name": "system"}, role, review.state,
                   workflow.SUBMITTED, target="dataset",
                   comment=f"{summary}; offline tot hernieuwde goedkeuring")
    review.state = workflow.SUBMITTED
    review.submitted_by = user.id if user else None
    review.submitted_at = review.state_changed = pmodel.utcnow()
    review.first_approver = None
    core.set_private(context, pkg.id, True)


@tk.chained_action
def package_update(up_func: Any, context: dict[str, Any], data_dict: dict[str, Any]) -> Any:
    if context.get(core.ALLOW):
        return up_func(context, data_dict)
    # the dataset and its review record in one query (CKAN's own lookup then hits the session)
    pkg, review, has_pending = pmodel.package_and_review(
        data_dict.get("id") or data_dict.get("name") or "")
    if pkg is None:
        return up_func(context, data_dict)
    if review is None:
        review = core.get_review(pkg)  # a dataset from before the plugin: adopted now
    published = review is not None and review.state == workflow.PUBLISHED and not pkg.private
    given = _private_given(data_dict)
    if given is False and not published:
        raise _refuse_public()
    if given is True and published:
        raise tk.ValidationError({"private": [tk._(
            "A published dataset is taken offline by withdrawing it in the privacy review "
            "(gemeente_review_withdraw)")]})
    data_dict["private"] = pkg.private
    if "owner_org" in data_dict and not data_dict.get("owner_org") and pkg.private:
        raise _unowned_error()
    if not published:
        return up_func(context, data_dict)

    fields = pending.changed_material_fields(pkg, data_dict)
    res_changed = pending.resources_changed(pkg, data_dict.get("resources"))
    if not fields and not res_changed:
        with labels.known_pending(pkg.id, has_pending):
            return up_func(context, data_dict)
    summary = ", ".join(fields + (["resources"] if res_changed else []))
    tk.check_access("package_update", context, data_dict)
    if core.cfg_bool("offline_on_change"):
        _take_offline(context, pkg, f"Materiële wijziging ({summary})")
        data_dict["private"] = True
        context[core.ALLOW] = True
        return up_func(context, data_dict)

    held: dict[str, Any] = {}
    uploads = []
    for field in fields:
        if field in data_dict:
            held[field] = data_dict[field]
            current = pkg.extras.get(field)
            if current is None:
                data_dict.pop(field)
            else:
                data_dict[field] = current
    if any(f not in held for f in fields) and "extras" in data_dict:
        held["extras"] = data_dict["extras"]
        current_extras = dict(pkg.extras)
        kept = [e for e in data_dict["extras"] if e.get("key") not in fields]
        kept += [{"key": f, "value": current_extras[f]} for f in fields
                 if f in current_extras and f not in held]
        data_dict["extras"] = kept
    if res_changed:
        held["resources"] = data_dict.pop("resources")
        uploads = [(i, r["upload"]) for i, r in enumerate(held["resources"])
                   if isinstance(r, dict) and r.get("upload") not in (None, "")
                   and hasattr(r.get("upload"), "filename")]
    with labels.known_pending(pkg.id, has_pending):
        result = up_func(context, data_dict)
    pending.store(context, pkg, "package_patch", held, uploads=uploads,
                  summary=f"Materiële wijziging: {summary}")
    if isinstance(result, dict):
        result[PENDING_FLAG] = True
    return result


@tk.chained_action
def package_owner_org_update(up_func: Any, context: dict[str, Any],
                             data_dict: dict[str, Any]) -> Any:
    if not context.get(core.ALLOW) and not data_dict.get("organization_id"):
        pkg = model.Package.get(data_dict.get("id") or "")
        if pkg is not None:
            raise tk.ValidationError({"organization_id": [tk._(
                "A dataset under the privacy review cannot lose its organization: that "
                "would make it public")]})
    result = up_func(context, data_dict)
    pkg = model.Package.get(data_dict.get("id") or "")
    review = pmodel.get_review(pkg.id) if pkg is not None else None
    if review is not None and pkg.owner_org != review.organization_id:
        review.organization_id = pkg.owner_org
        model.Session.commit()
    return result


@tk.chained_action
def bulk_update_public(up_func: Any, context: dict[str, Any], data_dict: dict[str, Any]) -> Any:
    if context.get(core.ALLOW):
        return up_func(context, data_dict)
    # NotAuthorized, not ValidationError: CKAN's bulk page only handles NotAuthorized
    raise tk.NotAuthorized(tk._(
        "Datasets are made public one by one through the privacy review (the coordinator's "
        "publish step), not in bulk"))


@tk.chained_action
def bulk_update_private(up_func: Any, context: dict[str, Any],
                        data_dict: dict[str, Any]) -> Any:
    if context.get(core.ALLOW):
        return up_func(context, data_dict)
    ids = data_dict.get("datasets") or []
    for pkg_id in ids if isinstance(ids, list) else []:
        if pending.is_published(model.Package.get(pkg_id)):
            raise tk.NotAuthorized(tk._(
                "A published dataset is taken offline by withdrawing it in the privacy "
                "review (gemeente_review_withdraw)"))
    return up_func(context, data_dict)


@tk.chained_action
def dataset_purge(up_func: Any, context: dict[str, Any], data_dict: dict[str, Any]) -> Any:
    """A purged dataset takes its review record and pending change along (the audit trail
    keeps its steps); the review queue's counts rely on it."""
    pkg = model.Package.get(data_dict.get("id") or "")
    package_id = pkg.id if pkg is not None else None
    result = up_func(context, data_dict)
    if package_id:
        pend = pmodel.get_pending(package_id)
        if pend is not None:
            pending.discard(pend)
        review = pmodel.get_review(package_id)
        if review is not None:
            model.Session.delete(review)
        model.Session.commit()
    return result


def _pending_resource(data: dict[str, Any], pkg: model.Package, pend: Any) -> dict[str, Any]:
    out = {k: v for k, v in data.items() if not hasattr(v, "read") and k != "upload"}
    out.update({"package_id": pkg.id, PENDING_FLAG: True, "pending_id": pend.id})
    out.setdefault("id", pend.id)
    return json.loads(json.dumps(out, default=str))


def _hold_resource_change(up_func: Any, context: dict[str, Any], pkg: model.Package,
                          action: str, data_dict: dict[str, Any], summary: str) -> Any:
    """A new or replaced file of a published dataset: once ``action`` is allowed to the
    caller, the dataset goes offline for review (``offline_on_change``) or the change waits,
    with its upload, as the dataset's pending change; the answer is the resource as it will
    be."""
    tk.check_access(action, context, data_dict)
    if core.cfg_bool("offline_on_change"):
        _take_offline(context, pkg, summary)
        return up_func(dict(context, **{core.ALLOW: True}), data_dict)
    upload = data_dict.get("upload")
    uploads = [(0, upload)] if upload not in (None, "") and hasattr(upload, "filename") else []
    pend = pending.store(context, pkg, action, data_dict, uploads=uploads, summary=summary)
    return _pending_resource(data_dict, pkg, pend)


@tk.chained_action
def resource_create(up_func: Any, context: dict[str, Any], data_dict: dict[str, Any]) -> Any:
    if context.get(core.ALLOW):
        return up_func(context, data_dict)
    pkg = model.Package.get(data_dict.get("package_id") or "")
    if not pending.is_published(pkg):
        return up_func(context, data_dict)
    assert pkg is not None
    summary = f"Nieuwe bron: {data_dict.get('name') or data_dict.get('url') or ''}".strip()
    return _hold_resource_change(up_func, context, pkg, "resource_create", data_dict, summary)


@tk.chained_action
def resource_update(up_func: Any, context: dict[str, Any], data_dict: dict[str, Any]) -> Any:
    if context.get(core.ALLOW):
        return up_func(context, data_dict)
    res = model.Resource.get(data_dict.get("id") or "")
    pkg = res.package if res is not None else None
    if res is None or not pending.is_published(pkg) or not pending.resource_update_is_material(
            res, data_dict):
        return up_func(context, data_dict)
    assert pkg is not None
    summary = f"Bron vervangen of verwezen: {res.name or res.id}"
    return _hold_resource_change(up_func, context, pkg, "resource_update", data_dict, summary)


@tk.chained_action
def resource_delete(up_func: Any, context: dict[str, Any], data_dict: dict[str, Any]) -> Any:
    if context.get(core.ALLOW):
        return up_func(context, data_dict)
    res = model.Resource.get(data_dict.get("id") or "")
    pkg = res.package if res is not None else None
    if res is None or not pending.is_published(pkg):
        return up_func(context, data_dict)
    assert pkg is not None
    tk.check_access("resource_delete", context, data_dict)
    summary = f"Bron verwijderd: {res.name or res.id}"
    if core.cfg_bool("offline_on_change"):
        _take_offline(context, pkg, summary)
        return up_func(dict(context, **{core.ALLOW: True}), data_dict)
    pending.store(context, pkg, "resource_delete", {"id": res.id}, summary=summary)
    return None


def get_actions() -> dict[str, Any]:
    return {
        "package_create": package_create,
        "package_update": package_update,
        "package_owner_org_update": package_owner_org_update,
        "dataset_purge": dataset_purge,
        "bulk_update_public": bulk_update_public,
        "bulk_update_private": bulk_update_private,
        "resource_create": resource_create,
        "resource_update": resource_update,
        "resource_delete": resource_delete,
    }
