"""``gemeente_arcgis``: an ArcGIS Enterprise services directory or an ArcGIS Hub site.

The source URL is either a services directory (``https://geo.gemeente.nl/arcgis/rest/
services``, with or without ``?f=json``), walked through every folder by
:mod:`.arcgis_rest`, or a Hub site / feed (``https://data-gemeente.hub.arcgis.com`` or one of
its feeds, :data:`.hub_feeds.HUB_FEED_PATHS`), read by :mod:`.hub_feeds`. Configuration keys
besides the base ones: ``per`` (``layer`` default, or ``service``) and ``kind``
(``auto`` default, ``rest`` or ``hub``).

A walk that could not read every folder and service fails as a whole: nothing is created,
changed or withdrawn on a partial directory (the errors are in the harvest job's report).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ckanext.gemeente import urlguard

from ..base import GemeenteHarvester, Record, SourceContext, SourceReadError, dataset_schema
from . import arcgis_rest, hub_feeds

KINDS = ("auto", "rest", "hub")


class _NotFound(Exception):
    """A 400/404 answer (raised by :func:`_json` for the ``/layers`` fallback)."""


def _json(url: str, policy: urlguard.GuardPolicy) -> Any:
    try:
        raw = urlguard.fetch_bytes(url, policy, headers={"Accept": "application/json"})
    except urlguard.SourceError as exc:
        if exc.status in (400, 404):
            raise _NotFound(str(exc)) from None
        raise
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise arcgis_rest.ArcGISError(
            f"{urlguard.redact_url(url)}: geen geldige JSON ({exc})") from None


def _is_hub(url: str, kind: str) -> bool:
    if kind != "auto":
        return kind == "hub"
    path = urlsplit(url).path.rstrip("/")
    return "/rest/services" not in path


def _hub_feed_urls(url: str) -> list[str]:
    parts = urlsplit(url)
    if parts.path.endswith(".json"):
        return [url]
    root = urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))
    return [root + path for path in hub_feeds.HUB_FEED_PATHS]


def _mapping_for_schema(mapping: dict[str, Any]) -> dict[str, Any]:
    """Drop default target fields the active scheming schema does not have.

    On CKAN's default schema every field is kept (unknown ones become extras, and
    ``spatial`` is the extra ckanext-spatial indexes).
    """
    schema = dataset_schema()
    if schema is None:
        return mapping
    names = {f["field_name"] for f in schema.get("dataset_fields", [])} | {"tags"}
    fields = {k: v for k, v in mapping["fields"].items() if k in names}
    return {**mapping, "fields": fields}


class ArcGISHarvester(GemeenteHarvester):
    """Harvester of ArcGIS REST services directories and ArcGIS Hub feeds."""

    source_type = "gemeente_arcgis"
    title = "ArcGIS (REST-services of Hub)"
    description = ("Een ArcGIS Enterprise-servicesmap (alle mappen, Feature- en MapServer-"
                   "lagen) of een ArcGIS Hub-site (DCAT-feeds).")
    config_keys = {"per", "kind"}
    record_word = "Laag"

    def default_mapping(self, config: dict[str, Any]) -> dict[str, Any]:
        hub = config.get("kind") == "hub"
        return _mapping_for_schema(hub_feeds.DEFAULT_MAPPING if hub
                                   else arcgis_rest.DEFAULT_MAPPING)

    def validate_source_config(self, config: dict[str, Any]) -> list[tuple[str, str]]:
        errors = []
        if config.get("per", "layer") not in ("layer", "service"):
            errors.append(("per", "must be layer or service"))
        if config.get("kind", "auto") not in KINDS:
            errors.append(("kind", "must be one of: " + ", ".join(KINDS)))
        return errors

    def read_records(self, source: SourceContext) -> Iterable[Record]:
        kind = source.config.get("kind", "auto")
        if _is_hub(source.url, kind):
            return self._read_hub(source)
        walk = arcgis_rest.walk(
            source.url, lambda url: _json(url, source.policy),
            per=source.config.get("per", "layer"),
            # an old server without /layers answers 400/404 or an ArcGIS error; a refused,
            # oversized or stalled answer fails the service instead
            fallback_on=(arcgis_rest.ArcGISError, _NotFound))
        if not walk.complete:
            shown = walk.errors[:50]
            more = len(walk.errors) - len(shown)
            raise SourceReadError(
                "ArcGIS-servicesmap niet volledig gelezen: " + "; ".join(shown)
                + (f" (en {more} fouten meer)" if more > 0 else ""))
        return [Record(identifier=r["identifier"], data=_flat(r),
                       ref=f"Laag {r['identifier']}") for r in walk.records]

    def _read_hub(self, source: SourceContext) -> list[Record]:
        problems = []
        for url in _hub_feed_urls(source.url):
            try:
                raw = urlguard.fetch_bytes(url, source.policy,
                                           headers={"Accept": "application/json"})
                _dialect, records = hub_feeds.read_feed(raw)
            except (urlguard.SourceError, hub_feeds.FeedError) as exc:
                problems.append(f"{urlguard.redact_url(url)}: {exc}")
                continue
            return [Record(identifier=r["identifier"], data=r, ref=f"Dataset {r['identifier']}")
                    for r in records]
        raise SourceReadError("geen bruikbare Hub-feed: " + "; ".join(problems))


def _flat(record: dict[str, Any]) -> dict[str, Any]:
    """Mapping columns are flat values: the field list and bbox travel as JSON text."""
    out = dict(record)
    out["fields"] = json.dumps(record.get("fields") or [], ensure_ascii=False)
    out["bbox"] = json.dumps(record.get("bbox")) if record.get("bbox") else ""
    if "layers" in out:
        out["layers"] = "; ".join(out["layers"])
    return out
