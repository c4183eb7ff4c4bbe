"""The scan results table: one row per scan of a resource version (``gemeente_scan_result``).

Created by ``ckan db upgrade -p gemeente_scan``. A row holds the JSON report (counts and masked
examples only, never values), the risk, and the status of the background job: ``queued``,
``running``, ``done`` or ``error`` (the scan could not run: the message says why).
"""

from __future__ import annotations

import datetime as _dt
import json
import uuid
from typing import Any

import sqlalchemy as sa
from ckan import model
from ckan.plugins import toolkit as tk


class ScanResult(tk.BaseModel):  # type: ignore[misc, valid-type]
    __tablename__ = "gemeente_scan_result"

    id = sa.Column(sa.UnicodeText, primary_key=True, default=lambda: str(uuid.uuid4()))
    resource_id = sa.Column(sa.UnicodeText, nullable=False, index=True)
    package_id = sa.Column(sa.UnicodeText, nullable=False, index=True)
    version = sa.Column(sa.UnicodeText, nullable=False)
    sha256 = sa.Column(sa.UnicodeText, nullable=True)
    status = sa.Column(sa.UnicodeText, nullable=False, default="queued")
    risk = sa.Column(sa.UnicodeText, nullable=True)
    report = sa.Column(sa.UnicodeText, nullable=True)
    error = sa.Column(sa.UnicodeText, nullable=True)
    created = sa.Column(sa.DateTime, nullable=False, default=_dt.datetime.utcnow)
    finished = sa.Column(sa.DateTime, nullable=True)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "resource_id": self.resource_id, "package_id": self.package_id,
            "version": self.version, "sha256": self.sha256, "status": self.status,
            "risk": self.risk, "error": self.error,
            "report": json.loads(self.report) if self.report else None,
            "created": self.created.isoformat() if self.created else None,
            "finished": self.finished.isoformat() if self.finished else None,
        }


def table_exists() -> bool:
    return sa.inspect(model.Session.get_bind()).has_table("gemeente_scan_result")


def latest(resource_id: str) -> ScanResult | None:
    return (model.Session.query(ScanResult).filter(ScanResult.resource_id == resource_id)
            .order_by(ScanResult.created.desc()).first())


def history(resource_id: str, limit: int = 20) -> list[ScanResult]:
    return (model.Session.query(ScanResult).filter(ScanResult.resource_id == resource_id)
            .order_by(ScanResult.created.desc()).limit(limit).all())


def for_package(package_id: str) -> list[ScanResult]:
    """The latest result of each resource of the package."""
    rows = (model.Session.query(ScanResult).filter(ScanResult.package_id == package_id)
            .order_by(ScanResult.created.desc()).all())
    seen: dict[str, ScanResult] = {}
    for r in rows:
        seen.setdefault(r.resource_id, r)
    return list(seen.values())


def get(result_id: str) -> ScanResult | None:
    return model.Session.get(ScanResult, result_id)
