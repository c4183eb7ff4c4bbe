"""RDF profile ``dcat_ap_nl_3`` (and ``gemeente`` on top): DCAT-AP-NL 3.0 out and in.

- Round trip: every field of the full municipal schema survives serialise -> parse in
  Turtle, RDF/XML and JSON-LD, and the parsed dict passes ``package_create`` again.
- The national standard's properties are there: creator, contact point, catalogue record,
  EU authority tables, TOOI organisations, HVD properties, data services for WMS/WFS/APIs.
- The endpoints answer with the profile chosen by ``?profiles=`` or the portal's config.
"""

from __future__ import annotations

from typing import Any

import pytest
import rdflib
from ckan.tests import helpers
from ckanext.dcat.processors import RDFParser, RDFSerializer
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, SKOS
from schema_testdata import EU, MUNICIPALITY, OWMS, dataset_dict, schema_config
from test_schema_rdf import DATASET_FIELDS, RESOURCE_FIELDS, norm, tags

NL3 = ["dcat_ap_nl_3", "gemeente"]
DCATAP = rdflib.Namespace("http://data.europa.eu/r5r/")
ELI = rdflib.Namespace("http://data.europa.eu/eli/ontology#")
LOCN = rdflib.Namespace("http://www.w3.org/ns/locn#")
GSP = rdflib.Namespace("http://www.opengis.net/ont/geosparql#")
VCARD = rdflib.Namespace("http://www.w3.org/2006/vcard/ns#")
ADMS = rdflib.Namespace("http://www.w3.org/ns/adms#")
GEM = rdflib.Namespace("urn:ckanext-gemeente:def#")
HVD_LAW = rdflib.URIRef("http://data.europa.eu/eli/reg_impl/2023/138/oj")
GEOSPATIAL = "http://data.europa.eu/bna/c_ac64a52d"
MOBILITY = "http://data.europa.eu/bna/c_b79e35eb"
WMS_URL = "https://geo.zaanstad.example.nl/geoserver/afval/wms"
# the municipal additions: carried by the `gemeente` profile, not by the national one
MUNICIPAL_FIELDS = {
    "data_owner", "information_manager", "source_system", "base_registries",
    "privacy_classification", "processing_legal_basis", "update_method", "harvest_source",
    "basis_register", "referentie_data",
}  # fmt: skip
ALL_FIELDS = [*DATASET_FIELDS, "hvd_category"]

NL3_CONFIG = {
    "ckanext.dcat.rdf.profiles": "dcat_ap_nl_3 gemeente",
    "ckanext.gemeente.catalog_contact_email": "opendata@zaanstad.example.nl",
}


def nl3_config(target: Any) -> Any:
    """The schema's config with DCAT-AP-NL 3.0 as the portal's profiles (applied last, so
    it wins over schema_config's `donl` list)."""
    target = schema_config(target)
    for key, value in NL3_CONFIG.items():
        target = pytest.mark.ckan_config(key, value)(target)
    return target


pytestmark = [pytest.mark.usefixtures("with_plugins")]


def full_nl3_dataset(department: dict[str, Any], name: str = "afvalinzamelpunten-nl3") -> dict:
    """The full schema: a high-value dataset with HVD categories, a CSV file and a WMS."""
    data = dataset_dict(
        name=name,
        owner_org=department["id"],
        privacy_classification="gepseudonimiseerd",
        processing_legal_basis="AVG art. 6 lid 1 sub e",
        update_method="geharvest",
        harvest_source="https://geo.zaanstad.example.nl/csw",
        hvd_category=[GEOSPATIAL, MOBILITY],
        basis_register="True",
        dataset_status="http://data.overheid.nl/status/gepland",
    )
    data["resources"][0]["license"] = "http://creativecommons.org/licenses/by/4.0/deed.nl"
    data["resources"].append(
        {
            "url": f"{WMS_URL}?service=WMS&request=GetCapabilities",
            "name": "Afvalinzamelpunten (WMS)",
            "description": "Kaartlaag van de inzamelpunten.",
            "format": "WMS_SRVC",
            "language": [EU + "language/NLD"],
            "status": "http://purl.org/adms/status/UnderDevelopment",
        }
    )
    created = helpers.call_action("package_create", **data)
    return helpers.call_action("package_show", id=created["id"])


def round_trip(original: dict, profiles: list[str], fmt: str) -> dict:
    text = RDFSerializer(profiles=profiles).serialize_dataset(original, _format=fmt)
    parser = RDFParser(profiles=profiles)
    parser.parse(text, _format=fmt)
    parsed = list(parser.datasets())
    assert len(parsed) == 1
    return parsed[0]


def value(d: dict, key: str) -> Any:
    """A field's value; CKAN's empty defaults ("" for a resource's hash, []) are no value."""
    found = d.get(key)
    return None if found in ("", None, []) else norm(found)


