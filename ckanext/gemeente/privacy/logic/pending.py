"""Pending changes: material edits of a published dataset held back for review.

A change is *material* when it adds, replaces, re-points or deletes a resource, or changes
one of the material fields (privacy classification, access rights, legal basis; the list is
``ckanext.gemeente.privacy.material_fields``). The material part of an edit is stored as an
*operation* of the dataset's pending change (an uploaded file is copied to the pending store
outside CKAN's resource storage, reachable through no URL); the rest of the edit applies at
once. The public keeps seeing the approved version until the coordinator publishes the
change (operations replayed through CKAN's own actions); rejection discards it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from typing import Any

from ckan import model
from ckan.plugins import toolkit as tk

from .. import model as pmodel
from .. import workflow
from . import core

_missing = object()


def is_published(pkg: model.Package | None) -> bool:
    """Public and recorded as published: edits to it are checked for material changes."""
    if pkg is None or pkg.private or pkg.state != "active":
        return False
    review = core.get_review(pkg)
    return review is not None and review.state == workflow.PUBLISHED


def _current_value(pkg: model.Package, field: str) -> Any:
    extras = pkg.extras
    if field in extras:
        return extras.get(field)
    return getattr(pkg, field, None) if field in ("license_id",) else None


def _given_value(data_dict: dict[str, Any], field: str) -> Any:
    if field in data_dict:
        return data_dict[field]
    if "extras" in data_dict:
        for extra in data_dict.get("extras") or []:
            if isinstance(extra, dict) and extra.get("key") == field:
                return extra.get("value")
        return None  # extras given without it: cleared
    return _missing


def _norm(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        return json.dumps(value, sort_keys=True)
    return str(value)


def changed_material_fields(pkg: model.Package, data_dict: dict[str, Any]) -> list[str]:
    out = []
    for field in core.material_fields():
        given = _given_value(data_dict, field)
        if given is _missing:
            continue
        if _norm(given) != _norm(_current_value(pkg, field)):
            out.append(field)
    return out


def resources_changed(pkg: model.Package, resources: list[dict[str, Any]] | None) -> bool:
    """True when ``resources`` adds, removes, uploads or re-points a resource."""
    if resources is None:
        return False
    current = {r.id: r for r in pkg.resources}
    seen = set()
    for res in resources:
        if not isinstance(res, dict):
            return True
        if res.get("upload") not in (None, "") or res.get("clear_upload"):
            return True
        rid = res.get("id")
        if not rid or rid not in current:
            return True
        seen.add(rid)
        if "url" in res and _norm(res.get("url")) != _norm(current[rid].url):
            return True
    return seen != set(current)


def resource_update_is_material(res: model.Resource, data_dict: dict[str, Any]) -> bool:
    if data_dict.get("upload") not in (None, "") or data_dict.get("clear_upload"):
        return True
    return "url" in data_dict and _norm(data_dict.get("url")) != _norm(res.url)


# --- storing -------------------------------------------------------------------------------

def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in data.items():
        if key in ("upload", "clear_upload") or hasattr(value, "read"):
            continue
        out[key] = value
    return json.loads(json.dumps(out, default=str))


def _save_upload(pending_id: str, index: int, upload: Any) -> dict[str, Any]:
    """Copy an uploaded file (werkzeug FileStorage / cgi.FieldStorage) to the pending store."""
    folder = os.path.join(core.pending_storage_path(), pending_id)
    os.makedirs(folder, mode=0o700, exist_ok=True)
    filename = os.path.basename(getattr(upload, "filename", None) or "upload.bin")
    path = os.path.join(folder, f"{index:03d}")
    stream = getattr(upload, "stream", None) or getattr(upload, "file", None)
    if stream is None:
        raise tk.ValidationError({"upload": [tk._("The uploaded file could not be read")]})
    try:
        stream.seek(0)
    except (AttributeError, OSError):
        pass
    digest = hashlib.sha256()
    size = 0
    with open(path, "wb") as out:
        while True:
            chunk = stream.read(1 << 16)
            if not chunk:
                break
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    return {"path": path, "filename": filename, "size": size, "sha256": digest.hexdigest(),
            "content_type": getattr(upload, "content_type", None) or getattr(upload, "mimetype",
                                                                              None)}


def store(context: dict[str, Any], pkg: model.Package, op: str, data: dict[str, Any],
          *, uploads: list[tuple[int, Any]] = (), summary: str = "") -> pmodel.PendingChange:
    """Add an operation to the dataset's pending change (created as ``ingediend``)."""
    user = core.user_object(context)
    pending = pmodel.get_pending(pkg.id)
    now = pmodel.utcnow()
    from_state = pending.state if pending else None
    if pending is None:
        pending = pmodel.PendingChange(package_id=pkg.id, state=workflow.SUBMITTED,
                                       operations="[]", checklist="{}", conditions="",
                                       created=now, state_changed=now)
        model.Session.add(pending)
        model.Session.flush()
    ops = pending.operations_list()
    entry: dict[str, Any] = {"op": op, "data": _jsonable(data), "files": {},
                             "by": user.name if user else None, "at": now.isoformat(),
                             "summary": summary}
    for index, upload in uploads:
        entry["files"][str(index)] = _save_upload(pending.id, len(ops) * 100 + index, upload)
    ops.append(entry)
    pending.operations = json.dumps(ops, ensure_ascii=False)
    pending.state = workflow.SUBMITTED
    pending.state_changed = now
    pending.submitted_by = user.id if user else None
    pending.first_approver = None
    role = core.primary_role(core.roles_for(user, pkg), workflow.SUBMIT)
    core.audit_row(pkg.id, "change", user or {"name": "system"}, role, from_state,
                   workflow.SUBMITTED, comment=summary or op, target="pending",
                   findings={"operation": op, "files": [
                       {k: f[k] for k in ("filename", "size", "sha256")}
                       for f in entry["files"].values()]})
    if not context.get("defer_commit"):
        model.Session.commit()
    from .. import notify

    notify.after_step(context, pkg.id, "change", workflow.SUBMITTED, target="pending")
    return pending


