"""Spatial search as ckanext-spatial sends it, against the search server over HTTP.

ckanext-spatial itself is not installed here: its own search tests need a CKAN source
checkout (``test-core.ini``), its plugins and pins of pyproj, OWSLib and Shapely in
both locks. So these tests send what its two Solr backends send (read from its source,
``ckanext/spatial/search/__init__.py``), with the documents it indexes, and check the
outcomes its own ``test_spatial_search.py`` expects for the same extents:

* ``solr-bbox``: the dataset's extent in the float fields ``minx``/``maxx``/``miny``/
  ``maxy``; a search is ``defType=edismax``, ``bf=<overlap ratio>`` and
  ``fq={!frange incl=false l=0 u=1}<overlap ratio>``, the ratio being
  ``2 * overlap area / (search area + dataset area)`` as a Solr function;
* ``solr-spatial-field``: the geometry as WKT in the RPT field ``spatial_geom``; a search
  is ``fq={!field f=spatial_geom}Intersects(ENVELOPE(minx, maxx, maxy, miny))``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pysolr
import pytest
import requests

from ckanext.gemeente.search import SearchServer
from ckanext.gemeente.search.solr.errors import SolrError
from ckanext.gemeente.search.solr.geometry import Rect, intersects, matches, parse_shape


@pytest.fixture(scope="module")
def server() -> Iterator[SearchServer]:
    with SearchServer(port=0, spatial=True) as srv:
        yield srv


@pytest.fixture()
def solr(server: SearchServer) -> pysolr.Solr:
    server.clear()
    return pysolr.Solr(server.url, timeout=10)


def dataset(n: int, title: str, **fields: Any) -> dict[str, Any]:
    d = {"index_id": f"idx-{n}", "id": f"id-{n}", "site_id": "gemeente.test",
         "name": f"dataset-{n}", "title": title, "state": "active",
         "entity_type": "package", "capacity": "public",
         "metadata_modified": f"2026-01-{n:02d}T10:00:00Z"}
    d.update(fields)
    return d


def bbox_fields(minx: float, miny: float, maxx: float, maxy: float) -> dict[str, float]:
    """What solr-bbox indexes for a dataset: its extent in four float fields."""
    return {"minx": minx, "miny": miny, "maxx": maxx, "maxy": maxy}


def bbox_search_params(minx: float, miny: float, maxx: float, maxy: float) -> dict[str, Any]:
    """The parameters solr-bbox adds to CKAN's search for ``ext_bbox``."""
    area = abs(maxx - minx) * abs(maxy - miny)
    ratio = (
        f"div(mul(mul(max(0,sub(min({maxx},maxx),max({minx},minx))),"
        f"max(0,sub(min({maxy},maxy),max({miny},miny)))),2),"
        f"add({area},mul(sub(maxy,miny),sub(maxx,minx))))"
    )
    return {"defType": "edismax", "bf": ratio,
            "fq": ["+site_id:gemeente.test", "+state:active",
                   "{!frange incl=false l=0 u=1}" + ratio],
            # what CKAN's package_search adds for an edismax query
            "tie": "0.1", "mm": "2<-1 5<80%", "qf": "name^4 title^4 tags^2 groups^2 text",
            "df": "text", "q.op": "AND"}


def field_search_fq(minx: float, miny: float, maxx: float, maxy: float,
                    predicate: str = "Intersects") -> str:
    """The filter solr-spatial-field adds (its default ``ckanext.spatial.solr_query``)."""
    return f"{{!field f=spatial_geom}}{predicate}(ENVELOPE({minx}, {maxx}, {maxy}, {miny}))"


def titles(res: pysolr.Results) -> list[str]:
    return [d["title"] for d in res.docs]


# ---------------------------------------------------------------------------- solr-bbox

OHIO = (-84, 38, -80, 42)


def test_bbox_backend_finds_what_overlaps(solr: pysolr.Solr) -> None:
    solr.add([dataset(1, "Ohio", **bbox_fields(*OHIO)),
              dataset(2, "Zonder extent")], commit=True)
    assert titles(solr.search("*:*", **bbox_search_params(-180, -90, 180, 90))) == ["Ohio"]
    assert solr.search("*:*", **bbox_search_params(-10, -20, 10, 20)).hits == 0
    assert titles(solr.search("*:*", **bbox_search_params(-83, 39, -79, 41))) == ["Ohio"]