def assert_same(back: dict, original: dict, names: list[str]) -> None:
    for field in names:
        assert value(back, field) == value(original, field), field
    assert tags(back) == tags(original)
    assert len(back["resources"]) == len(original["resources"])
    by_url = {r["url"]: r for r in back["resources"]}
    for res in original["resources"]:
        for field in RESOURCE_FIELDS:
            assert value(by_url[res["url"]], field) == value(res, field), field


@schema_config
class TestRoundTrip:
    @pytest.mark.parametrize("fmt", ["turtle", "xml", "json-ld"])
    def test_every_field_survives(self, department: dict, fmt: str) -> None:
        original = full_nl3_dataset(department)
        assert original["hvd_category"] == [GEOSPATIAL, MOBILITY]  # the new field is stored
        back = round_trip(original, NL3, fmt)
        assert_same(back, original, ALL_FIELDS)
        # no schema field ends up as an extra; `uri` and `homepage` are ckanext-dcat's own
        # bookkeeping (the source URI, the source portal)
        assert {e["key"] for e in back.get("extras", [])} <= {"uri", "homepage"}, back["extras"]

    @pytest.mark.parametrize("fmt", ["turtle", "json-ld"])
    def test_national_profile_alone(self, department: dict, fmt: str) -> None:
        """Without ``gemeente`` every national field survives; the municipal ones are
        absent, and a DONL status without its own EU status comes back as the EU one's."""
        original = full_nl3_dataset(department)
        back = round_trip(original, ["dcat_ap_nl_3"], fmt)
        national = [f for f in ALL_FIELDS if f not in MUNICIPAL_FIELDS and f != "dataset_status"]
        assert_same(back, original, national)
        assert back["dataset_status"] == "http://data.overheid.nl/status/in_onderzoek"
        for field in MUNICIPAL_FIELDS - {"update_method", "harvest_source"}:
            assert field not in back, field

    def test_not_high_value(self, department: dict) -> None:
        original = full_nl3_dataset(department)
        original = helpers.call_action(
            "package_patch", id=original["id"], high_value="False", hvd_category=[]
        )
        serializer = RDFSerializer(profiles=NL3)
        ref = serializer.graph_from_dataset(original)
        assert HVD_LAW not in set(serializer.g.objects(ref, DCATAP.applicableLegislation))
        back = round_trip(original, NL3, "turtle")
        assert back["high_value"] == "False"
        assert not back.get("hvd_category")

    def test_parsed_dict_is_valid_for_package_create(self, department: dict) -> None:
        original = full_nl3_dataset(department)
        back = round_trip(original, NL3, "turtle")
        back.update(name="afvalinzamelpunten-kopie", owner_org=department["id"])
        copy_ = helpers.call_action("package_create", **back)
        for field in ALL_FIELDS:
            if field != "identifier":
                assert value(copy_, field) == value(original, field), field


