"""The in-memory inverted index of a core's committed documents.

Per field (:class:`FieldData`): postings ``term -> {docnum: position(s)}``, field lengths
for BM25 norms, point values for ranges, sort keys and facet labels per document. Documents
arrive already analysed (:mod:`.documents`); :meth:`MemIndex.add_analyzed` merges their
term tables and is all a commit does per document. Reads happen under the core's read lock
(:mod:`.core`), writes under its write lock.
"""

from __future__ import annotations

import bisect
import math
from array import array
from collections import Counter
from collections.abc import Iterator
from itertools import chain, compress
from operator import not_
from typing import Any

from .documents import POINT_KINDS, Analyzed
from .ops import Doc

K1 = 1.2
B = 0.75

Scores = dict[int, float]

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

    def items(self) -> tuple[tuple[int, Any]]:
        return ((self.doc, self.entry),)

    def entries(self, cands: set[int]) -> dict[int, Any]:
        """``docnum -> position or [positions]`` of the documents in ``cands``."""
        return {self.doc: self.entry} if self.doc in cands else {}

    def tf_items(self) -> tuple[tuple[int, int]]:
        """``(docnum, term frequency)`` pairs."""
        e = self.entry
        return ((self.doc, 1 if e.__class__ is int else len(e)),)

    def bm25(self, weight: float, den: dict[int, float], within: Any = None) -> Scores:
        """BM25 scores ``weight * tf / (tf + den[d])`` of the term's documents (those in
        the set ``within`` only, if given)."""
        d = self.doc
        if within is not None and d not in within:
            return {}
        e = self.entry
        tf = 1 if e.__class__ is int else len(e)
        return {d: weight * tf / (tf + den[d])}


class _Packed:
    """Postings of a term found in two or more documents, packed.

    ``docs``: the document numbers in index order (a new document always has the highest
    number, so adding one appends), a list of the very int objects that key the index's
    per-document tables (sets built from it then find their members by identity, which
    an ``array`` of fresh ints would not: queries ran 1.5-2 times slower with one);
    ``pos``: the first position in each document, at the same index, an ``array('H')``
    (``'i'`` once a position does not fit in 2 bytes);
    ``multi``: the full position list of the few documents where the term occurs more
    than once. About 10 bytes per document instead of ~40 for a ``dict`` entry. Lookups
    by document number bisect ``docs``. Removals are batched per commit
    (:meth:`MemIndex.purge`): one pass over the arrays per term, not one per document.
    """

    __slots__ = ("docs", "pos", "multi")

    def __init__(self, docs: list[int], pos: array[int], multi: dict[int, list[int]] | None,
                 ) -> None:
        self.docs = docs
        self.pos = pos
        self.multi = multi

    def append(self, doc: int, entry: Any) -> None:
        """Add the document ``doc`` (a higher number than any before) and its position or
        positions (:meth:`MemIndex.add_analyzed` inlines the common case)."""
        self.docs.append(doc)
        if entry.__class__ is int:
            self.append_pos(entry)
        else:
            self.append_pos(entry[0])
            if self.multi is None:
                self.multi = {doc: entry}
            else:
                self.multi[doc] = entry

    def append_pos(self, first: int) -> None:
        try:
            self.pos.append(first)
        except OverflowError:  # a position past 65,535: 4 bytes per position from now on
            self.pos = array("i", self.pos)
            self.pos.append(first)

    def __len__(self) -> int:
        return len(self.docs)

    def __iter__(self) -> Iterator[int]:
        return iter(self.docs)

    def _index(self, doc: object) -> int:
        docs = self.docs
        i = bisect.bisect_left(docs, doc)  # type: ignore[call-overload]
        return i if i < len(docs) and docs[i] == doc else -1

    def __contains__(self, doc: object) -> bool:
        return self._index(doc) >= 0

    def __getitem__(self, doc: int) -> Any:
        i = self._index(doc)
        if i < 0:
            raise KeyError(doc)
        multi = self.multi
        if multi is not None:
            entry = multi.get(doc)
            if entry is not None:
                return entry
        return self.pos[i]

    def get(self, doc: int, default: Any = None) -> Any:
        try:
            return self[doc]
        except KeyError:
            return default

    def items(self) -> Iterator[tuple[int, Any]]:
        multi = self.multi
        if multi is None:
            return zip(self.docs, self.pos, strict=True)
        get = multi.get
        return ((d, get(d, p)) for d, p in zip(self.docs, self.pos, strict=True))

    def entries(self, cands: set[int]) -> dict[int, Any]:
        """``docnum -> position or [positions]`` of the documents in ``cands``."""
        docs, pos = self.docs, self.pos
        if len(cands) * 16 < len(docs):
            out: dict[int, Any] = {}
            for d in cands:
                i = bisect.bisect_left(docs, d)
                if i < len(docs) and docs[i] == d:
                    out[docs[i]] = pos[i]
        else:
            out = {d: p for d, p in zip(docs, pos, strict=True) if d in cands}
        multi = self.multi
        if multi is not None:
            for d, e in multi.items():
                if d in out:
                    out[d] = e
        return out

    def tf_items(self) -> Iterator[tuple[int, int]]:
        """``(docnum, term frequency)`` pairs, in index order."""
        multi = self.multi
        if multi is None:
            return ((d, 1) for d in self.docs)
        return ((d, len(multi[d]) if d in multi else 1) for d in self.docs)

    def bm25(self, weight: float, den: dict[int, float], within: Any = None) -> Scores:
        """BM25 scores ``weight * tf / (tf + den[d])`` of the term's documents (those in
        the set ``within`` only, if given)."""
        docs: Any = self.docs if within is None else within.intersection(self.docs)
        out = {d: weight / (1 + den[d]) for d in docs}  # tf = 1: weight * 1 / (1 + den)
        if self.multi is not None:
            for d, positions in self.multi.items():
                if d in out:
                    tf = len(positions)
                    out[d] = weight * tf / (tf + den[d])
        return out

    def remove(self, dead: list[int]) -> None:
        """Drop the documents ``dead`` (each in the postings, in any order)."""
        docs, pos = self.docs, self.pos
        k = len(dead)
        if k <= 2:  # the common single update: shift the tails
            for d in sorted(dead, reverse=True):
                i = bisect.bisect_left(docs, d)
                if i < len(docs) and docs[i] == d:
                    del docs[i]
                    del pos[i]
        elif k * 6 < len(docs):  # few of many: copy the runs between them
            new_docs: list[int] = []
            new_pos = array(pos.typecode)
            prev = 0
            for d in sorted(dead):
                i = bisect.bisect_left(docs, d, prev)
                if i < len(docs) and docs[i] == d:
                    new_docs += docs[prev:i]
                    new_pos += pos[prev:i]
                    prev = i + 1
            new_docs += docs[prev:]
            new_pos += pos[prev:]
            self.docs, self.pos = new_docs, new_pos
        else:  # one pass, in C loops
            dead_at = list(map(set(dead).__contains__, docs))
            self.docs = list(compress(docs, map(not_, dead_at)))
            self.pos = array(pos.typecode, compress(pos, map(not_, dead_at)))
        multi = self.multi
        if multi is not None:
            for d in dead:
                multi.pop(d, None)
            if not multi:
                self.multi = None


