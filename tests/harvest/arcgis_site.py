"""An invented municipality's ArcGIS Enterprise site, served by the tests' local HTTP server.

``site(n_services=..., layers_per_service=...)`` returns ``{path: json}`` for
``/arcgis/rest/services`` and everything below it: folders (``Afval``, ``Groen``,
``Verkeer``, ``Ruimte``), FeatureServers and MapServers in RD New (EPSG:28992) and Web
Mercator (wkid 102100), a MapServer with WMS and WFS, a group layer, a table, Dutch text
with diacritics, and optionally a layer with 2,000 fields. :func:`install` puts them on a
:class:`harvest_servers.HTTPServer` (``?f=json`` is ignored by its router).
"""

from __future__ import annotations

import json
from typing import Any

from harvest_servers import HTTPServer, body

ROOT = "/arcgis/rest/services"
EU = "http://publications.europa.eu/resource/authority/"
# ArcGIS metadata lacks most DCAT-AP-DONL fields: a source gives them once as ``defaults``
# (the tests, bench/harvest_remote.py and the demo's stage use these)
DEFAULTS = {
    "contact_name": "Team Geo-informatie",
    "contact_email": "geo@zaanstad.example.nl",
    "license_id": "http://creativecommons.org/publicdomain/zero/1.0/deed.nl",
    "theme": ["http://standaarden.overheid.nl/owms/terms/Ruimte_en_infrastructuur"],
    "language": [EU + "language/NLD"],
    "metadata_language": EU + "language/NLD",
    "modified": "2025-11-01",
    "access_rights": EU + "access-right/PUBLIC",
}
RD_EXTENT = {"xmin": 112000.0, "ymin": 494000.0, "xmax": 121500.0, "ymax": 503000.0,
             "spatialReference": {"wkid": 28992, "latestWkid": 28992}}
WEBM_EXTENT = {"xmin": 522000.0, "ymin": 6863000.0, "xmax": 544000.0, "ymax": 6882000.0,
               "spatialReference": {"wkid": 102100, "latestWkid": 3857}}

_FIELDS = [
    {"name": "OBJECTID", "type": "esriFieldTypeOID", "alias": "ObjectID"},
    {"name": "NAAM", "type": "esriFieldTypeString", "alias": "Naam", "length": 80},
    {"name": "WIJK", "type": "esriFieldTypeString", "alias": "Wijk", "length": 40},
    {"name": "DATUM_PLAATSING", "type": "esriFieldTypeDate", "alias": "Datum plaatsing"},
    {"name": "AANTAL", "type": "esriFieldTypeInteger", "alias": "Aantal"},
]


