"""Actions of the scanner: ``gemeente_scan_show``, ``gemeente_scan_run`` and
``gemeente_pseudonymise`` (a new resource from a CSV/XLSX with columns pseudonymised)."""

from __future__ import annotations

import json
import logging
import os
import tempfile
from typing import Any

from ckan.plugins import toolkit as tk

from .. import jobs, model
from ..pseudonymise import OPERATIONS, Operation, PseudonymiseError, load_key, pseudonymise_file

log = logging.getLogger(__name__)
Context = dict[str, Any]


def _resource(context: Context, data_dict: dict[str, Any]) -> dict[str, Any]:
    rid = data_dict.get("resource_id") or data_dict.get("id")
    if not rid:
        raise tk.ValidationError({"resource_id": [tk._("Missing value")]})
    return tk.get_action("resource_show")({**context, "ignore_auth": True}, {"id": rid})


def _table() -> None:
    if not model.table_exists():
        raise tk.ValidationError({"resource_id": [tk._(
            "The scan tables are missing: run `ckan db upgrade -p gemeente_scan`")]})


@tk.side_effect_free
def gemeente_scan_show(context: Context, data_dict: dict[str, Any]) -> dict[str, Any]:
    """The latest scan of a resource ``{resource_id, history?: bool}``: status, risk and the
    report (counts and masked examples only); ``history`` adds the earlier scans."""
    tk.check_access("gemeente_scan_show", context, data_dict)
    _table()
    res = _resource(context, data_dict)
    row = model.latest(res["id"])
    out: dict[str, Any] = {
        "resource_id": res["id"], "version": jobs.resource_version(res),
        "scannable": jobs.is_scannable(res),
        "latest": row.as_dict() if row else None,
    }
    out["current"] = bool(row and row.version == out["version"])
    if tk.asbool(data_dict.get("history")):
        out["history"] = [r.as_dict() for r in model.history(res["id"])]
    return out


def gemeente_scan_run(context: Context, data_dict: dict[str, Any]) -> dict[str, Any]:
    """Queue a new scan of ``{resource_id}`` (also when this version was scanned before)."""
    tk.check_access("gemeente_scan_run", context, data_dict)
    _table()
    res = _resource(context, data_dict)
    if not jobs.is_scannable(res):
        raise tk.ValidationError({"resource_id": [tk._(
            "This resource format is not scanned (see ckanext.gemeente.scan.formats)")]})
    row = jobs.enqueue_scan(res, force=True)
    return row.as_dict() if row else {}


def _operations(data_dict: dict[str, Any]) -> list[Operation]:
    raw = data_dict.get("operations")
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raw = None
    errors: list[str] = []
    ops: list[Operation] = []
    if not isinstance(raw, list) or not raw:
        errors.append(tk._("Give a list of {column, operation} objects"))
    else:
        for item in raw:
            if not isinstance(item, dict) or not item.get("column") or \
                    item.get("operation") not in OPERATIONS:
                errors.append(tk._("Each operation needs a column and one of: {ops}").format(
                    ops=", ".join(OPERATIONS)))
                break
            ops.append(Operation(str(item["column"]), str(item["operation"])))
    if errors:
        raise tk.ValidationError({"operations": errors})
    return ops


def gemeente_pseudonymise(context: Context, data_dict: dict[str, Any]) -> dict[str, Any]:
    """Make a new resource in the same dataset from the CSV/XLSX resource ``resource_id``
    with ``operations`` ([{column, operation}], operation one of pseudonym, postcode4, year,
    age_band, suppress, drop) applied; ``threshold`` for small cells (default 5), ``name``
    of the new resource. The key comes from the CKAN process's environment
    (GEMEENTE_PSEUDONYM_KEY) or ``ckanext.gemeente.scan.pseudonym_key_file``. Returns
    ``{resource, audit}``; the audit (what was done, the key id, never the key) is also kept
    on the new resource as ``gemeente_pseudonymisation``."""
    tk.check_access("gemeente_pseudonymise", context, data_dict)
    res = _resource(context, data_dict)
    ops = _operations(data_dict)
    try:
        threshold = int(data_dict.get("threshold") or tk.config.get(
            "ckanext.gemeente.scan.small_cell_threshold"))
    except (TypeError, ValueError) as exc:
        raise tk.ValidationError({"threshold": [tk._("Must be a whole number")]}) from exc
    key = None
    if any(o.operation == "pseudonym" for o in ops):
        try:
            key = load_key(tk.config.get("ckanext.gemeente.scan.pseudonym_key_file") or None)
        except PseudonymiseError as exc:
            raise tk.ValidationError({"key": [str(exc)]}) from exc
    tmpdir = tempfile.mkdtemp(prefix="gemeente-pseudo-")
    src = dst = None
    try:
        if res.get("url_type") == "upload":
            src = jobs.upload_path(res)
        else:
            src = os.path.join(tmpdir, "bron." + (jobs._ext(res) or "csv"))
            try:
                jobs.download(res["url"], src, jobs.guard_policy())
            except jobs.FetchError as exc:
                raise tk.ValidationError({"resource_id": [str(exc)]}) from exc
        dst = os.path.join(tmpdir, "gepseudonimiseerd.csv")
        try:
            audit = pseudonymise_file(src, dst, ops, key, threshold=threshold)
        except PseudonymiseError as exc:
            raise tk.ValidationError({"operations": [str(exc)]}) from exc
        user = context.get("user") or ""
        audit["resource_id"] = res["id"]
        audit["user"] = user
        name = data_dict.get("name") or f"{res.get('name') or 'bron'} (gepseudonimiseerd)"
        from werkzeug.datastructures import FileStorage

        with open(dst, "rb") as f:
            upload = FileStorage(stream=f, filename=f"{_slug(name)}.csv",
                                 content_type="text/csv")
            new = tk.get_action("resource_create")(dict(context), {
                "package_id": res["package_id"], "name": name, "format": "CSV",
                "upload": upload, "url": "",
                "description": tk._("Pseudonymised copy of {name}").format(
                    name=res.get("name") or res["id"]),
                "gemeente_pseudonymisation": json.dumps(audit, ensure_ascii=False),
            })
        log.info("gemeente_pseudonymise: %s -> %s by %s: %s", res["id"], new["id"], user,
                 ", ".join(f"{o.column}:{o.operation}" for o in ops))
        return {"resource": new, "audit": audit}
    finally:
        for p in (dst, os.path.join(tmpdir, "bron." + (jobs._ext(res) or "csv"))):
            if p and os.path.exists(p) and p.startswith(tmpdir):
                os.unlink(p)
        os.rmdir(tmpdir)


def _slug(name: str) -> str:
    out = "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-")
    return "-".join(p for p in out.split("-") if p)[:60] or "bron"


def get_actions() -> dict[str, Any]:
    return {"gemeente_scan_show": gemeente_scan_show, "gemeente_scan_run": gemeente_scan_run,
            "gemeente_pseudonymise": gemeente_pseudonymise}
