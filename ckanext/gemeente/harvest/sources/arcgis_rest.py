"""ArcGIS REST services directories -> flat source records (pure Python, no CKAN).

An ArcGIS Enterprise (or Server) site lists its services at
``https://host/arcgis/rest/services?f=json``::

    {"currentVersion": 11.1, "folders": ["Afval", "Verkeer"],
     "services": [{"name": "Bomen", "type": "MapServer"}]}

Every folder answers the same shape at ``.../services/<folder>?f=json`` (folders can nest),
every service (``.../services/<name>/<type>?f=json``) lists its ``layers`` and ``tables``,
and ``.../<type>/layers?f=json`` gives the details of all of them in one request (the
layer's ``description``, ``extent``, ``fields``, ``editingInfo``...). The walker reads every
folder, not only the top level, and turns each layer (or each service, ``per="service"``)
into one flat record that the per-source mapping (:mod:`..mapping`) maps to a dataset.

The walker never half-succeeds silently: a folder or service that cannot be read is listed
in :attr:`Walk.errors`, and a walk with errors is not :attr:`Walk.complete`, so the base
harvester withdraws nothing on it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

# fetch(url) -> parsed JSON; raises on transport errors (the caller's URL guard decides)
FetchJSON = Callable[[str], Any]

SERVICE_TYPES = ("FeatureServer", "MapServer")
# Esri's own ids for Web Mercator, which PROJ knows as EPSG:3857
_WKID_ALIASES = {102100: 3857, 102113: 3857, 900913: 3857}

# Esri field types -> a short, human data dictionary type
FIELD_TYPES = {
    "esriFieldTypeOID": "identificatie",
    "esriFieldTypeGlobalID": "identificatie",
    "esriFieldTypeGUID": "identificatie",
    "esriFieldTypeString": "tekst",
    "esriFieldTypeInteger": "geheel getal",
    "esriFieldTypeSmallInteger": "geheel getal",
    "esriFieldTypeBigInteger": "geheel getal",
    "esriFieldTypeDouble": "getal",
    "esriFieldTypeSingle": "getal",
    "esriFieldTypeDate": "datum/tijd",
    "esriFieldTypeDateOnly": "datum",
    "esriFieldTypeTimeOnly": "tijd",
    "esriFieldTypeGeometry": "geometrie",
    "esriFieldTypeBlob": "binair",
    "esriFieldTypeRaster": "raster",
    "esriFieldTypeXML": "XML",
}


class ArcGISError(Exception):
    """An ArcGIS answer that is not what a services directory returns."""


@dataclass
class Walk:
    """What one walk over a services directory found."""

    records: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # services of other types, group layers

    @property
    def complete(self) -> bool:
        return not self.errors


def services_root(url: str) -> str:
    """``https://h/arcgis/rest/services?f=json`` -> ``https://h/arcgis/rest/services``."""
    parts = urlsplit(url.strip())
    path = parts.path.rstrip("/")
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def _json_url(url: str) -> str:
    return f"{url}?f=json"


def _checked(answer: Any, url: str) -> dict[str, Any]:
    if not isinstance(answer, dict):
        raise ArcGISError(f"{url}: geen JSON-object maar {type(answer).__name__}")
    if "error" in answer:
        err = answer["error"] or {}
        raise ArcGISError(f"{url}: ArcGIS-fout {err.get('code', '?')}: {err.get('message', '')}")
    return answer


def _wkid(spatial_reference: Any) -> int | None:
    if not isinstance(spatial_reference, dict):
        return None
    wkid = spatial_reference.get("latestWkid") or spatial_reference.get("wkid")
    try:
        wkid = int(wkid)
    except (TypeError, ValueError):
        return None
    return _WKID_ALIASES.get(wkid, wkid)


BBox = tuple[float, float, float, float]


