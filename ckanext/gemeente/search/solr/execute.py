"""Query execution: query trees (:mod:`.ast`) evaluated against a :class:`.index.MemIndex`.

:class:`Executor` matches and scores (BM25 as Lucene 9, boolean and dismax semantics);
:func:`execute_select` runs a parsed ``/select`` (:mod:`.select_request`) with the core's
per-commit caches: filters, scores, the page of top documents and the facet counts. All
of it runs under the core's read lock; :mod:`.render` then writes the answer.
"""

from __future__ import annotations

import bisect
import heapq
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import TYPE_CHECKING, Any

from . import ast, functions, geometry
from .errors import SolrError
from .fuzzy import expand
from .index import FieldData, MemIndex, Scores, _positions, idf, intersect
from .select_request import FacetRequest, SelectRequest, SortClause

if TYPE_CHECKING:
    from .core import Core


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
        if t is ast.Fuzzy:
            out = set()
            fd = self.index.fields.get(q.field)  # type: ignore[union-attr]
            for term, _boost in self._fuzzy_terms(q):  # type: ignore[arg-type]
                out.update(fd.postings[term])  # type: ignore[union-attr]
            return out
        if t is ast.Wildcard:
            return self._wildcard(q.field, q.pattern)  # type: ignore[union-attr]
        if t is ast.Range:
            return self._range(q)  # type: ignore[arg-type]
        if t is ast.Exists:
            fd = self.index.fields.get(q.field)  # type: ignore[union-attr]
            return set(fd.doc_len) if fd is not None else set()
        if t is ast.Spatial:
            return self._spatial(q)  # type: ignore[arg-type]
        if t is ast.FunctionRange:
            return self._function_range(q)  # type: ignore[arg-type]
        if t is ast.FunctionScore:
            return self.index.all_docs()
        raise SolrError(f"Unsupported query node: {t.__name__}")

    def _in_every_document(self, q: ast.Query) -> bool:
        """Whether ``q`` is a term that every document has (CKAN's ``+site_id:...``,
        ``+dataset_type:dataset``, mostly ``+state:active``): a required clause of it
        leaves a conjunction unchanged, so no set of all documents need be built."""
        if type(q) is not ast.Term or q.boost != 1.0:
            return False
        fd = self.index.fields.get(q.field)  # type: ignore[attr-defined]
        if fd is None or fd.points:
            return False
        plist = fd.postings.get(q.text)  # type: ignore[attr-defined]
        # postings hold live documents only, each once
        return plist is not None and len(plist) == self.index.num_docs

    def _bool_match(self, q: ast.Boolean) -> set[int]:
        required: list[set[int]] = []
        should: list[set[int]] = []
        excluded: list[set[int]] = []
        everything = False  # a required clause matched every document
        for c in q.clauses:
            if c.occur in ("MUST", "FILTER"):
                if self._in_every_document(c.query):
                    everything = True
                else:
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
        elif everything:
            result = self.index.all_docs()
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
        if t is ast.Fuzzy:
            return self._fuzzy_scores(q)  # type: ignore[arg-type]
        if t is ast.FunctionScore:
            return self._function_scores(q)  # type: ignore[arg-type]
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
            if within is not None and len(within) * 2 < len(plist):
                return plist.bm25(weight, den, within)  # partial: not cached
            out = plist.bm25(weight, den)
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
            return {d: float(tf) for d, tf in plists[0].tf_items()}
        order = sorted(range(len(plists)), key=lambda i: len(plists[i]))
        cands = set(plists[order[0]])
        for i in order[1:]:
            cands = intersect(cands, plists[i])
            if not cands:
                return {}
        rel = [p - q.positions[0] for p in q.positions]
        slop = q.slop
        out: dict[int, float] = {}
        entries = [p.entries(cands) for p in plists]
        for d in cands:
            if slop == 0:
                pos_sets = [set(_positions(e[d])) for e in entries]
                freq = 0
                for start in _positions(entries[0][d]):
                    if all(start + rel[i] in pos_sets[i] for i in range(1, len(rel))):
                        freq += 1
                if freq:
                    out[d] = float(freq)
            else:
                f = self._sloppy_freq([_positions(e[d]) for e in entries], rel, slop)
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

    # ----- spatial and function queries
    def _spatial(self, q: ast.Spatial) -> set[int]:
        fd = self.index.fields.get(q.field)
        if fd is None or not fd.geo:
            return set()
        shape, op = q.shape, q.op
        if op == "IsDisjointTo":  # every shape of the document is disjoint
            return {d for d, shapes in fd.docs.items()
                    if all(geometry.matches(op, s, shape) for s in shapes)}
        return {d for d, shapes in fd.docs.items()
                if any(geometry.matches(op, s, shape) for s in shapes)}

    def _function(self, expr: functions.Expr) -> tuple[Any, set[int], float]:
        """``(docnum -> value, the documents with a value in some field it reads, the
        value of every other document)``."""
        index = self.index

        def value_of(name: str) -> Any:
            fd = index.fields.get(name)
            if fd is None or not fd.points:
                return lambda d: 0.0
            docs = fd.docs
            return lambda d: float(docs[d][0]) if d in docs else 0.0

        fn = functions.compile_function(expr, value_of)
        having: set[int] = set()
        for name in functions.fields_of(expr):
            fd = index.fields.get(name)
            if fd is not None and fd.points:
                having.update(fd.docs)
        return fn, having, fn(-1)

    def _function_range(self, q: ast.FunctionRange) -> set[int]:
        fn, having, rest = self._function(q.function)
        lo, hi, incl, incu = q.lower, q.upper, q.include_lower, q.include_upper

        def inside(v: float) -> bool:
            if v != v:  # NaN: never in range
                return False
            if lo is not None and (v < lo or (v == lo and not incl)):
                return False
            return not (hi is not None and (v > hi or (v == hi and not incu)))

        out = {d for d in having if inside(fn(d))}
        if inside(rest):  # the documents without any of the fields all have this value
            out |= self.index.all_docs() - having
        return out

    def _function_scores(self, q: ast.FunctionScore) -> Scores:
        fn, having, rest = self._function(q.function)
        boost = q.boost

        def score(v: float) -> float:
            return v * boost if v > 0.0 else 0.0  # NaN and negatives score 0

        out: Scores = dict.fromkeys(self.index.all_docs(), score(rest))
        for d in having:
            out[d] = score(fn(d))
        return out

    # ----- multi-term
    def _fuzzy_terms(self, q: ast.Fuzzy) -> list[tuple[str, float]]:
        """The index terms ``q`` expands to with their boosts (cached per commit)."""
        fd = self.index.fields.get(q.field)
        if fd is None or fd.points:
            return []
        key = ("fuzzy", q.field, q.text, q.max_edits, q.prefix_length, q.max_expansions)
        cache = self._cache
        if cache is not None:
            hit = cache.get(key)
            if hit is not None:
                return hit  # type: ignore[return-value]
        terms = expand(q.text, q.max_edits, q.prefix_length, q.max_expansions,
                       fd.terms_by_length())
        if cache is not None:
            if len(cache) > 4096:
                cache.clear()
            cache[key] = terms  # type: ignore[assignment]
        return terms

    def _fuzzy_scores(self, q: ast.Fuzzy) -> Scores:
        """Lucene's blended scoring of the expansions: a sum of BM25 term scores, each
        with the term's boost (at least 0) and the highest document frequency of them."""
        terms = self._fuzzy_terms(q)
        if not terms:
            return {}
        fd = self.index.fields[q.field]
        postings = fd.postings
        df = max(len(postings[t]) for t, _ in terms)
        weight = idf(df, len(fd.doc_len)) * q.boost
        den = fd.denominators()
        out: Scores = {}
        get = out.get
        for term, boost in terms:
            w = weight * boost if boost > 0.0 else 0.0
            for d, tf in postings[term].tf_items():
                out[d] = get(d, 0.0) + w * tf / (tf + den[d])
        return out

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



