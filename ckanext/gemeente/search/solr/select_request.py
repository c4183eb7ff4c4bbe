"""Parsing of a ``/select`` request into a :class:`SelectRequest` (no index involved).

The request parameters become the main query and the filters (query trees, :mod:`.ast`,
parsed by :mod:`.query`), the sort clauses and ``fl`` checked against the schema, paging,
and the facet requests. :mod:`.execute` runs the result under the core's read lock and
:mod:`.render` writes Solr's JSON.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from . import ast
from .errors import SolrError
from .params import Params, bool_param, int_param, truthy
from .query import parse_lucene, parse_query

_LOCAL_PARAMS_RE = re.compile(r"^\{!([^}]*)\}")


def strip_local_params(spec: str) -> tuple[str, dict[str, str]]:
    """``{!key=k ...}rest`` -> ``(rest, {"key": "k", ...})`` (facet specs)."""
    m = _LOCAL_PARAMS_RE.match(spec.strip())
    if not m:
        return spec.strip(), {}
    local: dict[str, str] = {}
    for part in re.findall(r"""(\w[\w.]*)=('[^']*'|"[^"]*"|\S+)""", m.group(1)):
        local[part[0]] = part[1].strip("'\"")
    return spec.strip()[m.end():].strip(), local


@dataclass(frozen=True, slots=True)
class SortClause:
    """One sort clause; ``missing`` is ``'last'``, ``'first'`` or ``'low'``."""

    field: str
    desc: bool
    missing: str = "low"


@dataclass(frozen=True, slots=True)
class Filter:
    """One ``fq``: its text, its cache key and its query tree."""

    spec: str
    key: tuple[Any, ...]
    query: ast.Query


@dataclass(frozen=True, slots=True)
class FacetField:
    """One ``facet.field`` with its (per-field overridable) options."""

    name: str
    key: str
    limit: int
    mincount: int
    offset: int
    prefix: str | None
    sort: str  # "count" or "index"


@dataclass(slots=True)
class FacetRequest:
    queries: list[tuple[str, ast.Query]] = field(default_factory=list)
    fields: list[FacetField] = field(default_factory=list)
    nl: str = "flat"


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


@dataclass(slots=True)
class SelectRequest:
    """A parsed ``/select``: everything execution and rendering need."""

    params: Params
    query: ast.Query
    #: the parameters that determine the main query's result (result cache key)
    query_key: tuple[Any, ...]
    filters: list[Filter]
    sort: list[SortClause]
    fl: FieldMatcher
    rows: int
    start: int
    df: str | None
    q_op: str
    facets: FacetRequest | None
    omit_header: bool


def parse_select(params: Params, schema: Any) -> SelectRequest:
    """Parse and check a ``/select`` request (400 for anything Solr would refuse)."""
    rows = int_param(params.get("rows"), 10)
    start = int_param(params.get("start"), 0)
    if rows < 0:
        raise SolrError("'rows' parameter cannot be negative")
    if start < 0:
        raise SolrError("'start' parameter cannot be negative")
    single = params.single()
    df = single.get("df")
    q_op = single.get("q.op", "OR") or "OR"
    fl = FieldMatcher(params.getlist("fl"))

    query = parse_query(single.get("q"), single, schema)
    filters: list[Filter] = []
    for spec in params.getlist("fq"):
        if not spec.strip():
            continue
        key = (spec, df, q_op, tuple(sorted(_referenced_params(spec, single).items())))
        filters.append(Filter(spec, key, _parse_filter(spec, single, schema, df, q_op)))
    facets = None
    if bool_param(params, "facet"):
        facets = FacetRequest(nl=params.get("json.nl", "flat") or "flat")
        for fqs in params.getlist("facet.query"):
            spec, local = strip_local_params(fqs)
            facets.queries.append((local.get("key", fqs),
                                   parse_lucene(spec, schema, df=df, q_op=q_op)))
    sort = parse_sort(single.get("sort", ""), schema) if single.get("sort") else []
    if facets is not None:
        facets.fields = [_facet_field(spec, params, schema)
                         for spec in params.getlist("facet.field")]
    return SelectRequest(
        params=params, query=query, query_key=_query_key(single), filters=filters, sort=sort,
        fl=fl, rows=rows, start=start, df=df, q_op=q_op, facets=facets,
        omit_header=truthy(params.get("omitHeader")),
    )


def parse_sort(spec: str, schema: Any) -> list[SortClause]:
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
        if name in ("score", "_docid_"):
            clauses.append(SortClause(name, desc))
            continue
        fld = schema.field(name)
        if fld is None:
            raise SolrError(f"sort param field can't be found: {name}")
        if getattr(fld, "multi_valued", False):
            raise SolrError(
                f"can not sort on multivalued field: {name} of type: {_type_name(fld)}"
            )
        if not getattr(fld, "indexed", True) and not getattr(fld, "doc_values", False):
            raise SolrError(
                "can not sort on a field w/o docValues unless it is indexed=true "
                f"uninvertible=true and the type supports Uninversion: {name}"
            )
        ftype = fld.type
        if getattr(fld, "sort_missing_last", False) or getattr(ftype, "sort_missing_last", False):
            missing = "last"
        elif getattr(fld, "sort_missing_first", False) or getattr(
                ftype, "sort_missing_first", False):
            missing = "first"
        else:
            missing = "low"
        clauses.append(SortClause(name, desc, missing))
    return clauses


def _type_name(fld: Any) -> str:
    return str(getattr(fld.type, "name", getattr(fld.type, "kind", "?")))


def _facet_field(spec: str, params: Params, schema: Any) -> FacetField:
    name, local = strip_local_params(spec)

    def p(param: str, default: str | None = None) -> str | None:
        v = params.get(f"f.{name}.facet.{param}")
        return v if v is not None else params.get(f"facet.{param}", default)

    limit = int_param(p("limit"), 100)
    mincount = int_param(p("mincount"), 0)
    offset = int_param(p("offset"), 0)
    sort_mode = (p("sort") or ("count" if limit > 0 else "index")).lower()
    if sort_mode in ("true",):
        sort_mode = "count"
    elif sort_mode in ("false", "lex"):
        sort_mode = "index"
    if schema.field(name) is None:
        raise SolrError(f"undefined field {name}")
    return FacetField(name=name, key=local.get("key", name), limit=limit, mincount=mincount,
                      offset=offset, prefix=p("prefix"), sort=sort_mode)


_NOT_QUERY_PARAMS = ("fq", "rows", "start", "fl", "sort", "wt", "facet", "f.", "json.",
                     "omitHeader", "echoParams", "indent", "_", "hl", "debug", "stats")


def _query_key(single: Mapping[str, str]) -> tuple[Any, ...]:
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
) -> ast.Query:
    if spec.lstrip().startswith("{!"):
        fparams = {k: v for k, v in single.items() if k in ("df", "q.op")}
        fparams.update(_referenced_params(spec, single))
        return parse_query(spec, fparams, schema)
    return parse_lucene(spec, schema, df=df, q_op=q_op)
