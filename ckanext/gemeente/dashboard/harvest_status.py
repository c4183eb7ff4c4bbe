"""Harvest source health in four grouped queries, for any number of sources.

The same figures as ckanext-harvest's ``harvest_source_show_status`` / ``last_job`` stats
(``harvest_job_dictize``): per source its newest job, the job's objects counted by
``report_status``, and as errors the objects with an error plus the gather errors. The
action ``harvest_source_list`` computes them with about a dozen queries per source; the
dashboard reads them from ckanext-harvest's tables (its public model) in one pass instead.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from ckan import model


def source_status() -> list[dict[str, Any]]:
    """[{id, name, title, type, url, active, job: {...} | None}] of the active sources."""
    from ckanext.harvest.model import (
        HarvestGatherError,
        HarvestJob,
        HarvestObject,
        HarvestObjectError,
        HarvestSource,
    )

    hs, hj, ho = HarvestSource.__table__, HarvestJob.__table__, HarvestObject.__table__
    hoe, hge, pkg = HarvestObjectError.__table__, HarvestGatherError.__table__, \
        model.package_table
    session = model.Session
    sources = session.execute(
        sa.select(hs.c.id, hs.c.url, hs.c.type, hs.c.active, pkg.c.name,
                  sa.func.coalesce(pkg.c.title, hs.c.title).label("title"))
        .select_from(hs.join(pkg, pkg.c.id == hs.c.id))
        .where(pkg.c.state == "active")).mappings().all()
    ranked = sa.select(
        hj.c.id, hj.c.source_id, hj.c.status, hj.c.created, hj.c.gather_finished,
        hj.c.finished,
        sa.func.row_number().over(partition_by=hj.c.source_id,
                                  order_by=hj.c.created.desc()).label("rn"),
    ).subquery()
    jobs = {row["source_id"]: dict(row) for row in session.execute(
        sa.select(ranked).where(ranked.c.rn == 1)).mappings()}
    job_ids = [job["id"] for job in jobs.values()]
    stats: dict[str, dict[str, int]] = {jid: {} for jid in job_ids}
    object_errors: dict[str, int] = {}
    gather_errors: dict[str, int] = {}
    if job_ids:
        for jid, status, count in session.execute(
                sa.select(ho.c.harvest_job_id, ho.c.report_status, sa.func.count())
                .where(ho.c.harvest_job_id.in_(job_ids))
                .group_by(ho.c.harvest_job_id, ho.c.report_status)):
            stats[jid][str(status)] = int(count)
        for jid, count in session.execute(
                sa.select(ho.c.harvest_job_id,
                          sa.func.count(sa.distinct(hoe.c.harvest_object_id)))
                .select_from(hoe.join(ho, ho.c.id == hoe.c.harvest_object_id))
                .where(ho.c.harvest_job_id.in_(job_ids)).group_by(ho.c.harvest_job_id)):
            object_errors[jid] = int(count)
        for jid, count in session.execute(
                sa.select(hge.c.harvest_job_id, sa.func.count())
                .where(hge.c.harvest_job_id.in_(job_ids)).group_by(hge.c.harvest_job_id)):
            gather_errors[jid] = int(count)
    out = []
    for src in sources:
        job = jobs.get(src["id"])
        if job is not None:
            counts = stats[job["id"]]
            errored = object_errors.get(job["id"]) or counts.get("errored", 0)
            job = {**job, "stats": {**counts,
                                    "errored": errored + gather_errors.get(job["id"], 0)}}
        out.append({**dict(src), "job": job})
    return out
