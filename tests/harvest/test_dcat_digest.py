"""The digest of one dataset's own triples (gemeente_dcat's RAW_KEY), on rdflib graphs alone.

The digest decides whether a dataset is parsed again, so it must change with every
statement a profile can read of the dataset (nested blank nodes, distributions, a catalogue
record that points at it) and must not change with what is no part of it (blank-node
labels, order, syntax, other datasets, the page's Hydra node).
"""

from __future__ import annotations

from typing import Any

import dcat_feeds
import rdflib
from rdflib.namespace import RDF

from ckanext.gemeente.harvest.sources.dcat import DCAT_NS, _stop_nodes, dataset_digest

BASE = "http://localhost:1"
DS = "https://data.ggd-zw.example.nl/dataset/ds-00003"


def _digests(text: str, fmt: str = "turtle") -> dict[str, str]:
    graph = rdflib.Graph()
    graph.parse(data=text, format=fmt)
    stops = _stop_nodes(graph)
    memo: dict[Any, str] = {}
    return {str(ref): dataset_digest(graph, ref, stops, memo)
            for ref in graph.subjects(RDF.type, DCAT_NS.Dataset)}


def _page(**kw: Any) -> str:
    return dcat_feeds.feed_pages(BASE, 10, per_page=10, **kw)["/catalog.ttl"]


def test_same_statements_in_another_syntax_give_the_same_digests() -> None:
    turtle = _page()
    assert _digests(turtle) == _digests(dcat_feeds.as_format(turtle, "xml").decode(), "xml")
    assert _digests(turtle) == _digests(
        dcat_feeds.as_format(turtle, "json-ld").decode(), "json-ld")
    assert len(set(_digests(turtle).values())) == 10  # every dataset its own


def test_a_change_in_one_dataset_changes_only_its_digest() -> None:
    before, after = _digests(_page()), _digests(_page(changed={3: " (herzien)"}))
    assert before[DS] != after[DS]
    assert {k: v for k, v in before.items() if k != DS} == \
        {k: v for k, v in after.items() if k != DS}


def test_nested_blank_nodes_distributions_and_records_count() -> None:
    page = _page()
    base = _digests(page)[DS]
    block = dcat_feeds.dataset_turtle(3)
    assert block in page
    # the contact point is a blank node inside the dataset
    email = page.replace(block, block.replace("mailto:data@", "mailto:gezondheid@"))
    assert email != page and _digests(email)[DS] != base
    # the distribution is a node of its own that the dataset points at
    files = page.replace(block, block.replace("/files/ds-00003.csv", "/files/ds-00003-v2.csv"))
    assert files != page and _digests(files)[DS] != base
    # a catalogue record points at the dataset (foaf:primaryTopic): its language counts
    record = page + (f"\n<{DS}#record> a dcat:CatalogRecord ;\n"
                     f"    foaf:primaryTopic <{DS}> ;\n"
                     "    dct:language <http://publications.europa.eu/resource/authority/"
                     "language/ENG> .\n")
    other = record.replace("language/ENG> .\n", "language/NLD> .\n")
    assert _digests(record)[DS] != base
    assert _digests(record)[DS] != _digests(other)[DS]


def test_the_page_node_catalogue_and_other_datasets_are_not_part_of_a_dataset() -> None:
    small = dcat_feeds.feed_pages(BASE, 30, per_page=10)["/catalog.ttl?page=1"]
    large = dcat_feeds.feed_pages(BASE, 31, per_page=20)["/catalog.ttl?page=1"]
    assert small != large  # another hydra:totalItems, a catalogue of 20 datasets
    assert _digests(large)[DS] == _digests(small)[DS]


def test_cycles_are_named_not_followed() -> None:
    text = dcat_feeds.PREFIXES + f"""
<{DS}> a dcat:Dataset ; dct:title "Kring"@nl ; dct:relation _:a .
_:a dct:relation _:b ; dct:title "a" .
_:b dct:relation _:a ; dct:title "b" .
"""
    first, second = _digests(text), _digests(text.replace('"b" .', '"c" .'))
    assert first[DS] and first[DS] != second[DS]
    assert _digests(text) == first  # deterministic
