"""Query tree shared by the query parsers (``query.py``) and the executor (``execute.py``).

Every node carries a ``boost`` (1.0 unless the query said ``^n``). Field names are the
names written in the query (already resolved against ``df``/``qf``); term texts are the
analysed tokens the index holds, except for :class:`Range`, :class:`Prefix`,
:class:`Fuzzy` and :class:`Wildcard`, whose bounds/patterns are given as the parser saw
them (after Solr's multi-term analysis: lowercasing/folding for text fields) and converted
by the executor through the field's type.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Occur = Literal["MUST", "SHOULD", "MUST_NOT", "FILTER"]


@dataclass
class MatchAll:
    boost: float = 1.0


@dataclass
class MatchNone:
    boost: float = 1.0


@dataclass
class Term:
    field: str
    text: str
    boost: float = 1.0


@dataclass
class Phrase:
    """Terms at relative positions (``positions[i]`` belongs to ``terms[i]``)."""

    field: str
    terms: list[str]
    positions: list[int]
    slop: int = 0
    boost: float = 1.0


@dataclass
class Prefix:
    field: str
    prefix: str
    boost: float = 1.0


@dataclass
class Fuzzy:
    """Lucene's ``FuzzyQuery`` as Solr builds it for ``term~N``: index terms within
    ``max_edits`` Damerau-Levenshtein edits (a transposition is one edit) of ``text``,
    the first ``prefix_length`` characters fixed, at most ``max_expansions`` terms."""

    field: str
    text: str
    max_edits: int = 2
    prefix_length: int = 0
    max_expansions: int = 50
    boost: float = 1.0


@dataclass
class Wildcard:
    """``*`` any run of characters, ``?`` one character."""

    field: str
    pattern: str
    boost: float = 1.0


@dataclass
class Range:
    """``lower``/``upper`` of ``None`` mean an open end (``*``)."""

    field: str
    lower: str | None
    upper: str | None
    include_lower: bool = True
    include_upper: bool = True
    boost: float = 1.0


@dataclass
class Exists:
    """``field:*`` or ``field:[* TO *]``: the document has any value in the field."""

    field: str
    boost: float = 1.0


@dataclass
class FunctionRange:
    """``{!frange l=.. u=.. incl=.. incu=..}function``: documents whose function value
    (:mod:`.functions`) lies in the range; constant score. ``None``: an open end."""

    function: Any
    lower: float | None
    upper: float | None
    include_lower: bool = True
    include_upper: bool = True
    boost: float = 1.0


@dataclass
class FunctionScore:
    """``{!func}function`` or a ``bf`` boost function: every document, scored by the
    function's value (at least 0)."""

    function: Any
    boost: float = 1.0


@dataclass
class Spatial:
    """``{!field f=geo}Intersects(ENVELOPE(...))``: documents whose shapes in ``field``
    stand in relation ``op`` to ``shape`` (:mod:`.geometry`)."""

    field: str
    op: str
    shape: Any
    boost: float = 1.0


@dataclass
class Clause:
    occur: Occur
    query: Query


@dataclass
class Boolean:
    clauses: list[Clause] = field(default_factory=list)
    minimum_should_match: int = 0
    boost: float = 1.0


@dataclass
class DisMax:
    """Score = max(disjunct scores) + tie * sum(other disjunct scores)."""

    disjuncts: list[Query] = field(default_factory=list)
    tie: float = 0.0
    boost: float = 1.0


@dataclass
class ConstantScore:
    query: Query
    boost: float = 1.0


Query = (
    MatchAll | MatchNone | Term | Phrase | Prefix | Fuzzy | Wildcard | Range | Exists | Boolean
    | DisMax | ConstantScore | FunctionRange | FunctionScore | Spatial
)
