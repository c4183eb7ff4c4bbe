"""The ckanext-dcat profile ``gemeente``: the municipal additions of the schema in RDF.

Stack it on the national profile::

    ckanext.dcat.rdf.profiles = dcat_ap_nl_3 gemeente

It adds (and parses back) what neither DCAT-AP-NL 3.0 nor DCAT-AP-DONL has: the department,
the privacy classification, the legal basis for processing, the base registries used, the
data owner and information manager, the source system, the update method and harvest source
(namespace ``gem:`` = ``urn:ckanext-gemeente:def#``), the DONL classification flags, and the
exact DONL dataset status (DCAT-AP-NL only knows the EU dataset statuses).

The fields are tables in ckanext-dcat's ``_add_triples_from_dict`` shape
``(field, predicate, fallbacks, type)``: a new property is one row. The ``donl`` profile
uses the same tables, so the municipal additions are written once.
"""

from __future__ import annotations

from typing import Any

from ckan.plugins import toolkit
from ckanext.dcat.profiles import RDFProfile
from rdflib import Literal, URIRef
from rdflib.term import Node

from .. import fields
from . import DONL, FOAF, GEM, RDF, SKOS, XSD, ConceptGraph, code_of, concept_uri

Row = tuple[str, URIRef, Any, Any]

# text values
LITERALS: list[Row] = [
    ("data_owner", GEM.dataOwner, None, Literal),
    ("information_manager", GEM.informationManager, None, Literal),
    ("source_system", GEM.sourceSystem, None, Literal),
    ("processing_legal_basis", GEM.processingLegalBasis, None, Literal),
]
# links (URIs)
LINKS: list[Row] = [
    ("harvest_source", GEM.harvestSource, None, URIRef),
]
# the exact DONL dataset status (dcat_ap_nl_3 writes the EU dataset status in adms:status)
STATUS_LINKS: list[Row] = [
    ("dataset_status", GEM.datasetStatus, None, URIRef),
]
# yes/no values (xsd:boolean)
FLAGS: list[Row] = [
    ("basis_register", DONL.basisRegister, None, Literal),
    ("referentie_data", DONL.referentieData, None, Literal),
]
# value-list codes, as concepts urn:ckanext-gemeente:<prefix>:<code>; the list is the field's
# `vocabulary` in the schema
CONCEPTS: list[Row] = [
    ("privacy_classification", GEM.privacyClassification, "privacyclassificatie", URIRef),
    ("update_method", GEM.updateMethod, "bijwerkmethode", URIRef),
    ("base_registries", GEM.baseRegistry, "basisregistratie", URIRef),
]


def add_municipal(
    profile: Any, dataset_dict: dict[str, Any], ref: Node, tables: tuple[list[Row], ...]
) -> None:
    """Write the rows of ``tables`` (and the department) for one dataset."""
    g = profile.g
    for table in tables:
        if table is FLAGS or table is CONCEPTS:
            continue
        profile._add_triples_from_dict(dataset_dict, ref, table)
    if any(t is FLAGS for t in tables):
        for key, predicate, _fallbacks, _type in FLAGS:
            flag = fields.as_bool(dataset_dict.get(key))
            if flag is not None:
                g.add((ref, predicate, Literal(flag, datatype=XSD.boolean)))
    if any(t is CONCEPTS for t in tables):
        value_lists = fields.vocabulary_fields(dataset_type=dataset_dict.get("type") or "dataset")
        for key, predicate, prefix, _type in CONCEPTS:
            vocabulary = value_lists.get(key, "")
            for code in fields.as_list(dataset_dict.get(key)):
                node = concept_uri(prefix, code)
                g.add((ref, predicate, node))
                g.add((node, RDF.type, SKOS.Concept))
                g.add((node, SKOS.notation, Literal(code)))
                ConceptGraph._labels(profile, node, vocabulary, code)
    org = dataset_dict.get("organization") or {}
    if isinstance(org, dict) and org.get("name"):
        site = (toolkit.config.get("ckan.site_url") or "").rstrip("/")
        dept = URIRef(f"{site}/organization/{org['name']}")
        g.add((ref, GEM.department, dept))
        if profile._first_time(dept):
            g.add((dept, RDF.type, FOAF.Organization))
            g.add((dept, FOAF.name, Literal(org.get("title") or org["name"])))


def parse_municipal(
    profile: Any, dataset_dict: dict[str, Any], ref: Node, tables: tuple[list[Row], ...]
) -> dict[str, Any]:
    """Read the rows of ``tables`` back into ``dataset_dict``."""
    g = profile.g
    lists = fields.list_fields(dataset_type=dataset_dict.get("type") or "dataset")
    for table in tables:
        for key, predicate, extra, _type in table:
            objects = list(g.objects(ref, predicate))
            if not objects:
                continue
            if table is FLAGS:
                dataset_dict[key] = fields.bool_text(objects[0].toPython())
                continue
            if table is CONCEPTS:
                values = sorted(code_of(extra, o) for o in objects)
            else:
                values = sorted(str(o) for o in objects)
            dataset_dict[key] = values if key in lists else values[0]
    if "update_method" not in dataset_dict:
        # a feed without the municipal additions (another catalogue): the dataset is
        # harvested, and its source is the dataset's own URI there
        dataset_dict["update_method"] = "geharvest"
        if isinstance(ref, URIRef) and "harvest_source" not in dataset_dict:
            dataset_dict["harvest_source"] = str(ref)
    dataset_dict["extras"] = [
        e for e in dataset_dict.get("extras", []) if e["key"] not in dataset_dict
    ]
    return dataset_dict


ALL_TABLES = (LITERALS, LINKS, STATUS_LINKS, FLAGS, CONCEPTS)


class GemeenteProfile(ConceptGraph, RDFProfile):
    """Municipal additions of ``gemeente_dataset.yaml``, on top of ``dcat_ap_nl_3``."""

    def graph_from_dataset(self, dataset_dict: dict[str, Any], dataset_ref: Node) -> None:
        self._bind_once((("gem", GEM), ("donl", DONL)))
        add_municipal(self, dataset_dict, dataset_ref, ALL_TABLES)

    def parse_dataset(self, dataset_dict: dict[str, Any], dataset_ref: Node) -> dict[str, Any]:
        return parse_municipal(self, dataset_dict, dataset_ref, ALL_TABLES)
