"""Re-index every dataset through CKAN, on several worker processes.

``ckan search-index rebuild`` indexes one dataset after another in one process; CKAN's
own cost per dataset (``package_show`` twice validated, ``index_package``, a new HTTP
connection per document) keeps it near 110-125 datasets/s on one core whatever the search
backend. ``ckan search-index rebuild-fast`` forks workers that share the parent's database
connection and hangs on CKAN 2.12. This module runs CKAN's own indexing code
(:func:`ckan.lib.search.rebuild` with ``package_ids``, one dataset at a time, commit
deferred) in forked worker processes that each open their own database connections,
hands them batches of dataset ids from one queue (fast workers take more), collects
every failure with its dataset id instead of stopping at the first, and commits every
1,000 datasets and at the end. It talks to the search backend only through CKAN, so it
works the same against real Solr and against the embedded server.

This is the only module of :mod:`ckanext.gemeente.search`, with :mod:`.plugin`, that
imports CKAN; the search server itself does not.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.lib import search

log = logging.getLogger(__name__)

DEFAULT_BATCH = 25
DEFAULT_COMMIT_EVERY = 1000


@dataclass
class RebuildResult:
    """What a rebuild did: counts, failures with their reasons, elapsed time."""

    total: int = 0
    indexed: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (dataset id, reason)
    not_done: list[str] = field(default_factory=list)  # ids of batches lost with a worker
    seconds: float = 0.0
    workers: int = 1

    @property
    def ok(self) -> bool:
        return not self.failed and not self.not_done

    @property
    def rate(self) -> float:
        return self.indexed / self.seconds if self.seconds > 0 else 0.0


def dataset_ids(only_missing: bool = False) -> list[str]:
    """The ids ``ckan search-index rebuild`` would index, in the same way."""
    query = model.Session.query(model.Package.id)
    if tk.config.get("ckan.search.remove_deleted_packages"):
        query = query.filter(model.Package.state != "deleted")
    ids = [row[0] for row in query.all()]
    if only_missing and ids:
        indexed = set(
            search.query_for(model.Package).get_all_entity_ids(max_results=len(ids))
        )
        ids = [i for i in ids if i not in indexed]
    return ids


def _batches(ids: Sequence[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(ids), size):
        yield list(ids[start:start + size])


def _index_batch(ids: list[str]) -> tuple[int, list[tuple[str, str]]]:
    """Index these datasets through CKAN (in a worker); failures are returned, not raised.

    The whole batch goes through one ``rebuild`` call (one database commit); when any
    dataset of it fails, the batch is done again one dataset at a time, so that every
    failure is known by its id and the others are indexed.
    """
    try:
        search.rebuild(package_ids=ids, defer_commit=True, quiet=True)
        return len(ids), []
    except Exception:  # noqa: BLE001 - narrowed down below, dataset by dataset
        model.Session.rollback()
    done = 0
    failed: list[tuple[str, str]] = []
    for pkg_id in ids:
        try:
            search.rebuild(package_ids=[pkg_id], defer_commit=True, quiet=True)
            done += 1
        except Exception as exc:  # noqa: BLE001 - every failure is reported with its id
            model.Session.rollback()
            failed.append((pkg_id, f"{type(exc).__name__}: {exc}"[:2000]))
    return done, failed


def _init_worker() -> None:
    # the forked child must not use the parent's pooled database connections (that is
    # what makes CKAN's rebuild-fast hang): forget them without closing the parent's
    model.meta.engine.dispose(close=False)
    # CKAN logs "Indexing just package ..." per dataset at INFO; the parent reports progress
    logging.getLogger("ckan.lib.search").setLevel(logging.WARNING)


def rebuild(
    ids: Sequence[str],
    workers: int,
    *,
    batch_size: int = DEFAULT_BATCH,
    progress: Callable[[RebuildResult], None] | None = None,
    commit: bool = True,
    commit_every: int = DEFAULT_COMMIT_EVERY,
) -> RebuildResult:
    """Index ``ids`` through CKAN with ``workers`` processes.

    With ``commit``, a commit every ``commit_every`` datasets (0: none on the way) and
    one at the end: what is indexed becomes searchable during a long rebuild, and the
    search backend merges it while the workers go on instead of all at the end.
    """
    workers = effective_workers(len(ids), workers, batch_size)
    result = RebuildResult(total=len(ids), workers=workers)
    started = time.perf_counter()
    committed_at = 0

    def batch_done(done: int, failed: list[tuple[str, str]]) -> None:
        nonlocal committed_at
        result.indexed += done
        result.failed.extend(failed)
        if commit and commit_every and result.indexed - committed_at >= commit_every:
            search.commit()
            committed_at = result.indexed

    def report() -> None:
        if progress:
            result.seconds = time.perf_counter() - started
            progress(result)

    if workers == 1:
        for batch in _batches(ids, batch_size):
            batch_done(*_index_batch(batch))
            report()
    else:
        # the parent's connections are closed before forking; it reconnects when needed
        model.Session.remove()
        model.meta.engine.dispose()
        # what CKAN has loaded so far is shared with the workers and never freed: keep
        # the workers' garbage collector (and copy-on-write) away from it
        gc.freeze()
        pending: dict[Future[tuple[int, list[tuple[str, str]]]], list[str]] = {}
        ctx = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker) as pool:
            batches = _batches(ids, batch_size)
            # keep a few batches per worker queued, so that a broken pool loses little
            for batch in batches:
                pending[pool.submit(_index_batch, batch)] = batch
                if len(pending) >= workers * 3:
                    break
            broken = False
            while pending:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in finished:
                    batch = pending.pop(fut)
                    try:
                        batch_done(*fut.result())
                    except BrokenProcessPool:
                        broken = True
                        result.not_done.extend(batch)
                        continue
                    if not broken:
                        nxt = next(batches, None)
                        if nxt is not None:
                            pending[pool.submit(_index_batch, nxt)] = nxt
                report()
            if broken:
                for batch in batches:
                    result.not_done.extend(batch)
        gc.unfreeze()
    if commit and result.indexed > committed_at:  # what the last commit on the way left
        search.commit()
    result.seconds = time.perf_counter() - started
    return result


def effective_workers(count: int, workers: int, batch_size: int) -> int:
    """Worker processes a rebuild of ``count`` datasets uses (1: in this process)."""
    if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return max(1, min(workers, -(-count // batch_size)))


def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 8))
