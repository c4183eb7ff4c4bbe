"""RDF: the ``donl`` profile serialises every field and parses it back (round trip), the
dataset/catalog endpoints answer in Turtle, RDF/XML and JSON-LD, and the output validates
with pySHACL against the DCAT-AP 2.1.1 shapes and the Dutch DCAT-AP-NL shapes."""

from __future__ import annotations

import functools
import http.server
import json
import os
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import rdflib
from ckan.tests import helpers
from ckanext.dcat.processors import RDFParser, RDFSerializer
from rdflib.namespace import DCAT, DCTERMS, RDF
from schema_testdata import EU, OWMS, SHARED_DCAT, dataset_dict, schema_config

PROFILES = ["euro_dcat_ap_2", "euro_dcat_ap_scheming", "donl"]
GEM = rdflib.Namespace("urn:ckanext-gemeente:def#")
OVERHEID = rdflib.Namespace("http://standaarden.overheid.nl/owms/terms/")

# Every schema field that the RDF carries (owner_org/name/id are CKAN-internal; a harvester
# assigns them). The round trip must give back exactly these values.
DATASET_FIELDS = [
    "title", "notes", "identifier", "language", "metadata_language", "authority",
    "publisher_uri", "contact_name", "contact_email", "contact_phone", "contact_url",
    "license_id", "modified", "issued", "theme", "access_rights", "geo_coverage",
    "temporal_start", "temporal_end", "frequency", "dataset_status", "high_value",
    "basis_register", "referentie_data", "legal_foundation_label", "legal_foundation_ref",
    "legal_foundation_uri", "documentation", "conforms_to", "provenance", "sample",
    "data_owner", "information_manager", "source_system", "base_registries",
    "privacy_classification", "processing_legal_basis", "update_method", "harvest_source",
]  # fmt: skip
RESOURCE_FIELDS = [
    "url", "name", "description", "download_url", "format", "mimetype", "license", "size",
    "hash_algorithm", "hash", "language", "status", "conforms_to",
]  # fmt: skip

pytestmark = [pytest.mark.usefixtures("with_plugins")]


def full_dataset(
    department: dict[str, Any], sha1: bool = False, name: str = "afvalinzamelpunten"
) -> dict[str, Any]:
    data = dataset_dict(
        name=name,
        owner_org=department["id"],
        privacy_classification="gepseudonimiseerd",
        processing_legal_basis="AVG art. 6 lid 1 sub e",
        update_method="geharvest",
        harvest_source="https://geo.zaanstad.example.nl/csw",
    )
    data["resources"][0]["license"] = "http://creativecommons.org/licenses/by/4.0/deed.nl"
    if sha1:  # DCAT-AP 2.1.1 accepts SHA-1 checksums only (spdx:checksumAlgorithm_sha1)
        data["resources"][0].update(
            hash_algorithm="sha1", hash="a94a8fe5ccb19ba61c4c0873d391e987982fbbd3"
        )
    created = helpers.call_action("package_create", **data)
    return helpers.call_action("package_show", id=created["id"])


def tags(ds: dict[str, Any]) -> list[str]:
    return sorted(t["name"] for t in ds.get("tags", []))


