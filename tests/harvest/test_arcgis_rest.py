"""The ArcGIS services-directory walker over real HTTP (no CKAN): every folder, extents in
WGS84, field lists, resources, and failures that make the walk incomplete."""

from __future__ import annotations

import json
from collections.abc import Iterator

import arcgis_site
import pytest
from harvest_servers import HTTPServer, body

from ckanext.gemeente import urlguard
from ckanext.gemeente.harvest.sources import arcgis_rest


@pytest.fixture
def server() -> Iterator[HTTPServer]:
    srv = HTTPServer().start()
    yield srv
    srv.stop()


def _fetch(server: HTTPServer):
    policy = urlguard.GuardPolicy(allow_hosts=("127.0.0.1",), max_bytes=20 * 1024 * 1024)
    return lambda url: json.loads(urlguard.fetch_bytes(url, policy))


def test_walks_every_folder(server: HTTPServer) -> None:
    pages = arcgis_site.site()
    arcgis_site.install(server, pages)
    walk = arcgis_rest.walk(server.url(arcgis_site.ROOT + "?f=json"), _fetch(server))
    assert walk.complete, walk.errors
    ids = sorted(r["identifier"] for r in walk.records)
    # foldered services are found (Afval/, Groen/, Verkeer/), the top level too
    assert "Afval/Containers/FeatureServer/0" in ids
    assert "Afval/Containers/FeatureServer/1" in ids  # a table is a dataset too
    assert "Groen/Bomen/FeatureServer/0" in ids
    assert "Verkeer/Parkeren/FeatureServer/1" in ids
    assert "Stadsdelen/MapServer/0" in ids
    # the group layer is skipped, its sub-layers are kept; the image service is skipped
    assert "Afval/Inzamelroutes/MapServer/0" not in ids
    assert "Afval/Inzamelroutes/MapServer/1" in ids
    assert any("Luchtfoto2025" in s for s in walk.skipped)
    assert len(ids) == arcgis_site.layer_count(pages)


def test_extent_is_converted_to_wgs84(server: HTTPServer) -> None:
    arcgis_site.install(server, arcgis_site.site())
    walk = arcgis_rest.walk(server.url(arcgis_site.ROOT), _fetch(server))
    by_id = {r["identifier"]: r for r in walk.records}
    # RD New (EPSG:28992) around Zaandam: lon 4.7-4.9, lat 52.4-52.5
    x0, y0, x1, y1 = by_id["Afval/Containers/FeatureServer/0"]["bbox"]
    assert 4.6 < x0 < x1 < 5.0 and 52.3 < y0 < y1 < 52.6
    # Web Mercator (wkid 102100 -> EPSG:3857)
    x0, y0, x1, y1 = by_id["Groen/Bomen/FeatureServer/0"]["bbox"]
    assert 4.6 < x0 < x1 < 5.0 and 52.3 < y0 < y1 < 52.6
    geo = json.loads(by_id["Groen/Bomen/FeatureServer/0"]["spatial"])
    assert geo["type"] == "Polygon" and len(geo["coordinates"][0]) == 5


def test_record_content(server: HTTPServer) -> None:
    arcgis_site.install(server, arcgis_site.site(wide_layer=True))
    walk = arcgis_rest.walk(server.url(arcgis_site.ROOT), _fetch(server))
    by_id = {r["identifier"]: r for r in walk.records}
    bomen = by_id["Groen/Bomen/FeatureServer/0"]
    assert bomen["title"] == "Bomen in beheer"
    assert "ĳsvogelroute" in bomen["keywords"] and "café-terras" in bomen["keywords"]
    assert len(bomen["fields"]) == 2000  # a layer with 2,000 fields
    assert bomen["fields"][0] == {"name": "OBJECTID", "type": "identificatie",
                                  "label": "ObjectID"}
    assert bomen["geojson_url"].endswith("/Groen/Bomen/FeatureServer/0/query?"
                                         "where=1%3D1&outFields=*&f=geojson")
    assert bomen["wms_url"] == ""
    stadsdelen = by_id["Stadsdelen/MapServer/0"]
    assert stadsdelen["wms_url"].endswith(
        "/arcgis/services/Stadsdelen/MapServer/WMSServer?request=GetCapabilities&service=WMS")
    assert stadsdelen["wfs_url"].endswith("/WFSServer?request=GetCapabilities&service=WFS")
    assert stadsdelen["modified"] == "2025-11-05"


def test_per_service(server: HTTPServer) -> None:
    arcgis_site.install(server, arcgis_site.site())
    walk = arcgis_rest.walk(server.url(arcgis_site.ROOT), _fetch(server), per="service")
    by_id = {r["identifier"]: r for r in walk.records}
    parkeren = by_id["Verkeer/Parkeren/FeatureServer"]
    assert parkeren["title"] == "Parkeren"
    assert parkeren["layers"] == ["Parkeerautomaten", "Laadpalen"]
    assert {f["layer"] for f in parkeren["fields"]} == {"Parkeerautomaten", "Laadpalen"}


def test_falls_back_to_layer_requests(server: HTTPServer) -> None:
    pages = arcgis_site.site()
    del pages[arcgis_site.ROOT + "/Verkeer/Parkeren/FeatureServer/layers"]  # older server
    arcgis_site.install(server, pages)
    walk = arcgis_rest.walk(server.url(arcgis_site.ROOT), _fetch(server),
                            fallback_on=(arcgis_rest.ArcGISError, urlguard.SourceError))
    assert walk.complete, walk.errors
    assert "Verkeer/Parkeren/FeatureServer/1" in {r["identifier"] for r in walk.records}


@pytest.mark.parametrize("broken", ["/Groen", "/Groen/Bomen/FeatureServer"])
@pytest.mark.parametrize("answer", [
    body("interne fout", status=500),
    body('{"layers": [{"id": 0, "na', content_type="application/json"),  # truncated
    body('{"error": {"code": 499, "message": "Token Required"}}',
         content_type="application/json"),
])
def test_a_failing_part_makes_the_walk_incomplete(server: HTTPServer, broken: str,
                                                  answer) -> None:
    arcgis_site.install(server, arcgis_site.site())
    server.routes[arcgis_site.ROOT + broken] = answer
    walk = arcgis_rest.walk(server.url(arcgis_site.ROOT), _fetch(server))
    assert not walk.complete
    assert any("Groen" in e for e in walk.errors)
    # the rest was still read (the harvester decides: it withdraws nothing)
    assert "Afval/Containers/FeatureServer/0" in {r["identifier"] for r in walk.records}


def test_extent_edge_cases() -> None:
    assert arcgis_rest.extent_to_wgs84(None) is None
    assert arcgis_rest.extent_to_wgs84({"xmin": "NaN", "ymin": 0, "xmax": 1, "ymax": 1}) is None
    assert arcgis_rest.extent_to_wgs84(
        {"xmin": 4.8, "ymin": 52.4, "xmax": 4.9, "ymax": 52.5}) == (4.8, 52.4, 4.9, 52.5)
    # an unknown spatial reference is no extent, not a crash
    assert arcgis_rest.extent_to_wgs84(
        {"xmin": 1, "ymin": 1, "xmax": 2, "ymax": 2,
         "spatialReference": {"wkid": 999999}}) is None
