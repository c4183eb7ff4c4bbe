"""The CKAN glue between resources, the scan jobs and the privacy review."""

from __future__ import annotations

import logging
from typing import Any

from ckan.plugins import toolkit as tk

from . import jobs, model
from .findings import review_findings

log = logging.getLogger(__name__)


def on_resource_change(resource: dict[str, Any]) -> None:
    if not tk.asbool(tk.config.get("ckanext.gemeente.scan.on_upload")):
        return
    try:
        jobs.enqueue_scan(resource)
    except Exception:  # a full Redis must not fail the upload; the review shows "not scanned"
        log.exception("gemeente_scan: could not queue the scan of %s", resource.get("id"))


def on_package_change(pkg_dict: dict[str, Any]) -> None:
    """Datasets created or updated with their resources in one call (harvesters, the API):
    queue a scan of the package once the transaction is committed (a worker must see the
    resources), through an ``after_commit`` hook on the session."""
    if not tk.asbool(tk.config.get("ckanext.gemeente.scan.on_upload")) or \
            not pkg_dict.get("id"):
        return
    import sqlalchemy as sa
    from ckan import model as ckan_model

    session = ckan_model.Session()
    if not sa.event.contains(session, "after_commit", _after_commit):
        sa.event.listen(session, "after_commit", _after_commit)
    session.info.setdefault("gemeente_scan_packages", set()).add(pkg_dict["id"])


def _after_commit(session: Any) -> None:
    for pid in sorted(session.info.pop("gemeente_scan_packages", set())):
        try:
            jobs.enqueue_package(pid)
        except Exception:
            log.exception("gemeente_scan: could not queue the scan of package %s", pid)


def findings_for(package: dict[str, Any]) -> list[dict[str, Any]]:
    try:
        if not model.table_exists():
            return [{"source": "scan", "resource_id": None, "risk": "fout", "blocking": True,
                     "title": "Scanner niet geïnstalleerd",
                     "summary": "Voer `ckan db upgrade -p gemeente_scan` uit.", "details": []}]
        resources = package.get("resources") or []
        rows = {r.resource_id: r.as_dict() for r in model.for_package(package["id"])}
        versions = {r["id"]: jobs.resource_version(r) for r in resources}
        scannable = {r["id"]: jobs.is_scannable(r) for r in resources}
        return review_findings(package, rows, versions, scannable)
    except Exception as exc:
        log.exception("gemeente_scan: findings of %s", package.get("id"))
        return [{"source": "scan", "resource_id": None, "risk": "fout", "blocking": True,
                 "title": "Scanresultaten niet beschikbaar",
                 "summary": f"Fout bij het lezen van de scanresultaten ({type(exc).__name__}).",
                 "details": []}]