def test_bbox_backend_excludes_a_point(solr: pysolr.Solr) -> None:
    # a point has no area: overlap 0, and the frange's lower bound 0 is exclusive
    solr.add([dataset(1, "Punt", **bbox_fields(100, 2, 100, 2))], commit=True)
    assert solr.search("*:*", **bbox_search_params(-180, -90, 180, 90)).hits == 0


def test_bbox_backend_sorts_by_overlap_ratio(solr: pysolr.Solr) -> None:
    solr.add([
        dataset(1, "Dataset A", **bbox_fields(0, 1, 1, 2)),
        dataset(2, "Dataset B", **bbox_fields(1, 1, 2, 2)),
        dataset(3, "Dataset C", **bbox_fields(0, 0, 1, 1)),
        dataset(4, "Dataset D", **bbox_fields(1, 0, 2, 1)),
    ], commit=True)
    res = solr.search("*:*", sort="score desc, metadata_modified desc", fl="title,score",
                      **bbox_search_params(0.75, 0.75, 1.75, 1.75))
    # B overlaps most; A and D tie and the newer comes first, as CKAN sorts
    assert titles(res) == ["Dataset B", "Dataset D", "Dataset A", "Dataset C"]
    scores = [d["score"] for d in res.docs]
    assert scores[0] == pytest.approx(1 + 2 * 0.5625 / 2)  # *:* scores 1, plus the ratio


def test_bbox_backend_combined_with_a_query(solr: pysolr.Solr) -> None:
    solr.add([
        dataset(1, "Konijnen A", notes="rabbit", **bbox_fields(0, 1, 1, 2)),
        dataset(2, "Konijnen B", notes="rabbit", **bbox_fields(1, 1, 2, 2)),
        dataset(3, "Mollen", notes="mole", **bbox_fields(0, 0, 1, 1)),
    ], commit=True)
    res = solr.search("rabbit", **bbox_search_params(0.75, 0.75, 1.75, 1.75))
    assert sorted(titles(res)) == ["Konijnen A", "Konijnen B"]


def test_function_errors_are_400(server: SearchServer, solr: pysolr.Solr) -> None:
    for fq, msg in [("{!frange l=0}nosuchfn(minx)", "Unknown function nosuchfn"),
                    ("{!frange l=0}sub(minx)", "Wrong number of arguments"),
                    ("{!frange l=0}div(minx,", "Missing"),
                    ("{!frange l=x}minx", "Invalid l value"),
                    ("{!frange l=0}title", "can not use FieldCache")]:
        r = requests.get(server.url + "/select", params={"q": "*:*", "fq": fq}, timeout=10)
        assert r.status_code == 400, (fq, r.text)
        assert msg in r.json()["error"]["msg"], (fq, r.text)


def test_frange_bounds_and_func(solr: pysolr.Solr) -> None:
    solr.add([dataset(i, f"D{i}", minx=float(i)) for i in range(1, 6)], commit=True)

    def found(fq: str) -> list[str]:
        return sorted(titles(solr.search("*:*", fq=fq, rows=10)))

    assert found("{!frange l=2 u=4}minx") == ["D2", "D3", "D4"]
    assert found("{!frange l=2 u=4 incl=false incu=false}minx") == ["D3"]
    assert found("{!frange l=4}minx") == ["D4", "D5"]
    assert found("{!frange u=1.5}sub(minx,0.5)") == ["D1", "D2"]
    # a function over missing values reads 0 for them: 1/0 is infinite, 0/0 no number
    solr.add([dataset(9, "Leeg")], commit=True)
    assert found("{!frange l=1000}div(1,minx)") == ["Leeg"]
    assert "Leeg" not in found("{!frange l=-1e30}div(minx,minx)")
    res = solr.search("{!func}mul(minx,2)", fl="title,score", rows=3)
    assert [(d["title"], d["score"]) for d in res.docs] == [("D5", 10.0), ("D4", 8.0),
                                                           ("D3", 6.0)]