def norm(value: Any) -> Any:
    """RDF has no order: compare lists as sorted."""
    if isinstance(value, list):
        return sorted((norm(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    if isinstance(value, dict):
        return {k: norm(v) for k, v in value.items()}
    return value


@schema_config
class TestRoundTrip:
    @pytest.mark.parametrize(
        ("fmt", "base"),
        [
            ("turtle", "euro_dcat_ap_2"),
            ("xml", "euro_dcat_ap_2"),
            ("json-ld", "euro_dcat_ap_2"),
            ("turtle", "euro_dcat_ap_3"),
        ],
    )
    def test_dict_rdf_dict_loses_nothing(self, department: dict, fmt: str, base: str) -> None:
        profiles = [base, *PROFILES[1:]]
        original = full_dataset(department)
        text = RDFSerializer(profiles=profiles).serialize_dataset(original, _format=fmt)
        parser = RDFParser(profiles=profiles)
        parser.parse(text, _format=fmt)
        parsed = list(parser.datasets())
        assert len(parsed) == 1
        back = parsed[0]
        for field in DATASET_FIELDS:
            assert norm(back.get(field)) == norm(original.get(field)), field
        assert tags(back) == tags(original) == ["afval", "containers"]
        assert len(back["resources"]) == 1
        for field in RESOURCE_FIELDS:
            assert norm(back["resources"][0].get(field)) == norm(
                original["resources"][0].get(field)
            ), field

    def test_parsed_dict_is_valid_for_package_create(self, department: dict) -> None:
        """What the DCAT harvester imports passes the schema's validation again."""
        original = full_dataset(department)
        text = RDFSerializer(profiles=PROFILES).serialize_dataset(original, _format="turtle")
        parser = RDFParser(profiles=PROFILES)
        parser.parse(text, _format="turtle")
        back = next(parser.datasets())
        back.update(name="afvalinzamelpunten-kopie", owner_org=department["id"])
        copy = helpers.call_action("package_create", **back)
        for field in DATASET_FIELDS:
            if field != "identifier":
                assert norm(copy.get(field)) == norm(original.get(field)), field

    def test_donl_triples(self, department: dict) -> None:
        ds = full_dataset(department)
        serializer = RDFSerializer(profiles=PROFILES)
        ref = serializer.graph_from_dataset(ds)
        g = serializer.g
        assert (ref, OVERHEID.authority, rdflib.URIRef(ds["authority"])) in g
        assert (ref, DCAT.theme, rdflib.URIRef(OWMS + "Afval_(thema)")) in g
        dist = next(g.objects(ref, DCAT.distribution))
        assert (dist, DCTERMS["format"], rdflib.URIRef(EU + "file-type/CSV")) in g
        assert (
            ref,
            GEM.privacyClassification,
            rdflib.URIRef("urn:ckanext-gemeente:privacyclassificatie:gepseudonimiseerd"),
        ) in g
        labels = {str(o) for o in g.objects(rdflib.URIRef(OWMS + "Afval_(thema)"), None)}
        assert "Afval" in labels


def serve(app: Any, url: str) -> str:
    resp = app.get(url)
    assert resp.status_code == 200, resp.body
    return resp.body


@schema_config
class TestEndpoints:
    @pytest.mark.parametrize(
        ("ext", "fmt"), [("ttl", "turtle"), ("rdf", "xml"), ("jsonld", "json-ld")]
    )
    def test_dataset_endpoint(self, app: Any, department: dict, ext: str, fmt: str) -> None:
        ds = full_dataset(department)
        g = rdflib.Graph().parse(data=serve(app, f"/dataset/{ds['name']}.{ext}"), format=fmt)
        ref = next(g.subjects(RDF.type, DCAT.Dataset))
        assert (ref, GEM.dataOwner, rdflib.Literal("Hoofd Openbare Ruimte")) in g

    @pytest.mark.parametrize(
        ("ext", "fmt"), [("ttl", "turtle"), ("rdf", "xml"), ("jsonld", "json-ld")]
    )
    def test_catalog_endpoint(self, app: Any, department: dict, ext: str, fmt: str) -> None:
        full_dataset(department)
        g = rdflib.Graph().parse(data=serve(app, f"/catalog.{ext}"), format=fmt)
        catalog = next(g.subjects(RDF.type, DCAT.Catalog))
        assert (catalog, DCAT.themeTaxonomy, OVERHEID.TaxonomieBeleidsagenda) in g
        assert len(list(g.subjects(RDF.type, DCAT.Dataset))) == 1


# ---------------------------------------------------------------------- SHACL

SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
RDFS_LITERAL = rdflib.URIRef("http://www.w3.org/2000/01/rdf-schema#Literal")


def shapes(*names: str) -> rdflib.Graph:
    if not os.path.isdir(SHARED_DCAT):
        pytest.skip(f"SHACL shapes folder {SHARED_DCAT} is absent")
    g = rdflib.Graph()
    for name in names:
        g.parse(os.path.join(SHARED_DCAT, name), format="turtle")
    return g


def results(data: rdflib.Graph, shape_graph: rdflib.Graph) -> list[dict[str, str]]:
    import pyshacl

    _conforms, report, _text = pyshacl.validate(
        data, shacl_graph=shape_graph, inference="none", allow_warnings=False
    )
    out = []
    for r in report.subjects(RDF.type, SH.ValidationResult):
        shape = report.value(r, SH.sourceShape)
        out.append(
            {
                "severity": str(report.value(r, SH.resultSeverity)),
                "component": str(report.value(r, SH.sourceConstraintComponent)),
                "path": str(report.value(r, SH.resultPath)),
                "focus": str(report.value(r, SH.focusNode)),
                "shape_class": str(shape_graph.value(shape, SH["class"]) or ""),
                "message": str(report.value(r, SH.resultMessage)),
            }
        )
    return out


def show(found: list[dict[str, str]]) -> str:
    return "\n".join(
        f"{r['severity'].rsplit('#', 1)[-1]} {r['component'].rsplit('#', 1)[-1]} "
        f"{r['path']} @ {r['focus']}: {r['message']}"
        for r in found
    )


def dataset_graph(app: Any, department: dict) -> rdflib.Graph:
    full_dataset(department, sha1=True)
    return rdflib.Graph().parse(data=serve(app, "/catalog.ttl"), format="turtle")


@schema_config
class TestShacl:
    def test_dcat_ap_2_mandatory_and_ranges(self, app: Any, department: dict) -> None:
        found = results(
            dataset_graph(app, department),
            shapes("dcat-ap_2.1.1_shacl_shapes.ttl", "dcat-ap_2.1.1_shacl_range.ttl"),
        )
        assert found == [], show(found)

    def test_dcat_ap_2_recommended(self, app: Any, department: dict) -> None:
        """All recommended properties are there, except two the schema cannot know:
        a bounding box/centroid for areas given as a code (CBS, postcode) - a point does get
        its centroid - and dcatap:availability of distributions."""
        g = dataset_graph(app, department)
        found = results(g, shapes("dcat-ap_2.1.1_shacl_shapes_recommended.ttl"))
        locations = {str(n) for n in g.subjects(RDF.type, DCTERMS.Location)}
        allowed = [
            r
            for r in found
            if (r["path"] in (str(DCAT.bbox), str(DCAT.centroid)) and r["focus"] in locations)
            or r["path"] == "http://data.europa.eu/r5r/availability"
        ]
        assert [r for r in found if r not in allowed] == [], show(found)
        point = [n for n in g.subjects(RDF.type, DCTERMS.Location) if (n, DCAT.centroid, None) in g]
        assert len(point) == 1

    def test_dcat_ap_2_controlled_vocabularies(self, app: Any, department: dict) -> None:
        """EU vocabularies hold where DCAT-AP-DONL uses them (language, frequency, access
        rights, file type, checksum algorithm, licence type). DCAT-AP-DONL prescribes Dutch
        lists for the publisher (DONL:Organization/TOOI), the spatial coverage (municipality,
        CBS areas, postcodes, points) and the theme (TaxonomieBeleidsagenda), so exactly
        these results are expected, each named by its node: nothing else, nothing fewer."""
        g = dataset_graph(app, department)
        found = results(g, shapes("dcat-ap_2.1.1_shacl_mdr-vocabularies.shape.ttl"))
        ref = next(g.subjects(RDF.type, DCAT.Dataset))
        catalog = next(g.subjects(RDF.type, DCAT.Catalog))
        skos = "http://www.w3.org/2004/02/skos/core#inScheme"
        expected = {(str(catalog), str(DCAT.themeTaxonomy))}
        for subject in (ref, catalog):
            for publisher in g.objects(subject, DCTERMS.publisher):  # a TOOI organisation
                expected |= {(str(subject), str(DCTERMS.publisher)), (str(publisher), skos)}
            for area in g.objects(subject, DCTERMS.spatial):  # a Dutch area, not an EU place
                expected |= {(str(subject), str(DCTERMS.spatial)), (str(area), "None")}
        for theme in g.objects(ref, DCAT.theme):  # a TaxonomieBeleidsagenda theme
            expected |= {(str(ref), str(DCAT.theme)), (str(theme), skos)}
        assert {(r["focus"], r["path"]) for r in found} == expected, show(found)

    def test_dutch_dcat_ap_nl_shapes(self, app: Any, department: dict) -> None:
        """No violations or warnings apart from the shapes' own defects, each named:

        - ``sh:class rdfs:Literal`` on literal properties can never hold (literals have no
          rdf:type), so every literal trips it: those results are left out, for literal
          values only;
        - the dataset's ``dct:spatial`` is checked against the *Organisation* node shape
          (rdf:type foaf:Agent, skos:inScheme <donl:Organisatie>), a copy error: the results
          of each area of the data are expected, named by node;
        - ``n3:Themetaxonomy`` demands ``skos:inScheme rdf:nil`` of the theme scheme.

        Info-level results (optional properties' advice) are not checked.
        """
        dutch = shapes("dcat-ap-nl-shacl.ttl")
        # Two property shapes (Kind_title, Legislation_linktekst) name a literal ("title",
        # "label") instead of a property path; pySHACL refuses to load them, so they are left
        # out - nothing can be checked against a path that does not exist.
        for shape, path in list(dutch.subject_objects(SH.path)):
            if isinstance(path, rdflib.Literal):
                dutch.remove((shape, None, None))
                dutch.remove((None, SH.property, shape))
        g = dataset_graph(app, department)
        found = results(g, dutch)
        literal_class = (str(RDFS_LITERAL), "Literal")

        def impossible(r: dict[str, str]) -> bool:
            return r["component"] == str(SH.ClassConstraintComponent) and (
                r["shape_class"] in literal_class
            )

        ref = next(g.subjects(RDF.type, DCAT.Dataset))
        catalog = next(g.subjects(RDF.type, DCAT.Catalog))
        taxonomy = str(OVERHEID.TaxonomieBeleidsagenda)
        rdf_type, skos = str(RDF.type), "http://www.w3.org/2004/02/skos/core#inScheme"
        expected = {(str(catalog), str(DCAT.themeTaxonomy)), (taxonomy, skos)}
        for area in g.objects(ref, DCTERMS.spatial):
            expected |= {(str(ref), str(DCTERMS.spatial)), (str(area), rdf_type)}
            expected.add((str(area), skos))
        real = [
            r
            for r in found
            if r["severity"] in (str(SH.Violation), str(SH.Warning)) and not impossible(r)
        ]
        assert {(r["focus"], r["path"]) for r in real} == expected, show(real)


# ---------------------------------------------------------------------- harvesting

FEED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "feeds")


@pytest.fixture
def feed_server() -> Iterator[str]:
    """A local http.server serving the test feeds (tests never go online)."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=FEED)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.ckan_config(  # applied last, so it wins over schema_config's plugin list
    "ckan.plugins",
    "scheming_datasets scheming_organizations gemeente_schema dcat harvest dcat_rdf_harvester",
)
@schema_config
class TestHarvest:
    @pytest.fixture
    def harvest_tables(self, clean_db: None, migrate_db_for: Callable[..., None]) -> None:
        """ckanext-harvest's tables, migrated before any test data holds a transaction."""
        migrate_db_for("harvest")

    def test_dcat_harvester_imports_a_donl_feed(
        self, harvest_tables: None, department: dict, feed_server: str
    ) -> None:
        from ckanext.dcat.harvesters import DCATRDFHarvester
        from ckanext.harvest.tests.lib import run_harvest

        results = run_harvest(
            url=f"{feed_server}/oostzaan_donl.ttl",
            harvester=DCATRDFHarvester(),
            config='{"rdf_format": "text/turtle"}',
        )
        assert len(results) == 1
        result = next(iter(results.values()))
        assert result["errors"] == [], result["errors"]
        ds = helpers.call_action("package_show", id=result["dataset"]["id"])
        assert ds["title"] == "Speelplaatsen"
        assert ds["authority"] == OWMS + "Oostzaan"
        assert ds["publisher_uri"] == OWMS + "Oostzaan"
        assert ds["theme"] == [OWMS + "Cultuur_en_recreatie"]
        assert ds["metadata_language"] == EU + "language/NLD"
        assert ds["contact_email"] == "opendata@oostzaan.example.nl"
        assert ds["frequency"] == EU + "frequency/ANNUAL"
        assert ds["geo_coverage"] == [{"scheme": "gemeente", "value": OWMS + "Oostzaan"}]
        assert ds["update_method"] == "geharvest"
        assert ds["harvest_source"] == "https://data.oostzaan.example.nl/dataset/speelplaatsen"
        assert not ds.get("privacy_classification")  # to be reviewed, not guessed
        assert ds["resources"][0]["format"] == "CSV"
        assert (
            ds["resources"][0]["url"] == "https://data.oostzaan.example.nl/files/speelplaatsen.csv"
        )
        assert sorted(t["name"] for t in ds["tags"]) == ["speeltuinen", "spelen"]
