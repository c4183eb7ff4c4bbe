"""Synchronous harvest runs for cron: due sources, the run lock, resuming, reports and e-mail.

``ckan gemeente harvest run`` (:mod:`.cli`) calls :func:`run`. For each due source it runs
ckanext-harvest's own stages in this process (``queue.gather_stage`` and
``queue.fetch_and_import_stages``, the functions the queue consumers call), so jobs,
objects, errors and the harvest UI are exactly as in queue mode, without consumers. For the
municipal harvesters the fetch and import stages run as ``GemeenteHarvester.run_object``:
the same stages, object states and report status, written in the dataset's own commit.

- The lock is a PostgreSQL advisory lock held on its own connection for the whole run:
  a second cron run finds it taken and does nothing; a killed run's lock goes with its
  connection, so there is no stale lock file to clean up.
- A job left unfinished by a killed run is resumed: a job whose gather did not finish is
  gathered again (the gather writes its objects in one transaction, so there are none or
  all); a gathered job imports the objects that are not COMPLETE or ERROR.
- A source is due when it has an unfinished job (also one queued from the UI's
  "Reharvest" button) or when its frequency says so; ``--source`` runs one regardless.
  Only municipal (``gemeente_*``) sources are due: ckanext-harvest's own harvesters keep
  their queue consumers (``--source`` runs any type synchronously).
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import ckan.plugins.toolkit as tk
import sqlalchemy as sa
from ckan import model
from ckanext.harvest import queue
from ckanext.harvest.model import (
    HarvestGatherError,
    HarvestJob,
    HarvestObject,
    HarvestObjectError,
    HarvestSource,
)
from sqlalchemy import orm

from .base import GemeenteHarvester

log = logging.getLogger(__name__)

PERIODS = {
    "ALWAYS": dt.timedelta(0),
    "DAILY": dt.timedelta(days=1),
    "WEEKLY": dt.timedelta(days=7),
    "BIWEEKLY": dt.timedelta(days=14),
    "MONTHLY": dt.timedelta(days=30),
}
# cron starts a little after the previous run started: a daily source stays daily
TOLERANCE = dt.timedelta(minutes=30)


class LockHeld(RuntimeError):
    """Another harvest run holds the lock."""


@dataclass
class SourceRun:
    name: str
    source_id: str
    job_id: str | None = None
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    withdrawn: int = 0
    errors: list[str] = field(default_factory=list)
    failed: bool = False
    dry_run: bool = False
    #: of the unchanged, how many the source recognised before parsing them (RAW_KEY)
    skipped: int = 0

    def summary(self) -> str:
        state = "MISLUKT" if self.failed else ("PROEF" if self.dry_run else "ok")
        return (f"{self.name}: {state} toegevoegd={self.added} bijgewerkt={self.updated} "
                f"ongewijzigd={self.unchanged} ingetrokken={self.withdrawn} "
                f"fouten={len(self.errors)}")


@contextmanager
def run_lock(key: int | None = None) -> Iterator[None]:
    """Hold the advisory lock for the duration of the block; raise LockHeld if taken."""
    key = int(key if key is not None else tk.config.get("ckanext.gemeente.harvest.lock_key",
                                                        72616863))
    engine = model.meta.engine
    conn = engine.connect()
    try:
        got = conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
        if not got:
            raise LockHeld(tk._("Another harvest run is active; this run does nothing."))
        try:
            yield
        finally:
            conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": key})
    finally:
        conn.close()


LOAD_BATCH = 200  # harvest objects read per query by run_source


def _context() -> dict[str, Any]:
    user = tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]
    return {"model": model, "session": model.Session, "user": user}


def _unfinished_job(source_id: str) -> HarvestJob | None:
    return (model.Session.query(HarvestJob)
            .filter(HarvestJob.source_id == source_id,
                    HarvestJob.status.in_(("New", "Running")))
            .order_by(HarvestJob.created).first())


def due_sources(names: list[str] | None = None,
                now: dt.datetime | None = None) -> list[HarvestSource]:
    """The active sources to run now (``names``: those, by name or id, whatever is due)."""
    now = now or dt.datetime.utcnow()
    query = model.Session.query(HarvestSource).filter(HarvestSource.active.is_(True))
    sources = query.all()
    if names:
        wanted = set(names)
        out = []
        for src in sources:
            pkg = model.Package.get(src.id)
            if src.id in wanted or (pkg is not None and pkg.name in wanted):
                out.append(src)
        missing = wanted - {s.id for s in out} - {
            p.name for p in (model.Package.get(s.id) for s in out) if p}
        if missing:
            raise tk.ObjectNotFound(tk._("Harvest source not found: {names}").format(
                names=", ".join(sorted(missing))))
        return out
    out = []
    for src in sources:
        pkg = model.Package.get(src.id)
        if pkg is None or pkg.state != "active":
            continue
        if not isinstance(queue.get_harvester(src.type), GemeenteHarvester):
            continue  # ckanext-harvest's own harvesters keep their queue consumers
        if _unfinished_job(src.id) is not None:
            out.append(src)
            continue
        period = PERIODS.get((src.frequency or "MANUAL").upper())
        if period is None:
            continue
        last = (model.Session.query(HarvestJob.created)
                .filter(HarvestJob.source_id == src.id)
                .order_by(HarvestJob.created.desc()).first())
        if last is None or last[0] + period - TOLERANCE <= now:
            out.append(src)
    return out


def _source_name(source: HarvestSource) -> str:
    pkg = model.Package.get(source.id)
    return pkg.name if pkg else source.id


def run_source(source: HarvestSource, dry_run: bool = False,
               progress: Callable[[int, int], None] | None = None) -> SourceRun:
    """Harvest one source now, in this process (resuming an unfinished job)."""
    result = SourceRun(name=_source_name(source), source_id=source.id, dry_run=dry_run)
    harvester = queue.get_harvester(source.type)
    if harvester is None:
        result.failed = True
        result.errors.append(tk._("No harvester for source type {type}").format(
            type=source.type))
        return result
    if dry_run:
        if not isinstance(harvester, GemeenteHarvester):
            result.errors.append(tk._("--dry-run needs a municipal (gemeente_*) source"))
            result.failed = True
            return result
        plan = harvester.plan(source)
        model.Session.rollback()
        result.added, result.updated = plan.stats.new, plan.stats.changed
        result.unchanged, result.withdrawn = plan.stats.unchanged, plan.stats.withdraw
        result.skipped = plan.stats.skipped
        result.errors, result.failed = list(plan.errors), plan.stats.failed
        return result
    context = _context()
    job = _unfinished_job(source.id)
    if job is None:
        job_dict = tk.get_action("harvest_job_create")(
            dict(context), {"source_id": source.id, "run": False})
        job = HarvestJob.get(job_dict["id"])
    result.job_id = job.id
    if job.status == "New" or not job.gather_finished:
        # new, or a gather that was killed: (re)gather; its objects are all or nothing
        model.Session.query(HarvestObject).filter(
            HarvestObject.harvest_job_id == job.id).delete(synchronize_session=False)
        job.status = "Running"
        job.save()
        try:
            ids = queue.gather_stage(harvester, job)
        except Exception as exc:  # a broken harvester must not stop the other sources
            log.exception("gather of %s failed", result.name)
            model.Session.rollback()
            job = HarvestJob.get(result.job_id)
            model.Session.add(HarvestGatherError(
                message=f"{type(exc).__name__}: {exc}", job=job))
            model.Session.commit()
            ids = None
        if ids is None:
            result.failed = True
    pending = [oid for (oid,) in model.Session.query(HarvestObject.id).filter(
        HarvestObject.harvest_job_id == job.id,
        HarvestObject.state.notin_(("COMPLETE", "ERROR"))).order_by(HarvestObject.gathered)]
    total = len(pending)
    loaded: dict[str, HarvestObject] = {}
    for done, oid in enumerate(pending, start=1):
        if oid not in loaded:  # the next objects with their extras and source, in 3 queries
            batch = pending[done - 1:done - 1 + LOAD_BATCH]
            loaded = {o.id: o for o in model.Session.query(HarvestObject).options(
                orm.selectinload(HarvestObject.extras),
                orm.joinedload(HarvestObject.source)).filter(HarvestObject.id.in_(batch))}
        obj = loaded.pop(oid, None)
        if obj is None or sa.inspect(obj).detached:
            obj = HarvestObject.get(oid)
        try:
            if isinstance(harvester, GemeenteHarvester):
                harvester.run_object(obj)  # the same stages, one commit per dataset
            else:
                queue.fetch_and_import_stages(harvester, obj)
        except Exception as exc:
            log.exception("import of %s failed", oid)
            model.Session.rollback()
            obj = HarvestObject.get(oid)
            obj.state = "ERROR"
            obj.report_status = "errored"
            model.Session.add(HarvestObjectError(object=obj, message=f"{type(exc).__name__}",
                                                 stage="Import"))
            obj.save()
        if progress is not None:
            progress(done, total)
    tk.get_action("harvest_jobs_run")(dict(context), {"source_id": source.id})
    _fill_report(result, harvester, job.id)
    return result


def _fill_report(result: SourceRun, harvester: Any, job_id: str) -> None:
    rows = model.Session.execute(
        sa.select(HarvestObject.report_status, sa.func.count())
        .where(HarvestObject.harvest_job_id == job_id)
        .group_by(HarvestObject.report_status))
    counts = dict(rows.all())
    result.added = counts.get("added", 0)
    result.updated = counts.get("updated", 0)
    result.withdrawn = counts.get("deleted", 0)
    stats = getattr(harvester, "last_stats", {}).pop(job_id, None)
    if stats is not None:
        result.unchanged, result.skipped = stats.unchanged, stats.skipped
        result.failed = result.failed or stats.failed
    gather = model.Session.query(HarvestGatherError.message).filter(
        HarvestGatherError.harvest_job_id == job_id).order_by(HarvestGatherError.created)
    result.errors = [m for (m,) in gather]
    objs = (model.Session.query(HarvestObjectError.message)
            .join(HarvestObject, HarvestObject.id == HarvestObjectError.harvest_object_id)
            .filter(HarvestObject.harvest_job_id == job_id)
            .order_by(HarvestObjectError.created))
    result.errors += [m for (m,) in objs]
    if stats is None and result.errors and not (result.added or result.updated):
        # a resumed job: the gather statistics are gone, the errors tell
        result.failed = result.failed or bool(gather.count())


def recipients(source: HarvestSource) -> list[str]:
    config = GemeenteHarvester.load_config(source.config)
    out = [c for c in config.get("contacts") or [] if isinstance(c, str)]
    pkg = model.Package.get(source.id)
    for addr in (getattr(pkg, "maintainer_email", None), getattr(pkg, "author_email", None)):
        if addr and addr not in out:
            out.append(addr)
    return out


def notify(source: HarvestSource, result: SourceRun) -> list[str]:
    """E-mail the source's contacts (on errors, or every run); the addresses mailed."""
    from ckan.lib import mailer

    config = GemeenteHarvester.load_config(source.config)
    mode = config.get("notify", "errors")
    if mode == "never" or result.dry_run or (mode == "errors" and not result.errors
                                              and not result.failed):
        return []
    to = recipients(source)
    if not to:
        return []
    subject = tk._("Harvest {name}: {errors} errors").format(
        name=result.name, errors=len(result.errors)) if result.errors else \
        tk._("Harvest {name}: finished").format(name=result.name)
    body = "\n".join([
        result.summary(),
        "",
        tk._("The full list of errors is attached.") if result.errors else
        tk._("There were no errors."),
        tk.config.get("ckan.site_url", "").rstrip("/") + f"/harvest/{result.name}",
    ])
    attachments = []
    if result.errors:
        text = "\n".join(f"{i}. {e}" for i, e in enumerate(result.errors, start=1)) + "\n"
        attachments.append(("harvest-fouten.txt", io.BytesIO(text.encode("utf-8")),
                            "text/plain"))
    sent = []
    for addr in to:
        try:
            mailer.mail_recipient(addr, addr, subject, body,
                                  attachments=[(n, io.BytesIO(f.getvalue()), t)
                                               for n, f, t in attachments])
            sent.append(addr)
        except mailer.MailerException:
            log.exception("harvest report mail to %s failed", addr)
    return sent


def run(names: list[str] | None = None, dry_run: bool = False,
        progress_factory: Callable[[str, int], Any] | None = None,
        echo: Callable[[str], None] | None = None) -> list[SourceRun]:
    """Run the due sources (or ``names``) under the lock; one :class:`SourceRun` each."""
    results = []
    with run_lock():
        for source in due_sources(names):
            progress = None
            if progress_factory is not None:
                progress = progress_factory(_source_name(source), 0)
            result = run_source(source, dry_run=dry_run, progress=progress)
            if not dry_run:
                notify(source, result)
            if echo is not None:
                echo(result.summary())
            results.append(result)
            model.Session.remove()
    return results