def extent_to_wgs84(extent: Any, default_sr: Any = None) -> BBox | None:
    """An Esri extent (any spatial reference PROJ knows) as a WGS84 (lon/lat) bounding box.

    Returns None for a missing, empty (``NaN``) or unconvertible extent.
    """
    if not isinstance(extent, dict):
        return None
    try:
        box = [float(extent[k]) for k in ("xmin", "ymin", "xmax", "ymax")]
    except (KeyError, TypeError, ValueError):
        return None
    if any(v != v for v in box) or box[0] > box[2] or box[1] > box[3]:  # NaN or inverted
        return None
    wkid = _wkid(extent.get("spatialReference")) or _wkid(default_sr)
    if wkid in (None, 4326):
        lon0, lat0, lon1, lat1 = box
    else:
        from pyproj import Transformer
        from pyproj.exceptions import CRSError, ProjError

        try:
            tf = _transformer(Transformer, wkid)
            lon0, lat0, lon1, lat1 = tf.transform_bounds(*box)
        except (CRSError, ProjError):
            return None
    if not (-180 <= lon0 <= lon1 <= 180 and -90 <= lat0 <= lat1 <= 90):
        return None
    return (round(lon0, 6), round(lat0, 6), round(lon1, 6), round(lat1, 6))


_TRANSFORMERS: dict[int, Any] = {}


def _transformer(transformer_cls: Any, wkid: int) -> Any:
    if wkid not in _TRANSFORMERS:
        _TRANSFORMERS[wkid] = transformer_cls.from_crs(f"EPSG:{wkid}", "EPSG:4326",
                                                       always_xy=True)
    return _TRANSFORMERS[wkid]


def bbox_geojson(bbox: BBox) -> str:
    """The bounding box as a GeoJSON polygon (the shape ckanext-spatial indexes)."""
    x0, y0, x1, y1 = bbox
    ring = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


def data_dictionary(fields: Any) -> list[dict[str, str]]:
    """The layer's field list as a data dictionary (name, type, label, length)."""
    out = []
    for f in fields or []:
        if not isinstance(f, dict) or not f.get("name"):
            continue
        entry = {"name": str(f["name"]),
                 "type": FIELD_TYPES.get(str(f.get("type")), str(f.get("type") or "")),
                 "label": str(f.get("alias") or f["name"])}
        if f.get("length"):
            entry["length"] = str(f["length"])
        out.append(entry)
    return out


def fields_table(fields: list[dict[str, str]]) -> str:
    """The data dictionary as a Markdown table for the dataset's description."""
    if not fields:
        return ""
    with_layer = any("layer" in f for f in fields)
    head = ["Laag"] if with_layer else []
    lines = ["| " + " | ".join([*head, "Veld", "Type", "Alias", "Lengte"]) + " |",
             "|" + "---|" * (len(head) + 4)]
    for f in fields:
        cells = ([f.get("layer", "")] if with_layer else []) + [
            f["name"], f["type"], f["label"], f.get("length", "")]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)


def _keywords(service: dict[str, Any], folder: str) -> list[str]:
    words: list[str] = []
    raw = (service.get("documentInfo") or {}).get("Keywords") or ""
    for word in str(raw).replace(";", ",").split(","):
        word = word.strip()
        if word and word.lower() not in {w.lower() for w in words}:
            words.append(word)
    if folder and folder.lower() not in {w.lower() for w in words}:
        words.append(folder)
    return words


def _ogc_urls(root: str, name: str, service: dict[str, Any]) -> dict[str, str]:
    """WMS/WFS endpoints of a MapServer that has those extensions enabled.

    ArcGIS serves OGC interfaces beside the REST ones: ``/arcgis/services/<name>/MapServer/
    WMSServer`` where the REST directory is ``/arcgis/rest/services``.
    """
    extensions = service.get("supportedExtensions") or ""
    if isinstance(extensions, list):
        extensions = ",".join(str(e) for e in extensions)
    soap_root = root[: -len("/rest/services")] + "/services" if root.endswith(
        "/rest/services") else None
    out: dict[str, str] = {}
    if not soap_root:
        return out
    base = f"{soap_root}/{quote(name)}/MapServer"
    if "WMSServer" in extensions:
        out["wms_url"] = f"{base}/WMSServer?request=GetCapabilities&service=WMS"
    if "WFSServer" in extensions:
        out["wfs_url"] = f"{base}/WFSServer?request=GetCapabilities&service=WFS"
    return out


