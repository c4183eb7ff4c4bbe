"""ArcGIS Hub (and other Open Data) JSON catalogue feeds -> flat source records (pure Python).

ArcGIS Hub sites publish their catalogue as JSON in three dialects:

- ``/api/feed/dcat-us/1.1.json`` and the older ``/data.json``: DCAT-US 1.1 (Project Open
  Data): ``{"dataset": [{"identifier", "title", "description", "keyword": [...],
  "modified", "issued", "spatial": "xmin,ymin,xmax,ymax", "license", "contactPoint":
  {"fn", "hasEmail": "mailto:..."}, "distribution": [{"title", "format", "mediaType",
  "accessURL" | "downloadURL"}]}]}``
- ``/api/feed/dcat-ap/2.0.1.json``: DCAT-AP 2.0.1 as JSON-LD-like JSON: ``{"dcat:dataset":
  [{"dct:identifier", "dct:title", "dct:description", "dcat:keyword", "dct:modified",
  "dct:spatial", "dcat:contactPoint": {...}, "dcat:distribution": [{"dct:title",
  "dcat:accessURL", "dcat:downloadURL", "dct:format"}]}]}``

:func:`read_feed` recognises the dialect and returns the records; a feed that is not one of
them raises :class:`FeedError` (the harvester then withdraws nothing).
"""

from __future__ import annotations

import json
from typing import Any

from .arcgis_rest import bbox_geojson

# Paths under a Hub site's root, in the order a harvester tries them.
HUB_FEED_PATHS = ("/api/feed/dcat-ap/2.0.1.json", "/api/feed/dcat-us/1.1.json", "/data.json")
MAX_RESOURCES = 20  # resource columns the default mapping knows (resource_1 ... resource_20)


class FeedError(ValueError):
    """The document is no DCAT-US or Hub DCAT-AP JSON feed."""


def _text(value: Any) -> str:
    if isinstance(value, dict):  # {"@value": ..., "@language": ...} or {"@id": ...}
        value = value.get("@value") or value.get("@id") or ""
    if isinstance(value, list):
        return "; ".join(_text(v) for v in value if _text(v))
    return str(value or "").strip()


def _list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, list):
        return [t for t in (_text(v) for v in value) if t]
    return [_text(value)] if _text(value) else []


def _bbox(value: Any) -> tuple[float, float, float, float] | None:
    text = _text(value)
    try:
        parts = [float(p) for p in text.split(",")]
    except ValueError:
        return None
    if len(parts) != 4:
        return None
    x0, y0, x1, y1 = parts
    if not (-180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90):
        return None
    return (x0, y0, x1, y1)


def _email(contact: Any) -> str:
    if not isinstance(contact, dict):
        return ""
    mail = _text(contact.get("hasEmail") or contact.get("vcard:hasEmail"))
    return mail[len("mailto:"):] if mail.lower().startswith("mailto:") else mail


def _record(item: dict[str, Any], get: Any) -> dict[str, Any]:
    spatial = _bbox(get(item, "spatial"))
    contact = get(item, "contactPoint") or {}
    record: dict[str, Any] = {
        "identifier": _text(get(item, "identifier")),
        "title": _text(get(item, "title")),
        "description": _text(get(item, "description")),
        "keywords": _list(get(item, "keyword")),
        "modified": _text(get(item, "modified"))[:10],
        "issued": _text(get(item, "issued"))[:10],
        "license": _text(get(item, "license")),
        "landing_page": _text(get(item, "landingPage")),
        "contact_name": _text(contact.get("fn") or contact.get("vcard:fn"))
        if isinstance(contact, dict) else "",
        "contact_email": _email(contact),
        "bbox": list(spatial) if spatial else None,
        "spatial": bbox_geojson(spatial) if spatial else "",
    }
    distributions = get(item, "distribution") or []
    if isinstance(distributions, dict):
        distributions = [distributions]
    for i, dist in enumerate(distributions[:MAX_RESOURCES], start=1):
        if not isinstance(dist, dict):
            continue
        record[f"resource_{i}_url"] = _text(get(dist, "downloadURL") or get(dist, "accessURL"))
        record[f"resource_{i}_name"] = _text(get(dist, "title")) or f"Bestand {i}"
        record[f"resource_{i}_format"] = _text(get(dist, "format") or get(dist, "mediaType"))
    return record


def _us_get(item: dict[str, Any], key: str) -> Any:
    return item.get(key)


_AP_PREFIX = {"identifier": "dct", "title": "dct", "description": "dct", "modified": "dct",
              "issued": "dct", "license": "dct", "spatial": "dct", "format": "dct",
              "keyword": "dcat", "landingPage": "dcat", "contactPoint": "dcat",
              "distribution": "dcat", "downloadURL": "dcat", "accessURL": "dcat",
              "mediaType": "dcat"}


def _ap_get(item: dict[str, Any], key: str) -> Any:
    prefixed = f"{_AP_PREFIX.get(key, 'dct')}:{key}"
    value = item.get(prefixed, item.get(key))
    if value is None and key.endswith("URL"):  # Hub writes dcat:accessUrl
        value = item.get(prefixed[:-3] + "Url")
    if value is None and key == "identifier":
        value = item.get("@id")
    if key == "format" and value is not None:  # {"@id": "ftype:CSV"} -> CSV
        text = _text(value)
        value = text.split(":", 1)[1] if text.startswith("ftype:") else text
    return value


def read_feed(body: bytes | str) -> tuple[str, list[dict[str, Any]]]:
    """Parse a feed document: ``(dialect, records)`` with dialect ``dcat-us`` or ``dcat-ap``."""
    try:
        doc = json.loads(body) if not isinstance(body, dict) else body
    except ValueError as exc:
        raise FeedError(f"geen geldige JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise FeedError("het document is geen JSON-object")
    if isinstance(doc.get("dataset"), list):
        dialect, items, get = "dcat-us", doc["dataset"], _us_get
    elif isinstance(doc.get("dcat:dataset"), list):
        dialect, items, get = "dcat-ap", doc["dcat:dataset"], _ap_get
    else:
        raise FeedError("geen DCAT-US- of DCAT-AP-feed: er is geen lijst 'dataset'")
    records = []
    for item in items:
        if isinstance(item, dict):
            record = _record(item, get)
            if record["identifier"] and record["title"]:
                records.append(record)
    return dialect, records


DEFAULT_MAPPING: dict[str, Any] = {
    "identifier": "identifier",
    "fields": {
        "title": "title",
        "notes": {"column": "description", "default": "Dataset uit ArcGIS Hub"},
        "tags": {"column": "keywords", "type": "list"},
        "modified": {"column": "modified", "type": "date"},
        "issued": {"column": "issued", "type": "date"},
        "contact_name": "contact_name",
        "contact_email": "contact_email",
        "spatial": "spatial",
    },
    "resources": [
        {"url": f"resource_{i}_url", "name": f"resource_{i}_name",
         "format": f"resource_{i}_format"}
        for i in range(1, MAX_RESOURCES + 1)
    ],
}