@schema_config
class TestTriples:
    def graph(self, department: dict) -> tuple[rdflib.Graph, rdflib.URIRef, dict]:
        ds = full_nl3_dataset(department)
        serializer = RDFSerializer(profiles=NL3)
        ref = serializer.graph_from_dataset(ds)
        return serializer.g, ref, ds

    def test_dcat_ap_nl_properties(self, department: dict) -> None:
        g, ref, ds = self.graph(department)
        tooi = rdflib.URIRef(MUNICIPALITY)
        assert (ref, DCTERMS.creator, tooi) in g  # registratiehouder
        assert (ref, DCTERMS.publisher, tooi) in g
        assert (tooi, FOAF.name, rdflib.Literal("Gemeente Zaanstad")) in g
        assert (ref, DCTERMS.identifier, rdflib.Literal(ds["identifier"])) in g
        contact = g.value(ref, DCAT.contactPoint)
        assert (contact, RDF.type, VCARD.Kind) in g
        assert (contact, VCARD.hasEmail, rdflib.URIRef("mailto:opendata@zaanstad.example.nl")) in g
        # the EU data theme beside the TaxonomieBeleidsagenda theme
        themes = set(g.objects(ref, DCAT.theme))
        assert rdflib.URIRef(OWMS + "Afval_(thema)") in themes
        assert rdflib.URIRef(EU + "data-theme/ENVI") in themes
        assert (ref, ADMS.status, rdflib.URIRef(EU + "dataset-status/DEVELOP")) in g
        assert (rdflib.URIRef(EU + "dataset-status/DEVELOP"), SKOS.prefLabel, None) in g

    def test_hvd_and_legislation(self, department: dict) -> None:
        g, ref, ds = self.graph(department)
        laws = set(g.objects(ref, DCATAP.applicableLegislation))
        assert HVD_LAW in laws
        foundation = next(law for law in laws if law != HVD_LAW)
        assert (foundation, RDF.type, ELI.LegalResource) in g
        assert (foundation, DCTERMS.identifier, rdflib.Literal(ds["legal_foundation_ref"])) in g
        assert set(g.objects(ref, DCATAP.hvdCategory)) == {
            rdflib.URIRef(GEOSPATIAL),
            rdflib.URIRef(MOBILITY),
        }
        assert (
            rdflib.URIRef(GEOSPATIAL),
            SKOS.prefLabel,
            rdflib.Literal("Geospatiale gegevens"),
        ) in g
        for dist in g.objects(ref, DCAT.distribution):
            assert (dist, DCATAP.applicableLegislation, HVD_LAW) in g

    def test_wms_is_a_data_service(self, department: dict) -> None:
        g, ref, _ds = self.graph(department)
        services = list(g.subjects(RDF.type, DCAT.DataService))
        assert len(services) == 1
        service = services[0]
        assert (service, DCAT.servesDataset, ref) in g
        assert (service, DCAT.endpointURL, rdflib.URIRef(WMS_URL)) in g
        description = g.value(service, DCAT.endpointDescription)
        assert "request=GetCapabilities" in str(description)
        wms = [d for d in g.objects(ref, DCAT.distribution) if (d, DCAT.accessService, None) in g]
        assert len(wms) == 1  # the CSV file has no service
        for predicate in (DCTERMS.publisher, DCTERMS.accessRights, DCTERMS.license, DCAT.theme):
            assert g.value(service, predicate) is not None, predicate

    def test_geometry_node_and_byte_size(self, department: dict) -> None:
        g, ref, _ds = self.graph(department)
        points = [n for n in g.objects(ref, DCTERMS.spatial) if (n, LOCN.geometry, None) in g]
        assert len(points) == 1
        geometry = g.value(points[0], LOCN.geometry)
        assert isinstance(geometry, rdflib.BNode)
        assert (geometry, GSP.asWKT, None) in g
        sizes = list(g.objects(None, DCAT.byteSize))
        assert [s.datatype for s in sizes] == [rdflib.XSD.nonNegativeInteger]

    def test_catalogue_record(self, department: dict) -> None:
        g, ref, _ds = self.graph(department)
        record = g.value(None, FOAF.primaryTopic, ref)
        assert (record, RDF.type, DCAT.CatalogRecord) in g
        assert (record, DCTERMS.language, rdflib.URIRef(EU + "language/NLD")) in g
        assert g.value(record, DCTERMS.modified) is not None

    def test_municipal_additions_only_in_gemeente(self, department: dict) -> None:
        ds = full_nl3_dataset(department)
        alone = RDFSerializer(profiles=["dcat_ap_nl_3"])
        alone.graph_from_dataset(ds)
        assert not [p for p in alone.g.predicates() if str(p).startswith(str(GEM))]
        stacked = RDFSerializer(profiles=NL3)
        ref = stacked.graph_from_dataset(ds)
        assert (
            ref,
            GEM.privacyClassification,
            rdflib.URIRef("urn:ckanext-gemeente:privacyclassificatie:gepseudonimiseerd"),
        ) in stacked.g


def serve(app: Any, url: str) -> str:
    resp = app.get(url)
    assert resp.status_code == 200, resp.body
    return resp.body


class TestEndpoints:
    @nl3_config
    @pytest.mark.parametrize(
        ("ext", "fmt"), [("ttl", "turtle"), ("rdf", "xml"), ("jsonld", "json-ld")]
    )
    def test_portal_default_is_dcat_ap_nl_3(
        self, app: Any, department: dict, ext: str, fmt: str
    ) -> None:
        full_nl3_dataset(department)
        g = rdflib.Graph().parse(data=serve(app, f"/catalog.{ext}"), format=fmt)
        catalog = next(g.subjects(RDF.type, DCAT.Catalog))
        assert len(list(g.objects(catalog, DCAT.contactPoint))) == 1
        assert len(list(g.objects(catalog, DCAT.record))) == 1
        assert len(list(g.objects(catalog, DCAT.service))) == 1
        assert (catalog, DCAT.themeTaxonomy, rdflib.URIRef(EU + "data-theme")) in g

    @schema_config  # the portal's default stays `donl`; a client asks for DCAT-AP-NL 3.0
    def test_choice_by_query_parameter(self, app: Any, department: dict) -> None:
        ds = full_nl3_dataset(department)
        donl = rdflib.Graph().parse(data=serve(app, f"/dataset/{ds['name']}.ttl"))
        nl3 = rdflib.Graph().parse(
            data=serve(app, f"/dataset/{ds['name']}.ttl?profiles=dcat_ap_nl_3,gemeente")
        )
        overheid_authority = rdflib.URIRef("http://standaarden.overheid.nl/owms/terms/authority")
        assert list(donl.objects(None, overheid_authority))
        assert not list(nl3.objects(None, overheid_authority))
        assert (None, DCATAP.applicableLegislation, HVD_LAW) in nl3
        assert (None, DCATAP.applicableLegislation, HVD_LAW) not in donl