def _layer_record(root: str, name: str, stype: str, service: dict[str, Any],
                  layer: dict[str, Any], folder: str) -> dict[str, Any]:
    service_url = f"{root}/{quote(name)}/{stype}"
    layer_url = f"{service_url}/{layer['id']}"
    bbox = extent_to_wgs84(layer.get("extent"), service.get("spatialReference")) \
        or extent_to_wgs84(service.get("fullExtent"), service.get("spatialReference"))
    capabilities = str(service.get("capabilities") or "Query")
    doc = service.get("documentInfo") or {}
    edit = (layer.get("editingInfo") or {}).get("lastEditDate")
    record: dict[str, Any] = {
        "identifier": f"{name}/{stype}/{layer['id']}",
        "title": str(layer.get("name") or name.rsplit("/", 1)[-1]).strip(),
        "service_title": str(doc.get("Title") or name.rsplit("/", 1)[-1]).strip(),
        "description": str(layer.get("description") or service.get("serviceDescription")
                           or service.get("description") or "").strip(),
        "copyright": str(layer.get("copyrightText") or service.get("copyrightText") or ""),
        "keywords": _keywords(service, folder),
        "folder": folder,
        "service_type": stype,
        "geometry_type": str(layer.get("geometryType") or ""),
        "layer_type": str(layer.get("type") or ""),
        "service_url": service_url,
        "layer_url": layer_url,
        "geojson_url": (f"{layer_url}/query?where=1%3D1&outFields=*&f=geojson"
                        if "Query" in capabilities or "Data" in capabilities else ""),
        "fields": data_dictionary(layer.get("fields")),
        "fields_table": "",
        "bbox": list(bbox) if bbox else None,
        "spatial": bbox_geojson(bbox) if bbox else "",
        "modified": _epoch_ms_to_iso(edit),
    }
    if stype == "MapServer":
        record.update(_ogc_urls(root, name, service))
    record.setdefault("wms_url", "")
    record.setdefault("wfs_url", "")
    record["fields_table"] = fields_table(record["fields"])
    return record