def _layer(layer_id: int, name: str, description: str, extent: dict[str, Any],
           fields: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    return {"id": layer_id, "name": name, "type": "Feature Layer",
            "description": description, "geometryType": "esriGeometryPoint",
            "extent": extent, "fields": fields or _FIELDS,
            "editingInfo": {"lastEditDate": 1762300800000}, **extra}


def _service(layers: list[dict[str, Any]], title: str, description: str, keywords: str,
             extent: dict[str, Any], tables: list[dict[str, Any]] | None = None,
             **extra: Any) -> dict[str, Any]:
    return {
        "currentVersion": 11.1, "serviceDescription": description,
        "capabilities": "Query,Map,Data",
        "spatialReference": extent["spatialReference"], "fullExtent": extent,
        "documentInfo": {"Title": title, "Keywords": keywords},
        "layers": [{"id": lyr["id"], "name": lyr["name"],
                    "subLayerIds": lyr.get("subLayerIds")} for lyr in layers],
        "tables": [{"id": t["id"], "name": t["name"]} for t in tables or []],
        **extra,
    }


def site(wide_layer: bool = False, extra_services: int = 0,
         layers_per_service: int = 1) -> dict[str, Any]:
    """Paths -> JSON answers of the whole site."""
    pages: dict[str, Any] = {}

    def add_service(name: str, stype: str, service: dict[str, Any],
                    layers: list[dict[str, Any]], tables: list[dict[str, Any]] | None = None
                    ) -> None:
        base = f"{ROOT}/{name}/{stype}"
        pages[base] = service
        pages[f"{base}/layers"] = {"layers": layers, "tables": tables or []}
        for item in layers + (tables or []):
            pages[f"{base}/{item['id']}"] = item

    pages[ROOT] = {"currentVersion": 11.1, "folders": ["Afval", "Groen", "Verkeer", "Ruimte"],
                   "services": [{"name": "Stadsdelen", "type": "MapServer"},
                                {"name": "Luchtfoto2025", "type": "ImageServer"}]}
    stadsdelen = [_layer(0, "Stadsdelen", "Grenzen van de zeven stadsdelen van Zaanstad.",
                         RD_EXTENT)]
    add_service("Stadsdelen", "MapServer", _service(
        stadsdelen, "Stadsdelen Zaanstad", "Bestuurlijke indeling in stadsdelen.",
        "bestuurlijke grenzen, stadsdelen", RD_EXTENT,
        supportedExtensions="KmlServer, WMSServer, WFSServer"), stadsdelen)

    pages[f"{ROOT}/Afval"] = {"currentVersion": 11.1, "folders": [], "services": [
        {"name": "Afval/Containers", "type": "FeatureServer"},
        {"name": "Afval/Inzamelroutes", "type": "MapServer"}]}
    containers = [_layer(0, "Ondergrondse containers",
                         "Locaties van ondergrondse containers voor restafval, papier en glas.",
                         RD_EXTENT)]
    lediging = [{"id": 1, "name": "Ledigingen", "type": "Table", "fields": _FIELDS[:3]}]
    add_service("Afval/Containers", "FeatureServer", _service(
        containers, "Afvalcontainers", "Containers in de openbare ruimte.",
        "afval, containers, inzameling", RD_EXTENT, tables=lediging), containers, lediging)
    routes = [{"id": 0, "name": "Routes", "type": "Group Layer", "subLayerIds": [1, 2],
               "extent": RD_EXTENT, "fields": []},
              _layer(1, "Route maandag", "Inzamelroute op maandag.", RD_EXTENT, parentLayer={
                  "id": 0}),
              _layer(2, "Route dinsdag", "Inzamelroute op dinsdag.", RD_EXTENT)]
    add_service("Afval/Inzamelroutes", "MapServer", _service(
        routes, "Inzamelroutes", "Routes van de afvalinzameling.", "afval, routes",
        RD_EXTENT), routes)

    pages[f"{ROOT}/Groen"] = {"currentVersion": 11.1, "folders": [], "services": [
        {"name": "Groen/Bomen", "type": "FeatureServer"}]}
    bomen_fields = _FIELDS if not wide_layer else [
        {"name": "OBJECTID", "type": "esriFieldTypeOID", "alias": "ObjectID"}] + [
        {"name": f"KENMERK_{i:04d}", "type": "esriFieldTypeString",
         "alias": f"Kenmerk {i} van de boom", "length": 20} for i in range(1, 2000)]
    bomen = [_layer(0, "Bomen in beheer", "Bomen in beheer bij de gemeente: soort, "
                    "plantjaar en hoogte. Gegevens over iepziekte en eikenprocessierups.",
                    WEBM_EXTENT, fields=bomen_fields)]
    add_service("Groen/Bomen", "FeatureServer", _service(
        bomen, "Bomen", "Bomenbestand.", "bomen, groen, ĳsvogelroute, café-terras",
        WEBM_EXTENT), bomen)

    pages[f"{ROOT}/Verkeer"] = {"currentVersion": 11.1, "folders": [], "services": [
        {"name": "Verkeer/Parkeren", "type": "FeatureServer"}]}
    parkeren = [_layer(0, "Parkeerautomaten", "Parkeerautomaten en tarieven.", RD_EXTENT),
                _layer(1, "Laadpalen", "Openbare laadpalen voor elektrische auto's.", RD_EXTENT)]
    add_service("Verkeer/Parkeren", "FeatureServer", _service(
        parkeren, "Parkeren", "Parkeervoorzieningen.", "parkeren, mobiliteit", RD_EXTENT),
        parkeren)

    services = [{"name": f"Ruimte/Plan{i:04d}", "type": "FeatureServer"}
                for i in range(extra_services)]
    pages[f"{ROOT}/Ruimte"] = {"currentVersion": 11.1, "folders": [], "services": services}
    for i in range(extra_services):
        layers = [_layer(j, f"Bestemmingsplan {i:04d} deel {j}",
                         f"Plangebied {i} van het omgevingsplan, deel {j}.", RD_EXTENT)
                  for j in range(layers_per_service)]
        add_service(f"Ruimte/Plan{i:04d}", "FeatureServer", _service(
            layers, f"Plan {i:04d}", "Omgevingsplan.", "omgevingsplan", RD_EXTENT), layers)
    return pages


def install(server: HTTPServer, pages: dict[str, Any]) -> None:
    for path, answer in pages.items():
        server.routes[path] = body(json.dumps(answer, ensure_ascii=False),
                                   content_type="application/json; charset=utf-8")


def layer_count(pages: dict[str, Any]) -> int:
    """Feature layers and tables (not group layers) the site has: datasets expected."""
    n = 0
    for path, answer in pages.items():
        if path.endswith("/layers"):
            for item in answer.get("layers", []) + answer.get("tables", []):
                if not item.get("subLayerIds"):
                    n += 1
    return n
