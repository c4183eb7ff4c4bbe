"""The cron runner's one-commit import leaves harvest objects exactly as ckanext-harvest's
``queue.fetch_and_import_stages`` does (states, report status, timestamps, current flags),
with at least four commits fewer per object.

Two twin sources read the same inventory through the runner: one imports with
``GemeenteHarvester.run_object`` (what ``ckan gemeente harvest run`` does), the other with
ckanext-harvest's own stage function (what the queue consumers do). After a first harvest,
a changed row and a removed row, their objects must be the same.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from conftest import harvest_config
from harvest_data import row, rows, to_csv

pytestmark = harvest_config()


def _write(path: str, data: list[dict[str, str]]) -> None:
    with open(path, "wb") as fh:
        fh.write(to_csv(data))


def _objects(source_id: str) -> list[list[tuple[Any, ...]]]:
    """Per job, in order: the objects' (guid, state, report status, current, timestamps set)."""
    from ckan import model
    from ckanext.harvest.model import HarvestJob, HarvestObject

    model.Session.remove()
    jobs = model.Session.query(HarvestJob).filter(
        HarvestJob.source_id == source_id).order_by(HarvestJob.created).all()
    out = []
    for job in jobs:
        objs = model.Session.query(HarvestObject).filter(
            HarvestObject.harvest_job_id == job.id).all()
        out.append(sorted(
            (o.guid, o.state, o.report_status, o.current, o.package_id is not None,
             all(t is not None for t in (o.fetch_started, o.fetch_finished, o.import_started,
                                         o.import_finished)))
            for o in objs))
    return out


@pytest.fixture
def commits() -> Iterator[list[int]]:
    """A counter of the COMMITs CKAN's database engine sends (savepoints do not count)."""
    from ckan import model

    engine = model.Session.get_bind()
    count = [0]

    def seen(_conn: Any) -> None:
        count[0] += 1

    sa.event.listen(engine, "commit", seen)
    try:
        yield count
    finally:
        sa.event.remove(engine, "commit", seen)


def test_one_commit_import_matches_the_queue_stages(make_source, run_harvest, file_root,
                                                    monkeypatch, commits):
    from ckanext.harvest import queue

    from ckanext.gemeente.harvest.base import GemeenteHarvester

    data = rows(5)
    paths = {kind: os.path.join(file_root, f"inventaris-{kind}.csv") for kind in ("cron", "queue")}
    sources = {kind: make_source(path, name=f"inventaris-{kind}") for kind, path in paths.items()}
    spent: dict[str, list[int]] = {"cron": [], "queue": []}

    def harvest(kind: str) -> Any:
        with monkeypatch.context() as m:
            if kind == "queue":  # the queue consumers' stage function instead of run_object
                m.setattr(GemeenteHarvester, "run_object",
                          lambda self, obj: queue.fetch_and_import_stages(self, obj))
            before = commits[0]
            result = run_harvest(sources[kind])
            spent[kind].append(commits[0] - before)
        assert not result.failed and result.errors == []
        return result

    for kind in paths:
        _write(paths[kind], data)
    first = {kind: harvest(kind) for kind in paths}
    changed = [row(0, Titel="Afvalinzamelpunten en milieustraten"), *data[1:3], data[4]]
    for kind in paths:
        _write(paths[kind], changed)
    second = {kind: harvest(kind) for kind in paths}

    for runs in (first, second):
        assert [(r.added, r.updated, r.unchanged, r.withdrawn) for r in runs.values()] == [
            (runs["cron"].added, runs["cron"].updated, runs["cron"].unchanged,
             runs["cron"].withdrawn)] * 2
    assert (first["cron"].added, second["cron"].updated, second["cron"].withdrawn) == (5, 1, 1)
    cron, queued = _objects(sources["cron"]["id"]), _objects(sources["queue"]["id"])
    assert cron == queued
    assert [state for _g, state, *_ in cron[0]] == ["COMPLETE"] * 5
    assert sorted(report for _g, _s, report, *_ in cron[1]) == ["deleted", "updated"]
    # five objects first, two (changed, removed) the second time: >= 4 commits fewer each
    assert spent["queue"][0] - spent["cron"][0] >= 4 * 5, spent
    assert spent["queue"][1] - spent["cron"][1] >= 4 * 2, spent


def test_a_refused_record_is_an_error_object_as_in_the_queue(make_source, run_harvest,
                                                            file_root, monkeypatch):
    """A dataset CKAN refuses at import: the object is ERROR / errored with its message."""
    from ckan import model
    from ckanext.harvest.model import HarvestObject, HarvestObjectError

    path = os.path.join(file_root, "inventaris-fout.csv")
    # a contact e-mail address the schema refuses when the dataset is saved
    _write(path, [row(0), row(1, **{"Contact e-mail": "geen-adres"})])
    source = make_source(path, name="inventaris-fout")
    result = run_harvest(source)
    model.Session.remove()
    objs = model.Session.query(HarvestObject).filter(
        HarvestObject.harvest_source_id == source["id"]).all()
    states = sorted((o.state, o.report_status) for o in objs)
    if len(objs) == 1:  # refused by the mapping at gather: nothing to import
        pytest.fail(f"the record was refused at gather, not at import: {result.errors}")
    assert states == [("COMPLETE", "added"), ("ERROR", "errored")]
    bad = next(o for o in objs if o.state == "ERROR")
    assert bad.import_finished is not None and bad.package_id is None and not bad.current
    errors = model.Session.query(HarvestObjectError).filter(
        HarvestObjectError.harvest_object_id == bad.id).all()
    assert errors and "OR-0002" in errors[0].message