def _epoch_ms_to_iso(value: Any) -> str:
    import datetime as dt

    try:
        stamp = dt.datetime.fromtimestamp(int(value) / 1000, tz=dt.timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        return ""
    return stamp.date().isoformat()


def _service_record(root: str, name: str, stype: str, service: dict[str, Any],
                    layers: list[dict[str, Any]], folder: str) -> dict[str, Any]:
    """One record for a whole service: its layers' fields merged, extents united."""
    first = dict(layers[0]) if layers else {"id": 0}
    record = _layer_record(root, name, stype, service, first, folder)
    record["identifier"] = f"{name}/{stype}"
    record["title"] = record["service_title"]
    record["layer_url"] = ""
    record["geojson_url"] = ""
    record["description"] = str(service.get("serviceDescription") or service.get("description")
                                or record["description"]).strip()
    record["layers"] = [str(layer.get("name")) for layer in layers]
    record["fields"] = [dict(f, layer=str(layer.get("name"))) for layer in layers
                        for f in data_dictionary(layer.get("fields"))]
    record["fields_table"] = fields_table(record["fields"])
    boxes = [b for b in (extent_to_wgs84(layer.get("extent"), service.get("spatialReference"))
                         for layer in layers) if b]
    if boxes:
        bbox = (min(b[0] for b in boxes), min(b[1] for b in boxes),
                max(b[2] for b in boxes), max(b[3] for b in boxes))
        record["bbox"], record["spatial"] = list(bbox), bbox_geojson(bbox)
    return record


def _service_layers(fetch: FetchJSON, service_url: str, service: dict[str, Any],
                    fallback_on: tuple[type[Exception], ...]) -> list[dict[str, Any]]:
    """All layers and tables of a service with their details (one request when possible)."""
    listed = [dict(item, _table=False) for item in service.get("layers") or []] + \
        [dict(item, _table=True) for item in service.get("tables") or []]
    if not listed:
        return []
    try:
        detail = _checked(fetch(_json_url(f"{service_url}/layers")), f"{service_url}/layers")
        by_id = {item.get("id"): item for item in
                 (detail.get("layers") or []) + (detail.get("tables") or [])}
    except fallback_on:  # older servers lack /layers: ask layer by layer
        by_id = {}
    out = []
    for item in listed:
        full = by_id.get(item.get("id"))
        if full is None:
            url = f"{service_url}/{item.get('id')}"
            full = _checked(fetch(_json_url(url)), url)
        out.append(dict(full, id=item.get("id"),
                        subLayerIds=full.get("subLayerIds") or item.get("subLayerIds")))
    return out


def walk(url: str, fetch: FetchJSON, *, per: str = "layer", max_depth: int = 10,
         max_services: int = 10_000,
         fallback_on: tuple[type[Exception], ...] = (ArcGISError, ValueError)) -> Walk:
    """Walk the services directory at ``url`` through every folder.

    ``per`` is ``"layer"`` (a record per feature layer and table; group layers skipped) or
    ``"service"`` (a record per FeatureServer/MapServer). ``fallback_on`` are the errors of
    a service's ``/layers`` request after which its layers are asked one by one (servers
    before 10.x lack it); any other error of that request fails the service.
    """
    if per not in ("layer", "service"):
        raise ValueError("per must be 'layer' or 'service'")
    root = services_root(url)
    result = Walk()
    seen_folders: set[str] = set()
    services: list[tuple[str, str, str]] = []  # (name, type, folder)

    def read_folder(folder: str, depth: int) -> None:
        if folder in seen_folders:
            return
        seen_folders.add(folder)
        folder_url = f"{root}/{quote(folder)}" if folder else root
        try:
            answer = _checked(fetch(_json_url(folder_url)), folder_url)
        except Exception as exc:  # noqa: BLE001 - every failure is reported, none is fatal
            result.errors.append(f"map {folder or '/'}: {exc}")
            return
        for service in answer.get("services") or []:
            if not isinstance(service, dict) or not service.get("name"):
                continue
            name, stype = str(service["name"]), str(service.get("type") or "")
            if stype not in SERVICE_TYPES:
                result.skipped.append(f"{name} ({stype})")
                continue
            if (name, stype) not in {(n, t) for n, t, _ in services}:
                services.append((name, stype, folder))
        for sub in answer.get("folders") or []:
            sub = str(sub)
            # folder names are relative at the root and full paths below it
            path = sub if (not folder or sub.startswith(folder + "/")) else f"{folder}/{sub}"
            if depth >= max_depth:
                result.errors.append(f"map {path}: dieper dan {max_depth} niveaus")
                continue
            read_folder(path, depth + 1)

    read_folder("", 0)
    if len(services) > max_services:
        result.errors.append(f"meer dan {max_services} services: alleen de eerste gelezen")
        services = services[:max_services]
    for name, stype, folder in services:
        service_url = f"{root}/{quote(name)}/{stype}"
        try:
            service = _checked(fetch(_json_url(service_url)), service_url)
            layers = _service_layers(fetch, service_url, service, fallback_on)
        except Exception as exc:  # noqa: BLE001
            result.errors.append(f"service {name}/{stype}: {exc}")
            continue
        usable = []
        for layer in layers:
            if layer.get("subLayerIds") or layer.get("type") == "Group Layer":
                result.skipped.append(f"{name}/{stype}/{layer.get('id')} (groepslaag)")
                continue
            usable.append(layer)
        if per == "service":
            result.records.append(_service_record(root, name, stype, service, usable, folder))
        else:
            for layer in usable:
                result.records.append(_layer_record(root, name, stype, service, layer, folder))
    return result


# The mapping a new ArcGIS source starts from (the source config may override any part).
DEFAULT_MAPPING: dict[str, Any] = {
    "identifier": "identifier",
    "fields": {
        "title": "title",
        "notes": {"template": "{description}\n\n## Velden\n\n{fields_table}",
                  "default": "Geodata uit ArcGIS"},
        "tags": {"column": "keywords", "type": "list"},
        "modified": {"column": "modified", "type": "date"},
        "spatial": "spatial",
    },
    "resources": [
        {"url": "service_url", "name": {"template": "{service_title} (ArcGIS REST)"},
         "format": {"value": "REST"}},
        {"url": "geojson_url", "name": {"template": "{title} (GeoJSON)"},
         "format": {"value": "GEOJSON"}},
        {"url": "wms_url", "name": {"template": "{service_title} (WMS)"},
         "format": {"value": "WMS_SRVC"}},
        {"url": "wfs_url", "name": {"template": "{service_title} (WFS)"},
         "format": {"value": "WFS_SRVC"}},
    ],
}
