"""One Solr core: the committed index, the pending updates, commits and persistence.

Visibility and durability follow Solr's model as CKAN uses it:

* an update request (adds, deletes by id or query) is validated as a whole first
  (:mod:`.update_request`); a single bad document rejects the whole request;
* accepted updates are *pending*: invisible to searches until a commit; ``commitWithin``
  is applied at once;
* a commit applies the pending operations in order to the in-memory index (:mod:`.index`)
  and writes the changed documents to SQLite (:mod:`.storage`) in one transaction, so a
  crash leaves either the state before or after the commit. Pending, uncommitted updates
  live in memory only (Solr would replay them from its transaction log).

Searches and commits are serialised by a readers-writer lock: many searches run
together, a commit waits for running searches and blocks new ones while it applies.
Added documents are analysed (:mod:`.documents`) outside every lock.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from .documents import DocumentAnalyzer
from .execute import Executor, execute_select
from .index import MemIndex, Scores
from .ops import Add, Commit, DeleteById, DeleteByQuery, Doc, Operation, Rollback
from .params import Params
from .render import render_select
from .select_request import SelectRequest, parse_select
from .storage import CoreStore

log = logging.getLogger(__name__)


class RWLock:
    """Readers-writer lock preferring writers (no writer starvation)."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._readers = 0
        self._writer = False
        self._writers_waiting = 0

    def acquire_read(self) -> None:
        with self._cond:
            while self._writer or self._writers_waiting:
                self._cond.wait()
            self._readers += 1

    def release_read(self) -> None:
        with self._cond:
            self._readers -= 1
            if not self._readers:
                self._cond.notify_all()

    def acquire_write(self) -> None:
        with self._cond:
            self._writers_waiting += 1
            while self._writer or self._readers:
                self._cond.wait()
            self._writers_waiting -= 1
            self._writer = True

    def release_write(self) -> None:
        with self._cond:
            self._writer = False
            self._cond.notify_all()


class _ReadGuard:
    def __init__(self, rw: RWLock) -> None:
        self._rw = rw

    def __enter__(self) -> None:
        self._rw.acquire_read()

    def __exit__(self, *exc: object) -> None:
        self._rw.release_read()


#: what a commit applies: operations other than Commit/Rollback
Pending = Add | DeleteById | DeleteByQuery