def _pack(first: _Single, doc: int, entry: Any) -> _Packed:
    """The postings of a term found in one more document than ``first``."""
    p = _Packed([], array("H"), None)
    p.append(first.doc, first.entry)
    p.append(doc, entry)
    return p


def intersect(cands: set[int], postings: Any) -> set[int]:
    """``cands`` restricted to the documents of ``postings`` (in place)."""
    if len(cands) * 16 < len(postings):
        return {d for d in cands if d in postings}
    cands.intersection_update(postings)
    return cands


class FieldData:
    """Everything indexed for one field name."""

    __slots__ = (
        "name", "kind", "ftype", "omit_norms", "points", "geo", "postings", "doc_len", "sum_len",
        "docs", "sortval", "facet", "_terms_sorted", "_by_length", "_points_sorted", "_rank",
        "_den", "_order", "_totals", "dead", "one",
    )

    def __init__(self, name: str, kind: str, ftype: Any, omit_norms: bool) -> None:
        self.name = name
        self.kind = kind
        self.ftype = ftype
        self.omit_norms = omit_norms
        self.points = kind in POINT_KINDS
        #: a spatial field: ``docs`` holds each document's shapes, no postings
        self.geo = kind == "spatial"
        # term -> postings: _Single (the term is in one document: docnum, position or
        # [positions]) or _Packed (in two or more: arrays of docnums and first positions)
        self.postings: dict[str, Any] = {}
        # term -> docnums removed since the last MemIndex.purge (still in its _Packed)
        self.dead: dict[str, list[int]] = {}
        # term -> the shared ``(term,)`` of the documents whose only term it is
        self.one: dict[str, tuple[str]] = {}
        # docnum -> field length (number of positions) for BM25 norms
        self.doc_len: dict[int, int] = {}
        self.sum_len = 0
        # docnum -> sort keys of the values (point kinds) / indexed terms
        self.docs: dict[int, tuple[Any, ...]] = {}
        # docnum -> single sort key (first/min value), for sorting
        self.sortval: dict[int, Any] = {}
        # docnum -> distinct facet labels
        self.facet: dict[int, tuple[str, ...]] = {}
        if not self.points and not self.geo:
            # one table per document for three uses: a document's distinct terms are its
            # facet labels, and without norms its length is never read (``sum_len`` stays
            # 0); the sort key (the least term) is computed by rank(), so ``sortval``
            # stays empty: per field and document one dict entry instead of four
            self.facet = self.docs
            if self.omit_norms:
                self.doc_len = self.docs  # type: ignore[assignment]
        self._terms_sorted: list[str] | None = None
        self._by_length: dict[int, list[str]] | None = None
        self._points_sorted: tuple[list[Any], list[int]] | None = None
        self._rank: dict[int, int] | None = None
        self._den: dict[int, float] | None = None
        self._order: dict[bool, list[int]] = {}
        self._totals: Counter[str] | None = None

    def invalidate(self) -> None:
        self._terms_sorted = None
        self._by_length = None
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

    def terms_by_length(self) -> dict[int, list[str]]:
        """The field's terms grouped by length in code points (fuzzy queries)."""
        if self._by_length is None:
            by: dict[int, list[str]] = {}
            for t in self.postings:
                by.setdefault(len(t), []).append(t)
            self._by_length = by
        return self._by_length

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
            if self.points or self.geo:
                keyed: Any = self.sortval.items()
            else:  # the least term of each document (see __init__)
                keyed = ((d, min(terms)) for d, terms in self.docs.items())
            ordered = sorted(keyed, key=lambda item: item[1])
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
        self.stored: dict[int, Doc] = {}
        # docnum -> names of all fields of the document (to unindex it)
        self.doc_fields: dict[int, tuple[str, ...]] = {}
        self.key_to_doc: dict[str, int] = {}
        self.doc_to_key: dict[int, str] = {}
        self.next_docnum = 0
        self._field_cache: dict[str, Any] = {}

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

    # -- writing (documents arrive analysed: see :mod:`.documents`)

    def add_analyzed(self, key: str, analyzed: Analyzed, *, defer: bool = False) -> int:
        """Index a document (replacing the one with its key); ``defer``: see
        :meth:`remove_docnum`."""
        old = self.key_to_doc.get(key)
        if old is not None:
            self.remove_docnum(old, defer=defer)
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
            if fd.geo:
                fd.docs[docnum] = data[0]
                fd.doc_len[docnum] = data[2]
                fd.sum_len += data[2]
                continue
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
                    postings[text] = _pack(p, docnum, entry)
                elif entry.__class__ is int:  # _Packed.append, inlined
                    p.docs.append(docnum)
                    try:
                        p.pos.append(entry)
                    except OverflowError:
                        p.append_pos(entry)
                else:
                    p.append(docnum, entry)
            if p is not None and len(terms) == 1:
                # a one-term value found before (state, site_id, organization, ...): one
                # shared tuple for all its documents
                terms = fd.one.setdefault(terms[0], terms)
            fd.docs[docnum] = terms  # also fd.facet, and fd.doc_len without norms
            if fd.doc_len is not fd.docs:
                fd.doc_len[docnum] = length
                fd.sum_len += length
        return docnum

    def remove_docnum(self, docnum: int, *, defer: bool = False) -> None:
        """Unindex a document; with ``defer``, its packed postings entries stay until
        :meth:`purge` (a commit removes many documents: one pass per term)."""
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
            if fd.doc_len is not fd.docs:
                fd.sum_len -= fd.doc_len.pop(docnum, 0)
            if terms is None or fd.points or fd.geo:
                continue
            postings = fd.postings
            dead = fd.dead
            for t in terms:
                plist = postings.get(t)
                if plist is None:
                    continue
                if plist.__class__ is _Single:
                    if plist.doc == docnum:
                        del postings[t]
                        fd.one.pop(t, None)
                else:
                    gone = dead.get(t)
                    if gone is None:
                        dead[t] = [docnum]
                    else:
                        gone.append(docnum)
        if not defer:
            self.purge()

    def purge(self) -> None:
        """Remove the deferred postings entries of removed documents (see ``defer``)."""
        for fd in self.fields.values():
            dead = fd.dead
            if not dead:
                continue
            fd.dead = {}
            postings = fd.postings
            for t, gone in dead.items():
                plist = postings[t]
                plist.remove(gone)
                n = len(plist.docs)
                if n == 1:
                    d = plist.docs[0]
                    postings[t] = _Single(d, plist[d])
                elif not n:
                    del postings[t]
                    fd.one.pop(t, None)
            fd.invalidate()

    def remove_key(self, key: str, *, defer: bool = False) -> bool:
        docnum = self.key_to_doc.get(key)
        if docnum is None:
            return False
        self.remove_docnum(docnum, defer=defer)
        return True

    def clear(self) -> None:
        self.fields.clear()
        self.stored.clear()
        self.doc_fields.clear()
        self.key_to_doc.clear()
        self.doc_to_key.clear()
