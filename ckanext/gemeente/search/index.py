"""Storage and query execution of the embedded Solr-compatible search server.

One :class:`Core` is one Solr core: a schema, an in-memory inverted index of the
*committed* documents, the list of updates received but not yet committed, and
(optionally) an SQLite file that holds the committed documents durably.

Visibility and durability follow Solr's model as CKAN uses it:

* an update request (adds, deletes by id or query) is validated as a whole first;
  a single bad document rejects the whole request and nothing of it is kept;
* accepted updates are *pending*: invisible to searches until a commit
  (``commit=true``, ``softCommit=true``, ``commitWithin``, ``<commit/>`` or
  ``{"commit": {}}``); ``commitWithin`` is applied at once;
* a commit applies the pending updates in order to the in-memory index and writes
  the changed documents to SQLite in one transaction, so a crash (even ``kill -9``)
  leaves either the state before or after the commit. Pending, uncommitted updates
  live in memory only and are lost when the process dies (Solr would replay them
  from its transaction log).

Searches and commits are serialised by a readers-writer lock: many searches run
together, a commit waits for running searches and blocks new ones while it applies.
"""

from __future__ import annotations

import bisect
import fnmatch
import heapq
import json
import logging
import math
import os
import re
import sqlite3
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from itertools import chain
from sys import intern
from typing import Any

from . import ast
from .errors import SolrError

log = logging.getLogger(__name__)

K1 = 1.2
B = 0.75
POINT_KINDS = frozenset({"int", "long", "float", "double", "date"})
NUMERIC_KINDS = frozenset({"int", "long", "float", "double"})

Scores = dict[int, float]


# --------------------------------------------------------------------------- helpers

def _long_to_int4(i: int) -> int:
    num_bits = i.bit_length()
    if num_bits < 4:
        return i
    shift = num_bits - 4
    encoded = (i >> shift) & 0x07
    encoded |= (shift + 1) << 3
    return encoded


def _int4_to_long(i: int) -> int:
    bits = i & 0x07
    shift = (i >> 3) - 1
    if shift == -1:
        return bits
    return (bits | 0x08) << shift


_MAX_INT4 = _long_to_int4(2**31 - 1)
_NUM_FREE_VALUES = 255 - _MAX_INT4


def lucene_norm_length(length: int) -> int:
    """Field length as Lucene stores it in norms (``SmallFloat.intToByte4`` round trip)."""
    if length < _NUM_FREE_VALUES:
        return length
    encoded = _NUM_FREE_VALUES + _long_to_int4(length - _NUM_FREE_VALUES)
    return _NUM_FREE_VALUES + _int4_to_long(encoded - _NUM_FREE_VALUES)


def idf(doc_freq: int, doc_count: int) -> float:
    """Lucene's BM25 idf."""
    return math.log(1.0 + (doc_count - doc_freq + 0.5) / (doc_freq + 0.5))


def _positions(entry: Any) -> list[int]:
    """Positions of a postings entry (a bare int stands for one position)."""
    return [entry] if entry.__class__ is int else entry