def describe(pending: pmodel.PendingChange, *, full: bool) -> dict[str, Any]:
    ops = pending.operations_list()
    out: dict[str, Any] = {
        "id": pending.id,
        "state": pending.state,
        "state_label": core.state_label(pending.state),
        "created": pending.created.isoformat(),
        "state_changed": pending.state_changed.isoformat(),
        "submitted_by": _user_name(pending.submitted_by),
        "checklist": json.loads(pending.checklist or "{}"),
        "conditions": pending.conditions,
        "operation_count": len(ops),
    }
    if full:
        out["operations"] = [
            {"op": o["op"], "data": o["data"], "summary": o.get("summary", ""),
             "by": o.get("by"), "at": o.get("at"),
             "files": [{k: f[k] for k in ("filename", "size", "sha256", "content_type")}
                       for f in o.get("files", {}).values()]}
            for o in ops
        ]
    return out


def _user_name(user_id: str | None) -> str | None:
    if not user_id:
        return None
    user = model.User.get(user_id)
    return user.name if user else user_id


# --- applying and discarding ---------------------------------------------------------------

def _file_storage(info: dict[str, Any]) -> Any:
    from werkzeug.datastructures import FileStorage

    return FileStorage(stream=open(info["path"], "rb"), filename=info["filename"],
                       content_type=info.get("content_type") or None)


def apply(context: dict[str, Any], pkg: model.Package, pending: pmodel.PendingChange) -> None:
    """Replay the pending operations through CKAN's actions (the review's own path)."""
    opened = []
    try:
        for entry in pending.operations_list():
            ctx = {"user": context.get("user"), "ignore_auth": True, core.ALLOW: True}
            data = dict(entry["data"])
            files = entry.get("files") or {}
            if entry["op"] == "package_patch":
                if files and isinstance(data.get("resources"), list):
                    for key, info in files.items():
                        fs = _file_storage(info)
                        opened.append(fs)
                        data["resources"][int(key)]["upload"] = fs
                data["id"] = pkg.id
                tk.get_action("package_patch")(ctx, data)
            elif entry["op"] in ("resource_create", "resource_update"):
                if "0" in files:
                    fs = _file_storage(files["0"])
                    opened.append(fs)
                    data["upload"] = fs
                if entry["op"] == "resource_update":
                    try:
                        tk.get_action("resource_update")(ctx, data)
                    except tk.ObjectNotFound:
                        continue  # the resource was deleted meanwhile
                else:
                    data["package_id"] = pkg.id
                    tk.get_action("resource_create")(ctx, data)
            elif entry["op"] == "resource_delete":
                try:
                    tk.get_action("resource_delete")(ctx, {"id": data["id"]})
                except tk.ObjectNotFound:
                    continue
    finally:
        for fs in opened:
            fs.close()
    discard(pending)


def discard(pending: pmodel.PendingChange) -> None:
    """Remove the pending change and its stored files (the caller commits)."""
    try:
        folder = os.path.join(core.pending_storage_path(), pending.id)
    except tk.ValidationError:
        folder = ""
    if folder and os.path.isdir(folder):
        shutil.rmtree(folder, ignore_errors=True)
    model.Session.delete(pending)
    model.Session.flush()
