"""Conformance: the whole catalogue (/catalog.ttl) of the demo's datasets and the test
fixtures, as ``dcat_ap_nl_3 gemeente`` writes it, has no SHACL violations against the official
DCAT-AP 3.0.1 shapes (SEMICeu) and Geonovum's DCAT-AP-NL 3.0 shapes, read in place from
``../shared/dcat``. The ``donl`` catalogue keeps passing DCAT-AP 2.1.1 and passes DCAT-AP
3.0.1 on the geometry and byteSize when it runs on ``euro_dcat_ap_3``.

Recommended properties (DCAT-AP-NL's ``-aanbevolen`` shapes, severity Warning) that a dataset
cannot have are named one by one with their reason; no property is exempted as a whole.
"""

from __future__ import annotations

from typing import Any

import pytest
import rdflib
from ckan.tests import factories, helpers
from dcat_shapes import DCAT_AP_3, DCAT_AP_NL_3, demo_data, official, results, show, violations
from rdflib.namespace import DCAT, DCTERMS, RDF
from schema_testdata import schema_config
from test_dcat_ap_nl_3 import full_nl3_dataset, nl3_config
from test_schema_rdf import full_dataset

pytestmark = [pytest.mark.usefixtures("with_plugins")]


def load_portal(department: dict[str, Any]) -> list[str]:
    """Every dataset of the demo (its departments too) and of the test fixtures."""
    data = demo_data()
    orgs = {department["name"]: department}
    for org in data["organizations"]:
        if org["name"] not in orgs:
            fields = {k: v for k, v in org.items() if k != "members"}
            orgs[org["name"]] = factories.Organization(**fields)
    names = []
    for ds in data["datasets"]:
        ds = dict(ds, owner_org=orgs[ds["owner_org"]]["id"])
        names.append(helpers.call_action("package_create", **ds)["name"])
    names.append(full_nl3_dataset(department)["name"])
    names.append(full_dataset(department, name="afvalinzamelpunten-sha1", sha1=True)["name"])
    return names


def catalogue(app: Any, query: str = "") -> rdflib.Graph:
    resp = app.get(f"/catalog.ttl{query}")
    assert resp.status_code == 200, resp.body
    return rdflib.Graph().parse(data=resp.body, format="turtle")


@pytest.fixture
def nl3_catalogue(app: Any, department: dict) -> rdflib.Graph:
    names = load_portal(department)
    g = catalogue(app)
    assert len(set(g.subjects(RDF.type, DCAT.Dataset))) == len(names)
    return g


def expected_warnings(g: rdflib.Graph) -> set[tuple[str, str]]:
    """The recommended properties (DCAT-AP-NL ``-aanbevolen``, severity Warning) that this
    catalogue cannot give, one result at a time, each because the data has no value:

    - ``dct:conformsTo`` of a dataset (and its files and samples) whose ``conforms_to`` is
      empty, and of a file whose own ``conforms_to`` is empty;
    - ``dcat:downloadURL`` of a file whose ``download_url`` is empty;
    - ``dcat:accessService`` of a file (CSV, GeoJSON, XLSX, a sample...): only an
      API/WMS/WFS distribution is served by a data service, and each of those has one.
    """
    site = "http://test.ckan.net"
    expected: set[tuple[str, str]] = set()
    conforms, download, service = (
        str(DCTERMS.conformsTo),
        str(DCAT.downloadURL),
        str(DCAT.accessService),
    )
    for ds in helpers.call_action("package_search", rows=1000)["results"]:
        ref = f"{site}/dataset/{ds['id']}"
        if not ds.get("conforms_to"):
            expected.add((ref, conforms))
            expected.update((sample, conforms) for sample in ds.get("sample") or [])
        for sample in ds.get("sample") or []:
            expected.add((sample, service))
        for res in ds["resources"]:
            dist = f"{ref}/resource/{res['id']}"
            if not res.get("conforms_to"):
                expected.add((dist, conforms))
            if not res.get("download_url"):
                expected.add((dist, download))
            if (rdflib.URIRef(dist), DCAT.accessService, None) not in g:
                assert res.get("format") not in ("WMS_SRVC", "WFS_SRVC"), res
                expected.add((dist, service))
    return expected


