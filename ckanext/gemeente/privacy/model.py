"""The review's tables: one review record per dataset, granted roles, the append-only audit
trail and pending changes of published datasets.

Created by the alembic migration in ``migration/gemeente_privacy`` (``ckan db upgrade -p
gemeente_privacy``). JSON values (checklist, findings, operations) are stored as text: the
audit trail hashes exactly that text (see :mod:`.audit`).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import sqlalchemy as sa
from ckan import model
from ckan.plugins import toolkit

from . import audit

TABLES = (
    "gemeente_privacy_review",
    "gemeente_privacy_role",
    "gemeente_privacy_audit",
    "gemeente_privacy_pending",
)
# Serialises appends to the audit chain across processes (pg_advisory_xact_lock key).
AUDIT_LOCK_KEY = 0x67656D5076  # "gemPv"


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def _uuid() -> str:
    return str(uuid.uuid4())


class Review(toolkit.BaseModel):  # type: ignore[misc, valid-type]
    """The review state of one dataset (exactly one row per dataset under the plugin)."""

    __tablename__ = "gemeente_privacy_review"

    package_id = sa.Column(sa.UnicodeText, primary_key=True)
    state = sa.Column(sa.UnicodeText, nullable=False)
    organization_id = sa.Column(sa.UnicodeText, nullable=True)
    checklist = sa.Column(sa.UnicodeText, nullable=False, default="{}")
    conditions = sa.Column(sa.UnicodeText, nullable=False, default="")
    submitted_by = sa.Column(sa.UnicodeText, nullable=True)
    submitted_at = sa.Column(sa.DateTime, nullable=True)
    first_approver = sa.Column(sa.UnicodeText, nullable=True)
    state_changed = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    created = sa.Column(sa.DateTime, nullable=False, default=utcnow)

    def checklist_dict(self) -> dict[str, Any]:
        return json.loads(self.checklist or "{}")


class Role(toolkit.BaseModel):  # type: ignore[misc, valid-type]
    """A granted role: ``privacy_officer`` or ``coordinator``, for one organization or all."""

    __tablename__ = "gemeente_privacy_role"

    id = sa.Column(sa.UnicodeText, primary_key=True, default=_uuid)
    user_id = sa.Column(sa.UnicodeText, nullable=False)
    role = sa.Column(sa.UnicodeText, nullable=False)
    organization_id = sa.Column(sa.UnicodeText, nullable=True)
    granted_by = sa.Column(sa.UnicodeText, nullable=True)
    created = sa.Column(sa.DateTime, nullable=False, default=utcnow)


class AuditEntry(toolkit.BaseModel):  # type: ignore[misc, valid-type]
    """One step of the trail; never updated or deleted by the plugin."""

    __tablename__ = "gemeente_privacy_audit"

    seq = sa.Column(sa.Integer, primary_key=True, autoincrement=False)
    package_id = sa.Column(sa.UnicodeText, nullable=False)
    step = sa.Column(sa.UnicodeText, nullable=False)
    actor = sa.Column(sa.UnicodeText, nullable=False)
    role = sa.Column(sa.UnicodeText, nullable=False)
    created = sa.Column(sa.DateTime, nullable=False)
    from_state = sa.Column(sa.UnicodeText, nullable=True)
    to_state = sa.Column(sa.UnicodeText, nullable=False)
    checklist = sa.Column(sa.UnicodeText, nullable=False)
    findings = sa.Column(sa.UnicodeText, nullable=False)
    content_hash = sa.Column(sa.UnicodeText, nullable=False)
    comment = sa.Column(sa.UnicodeText, nullable=False)
    target = sa.Column(sa.UnicodeText, nullable=False)
    prev_hash = sa.Column(sa.UnicodeText, nullable=False)
    hash = sa.Column(sa.UnicodeText, nullable=False)

    def as_dict(self) -> dict[str, Any]:
        out = {name: getattr(self, name) for name in audit.HASHED_FIELDS}
        out["created"] = audit.timestamp(self.created)
        out["checklist"] = json.loads(self.checklist or "{}")
        out["findings"] = json.loads(self.findings or "{}")
        out["prev_hash"] = self.prev_hash
        out["hash"] = self.hash
        return out


class PendingChange(toolkit.BaseModel):  # type: ignore[misc, valid-type]
    """A material change to a published dataset waiting for review (one per dataset)."""

    __tablename__ = "gemeente_privacy_pending"

    id = sa.Column(sa.UnicodeText, primary_key=True, default=_uuid)
    package_id = sa.Column(sa.UnicodeText, nullable=False, unique=True)
    state = sa.Column(sa.UnicodeText, nullable=False)
    operations = sa.Column(sa.UnicodeText, nullable=False, default="[]")
    checklist = sa.Column(sa.UnicodeText, nullable=False, default="{}")
    conditions = sa.Column(sa.UnicodeText, nullable=False, default="")
    submitted_by = sa.Column(sa.UnicodeText, nullable=True)
    first_approver = sa.Column(sa.UnicodeText, nullable=True)
    created = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    state_changed = sa.Column(sa.DateTime, nullable=False, default=utcnow)

    def operations_list(self) -> list[dict[str, Any]]:
        return json.loads(self.operations or "[]")


def tables_exist() -> bool:
    inspector = sa.inspect(model.Session.get_bind())
    return all(inspector.has_table(name) for name in TABLES)


def get_review(package_id: str) -> Review | None:
    return model.Session.get(Review, package_id)


def package_and_review(reference: str) -> tuple[Any, Review | None, bool]:
    """The dataset (by id or name, as ``Package.get``), its review record and whether it has
    a pending change, in one query.

    Dataset and record land in the session, so CKAN's own ``Package.get`` of the same
    dataset later in the action is answered from the identity map.
    """
    if not reference:
        return None, None, False
    pkg_cls = model.Package
    row = model.Session.execute(
        sa.select(pkg_cls, Review, PendingChange.id)
        .outerjoin(Review, Review.package_id == pkg_cls.id)
        .outerjoin(PendingChange, PendingChange.package_id == pkg_cls.id)
        .where(sa.or_(pkg_cls.id == reference, pkg_cls.name == reference))
        .order_by((pkg_cls.id == reference).desc())
        .limit(1)
    ).first()
    if row is None:
        return None, None, False
    return row[0], row[1], row[2] is not None


def has_pending(package_id: str) -> bool:
    return bool(model.Session.execute(
        sa.select(sa.exists().where(PendingChange.package_id == package_id))).scalar())


def get_pending(package_id: str) -> PendingChange | None:
    return model.Session.execute(
        sa.select(PendingChange).where(PendingChange.package_id == package_id)
    ).scalar_one_or_none()


def user_roles(user_id: str) -> list[Role]:
    return list(model.Session.execute(
        sa.select(Role).where(Role.user_id == user_id)).scalars())


def append_audit(row: dict[str, Any]) -> AuditEntry:
    """Seal ``row`` onto the chain and add it to the session (the caller commits).

    Takes a transaction-level advisory lock so that concurrent steps chain one after the
    other; the lock is released by the caller's commit or rollback.
    """
    session = model.Session
    session.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": AUDIT_LOCK_KEY})
    last = session.execute(
        sa.select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    row = dict(row)
    row["seq"] = (last[0] + 1) if last else 1
    row["created"] = row.get("created") or utcnow()
    audit.seal(row, last[1] if last else audit.GENESIS)
    entry = AuditEntry(**{k: row[k] for k in (*audit.HASHED_FIELDS, "prev_hash", "hash")})
    session.add(entry)
    session.flush()
    return entry


def iter_audit_rows(batch: int = 10000, since: dt.datetime | None = None,
                    until: dt.datetime | None = None) -> Any:
    """Audit rows as dicts in sequence order, streamed from the database (a server-side
    cursor on the session's own connection, so uncommitted rows of this session count)."""
    columns = [c.name for c in AuditEntry.__table__.columns]
    sql = f"SELECT {', '.join(columns)} FROM gemeente_privacy_audit"
    params: dict[str, Any] = {}
    where = []
    if since is not None:
        where.append("created >= %(since)s")
        params["since"] = since
    if until is not None:
        where.append("created < %(until)s")
        params["until"] = until
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY seq"
    raw = model.Session.connection().connection.dbapi_connection
    cursor = raw.cursor(name=f"gemeente_audit_{uuid.uuid4().hex[:12]}")
    cursor.itersize = batch
    try:
        cursor.execute(sql, params)
        for values in cursor:
            yield dict(zip(columns, values, strict=True))
    finally:
        cursor.close()