# ---------------------------------------------------------------------------- solr-spatial-field

POLYGON_HOLES = ("POLYGON ((100 0, 101 0, 101 1, 100 1, 100 0), "
                 "(100.2 0.2, 100.8 0.2, 100.8 0.8, 100.2 0.8, 100.2 0.2))")
# two islands with a gap between them (ckanext-spatial's hawaii.geojson, in spirit)
TWO_ISLANDS = ("MULTIPOLYGON (((-156.7 20.5, -156.6 20.5, -156.6 20.6, -156.7 20.6, "
               "-156.7 20.5)), ((-155.9 19.0, -155.0 19.0, -155.0 20.3, -155.9 20.3, "
               "-155.9 19.0)))")
NZ = "POLYGON ((174 -38, 174 -40, 176 -40, 176 -38, 174 -38))"


def test_spatial_field_intersects(solr: pysolr.Solr) -> None:
    solr.add([
        dataset(1, "Punt", spatial_geom=["POINT (100 2)"]),
        dataset(2, "Gaten", spatial_geom=[POLYGON_HOLES]),
        dataset(3, "Eilanden", spatial_geom=[TWO_ISLANDS]),
        dataset(4, "Nieuw-Zeeland", spatial_geom=[NZ]),
        dataset(5, "Zonder geometrie"),
    ], commit=True)

    def found(*box: float, predicate: str = "Intersects") -> list[str]:
        return sorted(titles(solr.search("*:*", fq=field_search_fq(*box, predicate=predicate),
                                         rows=10)))

    assert found(-180, -90, 180, 90) == ["Eilanden", "Gaten", "Nieuw-Zeeland", "Punt"]
    assert found(-10, -20, 10, 20) == []
    assert found(99, 1, 101, 3) == ["Gaten", "Punt"]
    # inside the hole of the polygon: no intersection; across its edge: one
    assert found(100.4, 0.4, 100.6, 0.6) == []
    assert found(100.1, 0.4, 100.6, 0.6) == ["Gaten"]
    # between the islands, inside their common extent: no intersection
    assert found(-156.570, 19.959, -155.960, 20.444) == []
    assert found(-156.65, 20.4, -156.5, 20.55) == ["Eilanden"]
    # a box that crosses the antimeridian (minx > maxx) covers both sides
    assert found(175, -39, -179, -38.5) == ["Nieuw-Zeeland"]
    assert found(177, -39, -179, -38.5) == []
    # ckanext.spatial.solr_query set to Contains: the geometry must hold the whole box
    assert found(175, -39.5, 176.5, -39) == ["Nieuw-Zeeland"]
    assert found(175, -39.5, 176.5, -39, predicate="Contains") == []
    assert found(174.5, -39.5, 175.5, -39, predicate="Contains") == ["Nieuw-Zeeland"]
    assert found(170, -45, 180, -30, predicate="IsWithin") == ["Nieuw-Zeeland"]
    assert found(-10, -20, 10, 20, predicate="IsDisjointTo") == [
        "Eilanden", "Gaten", "Nieuw-Zeeland", "Punt"]


def test_spatial_field_in_lucene_syntax_and_bad_shapes(
    server: SearchServer, solr: pysolr.Solr,
) -> None:
    solr.add([dataset(1, "Plein", spatial_geom=["52.09,5.12"])], commit=True)  # lat,lon
    res = solr.search('spatial_geom:"Intersects(ENVELOPE(5, 5.2, 52.1, 52))"')
    assert titles(res) == ["Plein"]
    for bad in ["POLYGON ((1 1, 2 2))", "CIRCLE (1 2)", "POINT (1)", "ENVELOPE(1, 2, 0, 1)"]:
        r = requests.post(server.url + "/update?commit=true", timeout=10,
                          json=[dataset(2, "Fout", spatial_geom=[bad])])
        assert r.status_code == 400, (bad, r.text)
        assert "Unable to parse shape" in r.json()["error"]["msg"]
    r = requests.get(server.url + "/select", timeout=10, params={
        "q": "*:*", "fq": "{!field f=spatial_geom}Overlaps(ENVELOPE(0, 1, 1, 0))"})
    assert r.status_code == 400 and "spatial predicate" in r.json()["error"]["msg"]
    assert solr.search("*:*").hits == 1