class _Single:
    """Postings of a term that occurs in one document: a read-only one-entry mapping.

    Most n-gram terms occur in a single document; a dict per term would cost ~4 times
    the memory.
    """

    __slots__ = ("doc", "entry")

    def __init__(self, doc: int, entry: Any) -> None:
        self.doc = doc
        self.entry = entry

    def __len__(self) -> int:
        return 1

    def __iter__(self) -> Iterator[int]:
        yield self.doc

    def __contains__(self, doc: object) -> bool:
        return doc == self.doc

    def __getitem__(self, doc: int) -> Any:
        if doc == self.doc:
            return self.entry
        raise KeyError(doc)

    def get(self, doc: int, default: Any = None) -> Any:
        return self.entry if doc == self.doc else default

    def keys(self) -> frozenset[int]:
        return frozenset((self.doc,))

    def items(self) -> tuple[tuple[int, Any]]:
        return ((self.doc, self.entry),)


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


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        from .datemath import format_solr_date

        return format_solr_date(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def format_value(kind: str, value: Any) -> Any:
    """A stored value as Solr writes it in JSON."""
    if isinstance(value, datetime):
        from .datemath import format_solr_date

        return format_solr_date(value)
    if kind in ("int", "long") and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def facet_label(kind: str, value: Any) -> str:
    """The indexed term of a point/bool value, as Solr shows it in facet counts."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        from .datemath import format_solr_date

        return format_solr_date(value)
    if kind in ("int", "long"):
        return str(int(value))
    if kind in ("float", "double"):
        return repr(float(value))
    return str(value)


# --------------------------------------------------------------------------- index

_NO_PLAN = object()


class Analyzed:
    """One document analysed for the index (see :meth:`MemIndex.analyze`)."""

    __slots__ = ("stored", "field_names", "fields")

    def __init__(
        self, stored: dict[str, list[Any]], field_names: tuple[str, ...],
        fields: list[tuple[str, Any]],
    ) -> None:
        self.stored = stored
        self.field_names = field_names
        # (field name, (sort keys, facet labels, length)) for point fields,
        # (field name, ([position or [positions], ...], terms, length)) otherwise
        self.fields = fields


def _analyze_points(ftype: Any, kind: str, values: list[Any]) -> tuple[Any, ...]:
    sort_key = ftype.sort_key
    keys = tuple(sort_key(v) for v in values)
    labels: dict[str, None] = {}
    canonical = getattr(ftype, "canonical", None)
    for v in values:
        labels[canonical(v) if canonical else facet_label(kind, v)] = None
    return keys, tuple(labels), len(keys)


def _analyze_terms(ftype: Any, gap: int, values: list[Any]) -> tuple[Any, ...] | None:
    positions_of = ftype.positions
    if len(values) == 1:
        texts, poss, length, _last = positions_of(values[0])
    else:
        # several values: positions continue across them, with the field's gap between
        texts, poss, length, last_pos = [], [], 0, -1
        for value in values:
            v_texts, v_poss, distinct, last = positions_of(value)
            if not v_texts:
                continue
            offset = last_pos + gap + 1 if last_pos >= 0 else 0
            texts += v_texts
            poss += [offset + p for p in v_poss] if offset else v_poss
            # Lucene's field length discounts overlapping tokens (position increment 0)
            length += distinct
            last_pos = offset + last
    if not texts:
        return None
    # term -> position, in C loops; a term that occurs more than once (frequent among
    # n-grams) then gets the list of its positions, in order. One position (the common
    # case) stays a bare int to save memory; term strings are interned, one object per
    # distinct term shared by all documents.
    table: dict[str, Any] = dict(zip(texts, poss, strict=True))
    if len(table) != len(texts):
        repeated: dict[str, list[int]] = {t: [] for t, c in Counter(texts).items() if c > 1}
        get = repeated.get
        for text, pos in zip(texts, poss, strict=True):
            lst = get(text)
            if lst is not None:
                lst.append(pos)
        table.update(repeated)
    return list(table.values()), tuple(map(intern, table)), length


def _position_gap(field: Any) -> int:
    """positionIncrementGap of a field, else of its type (Solr's default: 0)."""
    gap = getattr(field, "position_increment_gap", None)
    if gap is None:
        gap = getattr(field.type, "position_increment_gap", 0) or 0
    return int(gap)


class _Analysis:
    """Holds a queued document's analysis once it is done (None until then)."""

    __slots__ = ("analyzed",)

    def __init__(self) -> None:
        self.analyzed: Analyzed | None = None


class FieldData:
    """Everything indexed for one field name."""

    __slots__ = (
        "name", "kind", "ftype", "omit_norms", "points", "postings", "doc_len", "sum_len",
        "docs", "sortval", "facet", "_terms_sorted", "_points_sorted", "_rank", "_den",
        "_order", "_totals",
    )

    def __init__(self, name: str, kind: str, ftype: Any, omit_norms: bool) -> None:
        self.name = name
        self.kind = kind
        self.ftype = ftype
        self.omit_norms = omit_norms
        self.points = kind in POINT_KINDS
        # term -> {docnum: position (int, when the term occurs once) or [positions]};
        # a term found in one document only has a compact read-only _Single instead
        self.postings: dict[str, Any] = {}
        # docnum -> field length (number of positions) for BM25 norms
        self.doc_len: dict[int, int] = {}
        self.sum_len = 0
        # docnum -> sort keys of the values (point kinds) / indexed terms
        self.docs: dict[int, tuple[Any, ...]] = {}
        # docnum -> single sort key (first/min value), for sorting
        self.sortval: dict[int, Any] = {}
        # docnum -> distinct facet labels
        self.facet: dict[int, tuple[str, ...]] = {}
        self._terms_sorted: list[str] | None = None
        self._points_sorted: tuple[list[Any], list[int]] | None = None
        self._rank: dict[int, int] | None = None
        self._den: dict[int, float] | None = None
        self._order: dict[bool, list[int]] = {}
        self._totals: Counter[str] | None = None

    def invalidate(self) -> None:
        self._terms_sorted = None
        self._points_sorted = None
        self._rank = None
        self._den = None
        if self._order:
            self._order = {}
        self._totals = None

    def order(self, desc: bool) -> list[int]:
        """Docs having the field, in sort order (ties by index order)."""
        cached = self._order.get(desc)
        if cached is None:
            rank = self.rank()
            if desc:
                cached = sorted(rank, key=lambda d: (-rank[d], d))
            else:
                cached = sorted(rank, key=lambda d: (rank[d], d))
            self._order[desc] = cached
        return cached

    def totals(self) -> Counter[str]:
        """Facet counts over all documents."""
        if self._totals is None:
            self._totals = Counter(chain.from_iterable(self.facet.values()))
        return self._totals

    def denominators(self) -> dict[int, float]:
        """docnum -> ``k1 * (1 - b + b * dl / avgdl)`` (BM25 length normalisation)."""
        den = self._den
        if den is None:
            n = len(self.doc_len)
            if self.omit_norms or not n:
                den = dict.fromkeys(self.doc_len, K1)
            else:
                a = K1 * (1 - B)
                c = K1 * B * n / self.sum_len if self.sum_len else 0.0
                cache: dict[int, float] = {}
                den = {}
                for d, dl in self.doc_len.items():
                    v = cache.get(dl)
                    if v is None:
                        v = cache[dl] = a + c * lucene_norm_length(dl)
                    den[d] = v
            self._den = den
        return den

    # -- lazily built views
    def terms_sorted(self) -> list[str]:
        if self._terms_sorted is None:
            self._terms_sorted = sorted(self.postings)
        return self._terms_sorted

    def points_sorted(self) -> tuple[list[Any], list[int]]:
        if self._points_sorted is None:
            pairs = sorted(
                ((k, d) for d, keys in self.docs.items() for k in keys),
                key=lambda p: (p[0], p[1]),
            )
            self._points_sorted = ([p[0] for p in pairs], [p[1] for p in pairs])
        return self._points_sorted

    def rank(self) -> dict[int, int]:
        if self._rank is None:
            ordered = sorted(self.sortval.items(), key=lambda item: item[1])
            rank: dict[int, int] = {}
            r = 0
            prev: Any = object()
            for i, (docnum, key) in enumerate(ordered):
                if key != prev:
                    r = i
                    prev = key
                rank[docnum] = r
            self._rank = rank
        return self._rank


class MemIndex:
    """In-memory inverted index of committed documents."""

    def __init__(self, schema: Any) -> None:
        self.schema = schema
        self.unique_key: str = schema.unique_key
        self.fields: dict[str, FieldData] = {}
        # docnum -> stored fields only (what ``fl`` can return)
        self.stored: dict[int, dict[str, list[Any]]] = {}
        # docnum -> names of all fields of the document (to unindex it)
        self.doc_fields: dict[int, tuple[str, ...]] = {}
        self.key_to_doc: dict[str, int] = {}
        self.doc_to_key: dict[int, str] = {}
        self.next_docnum = 0
        self._field_cache: dict[str, Any] = {}
        self._plan_cache: dict[str, Any] = {}

    # -- schema lookups
    def schema_field(self, name: str) -> Any:
        try:
            return self._field_cache[name]
        except KeyError:
            f = self.schema.field(name)
            self._field_cache[name] = f
            return f

    def field_data(self, name: str) -> FieldData | None:
        return self.fields.get(name)

    def _field_data_for_write(self, name: str, field: Any) -> FieldData:
        fd = self.fields.get(name)
        if fd is None:
            ftype = field.type
            kind = getattr(ftype, "kind", "string")
            omit = getattr(field, "omit_norms", None)
            if omit is None:
                omit = getattr(ftype, "omit_norms", None)
            if omit is None:
                raw = getattr(ftype, "attrs", {}).get("omitNorms")
                omit = raw.lower() == "true" if raw is not None else kind != "text"
            fd = FieldData(name, kind, ftype, bool(omit))
            self.fields[name] = fd
        return fd

    @property
    def num_docs(self) -> int:
        return len(self.stored)

    def all_docs(self) -> set[int]:
        return set(self.stored)

    # -- writing
    #
    # Adding a document has two halves. :meth:`analyze` runs the analyzers and builds the
    # document's own term -> positions table without touching the index, so it can run
    # when the update arrives, outside the write lock, in the request's thread.
    # :meth:`add_analyzed` then merges that table into the shared postings at commit,
    # under the write lock; that is all a commit has to do per document.

    def _plan(self, name: str) -> tuple[bool, tuple[Any, str, bool, int] | None] | None:
        """How a field is written: ``None`` when the schema does not know it, else
        ``(stored, (field, kind, is_point, position gap) or None when not indexed)``."""
        try:
            return self._plan_cache[name]
        except KeyError:
            pass
        field = self.schema_field(name)
        plan: tuple[bool, tuple[Any, str, bool, int] | None] | None = None
        if field is not None:
            how = None
            if getattr(field, "indexed", True):
                kind = getattr(field.type, "kind", "string")
                how = (field, kind, kind in POINT_KINDS, _position_gap(field))
            plan = (bool(getattr(field, "stored", True)), how)
        if len(self._plan_cache) > 100_000:  # dynamic fields: names are unbounded
            self._plan_cache.clear()
        self._plan_cache[name] = plan
        return plan

    def analyze(self, doc: dict[str, list[Any]]) -> Analyzed:
        """Everything :meth:`add_analyzed` needs, computed without touching the index."""
        stored: dict[str, list[Any]] = {}
        fields: list[tuple[str, Any]] = []
        plans = self._plan_cache
        for name, values in doc.items():
            plan = plans.get(name, _NO_PLAN)
            if plan is _NO_PLAN:
                plan = self._plan(name)
            if plan is None:
                continue
            is_stored, how = plan
            if is_stored:
                stored[name] = values
            if how is None or not values:
                continue
            field, kind, is_point, gap = how
            if is_point:
                fields.append((name, _analyze_points(field.type, kind, values)))
            else:
                terms = _analyze_terms(field.type, gap, values)
                if terms is not None:
                    fields.append((name, terms))
        return Analyzed(stored, tuple(doc), fields)

    def add(self, key: str, doc: dict[str, list[Any]]) -> int:
        return self.add_analyzed(key, self.analyze(doc))

    def add_analyzed(self, key: str, analyzed: Analyzed) -> int:
        old = self.key_to_doc.get(key)
        if old is not None:
            self.remove_docnum(old)
        docnum = self.next_docnum
        self.next_docnum += 1
        self.stored[docnum] = analyzed.stored
        self.doc_fields[docnum] = analyzed.field_names
        self.key_to_doc[key] = docnum
        self.doc_to_key[docnum] = key
        for name, data in analyzed.fields:
            fd = self.fields.get(name)
            if fd is None:
                fd = self._field_data_for_write(name, self.schema_field(name))
            fd.invalidate()
            if fd.points:
                keys, labels, length = data
                fd.docs[docnum] = keys
                fd.sortval[docnum] = min(keys)
                fd.facet[docnum] = labels
                fd.doc_len[docnum] = length
                fd.sum_len += length
                continue
            entries, terms, length = data
            postings = fd.postings
            for text, entry in zip(terms, entries, strict=True):
                p = postings.get(text)
                if p is None:
                    postings[text] = _Single(docnum, entry)
                elif p.__class__ is _Single:
                    postings[text] = {p.doc: p.entry, docnum: entry}
                else:
                    p[docnum] = entry
            fd.docs[docnum] = terms
            fd.facet[docnum] = terms
            fd.sortval[docnum] = min(terms)
            fd.doc_len[docnum] = length
            fd.sum_len += length
        return docnum

    def remove_docnum(self, docnum: int) -> None:
        if self.stored.pop(docnum, None) is None:
            return
        names = self.doc_fields.pop(docnum, ())
        key = self.doc_to_key.pop(docnum)
        if self.key_to_doc.get(key) == docnum:
            del self.key_to_doc[key]
        for name in names:
            fd = self.fields.get(name)
            if fd is None:
                continue
            fd.invalidate()
            terms = fd.docs.pop(docnum, None)
            fd.sortval.pop(docnum, None)
            fd.facet.pop(docnum, None)
            fd.sum_len -= fd.doc_len.pop(docnum, 0)
            if terms is None or fd.points:
                continue
            postings = fd.postings
            for t in terms:
                plist = postings.get(t)
                if plist is None:
                    continue
                if plist.__class__ is _Single:
                    if plist.doc == docnum:
                        del postings[t]
                else:
                    plist.pop(docnum, None)
                    if not plist:
                        del postings[t]

    def remove_key(self, key: str) -> bool:
        docnum = self.key_to_doc.get(key)
        if docnum is None:
            return False
        self.remove_docnum(docnum)
        return True

    def clear(self) -> None:
        self.fields.clear()
        self.stored.clear()
        self.doc_fields.clear()
        self.key_to_doc.clear()
        self.doc_to_key.clear()


# --------------------------------------------------------------------------- execution

class Executor:
    """Evaluates an :mod:`ast` tree against a :class:`MemIndex` (under a read lock)."""

    def __init__(self, index: MemIndex, cache: dict[Any, Scores] | None = None) -> None:
        self.index = index
        self._cache = cache
        #: when set, scoring may skip documents outside it (filter pushdown)
        self.within: frozenset[int] | set[int] | None = None

    def score_within(self, q: ast.Query, within: frozenset[int] | set[int] | None) -> Scores:
        """Scores of the documents matching ``q`` (restricted to ``within`` if given)."""
        self.within = within
        try:
            out = self.score(q)
        finally:
            self.within = None
        if within is not None:
            if len(within) < len(out):
                return {d: out[d] for d in within if d in out}
            return {d: v for d, v in out.items() if d in within}
        return out

    # ----- matching only (filters)
    def match(self, q: ast.Query) -> set[int]:
        t = type(q)
        if t is ast.MatchAll:
            return self.index.all_docs()
        if t is ast.MatchNone:
            return set()
        if t is ast.Term:
            return self._term_docs(q.field, q.text)  # type: ignore[union-attr]
        if t is ast.Boolean:
            return self._bool_match(q)  # type: ignore[arg-type]
        if t is ast.ConstantScore:
            return self.match(q.query)  # type: ignore[union-attr]
        if t is ast.DisMax:
            out: set[int] = set()
            for d in q.disjuncts:  # type: ignore[union-attr]
                out |= self.match(d)
            return out
        if t is ast.Phrase:
            return set(self._phrase(q))  # type: ignore[arg-type]
        if t is ast.Prefix:
            return self._prefix(q.field, q.prefix)  # type: ignore[union-attr]
        if t is ast.Wildcard:
            return self._wildcard(q.field, q.pattern)  # type: ignore[union-attr]
        if t is ast.Range:
            return self._range(q)  # type: ignore[arg-type]
        if t is ast.Exists:
            fd = self.index.fields.get(q.field)  # type: ignore[union-attr]
            return set(fd.doc_len) if fd is not None else set()
        raise SolrError(f"Unsupported query node: {t.__name__}")

    def _bool_match(self, q: ast.Boolean) -> set[int]:
        required: list[set[int]] = []
        should: list[set[int]] = []
        excluded: list[set[int]] = []
        for c in q.clauses:
            if c.occur in ("MUST", "FILTER"):
                required.append(self.match(c.query))
            elif c.occur == "SHOULD":
                should.append(self.match(c.query))
            else:
                excluded.append(self.match(c.query))
        msm = q.minimum_should_match
        if required:
            required.sort(key=len)
            result = set(required[0])
            for s in required[1:]:
                result &= s
                if not result:
                    break
            if msm > 0:
                result = self._at_least(should, msm, result)
        elif should:
            result = self._at_least(should, max(msm, 1), None)
        elif excluded:
            result = self.index.all_docs()  # purely negative: everything minus
        else:
            return set()
        for s in excluded:
            if not result:
                break
            result -= s
        return result

    @staticmethod
    def _at_least(sets: Sequence[Any], n: int, within: Any | None) -> set[int]:
        """Docs in at least ``n`` of ``sets`` (sets or dicts), restricted to ``within``."""
        if n > len(sets):
            return set()
        if n <= 1:
            out: set[int] = set()
            for s in sets:
                out.update(s)
            return out & within if within is not None else out
        if n == len(sets):
            ordered = sorted(sets, key=len)
            first = ordered[0].keys() if isinstance(ordered[0], dict) else ordered[0]
            res = set(first) if within is None else within & first
            for s in ordered[1:]:
                if not res:
                    break
                res &= s.keys() if isinstance(s, dict) else s
            return res
        counts = Counter(chain.from_iterable(sets))
        if within is not None:
            return {d for d, c in counts.items() if c >= n and d in within}
        return {d for d, c in counts.items() if c >= n}

    # ----- scoring
    def score(self, q: ast.Query) -> Scores:
        t = type(q)
        boost = q.boost
        if t is ast.Term:
            return self._term_scores(q.field, q.text, boost)  # type: ignore[union-attr]
        if t is ast.Boolean:
            return self._bool_scores(q)  # type: ignore[arg-type]
        if t is ast.DisMax:
            return self._dismax_scores(q)  # type: ignore[arg-type]
        if t is ast.Phrase:
            return self._phrase_scores(q)  # type: ignore[arg-type]
        if t is ast.ConstantScore:
            return dict.fromkeys(self.match(q.query), boost)  # type: ignore[union-attr]
        # MatchAll, MatchNone, Prefix, Wildcard, Range, Exists: constant score
        return dict.fromkeys(self.match(q), boost)

    def _bool_scores(self, q: ast.Boolean) -> Scores:
        must: list[Scores] = []
        filters: list[Any] = []
        should: list[Scores] = []
        excluded: list[set[int]] = []
        for c in q.clauses:
            if c.occur == "MUST":
                must.append(self.score(c.query))
            elif c.occur == "FILTER":
                filters.append(self.match(c.query))
            elif c.occur == "SHOULD":
                should.append(self.score(c.query))
            else:
                excluded.append(self.match(c.query))
        msm = q.minimum_should_match
        candidates: set[int]
        if must or filters:
            sets: list[Any] = [m.keys() for m in must] + filters
            sets.sort(key=len)
            candidates = set(sets[0])
            for s in sets[1:]:
                if not candidates:
                    break
                candidates &= s
            if msm > 0:
                candidates = self._at_least(should, msm, candidates)
        elif should:
            candidates = self._at_least(should, max(msm, 1), None)
        elif excluded:
            candidates = self.index.all_docs()
        else:
            return {}
        for s in excluded:
            if not candidates:
                break
            candidates -= s
        boost = q.boost
        parts = must + should
        if not parts:
            # only filters / negative clauses: constant score 0 like Lucene
            return dict.fromkeys(candidates, 0.0)
        if len(parts) == 1:
            p0 = parts[0]
            if boost == 1.0:
                return {d: p0[d] for d in candidates}
            return {d: p0[d] * boost for d in candidates}
        out: Scores = dict.fromkeys(candidates, 0.0)
        for p in parts:
            if len(p) < len(out):
                for d, v in p.items():
                    if d in out:
                        out[d] += v
            else:
                for d in candidates:
                    v = p.get(d)
                    if v is not None:
                        out[d] += v
        if boost != 1.0:
            for d in out:
                out[d] *= boost
        return out

    def _dismax_scores(self, q: ast.DisMax) -> Scores:
        parts = [self.score(d) for d in q.disjuncts]
        tie = q.tie
        best: Scores = {}
        total: Scores = {}
        for p in parts:
            for d, s in p.items():
                b = best.get(d)
                if b is None:
                    best[d] = s
                    total[d] = s
                else:
                    if s > b:
                        best[d] = s
                    total[d] += s
        boost = q.boost
        if tie:
            return {d: (b + tie * (total[d] - b)) * boost for d, b in best.items()}
        if boost != 1.0:
            return {d: b * boost for d, b in best.items()}
        return best

    # ----- term level
    def _term_docs(self, field: str, text: str) -> set[int]:
        fd = self.index.fields.get(field)
        if fd is None:
            return set()
        if fd.points:
            return set(self._point_eq(fd, text))
        plist = fd.postings.get(text)
        return set(plist) if plist else set()

    def _point_eq(self, fd: FieldData, text: str) -> list[int]:
        key = self._bound(fd, text)
        keys, docs = fd.points_sorted()
        lo = bisect.bisect_left(keys, key)
        hi = bisect.bisect_right(keys, key)
        return docs[lo:hi]

    @staticmethod
    def _bound(fd: FieldData, text: str) -> Any:
        try:
            return fd.ftype.parse_bound(text)
        except SolrError:
            raise
        except Exception as exc:  # noqa: BLE001 - reported as a client error
            raise SolrError(f"Invalid {fd.kind} value for field {fd.name}: '{text}'") from exc

    def _term_scores(self, field: str, text: str, boost: float) -> Scores:
        """BM25 scores of one term (the returned dict may be cached: do not modify)."""
        within = self.within
        cache = self._cache
        if cache is not None:
            ck = (field, text, boost)
            hit = cache.get(ck)
            if hit is not None:
                return hit
        fd = self.index.fields.get(field)
        if fd is None:
            return {}
        if fd.points:
            # point fields: constant score like Lucene's point queries
            out = dict.fromkeys(self._point_eq(fd, text), boost)
        else:
            plist = fd.postings.get(text)
            if not plist:
                return {}
            weight = idf(len(plist), len(fd.doc_len)) * boost
            den = fd.denominators()
            out = {}
            if within is not None and len(within) * 2 < len(plist):
                for d in within & plist.keys():
                    pos = plist[d]
                    tf = 1 if pos.__class__ is int else len(pos)
                    out[d] = weight * tf / (tf + den[d])
                return out  # partial: not cached
            for d, pos in plist.items():
                tf = 1 if pos.__class__ is int else len(pos)
                out[d] = weight * tf / (tf + den[d])
        if cache is not None:
            if len(cache) > 4096:
                cache.clear()
            cache[ck] = out
        return out

    # ----- phrases
    def _phrase(self, q: ast.Phrase) -> dict[int, float]:
        """docnum -> phrase frequency (sloppy frequency when slop > 0)."""
        fd = self.index.fields.get(q.field)
        if fd is None or not q.terms:
            return {}
        if fd.points:
            return dict.fromkeys(self._point_eq(fd, " ".join(q.terms)), 1.0)
        plists = []
        for t in q.terms:
            p = fd.postings.get(t)
            if not p:
                return {}
            plists.append(p)
        if len(plists) == 1:
            return {d: float(len(_positions(p))) for d, p in plists[0].items()}
        order = sorted(range(len(plists)), key=lambda i: len(plists[i]))
        cands = set(plists[order[0]])
        for i in order[1:]:
            cands &= plists[i].keys()
            if not cands:
                return {}
        rel = [p - q.positions[0] for p in q.positions]
        slop = q.slop
        out: dict[int, float] = {}
        for d in cands:
            if slop == 0:
                pos_sets = [set(_positions(p[d])) for p in plists]
                freq = 0
                for start in _positions(plists[0][d]):
                    if all(start + rel[i] in pos_sets[i] for i in range(1, len(rel))):
                        freq += 1
                if freq:
                    out[d] = float(freq)
            else:
                f = self._sloppy_freq([_positions(p[d]) for p in plists], rel, slop)
                if f:
                    out[d] = f
        return out

    @staticmethod
    def _sloppy_freq(positions: list[list[int]], rel: list[int], slop: int) -> float:
        freq = 0.0
        for anchor in positions[0]:
            target = anchor - rel[0]
            lo = hi = target
            for i in range(1, len(positions)):
                best = min(positions[i], key=lambda p, i=i: abs(p - rel[i] - target))
                v = best - rel[i]
                lo = min(lo, v)
                hi = max(hi, v)
            spread = hi - lo
            if spread <= slop:
                freq += 1.0 / (1.0 + spread)
        return freq

    def _phrase_scores(self, q: ast.Phrase) -> Scores:
        fd = self.index.fields.get(q.field)
        freqs = self._phrase(q)
        if fd is None or not freqs:
            return {}
        if fd.points:
            return dict.fromkeys(freqs, q.boost)
        n = len(fd.doc_len)
        weight = sum(idf(len(fd.postings.get(t, ())), n) for t in q.terms) * q.boost
        den = fd.denominators()
        return {d: weight * f / (f + den[d]) for d, f in freqs.items()}

    # ----- multi-term
    def _prefix(self, field: str, prefix: str) -> set[int]:
        fd = self.index.fields.get(field)
        if fd is None:
            return set()
        if fd.points:
            raise SolrError(f"Can't run prefix queries on numeric fields: {field}")
        terms = fd.terms_sorted()
        i = bisect.bisect_left(terms, prefix)
        out: set[int] = set()
        postings = fd.postings
        while i < len(terms) and terms[i].startswith(prefix):
            out.update(postings[terms[i]])
            i += 1
        return out

    def _wildcard(self, field: str, pattern: str) -> set[int]:
        fd = self.index.fields.get(field)
        if fd is None:
            return set()
        if pattern == "*":
            return set(fd.doc_len)
        if fd.points:
            raise SolrError(f"Can't run wildcard queries on numeric fields: {field}")
        m = re.search(r"[*?]", pattern)
        fixed = pattern[: m.start()] if m else pattern
        regex = re.compile(
            "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern),
            re.DOTALL,
        )
        terms = fd.terms_sorted()
        i = bisect.bisect_left(terms, fixed)
        out: set[int] = set()
        postings = fd.postings
        while i < len(terms) and terms[i].startswith(fixed):
            t = terms[i]
            if regex.fullmatch(t):
                out.update(postings[t])
            i += 1
        return out

    def _range(self, q: ast.Range) -> set[int]:
        fd = self.index.fields.get(q.field)
        if fd is None:
            return set()
        if fd.points:
            keys, docs = fd.points_sorted()
            if q.lower is None:
                lo = 0
            else:
                lk = self._bound(fd, q.lower)
                lo = (bisect.bisect_left if q.include_lower else bisect.bisect_right)(keys, lk)
            if q.upper is None:
                hi = len(keys)
            else:
                uk = self._bound(fd, q.upper)
                hi = (bisect.bisect_right if q.include_upper else bisect.bisect_left)(keys, uk)
            return set(docs[lo:hi]) if hi > lo else set()
        terms = fd.terms_sorted()
        if q.lower is None:
            lo = 0
        else:
            lo = (bisect.bisect_left if q.include_lower else bisect.bisect_right)(terms, q.lower)
        if q.upper is None:
            hi = len(terms)
        else:
            hi = (bisect.bisect_right if q.include_upper else bisect.bisect_left)(terms, q.upper)
        out: set[int] = set()
        postings = fd.postings
        for t in terms[lo:hi]:
            out.update(postings[t])
        return out


# --------------------------------------------------------------------------- params

class Params:
    """Solr request parameters: every name may repeat."""

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()) -> None:
        self._d: dict[str, list[str]] = {}
        for k, v in pairs:
            self._d.setdefault(k, []).append(v)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Params:
        pairs: list[tuple[str, str]] = []
        for k, v in data.items():
            if isinstance(v, (list, tuple)):
                pairs.extend((k, _param_str(x)) for x in v)
            elif v is not None:
                pairs.append((k, _param_str(v)))
        return cls(pairs)

    def get(self, name: str, default: str | None = None) -> str | None:
        v = self._d.get(name)
        return v[0] if v else default

    def getlist(self, name: str) -> list[str]:
        return list(self._d.get(name, ()))

    def single(self) -> dict[str, str]:
        return {k: v[0] for k, v in self._d.items()}

    def echo(self) -> dict[str, Any]:
        return {k: (v[0] if len(v) == 1 else list(v)) for k, v in self._d.items()}

    def __contains__(self, name: object) -> bool:
        return name in self._d

    def keys(self) -> list[str]:
        return list(self._d)


def _param_str(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _int_param(params: Params, name: str, default: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw.strip())
    except ValueError:
        raise SolrError(f'For input string: "{raw}"') from None


def _bool_param(params: Params, name: str, default: bool = False) -> bool:
    raw = params.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in ("true", "on", "yes", "1")


# --------------------------------------------------------------------------- core

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
        self.index = MemIndex(schema)
        self._rw = RWLock()
        # guards the pending list; held briefly (queueing, taking a commit's batch)
        self._write_mutex = threading.Lock()
        self._pending: list[tuple[str, Any]] = []
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
        self._db: sqlite3.Connection | None = None
        self.start_time = time.time()
        if path is not None:
            self._open_db(path)
            self._load()

    # ----------------------------------------------------------------- storage
    def _open_db(self, path: str) -> None:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute(
            "CREATE TABLE IF NOT EXISTS docs ("
            " seq INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT UNIQUE NOT NULL, doc TEXT NOT NULL)"
        )
        self._db = db

    def _load(self) -> None:
        assert self._db is not None
        date_fields: dict[str, bool] = {}
        count = 0
        for key, raw in self._db.execute("SELECT key, doc FROM docs ORDER BY seq"):
            count += 1
            doc = json.loads(raw)
            for name, values in doc.items():
                is_date = date_fields.get(name)
                if is_date is None:
                    f = self.index.schema_field(name)
                    is_date = f is not None and getattr(f.type, "kind", "") == "date"
                    date_fields[name] = is_date
                if is_date:
                    doc[name] = [f_convert(self.index.schema_field(name), name, v) for v in values]
            self.index.add(key, doc)
        if count:
            log.info("core %s: loaded %d documents from %s", self.name, count, self.path)

    def close(self) -> None:
        with self._write_mutex:
            last = self._next_ticket - 1
        with self._applied:  # let commits that took their batch finish writing
            while self._applied_ticket < last:
                self._applied.wait()
            if self._db is not None:
                self._db.close()
                self._db = None

    # ----------------------------------------------------------------- updates
    def update(
        self, ops: Sequence[tuple[str, Any]], *, commit: bool = False, defer_analysis: bool = False
    ) -> list[tuple[_Analysis, dict[str, list[Any]]]]:
        """Queue validated operations; apply and persist them all when committing.

        ``ops``: ``("add", (key, prepared_doc))``, ``("delete_id", key)``,
        ``("delete_query", ast_query)``, ``("commit", None)``, ``("rollback", None)``.

        Added documents are analysed outside the write mutex, so that concurrent update
        requests analyse side by side and a commit only merges ready term tables while
        searches wait. With ``defer_analysis`` the analysis is left to the caller, who gets
        the list back and passes it to :meth:`finish_analysis` after answering the client
        (the HTTP server does this: CKAN then need not wait for it); a commit that comes
        first analyses what is still missing itself, so nothing is lost or reordered.
        """
        index = self.index
        queued: list[tuple[str, Any]] = []
        deferred: list[tuple[_Analysis, dict[str, list[Any]]]] = []
        for op, arg in ops:
            if op == "add":
                key, doc = arg
                holder = _Analysis()
                if defer_analysis and not commit:
                    deferred.append((holder, doc))
                else:
                    holder.analyzed = index.analyze(doc)
                queued.append((op, (key, doc, holder)))
            else:
                queued.append((op, arg))
        batches: list[tuple[int, list[tuple[str, Any]]]] = []
        with self._write_mutex:
            for op, arg in queued:
                if op == "commit":
                    batches.append(self._take_batch_locked())
                elif op == "rollback":
                    self._pending.clear()
                else:
                    self._pending.append((op, arg))
            if commit:
                batches.append(self._take_batch_locked())
        for batch in batches:
            self._apply(*batch)
        return deferred

    def finish_analysis(self, deferred: Sequence[tuple[_Analysis, dict[str, list[Any]]]]) -> None:
        """Analyse documents queued by ``update(..., defer_analysis=True)``."""
        index = self.index
        for holder, doc in deferred:
            if holder.analyzed is None:
                holder.analyzed = index.analyze(doc)

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

    def _take_batch_locked(self) -> tuple[int, list[tuple[str, Any]]]:
        """The pending operations for a commit, with the commit's place in line."""
        batch = (self._next_ticket, self._pending)
        self._next_ticket += 1
        self._pending = []
        return batch

    def _apply(self, ticket: int, pending: list[tuple[str, Any]]) -> None:
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

    def _apply_batch(self, pending: list[tuple[str, Any]]) -> None:
        changed: dict[str, dict[str, list[Any]] | None] = {}
        self._rw.acquire_write()
        try:
            index = self.index
            for op, arg in pending:
                if op == "add":
                    key, doc, holder = arg
                    analyzed = holder.analyzed
                    if analyzed is None:  # the update's thread has not got to it yet
                        analyzed = index.analyze(doc)
                    index.add_analyzed(key, analyzed)
                    changed[key] = doc
                elif op == "delete_id":
                    if index.remove_key(arg):
                        changed[arg] = None
                    elif arg in changed:
                        changed[arg] = None
                elif op == "delete_query":
                    ex = Executor(index)
                    hits = ex.match(arg)
                    for d in hits:
                        key = index.doc_to_key[d]
                        index.remove_docnum(d)
                        changed[key] = None
            if pending:
                self._generation += 1
                self._fq_cache.clear()
                self._q_cache.clear()
                self._score_cache = {}
            if self._db is not None and changed:
                self._persist(changed)
        finally:
            self._rw.release_write()

    def _persist(self, changed: Mapping[str, dict[str, list[Any]] | None]) -> None:
        assert self._db is not None
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            deletes = [(k,) for k, v in changed.items() if v is None]
            if deletes:
                db.executemany("DELETE FROM docs WHERE key = ?", deletes)
            upserts = [
                (k, json.dumps(v, default=_json_default, ensure_ascii=False))
                for k, v in changed.items()
                if v is not None
            ]
            if upserts:
                # delete + insert gives the document a new sequence number, so that a
                # reload keeps Lucene's index order (updated documents go last)
                db.executemany("DELETE FROM docs WHERE key = ?", [(k,) for k, _ in upserts])
                db.executemany("INSERT INTO docs (key, doc) VALUES (?, ?)", upserts)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    # ----------------------------------------------------------------- reads
    def executor(self) -> Executor:
        """An executor sharing this generation's term score cache (under the read lock)."""
        return Executor(self.index, self._score_cache)

    def read(self) -> _ReadGuard:
        return _ReadGuard(self._rw)

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


class _ReadGuard:
    def __init__(self, rw: RWLock) -> None:
        self._rw = rw

    def __enter__(self) -> None:
        self._rw.acquire_read()

    def __exit__(self, *exc: object) -> None:
        self._rw.release_read()


def f_convert(field: Any, name: str, value: Any) -> Any:
    if field is None or not isinstance(value, str):
        return value
    return field.type.convert(name, value)


# --------------------------------------------------------------------------- select

_LOCAL_PARAMS_RE = re.compile(r"^\{!([^}]*)\}")


def _strip_local_params(spec: str) -> tuple[str, dict[str, str]]:
    m = _LOCAL_PARAMS_RE.match(spec.strip())
    if not m:
        return spec.strip(), {}
    local: dict[str, str] = {}
    for part in re.findall(r"""(\w[\w.]*)=('[^']*'|"[^"]*"|\S+)""", m.group(1)):
        local[part[0]] = part[1].strip("'\"")
    return spec.strip()[m.end():].strip(), local


class SortClause:
    __slots__ = ("field", "desc", "fd", "missing")

    def __init__(self, field: str, desc: bool, fd: FieldData | None, missing: str) -> None:
        self.field = field
        self.desc = desc
        self.fd = fd
        self.missing = missing  # 'last', 'first' or 'low'


def parse_sort(spec: str, index: MemIndex) -> list[SortClause]:
    clauses: list[SortClause] = []
    spec = spec.strip()
    if not spec:
        return clauses
    pos = 0
    for part in spec.split(","):
        item = part.strip()
        pos += len(part) + 1
        if not item:
            continue
        pieces = item.split()
        if len(pieces) != 2:
            where = min(pos - 1, len(spec))
            raise SolrError(
                f"Can't determine a Sort Order (asc or desc) in sort spec '{spec}', pos={where}"
            )
        name, direction = pieces
        d = direction.lower()
        if d in ("asc", "bottom"):
            desc = False
        elif d in ("desc", "top"):
            desc = True
        else:
            raise SolrError(
                f"Can't determine a Sort Order (asc or desc) in sort spec '{spec}', pos={pos - 1}"
            )
        if name == "score":
            clauses.append(SortClause("score", desc, None, "low"))
            continue
        if name == "_docid_":
            clauses.append(SortClause("_docid_", desc, None, "low"))
            continue
        field = index.schema_field(name)
        if field is None:
            raise SolrError(f"sort param field can't be found: {name}")
        if getattr(field, "multi_valued", False):
            raise SolrError(
                f"can not sort on multivalued field: {name} of type: {_type_name(field)}"
            )
        if not getattr(field, "indexed", True) and not getattr(field, "doc_values", False):
            raise SolrError(
                "can not sort on a field w/o docValues unless it is indexed=true "
                f"uninvertible=true and the type supports Uninversion: {name}"
            )
        ftype = field.type
        if getattr(field, "sort_missing_last", False) or getattr(ftype, "sort_missing_last", False):
            missing = "last"
        elif getattr(field, "sort_missing_first", False) or getattr(
                ftype, "sort_missing_first", False):
            missing = "first"
        else:
            missing = "low"
        clauses.append(SortClause(name, desc, index.fields.get(name), missing))
    return clauses


def _type_name(field: Any) -> str:
    return str(getattr(field.type, "name", getattr(field.type, "kind", "?")))


class FieldMatcher:
    """``fl``: which stored fields to return, and whether to add ``score``."""

    def __init__(self, spec_list: list[str]) -> None:
        self.all = False
        self.score = False
        self.names: list[str] = []
        self.globs: list[str] = []
        items: list[str] = []
        for spec in spec_list:
            items.extend(x for x in re.split(r"[\s,]+", spec) if x)
        if not items:
            self.all = True
        for it in items:
            if it == "*":
                self.all = True
            elif it == "score":
                self.score = True
            elif "*" in it or "?" in it:
                self.globs.append(it)
            elif it.startswith("[") or "(" in it:
                continue  # transformers/functions: not supported, ignored
            else:
                # ``alias:field`` renaming is not supported: the field is returned as is
                self.names.append(it.split(":", 1)[1] if ":" in it[1:] else it)

    def wants(self, name: str) -> bool:
        if self.all or name in self.names:
            return True
        return any(fnmatch.fnmatchcase(name, g) for g in self.globs)


def select(core: Core, params: Params) -> dict[str, Any]:
    """Run a ``/select`` request; returns Solr's JSON response (without header)."""
    from .query import parse_lucene, parse_query

    rows = _int_param(params, "rows", 10)
    start = _int_param(params, "start", 0)
    if rows < 0:
        raise SolrError("'rows' parameter cannot be negative")
    if start < 0:
        raise SolrError("'start' parameter cannot be negative")
    single = params.single()
    df = single.get("df")
    q_op = single.get("q.op", "OR") or "OR"
    schema = core.schema
    fl = FieldMatcher(params.getlist("fl"))

    query = parse_query(single.get("q"), single, schema)
    fq_specs = [f for f in params.getlist("fq") if f.strip()]
    fq_queries: list[tuple[str, ast.Query]] = []
    for spec in fq_specs:
        fq_queries.append((spec, _parse_filter(spec, single, schema, df, q_op, parse_lucene,
                                               parse_query)))
    facet_on = _bool_param(params, "facet")
    facet_queries: list[tuple[str, ast.Query]] = []
    if facet_on:
        for fqs in params.getlist("facet.query"):
            spec, local = _strip_local_params(fqs)
            facet_queries.append((local.get("key", fqs),
                                  parse_lucene(spec, schema, df=df, q_op=q_op)))

    with core.read():
        index = core.index
        ex = core.executor()
        sort = parse_sort(single.get("sort", ""), index) if single.get("sort") else []

        filt: frozenset[int] | set[int] | None = None
        for spec, fq in fq_queries:
            fq_key = (spec, df, q_op, tuple(sorted(_referenced_params(spec, single).items())))
            s = core.filter_set(fq_key, lambda fq=fq: ex.match(fq))
            filt = s if filt is None else filt & s
            if not filt:
                break

        need_scores = fl.score or not sort or any(c.field == "score" for c in sort)
        scores: Scores | None
        if isinstance(query, ast.MatchAll):
            docs = set(filt) if filt is not None else index.all_docs()
            scores = None
            const = query.boost
        else:
            const = 1.0
            if need_scores:
                qkey = _query_key(single)
                if filt is not None and len(filt) * 4 < index.num_docs:
                    fkey = tuple(spec for spec, _ in fq_queries)
                    scores = core.cached(("qf", qkey, fkey, df, q_op),
                                         lambda: ex.score_within(query, filt))
                else:
                    scores = core.cached(("q", qkey), lambda: ex.score(query))
                    if filt is not None:
                        if len(filt) < len(scores):
                            scores = {d: scores[d] for d in filt if d in scores}
                        else:
                            scores = {d: s for d, s in scores.items() if d in filt}
                docs = set(scores)
            else:
                scores = None
                docs = ex.match(query)
                if filt is not None:
                    docs &= filt
        num_found = len(docs)

        page = _top_docs(index, docs, scores, const, sort, start + rows) if rows else []
        page = page[start:]
        out_docs = [_render_doc(index, d, fl, scores, const) for d in page]

        response: dict[str, Any] = {
            "numFound": num_found,
            "start": start,
            "numFoundExact": True,
            "docs": out_docs,
        }
        if fl.score:
            if scores is None:
                response["maxScore"] = const if num_found else 0.0
            else:
                response["maxScore"] = max(scores.values()) if scores else 0.0
            # Solr puts maxScore before docs
            response = {
                "numFound": num_found,
                "start": start,
                "maxScore": response["maxScore"],
                "numFoundExact": True,
                "docs": out_docs,
            }
        result: dict[str, Any] = {"response": response}
        if facet_on:
            result["facet_counts"] = _facets(core, ex, docs, params, facet_queries)
    return result


_NOT_QUERY_PARAMS = ("fq", "rows", "start", "fl", "sort", "wt", "facet", "f.", "json.",
                     "omitHeader", "echoParams", "indent", "_", "hl", "debug", "stats")


def _query_key(single: Mapping[str, str]) -> tuple[Any, ...]:
    """The parameters that determine the main query's result (for the result cache)."""
    return tuple(sorted(
        (k, v) for k, v in single.items()
        if not any(k == p or (p.endswith(".") and k.startswith(p)) or k.startswith("facet.")
                   for p in _NOT_QUERY_PARAMS)
    ))


_PARAM_REF = re.compile(r"\$([^\s}'\"]+)")


def _referenced_params(spec: str, single: Mapping[str, str]) -> dict[str, str]:
    """The request parameters a filter's local params refer to with ``$name``
    (transitively), e.g. ``fq={!bool must=$m}&m=...``."""
    found: dict[str, str] = {}
    todo = [spec]
    while todo and len(found) < 100:
        for name in _PARAM_REF.findall(todo.pop()):
            if name not in found and name in single:
                found[name] = single[name]
                todo.append(single[name])
    return found


def _parse_filter(
    spec: str, single: Mapping[str, str], schema: Any, df: str | None, q_op: str,
    parse_lucene: Any, parse_query: Any,
) -> ast.Query:
    if spec.lstrip().startswith("{!"):
        fparams = {k: v for k, v in single.items() if k in ("df", "q.op")}
        fparams.update(_referenced_params(spec, single))
        return parse_query(spec, fparams, schema)
    return parse_lucene(spec, schema, df=df, q_op=q_op)


def _top_docs(
    index: MemIndex,
    docs: set[int],
    scores: Scores | None,
    const: float,
    sort: list[SortClause],
    k: int,
) -> list[int]:
    if not docs or k <= 0:
        return []
    if scores is None:
        # constant score: score clauses do not change the order
        sort = [c for c in sort if c.field != "score"]
    if not sort:
        if scores is None:
            return heapq.nsmallest(k, docs) if k < len(docs) else sorted(docs)
        sort = [SortClause("score", True, None, "low")]
    if len(sort) == 1 and sort[0].fd is not None:
        return _scan_field_order(docs, sort[0], k)
    keyfuncs = [_sort_keyfunc(c, scores, const) for c in sort]
    if len(keyfuncs) == 1:
        kf = keyfuncs[0]

        def key(d: int) -> tuple[Any, ...]:
            return (kf(d), d)
    else:
        def key(d: int) -> tuple[Any, ...]:
            return (*[f(d) for f in keyfuncs], d)

    cands: Iterable[int] = docs
    if scores is not None and sort[0].field == "score" and sort[0].desc and k < len(docs):
        # the top k by score, plus every doc tied with the k-th: then the full key
        threshold = heapq.nlargest(k, scores.values())[-1]
        cands = [d for d, sc in scores.items() if sc >= threshold]
    if k < len(docs) // 4:
        return heapq.nsmallest(k, cands, key=key)
    return sorted(cands, key=key)[:k]


def _scan_field_order(docs: set[int], c: SortClause, k: int) -> list[int]:
    fd = c.fd
    assert fd is not None
    missing = sorted(docs - fd.sortval.keys())
    missing_first = c.missing == "first" or (c.missing == "low" and not c.desc)
    out: list[int] = missing[:k] if missing_first else []
    if len(out) < k:
        need = k - len(out)
        if need >= len(docs):
            out.extend(d for d in fd.order(c.desc) if d in docs)
        else:
            for d in fd.order(c.desc):
                if d in docs:
                    out.append(d)
                    need -= 1
                    if not need:
                        break
    if len(out) < k and not missing_first:
        out.extend(missing[: k - len(out)])
    return out


def _sort_keyfunc(c: SortClause, scores: Scores | None, const: float) -> Any:
    sign = -1 if c.desc else 1
    if c.field == "score":
        if scores is None:
            return lambda d: 0.0
        return lambda d: sign * scores.get(d, 0.0)
    if c.field == "_docid_":
        return lambda d: sign * d
    fd = c.fd
    if fd is None:
        return lambda d: 0
    rank = fd.rank()
    if c.missing == "last":
        missing_key: tuple[int, int] = (1, 0)
    elif c.missing == "first":
        missing_key = (-1, 0)
    else:  # missing sorts lowest: first ascending, last descending
        missing_key = (1, 0) if c.desc else (-1, 0)

    def keyf(d: int) -> tuple[int, int]:
        r = rank.get(d)
        if r is None:
            return missing_key
        return (0, sign * r)

    return keyf


def _render_doc(
    index: MemIndex, docnum: int, fl: FieldMatcher, scores: Scores | None, const: float
) -> dict[str, Any]:
    stored = index.stored[docnum]
    out: dict[str, Any] = {}
    for name, values in stored.items():
        if not fl.wants(name):
            continue
        field = index.schema_field(name)
        if field is None or not getattr(field, "stored", True):
            continue
        kind = getattr(field.type, "kind", "string")
        if getattr(field, "multi_valued", False):
            out[name] = [format_value(kind, v) for v in values]
        elif values:
            out[name] = format_value(kind, values[0])
    if fl.score:
        out["score"] = scores.get(docnum, 0.0) if scores is not None else const
    return out


def _facets(
    core: Core,
    ex: Executor,
    docs: set[int],
    params: Params,
    facet_queries: list[tuple[str, ast.Query]],
) -> dict[str, Any]:
    index = core.index
    nl = params.get("json.nl", "flat") or "flat"
    fq_out: dict[str, int] = {}
    for key, q in facet_queries:
        fq_out[key] = len(ex.match(q) & docs)
    fields_out: dict[str, Any] = {}
    for spec in params.getlist("facet.field"):
        name, local = _strip_local_params(spec)
        key = local.get("key", name)

        def p(param: str, default: str | None = None, name: str = name) -> str | None:
            v = params.get(f"f.{name}.facet.{param}")
            return v if v is not None else params.get(f"facet.{param}", default)

        limit = _facet_int(p("limit"), 100)
        mincount = _facet_int(p("mincount"), 0)
        offset = _facet_int(p("offset"), 0)
        prefix = p("prefix")
        sort_mode = (p("sort") or ("count" if limit > 0 else "index")).lower()
        if sort_mode in ("true",):
            sort_mode = "count"
        elif sort_mode in ("false", "lex"):
            sort_mode = "index"
        field = index.schema_field(name)
        if field is None:
            raise SolrError(f"undefined field {name}")
        counts: Counter[str] = Counter()
        fd = index.fields.get(name)
        if fd is not None:
            facet = fd.facet
            if len(docs) * 2 > len(facet):
                # most documents match: count the others and subtract from the totals
                counts = fd.totals().copy()
                others = facet.keys() - docs
                if others:
                    counts.subtract(chain.from_iterable(map(facet.__getitem__, others)))
            else:
                counts = Counter(chain.from_iterable(
                    map(facet.__getitem__, facet.keys() & docs)))
            if mincount <= 0:
                if fd.points:
                    for labels in facet.values():
                        for lab in labels:
                            counts.setdefault(lab, 0)
                else:
                    for t in fd.postings:
                        counts.setdefault(t, 0)
        if prefix:
            counts = Counter({t: c for t, c in counts.items() if t.startswith(prefix)})
        if sort_mode == "index":
            items = sorted((t, c) for t, c in counts.items() if c >= mincount)
        else:
            wanted = offset + limit if limit >= 0 else -1
            if 0 <= wanted < len(counts):
                # only the top counts matter: cut at the count of the last wanted entry
                threshold = max(heapq.nlargest(wanted, counts.values())[-1], mincount) \
                    if wanted else max(mincount, 1)
            else:
                threshold = mincount
            items = [(t, c) for t, c in counts.items() if c >= threshold]
            items.sort(key=lambda tc: (-tc[1], tc[0]))
        if offset:
            items = items[offset:]
        if limit >= 0:
            items = items[:limit]
        fields_out[key] = _named_list(items, nl)
    return {
        "facet_queries": fq_out,
        "facet_fields": fields_out,
        "facet_ranges": {},
        "facet_intervals": {},
        "facet_heatmaps": {},
    }


def _facet_int(raw: str | None, default: int) -> int:
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise SolrError(f'For input string: "{raw}"') from None


def _named_list(items: list[tuple[str, int]], nl: str) -> Any:
    if nl == "map":
        return dict(items)
    if nl in ("arrarr",):
        return [[t, c] for t, c in items]
    if nl == "arrmap":
        return [{t: c} for t, c in items]
    if nl == "arrntv":
        return [{"name": t, "type": "int", "value": c} for t, c in items]
    flat: list[Any] = []
    for t, c in items:
        flat.append(t)
        flat.append(c)
    return flat
