"""The in-memory inverted index of a core's committed documents.

Per field (:class:`FieldData`): postings ``term -> {docnum: position(s)}``, field lengths
for BM25 norms, point values for ranges, sort keys and facet labels per document. Documents
arrive already analysed (:mod:`.documents`); :meth:`MemIndex.add_analyzed` merges their
term tables and is all a commit does per document. Reads happen under the core's read lock
(:mod:`.core`), writes under its write lock.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator
from itertools import chain
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

    def keys(self) -> frozenset[int]:
        return frozenset((self.doc,))

    def items(self) -> tuple[tuple[int, Any]]:
        return ((self.doc, self.entry),)


class FieldData:
    """Everything indexed for one field name."""

    __slots__ = (
        "name", "kind", "ftype", "omit_norms", "points", "geo", "postings", "doc_len", "sum_len",
        "docs", "sortval", "facet", "_terms_sorted", "_by_length", "_points_sorted", "_rank",
        "_den", "_order", "_totals",
    )

    def __init__(self, name: str, kind: str, ftype: Any, omit_norms: bool) -> None:
        self.name = name
        self.kind = kind
        self.ftype = ftype
        self.omit_norms = omit_norms
        self.points = kind in POINT_KINDS
        #: a spatial field: ``docs`` holds each document's shapes, no postings
        self.geo = kind == "spatial"
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
            if terms is None or fd.points or fd.geo:
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
