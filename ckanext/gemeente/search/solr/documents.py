"""Document analysis: a prepared document becomes the term tables the index merges.

:class:`DocumentAnalyzer` runs each indexed field's analyzer (:mod:`.analysis`, chosen by
:mod:`.solrschema`) and builds the document's own ``term -> positions`` table, without
touching the index, so that it can run outside every lock in the update request's thread
(:mod:`.core`); :meth:`.index.MemIndex.add_analyzed` then only merges the tables.
"""

from __future__ import annotations

import zlib
from collections import Counter
from datetime import datetime
from sys import intern
from typing import Any

from .geometry import parse_shape
from .ops import Doc

POINT_KINDS = frozenset({"int", "long", "float", "double", "date"})
NUMERIC_KINDS = frozenset({"int", "long", "float", "double"})

_NO_PLAN = object()

#: stored-only string values from this length on are kept deflated in memory: CKAN's
#: ``data_dict`` and ``validated_data_dict``, a few KB of JSON per dataset each (a third
#: of that deflated), which only the rendering of a page's documents reads
DEFLATE_FROM = 1024


class Deflated(bytes):
    """A long stored-only string value, zlib-compressed (:func:`inflate` reads it)."""

    __slots__ = ()


def inflate(value: Any) -> Any:
    """A stored value as it was given (undoes :func:`deflate_values`)."""
    if value.__class__ is Deflated:
        return zlib.decompress(value).decode("utf-8", "surrogatepass")
    return value


def deflate_values(values: list[Any]) -> list[Any]:
    """``values`` with their long strings deflated (the same list when there are none)."""
    if not any(v.__class__ is str and len(v) >= DEFLATE_FROM for v in values):
        return values
    return [Deflated(zlib.compress(v.encode("utf-8", "surrogatepass"), 1))
            if v.__class__ is str and len(v) >= DEFLATE_FROM else v for v in values]

#: how a field is written: ``(stored, (field, kind, is_point, position gap) or None when
#: not indexed)``, or ``None`` when the schema does not know the field
Plan = tuple[bool, tuple[Any, str, bool, int] | None] | None


class Analyzed:
    """One document analysed for the index."""

    __slots__ = ("stored", "field_names", "fields")

    def __init__(
        self, stored: Doc, field_names: tuple[str, ...], fields: list[tuple[str, Any]],
    ) -> None:
        self.stored = stored
        self.field_names = field_names
        # (field name, (sort keys, facet labels, length)) for point fields,
        # (field name, (shapes, (), length)) for spatial fields,
        # (field name, ([position or [positions], ...], terms, length)) otherwise
        self.fields = fields


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


def position_gap(field: Any) -> int:
    """positionIncrementGap of a field, else of its type (Solr's default: 0)."""
    gap = getattr(field, "position_increment_gap", None)
    if gap is None:
        gap = getattr(field.type, "position_increment_gap", 0) or 0
    return int(gap)


class DocumentAnalyzer:
    """Runs the schema's analyzers over prepared documents (thread-safe, no index)."""

    def __init__(self, schema: Any) -> None:
        self.schema = schema
        self._plan_cache: dict[str, Plan] = {}

    def plan(self, name: str) -> Plan:
        """How field ``name`` is written (see :data:`Plan`)."""
        try:
            return self._plan_cache[name]
        except KeyError:
            pass
        field = self.schema.field(name)
        plan: Plan = None
        if field is not None:
            how = None
            if getattr(field, "indexed", True):
                kind = getattr(field.type, "kind", "string")
                how = (field, kind, kind in POINT_KINDS, position_gap(field))
            plan = (bool(getattr(field, "stored", True)), how)
        if len(self._plan_cache) > 100_000:  # dynamic fields: names are unbounded
            self._plan_cache.clear()
        self._plan_cache[name] = plan
        return plan

    def analyze(self, doc: Doc) -> Analyzed:
        """Everything :meth:`.index.MemIndex.add_analyzed` needs for ``doc``."""
        stored: Doc = {}
        fields: list[tuple[str, Any]] = []
        plans = self._plan_cache
        for name, values in doc.items():
            plan = plans.get(name, _NO_PLAN)
            if plan is _NO_PLAN:
                plan = self.plan(name)
            if plan is None:
                continue
            is_stored, how = plan  # type: ignore[misc]
            if is_stored:
                stored[name] = values if how is not None else deflate_values(values)
            if how is None or not values:
                continue
            field, kind, is_point, gap = how
            if is_point:
                fields.append((name, _analyze_points(field.type, kind, values)))
            elif kind == "spatial":
                shapes = tuple(parse_shape(v) for v in values)
                fields.append((name, (shapes, (), len(shapes))))
            else:
                terms = _analyze_terms(field.type, gap, values)
                if terms is not None:
                    fields.append((name, terms))
        return Analyzed(stored, tuple(doc), fields)
