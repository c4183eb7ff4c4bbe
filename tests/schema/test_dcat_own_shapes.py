"""The repository's own SHACL shapes (ckanext/gemeente/schema/shapes): a checkout without
the official shapes still checks DCAT-AP-NL 3.0 conformance, and on a set of deliberately
broken datasets the own shapes find what the official DCAT-AP 3.0.1 and DCAT-AP-NL 3.0
shapes find (and the value lists, which those do not check)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import rdflib
from dcat_shapes import DCAT_AP_3, DCAT_AP_NL_3, official, own, results, show, violations
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, SKOS, XSD
from test_dcat_ap_nl_3 import nl3_config
from test_dcat_shacl import catalogue, expected_warnings, load_portal

pytestmark = [pytest.mark.usefixtures("with_plugins")]

LOCN = rdflib.Namespace("http://www.w3.org/ns/locn#")
GSP = rdflib.Namespace("http://www.opengis.net/ont/geosparql#")
SPDX = rdflib.Namespace("http://spdx.org/rdf/terms#")
EU = "http://publications.europa.eu/resource/authority/"

Nodes = dict[str, Any]
Break = Callable[[rdflib.Graph, Nodes], tuple[Any, URIRef]]


def nodes(g: rdflib.Graph) -> Nodes:
    """The catalogue, the full fixture dataset (high-value, CSV + WMS) and its parts."""
    service = next(g.subjects(RDF.type, DCAT.DataService))
    dataset = g.value(service, DCAT.servesDataset)  # the full fixture: CSV + WMS
    dists = list(g.objects(dataset, DCAT.distribution))
    csv = next(d for d in dists if (d, DCAT.accessService, None) not in g)
    return {
        "catalog": next(g.subjects(RDF.type, DCAT.Catalog)),
        "dataset": dataset,
        "csv": csv,
        "service": service,
        "record": g.value(None, FOAF.primaryTopic, dataset),
        "point": next(
            a for a in g.objects(dataset, DCTERMS.spatial) if (a, LOCN.geometry, None) in g
        ),
        "checksum": g.value(csv, SPDX.checksum),
        "publisher": g.value(dataset, DCTERMS.publisher),
    }


def drop(subject: str, predicate: URIRef) -> Break:
    def apply(g: rdflib.Graph, n: Nodes) -> tuple[Any, URIRef]:
        g.remove((n[subject], predicate, None))
        return n[subject], predicate

    return apply


def replace(subject: str, predicate: URIRef, make: Callable[[Any], Any]) -> Break:
    def apply(g: rdflib.Graph, n: Nodes) -> tuple[Any, URIRef]:
        old = g.value(n[subject], predicate)
        g.remove((n[subject], predicate, None))
        g.add((n[subject], predicate, make(old)))
        return n[subject], predicate

    return apply


def add(subject: str, predicate: URIRef, make: Callable[[Any], Any]) -> Break:
    def apply(g: rdflib.Graph, n: Nodes) -> tuple[Any, URIRef]:
        g.add((n[subject], predicate, make(g.value(n[subject], predicate))))
        return n[subject], predicate

    return apply


def second_contact(old: Any) -> Any:
    return BNode()


def untyped_theme(g: rdflib.Graph, n: Nodes) -> tuple[Any, URIRef]:
    theme = URIRef("https://example.nl/geen-concept")
    g.add((n["dataset"], DCAT.theme, theme))
    return n["dataset"], DCAT.theme


def geometry_literal(g: rdflib.Graph, n: Nodes) -> tuple[Any, URIRef]:
    g.remove((n["point"], LOCN.geometry, None))
    g.add((n["point"], LOCN.geometry, Literal("POINT(4.8 52.4)", datatype=GSP.wktLiteral)))
    return n["point"], LOCN.geometry


def unnamed_publisher(g: rdflib.Graph, n: Nodes) -> tuple[Any, URIRef]:
    g.remove((n["publisher"], FOAF.name, None))
    return n["publisher"], FOAF.name


def unlabelled_concept(g: rdflib.Graph, n: Nodes) -> tuple[Any, URIRef]:
    rights = g.value(n["dataset"], DCTERMS.accessRights)
    g.remove((rights, SKOS.prefLabel, None))
    return rights, SKOS.prefLabel


def no_eu_theme(g: rdflib.Graph, n: Nodes) -> tuple[Any, URIRef]:
    for theme in list(g.objects(n["dataset"], DCAT.theme)):
        if str(theme).startswith(EU + "data-theme/"):
            g.remove((n["dataset"], DCAT.theme, theme))
    return n["dataset"], DCAT.theme


# name -> how the dataset is broken; each returns the (focus, path) that must be found
BREAKS: dict[str, Break] = {
    "dataset without creator": drop("dataset", DCTERMS.creator),
    "dataset without contact point": drop("dataset", DCAT.contactPoint),
    "dataset without publisher": drop("dataset", DCTERMS.publisher),
    "dataset without theme": drop("dataset", DCAT.theme),
    "dataset without access rights": drop("dataset", DCTERMS.accessRights),
    "dataset without identifier": drop("dataset", DCTERMS.identifier),
    "dataset without description": drop("dataset", DCTERMS.description),
    "identifier as URI": replace("dataset", DCTERMS.identifier, lambda old: URIRef(str(old))),
    "two identifiers": add("dataset", DCTERMS.identifier, lambda old: Literal("tweede")),
    "theme that is no concept": untyped_theme,
    "catalogue without contact point": drop("catalog", DCAT.contactPoint),
    "catalogue with two contact points": add("catalog", DCAT.contactPoint, second_contact),
    "catalogue without publisher": drop("catalog", DCTERMS.publisher),
    "file without licence": drop("csv", DCTERMS.license),
    "file without access URL": drop("csv", DCAT.accessURL),
    "byte size as decimal": replace(
        "csv", DCAT.byteSize, lambda old: Literal(str(old), datatype=XSD.decimal)
    ),
    "geometry as WKT literal": geometry_literal,
    "checksum without algorithm": drop("checksum", SPDX.algorithm),
    "service without endpoint URL": drop("service", DCAT.endpointURL),
    "service without endpoint description": drop("service", DCAT.endpointDescription),
    "service without publisher": drop("service", DCTERMS.publisher),
    "service without licence": drop("service", DCTERMS.license),
    "record without language": drop("record", DCTERMS.language),
    "record without modification date": drop("record", DCTERMS.modified),
    "publisher without name": unnamed_publisher,
    "concept without label": unlabelled_concept,
    # value lists: DCAT-AP-NL prescribes them, the official shapes do not check them
    "access rights not from the EU list": replace(
        "dataset", DCTERMS.accessRights, lambda old: URIRef(EU + "access-right/OPEN")
    ),
    "file type not from the EU list": replace(
        "csv", DCTERMS["format"], lambda old: URIRef("https://example.nl/formaat/csv")
    ),
    "no EU data theme": no_eu_theme,
}


def found_on(found: list[dict[str, str]]) -> set[tuple[str, str]]:
    return {(r["focus"], r["path"]) for r in violations(found)}


@pytest.fixture
def valid_catalogue(app: Any, department: dict) -> rdflib.Graph:
    load_portal(department)
    return catalogue(app)


@nl3_config
class TestOwnShapes:
    def test_the_catalogue_conforms(self, valid_catalogue: rdflib.Graph) -> None:
        """Runs without ../shared: 0 violations, and only the recommendations the data
        cannot meet (the same list the official shapes give)."""
        found = results(valid_catalogue, own())
        assert violations(found) == [], show(violations(found))
        warnings = {(r["focus"], r["path"]) for r in found if r["severity"] == "Warning"}
        assert warnings == expected_warnings(valid_catalogue), show(found)

    def test_own_shapes_find_each_break(self, valid_catalogue: rdflib.Graph) -> None:
        shapes = own()
        baseline = found_on(results(valid_catalogue, shapes))
        missed = []
        for name, broken in BREAKS.items():
            g = rdflib.Graph() + valid_catalogue
            focus, path = broken(g, nodes(g))
            new = found_on(results(g, shapes)) - baseline
            if (str(focus), str(path)) not in new:
                missed.append(f"{name}: nothing on {path} @ {focus} ({sorted(new)})")
        assert missed == [], "\n".join(missed)

    def test_own_shapes_find_what_the_official_shapes_find(
        self, valid_catalogue: rdflib.Graph
    ) -> None:
        official_shapes = official(*DCAT_AP_3) + official(*DCAT_AP_NL_3)
        shapes = own()
        official_base = found_on(results(valid_catalogue, official_shapes))
        own_base = found_on(results(valid_catalogue, shapes))
        assert official_base == own_base == set()
        missed, caught = [], 0
        for name, broken in BREAKS.items():
            g = rdflib.Graph() + valid_catalogue
            broken(g, nodes(g))
            by_official = found_on(results(g, official_shapes))
            by_own = found_on(results(g, shapes))
            caught += bool(by_official)
            if not by_official <= by_own:
                missed.append(f"{name}: official {sorted(by_official - by_own)} not found")
        assert missed == [], "\n".join(missed)
        assert caught >= 20  # the breaks are real breaks for the official shapes too