class Core:
    """One Solr core: schema, committed in-memory index, pending updates, storage."""

    def __init__(
        self,
        name: str,
        schema: Any,
        path: str | None = None,
        *,
        fq_cache_size: int = 128,
        query_cache_size: int = 32,
    ) -> None:
        self.name = name
        self.schema = schema
        self.path = path
        self.analyzer = DocumentAnalyzer(schema)
        self.index = MemIndex(schema)
        self._rw = RWLock()
        # guards the pending list; held briefly (queueing, taking a commit's batch)
        self._write_mutex = threading.Lock()
        self._pending: list[Pending] = []
        # commits are numbered when they take their batch and applied in that order,
        # outside _write_mutex, so that updates keep queueing while a commit applies
        self._applied = threading.Condition()
        self._next_ticket = 1
        self._applied_ticket = 0
        self._generation = 0
        # per-commit caches (like Solr's filterCache and queryResultCache); each entry
        # may hold one int per document, so they are bounded by entry count
        self._fq_cache: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self._fq_cache_size = fq_cache_size
        self._q_cache: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self._q_cache_size = query_cache_size
        self._score_cache: dict[Any, Scores] = {}
        self._store: CoreStore | None = None
        self.start_time = time.time()
        if path is not None:
            self._store = CoreStore(path)
            self._load()

    def _load(self) -> None:
        assert self._store is not None
        count = 0
        analyze, add = self.analyzer.analyze, self.index.add_analyzed
        for key, doc in self._store.load(self.schema):
            add(key, analyze(doc))
            count += 1
        if count:
            log.info("core %s: loaded %d documents from %s", self.name, count, self.path)

    def close(self) -> None:
        with self._write_mutex:
            last = self._next_ticket - 1
        with self._applied:  # let commits that took their batch finish writing
            while self._applied_ticket < last:
                self._applied.wait()
            if self._store is not None:
                self._store.close()
                self._store = None

    # ----------------------------------------------------------------- updates
    def update(
        self, ops: Sequence[Operation], *, commit: bool = False, defer_analysis: bool = False
    ) -> list[Add]:
        """Queue validated operations; apply and persist them all when committing.

        Added documents are analysed outside the write mutex, so that concurrent update
        requests analyse side by side and a commit only merges ready term tables while
        searches wait. With ``defer_analysis`` the analysis is left to the caller, who gets
        the adds back and passes them to :meth:`finish_analysis` after answering the client
        (the HTTP server does this: CKAN then need not wait for it); a commit that comes
        first analyses what is still missing itself, so nothing is lost or reordered.
        """
        deferred: list[Add] = []
        analyze = self.analyzer.analyze
        for op in ops:
            if isinstance(op, Add):
                if defer_analysis and not commit:
                    deferred.append(op)
                elif op.analyzed is None:
                    op.analyzed = analyze(op.doc)
        batches: list[tuple[int, list[Pending]]] = []
        with self._write_mutex:
            for op in ops:
                if isinstance(op, Commit):
                    batches.append(self._take_batch_locked())
                elif isinstance(op, Rollback):
                    self._pending.clear()
                else:
                    self._pending.append(op)
            if commit:
                batches.append(self._take_batch_locked())
        for batch in batches:
            self._apply(*batch)
        return deferred

    def finish_analysis(self, deferred: Sequence[Add]) -> None:
        """Analyse documents queued by ``update(..., defer_analysis=True)``."""
        analyze = self.analyzer.analyze
        for op in deferred:
            if op.analyzed is None:
                op.analyzed = analyze(op.doc)

    def commit(self) -> None:
        with self._write_mutex:
            batch = self._take_batch_locked()
        self._apply(*batch)

    @property
    def generation(self) -> int:
        """Number of commits that changed something (a new searcher, in Solr's terms)."""
        return self._generation

    @property
    def pending_count(self) -> int:
        return len(self._pending)

    def _take_batch_locked(self) -> tuple[int, list[Pending]]:
        """The pending operations for a commit, with the commit's place in line."""
        batch = (self._next_ticket, self._pending)
        self._next_ticket += 1
        self._pending = []
        return batch

    def _apply(self, ticket: int, pending: list[Pending]) -> None:
        """Apply a commit's batch after every earlier commit, then persist it."""
        with self._applied:
            while self._applied_ticket != ticket - 1:
                self._applied.wait()
        try:
            self._apply_batch(pending)
        finally:
            with self._applied:
                self._applied_ticket = ticket
                self._applied.notify_all()

    def _apply_batch(self, pending: list[Pending]) -> None:
        changed: dict[str, Doc | None] = {}
        self._rw.acquire_write()
        try:
            index = self.index
            for op in pending:
                if isinstance(op, Add):
                    analyzed = op.analyzed
                    if analyzed is None:  # the update's thread has not got to it yet
                        analyzed = op.analyzed = self.analyzer.analyze(op.doc)
                    index.add_analyzed(op.key, analyzed, defer=True)
                    changed[op.key] = op.doc
                elif isinstance(op, DeleteById):
                    if index.remove_key(op.key, defer=True) or op.key in changed:
                        changed[op.key] = None
                else:
                    index.purge()  # the query reads postings: no removed document in them
                    for d in Executor(index).match(op.query):
                        key = index.doc_to_key[d]
                        index.remove_docnum(d, defer=True)
                        changed[key] = None
            # one pass over each term's postings for all the documents removed
            index.purge()
            if pending:
                self._generation += 1
                self._fq_cache.clear()
                self._q_cache.clear()
                self._score_cache = {}
            if self._store is not None and changed:
                self._store.persist(changed)
        finally:
            self.index.purge()  # after an error too: searches never see removed documents
            self._rw.release_write()

    # ----------------------------------------------------------------- reads
    def executor(self) -> Executor:
        """An executor sharing this generation's term score cache (under the read lock)."""
        return Executor(self.index, self._score_cache)

    def read(self) -> _ReadGuard:
        return _ReadGuard(self._rw)

    def select(self, params: Params) -> dict[str, Any]:
        """Run a ``/select`` request; Solr's JSON answer without its header."""
        return self.search(parse_select(params, self.schema))

    def search(self, req: SelectRequest) -> dict[str, Any]:
        with self.read():
            return render_select(self.index, req, execute_select(self, req))

    @property
    def num_docs(self) -> int:
        return self.index.num_docs

    def filter_set(self, key: tuple[Any, ...], build: Any) -> frozenset[int]:
        """Cached filter (call under the read lock)."""
        return self._cached(self._fq_cache, self._fq_cache_size, key,
                            lambda: frozenset(build()))

    def cached(self, key: tuple[Any, ...], build: Any) -> Any:
        """Per-commit cache of query results (call under the read lock).

        Returned values are shared: callers must not modify them.
        """
        return self._cached(self._q_cache, self._q_cache_size, key, build)

    def _cached(
        self, cache: OrderedDict[tuple[Any, ...], Any], size: int, key: tuple[Any, ...],
        build: Any,
    ) -> Any:
        gen_key = (self._generation, *key)
        hit = cache.get(gen_key)
        if hit is not None:
            try:
                cache.move_to_end(gen_key)
            except KeyError:
                pass
            return hit
        result = build()
        cache[gen_key] = result
        while len(cache) > size:
            try:
                cache.popitem(last=False)
            except KeyError:
                break
        return result