def test_spatial_values_survive_a_restart(tmp_path) -> None:
    data = str(tmp_path / "data")
    with SearchServer(port=0, data_dir=data, spatial=True) as srv:
        pysolr.Solr(srv.url, timeout=10).add(
            [dataset(1, "NZ", spatial_geom=[NZ], **bbox_fields(174, -40, 176, -38))],
            commit=True)
    with SearchServer(port=0, data_dir=data, spatial=True) as srv:
        s = pysolr.Solr(srv.url, timeout=10)
        assert s.search("*:*", fq=field_search_fq(175, -39, 175.5, -38.5)).hits == 1
        assert s.search("*:*", **bbox_search_params(175, -39, 175.5, -38.5)).hits == 1


def test_without_spatial_fields_the_schema_is_ckans() -> None:
    with SearchServer(port=0) as srv:
        assert srv.schema.field("spatial_geom").type.kind == "string"  # CKAN's "*" field
        assert b"location_rpt" not in srv.schema.raw_xml
    with SearchServer(port=0, spatial=True) as srv:
        assert srv.schema.field("spatial_geom").type.kind == "spatial"
        assert srv.schema.field("minx").type.kind == "float"
        assert srv.schema.field("bbox_area").type.kind == "float"
        r = requests.get(srv.url + "/schema?wt=schema.xml", timeout=10)
        assert b'name="location_rpt"' in r.content and b'name="ckan-' in r.content


# ---------------------------------------------------------------------------- geometry

@pytest.mark.parametrize("wkt, box, expected", [
    ("POINT (1 1)", (0, 0, 2, 2), True),
    ("POINT (3 1)", (0, 0, 2, 2), False),
    ("LINESTRING (-1 1, 3 1)", (0, 0, 2, 2), True),  # crosses, no vertex inside
    ("LINESTRING (-1 3, 3 3)", (0, 0, 2, 2), False),
    ("POLYGON ((-1 -1, 3 -1, 3 3, -1 3, -1 -1))", (0, 0, 2, 2), True),  # box inside
    ("POLYGON ((0 0, 4 0, 0 4, 0 0))", (3, 3, 4, 4), False),  # in the extent, not the area
    ("POLYGON ((0 0, 4 0, 0 4, 0 0))", (2, 2, 4, 4), True),  # touches the hypotenuse
    ("GEOMETRYCOLLECTION (POINT (9 9), LINESTRING (0 5, 5 0))", (2, 2, 3, 3), True),
    ("MULTIPOINT ((9 9), (1 1))", (0, 0, 2, 2), True),
    ("MULTIPOINT (9 9, 8 8)", (0, 0, 2, 2), False),
])
def test_intersects(wkt: str, box: tuple[float, ...], expected: bool) -> None:
    minx, miny, maxx, maxy = box
    assert intersects(parse_shape(wkt), Rect(minx, maxx, miny, maxy)) is expected


def test_contains_and_within() -> None:
    holes = parse_shape(POLYGON_HOLES)
    assert matches("Contains", holes, parse_shape("ENVELOPE(100.05, 100.15, 0.9, 0.1)"))
    assert not matches("Contains", holes, parse_shape("ENVELOPE(100.1, 100.5, 0.9, 0.1)"))
    assert matches("IsWithin", holes, parse_shape("ENVELOPE(99, 102, 2, -1)"))
    assert not matches("IsWithin", holes, parse_shape("ENVELOPE(100.5, 102, 2, -1)"))


def test_bad_shapes() -> None:
    for bad in ["", "POINT", "POINT (1 2", "POINT (1 2) POINT (3 4)", "ENVELOPE(1, 2, 3)",
                "POLYGON ((0 0, 1 0, 1 1, 0 0.5))"]:
        with pytest.raises(SolrError, match="Unable to parse shape"):
            parse_shape(bad)