# --------------------------------------------------------------------------- /select

@dataclass(slots=True)
class FacetCounts:
    queries: dict[str, int] = field(default_factory=dict)
    #: (output key, [(term, count), ...] in answer order)
    fields: list[tuple[str, list[tuple[str, int]]]] = field(default_factory=list)


@dataclass(slots=True)
class SelectResult:
    num_found: int
    start: int
    #: the page's document numbers, in order
    page: list[int]
    #: scores per document, or ``None`` when every match scores ``const``
    scores: Scores | None
    const: float
    facets: FacetCounts | None


def execute_select(core: Core, req: SelectRequest) -> SelectResult:
    """Run ``req`` against the core's committed index (call under the read lock)."""
    index = core.index
    ex = core.executor()
    query = req.query
    filt: frozenset[int] | set[int] | None = None
    for f in req.filters:
        s = core.filter_set(f.key, lambda fq=f.query: ex.match(fq))
        filt = s if filt is None else filt & s
        if not filt:
            break

    sort = req.sort
    need_scores = req.fl.score or not sort or any(c.field == "score" for c in sort)
    scores: Scores | None
    if isinstance(query, ast.MatchAll):
        docs = set(filt) if filt is not None else index.all_docs()
        scores = None
        const = query.boost
    else:
        const = 1.0
        if need_scores:
            qkey = req.query_key
            if filt is not None and len(filt) * 4 < index.num_docs:
                fkey = tuple(f.spec for f in req.filters)
                scores = core.cached(("qf", qkey, fkey, req.df, req.q_op),
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
    start, rows = req.start, req.rows
    page = _top_docs(index, docs, scores, const, sort, start + rows) if rows else []
    facets = _facets(ex, docs, req.facets) if req.facets is not None else None
    return SelectResult(num_found=len(docs), start=start, page=page[start:], scores=scores,
                        const=const, facets=facets)


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
        sort = [SortClause("score", True)]
    fds = [None if c.field in ("score", "_docid_") else index.fields.get(c.field)
           for c in sort]
    fd0 = fds[0]
    if len(sort) == 1 and fd0 is not None:
        return _scan_field_order(docs, sort[0], fd0, k)
    keyfuncs = [_sort_keyfunc(c, fd, scores) for c, fd in zip(sort, fds, strict=True)]
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


def _scan_field_order(docs: set[int], c: SortClause, fd: FieldData, k: int) -> list[int]:
    missing = sorted(docs - fd.rank().keys())
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


def _sort_keyfunc(c: SortClause, fd: FieldData | None, scores: Scores | None) -> Any:
    sign = -1 if c.desc else 1
    if c.field == "score":
        if scores is None:
            return lambda d: 0.0
        return lambda d: sign * scores.get(d, 0.0)
    if c.field == "_docid_":
        return lambda d: sign * d
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


def _facets(ex: Executor, docs: set[int], req: FacetRequest) -> FacetCounts:
    index = ex.index
    out = FacetCounts()
    for key, q in req.queries:
        out.queries[key] = len(ex.match(q) & docs)
    for ff in req.fields:
        counts: Counter[str] = Counter()
        fd = index.fields.get(ff.name)
        mincount, limit, offset = ff.mincount, ff.limit, ff.offset
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
        prefix = ff.prefix
        if prefix:
            counts = Counter({t: c for t, c in counts.items() if t.startswith(prefix)})
        if ff.sort == "index":
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
        out.fields.append((ff.key, items))
    return out