@nl3_config
class TestDcatApNl3Catalogue:
    def test_dcat_ap_3_0_1(self, nl3_catalogue: rdflib.Graph) -> None:
        found = results(nl3_catalogue, official(*DCAT_AP_3))
        assert found == [], show(found)

    def test_dcat_ap_nl_3_0(self, nl3_catalogue: rdflib.Graph) -> None:
        found = results(nl3_catalogue, official(*DCAT_AP_NL_3))
        assert violations(found) == [], show(violations(found))
        warnings = {(r["focus"], r["path"]) for r in found if r["severity"] == "Warning"}
        assert warnings == expected_warnings(nl3_catalogue), show(found)
        assert [r for r in found if r["severity"] not in ("Violation", "Warning")] == []

    def test_catalogue_has_what_the_standard_asks(self, nl3_catalogue: rdflib.Graph) -> None:
        g = nl3_catalogue
        catalog = next(g.subjects(RDF.type, DCAT.Catalog))
        datasets = set(g.objects(catalog, DCAT.dataset))
        assert len(set(g.objects(catalog, DCAT.record))) == len(datasets)
        for ds in datasets:
            assert (ds, DCTERMS.creator, None) in g
            assert (ds, DCAT.contactPoint, None) in g


@schema_config
class TestDonlCatalogue:
    def test_donl_keeps_passing_dcat_ap_2(self, app: Any, department: dict) -> None:
        """DCAT-AP 2.1.1 mandatory and range shapes: no results (SHA-1 checksums only there,
        so the fixtures' SHA-256 checksum is the one expected result)."""
        load_portal(department)
        g = catalogue(app)
        found = results(
            g, official("dcat-ap_2.1.1_shacl_shapes.ttl", "dcat-ap_2.1.1_shacl_range.ttl")
        )
        # DCAT-AP 2.1.1's shape (sh:hasValue spdx:checksumAlgorithm_sha1) allows SHA-1 only,
        # an algorithm retired for integrity checks (DCAT-AP 3 allows any SPDX algorithm):
        # each SHA-256 checksum of the data is one expected result, named by its node
        spdx = rdflib.Namespace("http://spdx.org/rdf/terms#")
        sha256 = {str(c) for c in g.subjects(spdx.algorithm, spdx.checksumAlgorithm_sha256)}
        assert sha256
        unexpected = [
            r
            for r in found
            if not (r["component"] == "HasValueConstraintComponent" and r["focus"] in sha256)
        ]
        assert unexpected == [], show(unexpected)
        assert {r["focus"] for r in found} == sha256


@pytest.mark.ckan_config(  # applied last, so it wins over schema_config's profile list
    "ckanext.dcat.rdf.profiles", "euro_dcat_ap_3 euro_dcat_ap_scheming donl"
)
@schema_config
class TestDonlOnDcatAp3:
    def test_donl_on_dcat_ap_3_geometry_and_byte_size(self, app: Any, department: dict) -> None:
        """Where DCAT-AP 3.0.1 and 2.1.1 differ - the geometry (a locn:Geometry node, not a
        literal) and dcat:byteSize (xsd:nonNegativeInteger, not decimal) - donl on
        euro_dcat_ap_3 follows DCAT-AP 3.0.1: no result on those properties."""
        load_portal(department)
        g = catalogue(app)
        found = results(g, official(*DCAT_AP_3))
        paths = {str(DCAT.byteSize), "http://www.w3.org/ns/locn#geometry"}
        on_paths = [r for r in found if r["path"] in paths]
        assert on_paths == [], show(on_paths)
        assert list(g.objects(None, DCAT.byteSize))
        assert list(g.objects(None, rdflib.URIRef("http://www.w3.org/ns/locn#geometry")))
