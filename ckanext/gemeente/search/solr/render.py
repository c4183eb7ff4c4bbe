"""Rendering of answers in Solr's JSON shapes: ``/select`` results and error bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .documents import Deflated, inflate
from .execute import SelectResult
from .index import MemIndex, Scores
from .select_request import FieldMatcher, SelectRequest

SOLR_EXCEPTION = "org.apache.solr.common.SolrException"


def format_value(kind: str, value: Any) -> Any:
    """A stored value as Solr writes it in JSON."""
    if value.__class__ is Deflated:
        return inflate(value)
    if isinstance(value, datetime):
        from .datemath import format_solr_date

        return format_solr_date(value)
    if kind in ("int", "long") and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def render_doc(
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


def render_select(index: MemIndex, req: SelectRequest, res: SelectResult) -> dict[str, Any]:
    """The ``/select`` answer without its ``responseHeader`` (call under the read lock:
    the page's stored documents are read from the index)."""
    scores, const = res.scores, res.const
    docs = [render_doc(index, d, req.fl, scores, const) for d in res.page]
    response: dict[str, Any] = {"numFound": res.num_found, "start": res.start}
    if req.fl.score:  # Solr puts maxScore before docs
        if scores is None:
            response["maxScore"] = const if res.num_found else 0.0
        else:
            response["maxScore"] = max(scores.values()) if scores else 0.0
    response["numFoundExact"] = True
    response["docs"] = docs
    result: dict[str, Any] = {"response": response}
    if res.facets is not None and req.facets is not None:
        nl = req.facets.nl
        result["facet_counts"] = {
            "facet_queries": res.facets.queries,
            "facet_fields": {key: named_list(items, nl) for key, items in res.facets.fields},
            "facet_ranges": {},
            "facet_intervals": {},
            "facet_heatmaps": {},
        }
    return result


def named_list(items: list[tuple[str, int]], nl: str) -> Any:
    """Solr's ``json.nl`` forms of a named list."""
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


def error_body(msg: str, code: int) -> dict[str, Any]:
    """Solr's JSON error answer (what pysolr reports as ``[Reason: msg]``)."""
    return {
        "responseHeader": {"status": code, "QTime": 0},
        "error": {
            "metadata": ["error-class", SOLR_EXCEPTION, "root-error-class", SOLR_EXCEPTION],
            "msg": msg,
            "code": code,
        },
    }
