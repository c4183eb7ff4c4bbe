"""The profiles' namespace manager (``PrefixMisses``) changes the speed of rdflib's Turtle
serialisation, not its output."""

from __future__ import annotations

from rdflib import ConjunctiveGraph, Literal, URIRef

from ckanext.gemeente.schema.profiles import DCAT, DCT, PrefixMisses


def _graph(memo: bool) -> ConjunctiveGraph:
    g = ConjunctiveGraph()
    if memo:
        g.namespace_manager = PrefixMisses(g)
    g.bind("dcat", DCAT)
    g.bind("dct", DCT)
    site = "http://data.example.nl/dataset/"
    for i in range(30):
        dataset = URIRef(f"{site}{i:02d}a-{i}")
        record = URIRef(f"{dataset}#catalogusrecord")
        g.add((dataset, DCT.title, Literal(f"Dataset {i}")))
        g.add((dataset, DCAT.distribution, URIRef(f"{dataset}/resource/r{i}")))
        g.add((record, DCT.identifier, Literal(str(i))))
        g.add((dataset, DCAT.landingPage, URIRef(f"{site}naam-{i}")))
        # a predicate in a namespace without a prefix: the serializer binds ns1 on the way,
        # after which the subjects in that namespace do have a prefix
        g.add(
            (
                URIRef(f"http://example.org/vocab#thing{i}"),
                URIRef("http://example.org/vocab#p"),
                dataset,
            )
        )
    return g


def test_same_turtle_with_and_without_the_misses_remembered() -> None:
    plain = _graph(memo=False).serialize(format="turtle")
    fast = _graph(memo=True).serialize(format="turtle")
    assert "ns1:thing" in plain  # the case where a prefix appears during serialisation
    assert fast == plain


def test_a_bind_forgets_the_misses() -> None:
    g = ConjunctiveGraph()
    manager = g.namespace_manager = PrefixMisses(g)
    uri = URIRef("http://example.org/x/y")
    try:
        manager.compute_qname(uri, generate=False)
    except KeyError:
        pass
    assert uri in manager._misses
    g.bind("ex", "http://example.org/x/")
    assert manager.compute_qname(uri, generate=False) == (
        "ex",
        URIRef("http://example.org/x/"),
        "y",
    )
