"""ckanext-dcat RDF profiles of the municipal schema.

- ``dcat_ap_nl_3`` (:mod:`.dcat_ap_nl_3`): DCAT-AP-NL 3.0 (Geonovum, on DCAT-AP 3.0 with the
  high-value-dataset rules), built on ckanext-dcat's ``euro_dcat_ap_3``.
- ``gemeente`` (:mod:`.gemeente`): the municipal additions (department, privacy
  classification, legal basis for processing, base registries...), stacked on the national
  profile: ``ckanext.dcat.rdf.profiles = dcat_ap_nl_3 gemeente``.
- ``donl`` (:mod:`ckanext.gemeente.schema.dcat`): DCAT-AP-DONL 1.1 for data.overheid.nl's
  current harvester, on ``euro_dcat_ap_2``.

This module holds what the profiles share: namespaces and :class:`ConceptGraph`, the graph
helpers that describe value-list concepts with their labels.
"""

from __future__ import annotations

import json
import re
import weakref
from collections.abc import Hashable
from typing import Any

from ckanext.dcat.profiles import base as core
from ckanext.dcat.profiles.base import CleanedURIRef
from rdflib import BNode, Literal, Namespace, URIRef
from rdflib.namespace import NamespaceManager
from rdflib.term import Node

from .. import fields, vocabularies
from ..validators import MDR_FILE_TYPE as MDR_FILE_TYPE


class Terms(Namespace):
    """An rdflib ``Namespace`` that makes each of its terms once.

    ``DCAT.theme`` on rdflib's ``Namespace`` builds (and checks) a new ``URIRef`` at every
    access; the profiles name tens of constant terms per dataset, so these namespaces keep
    the terms they have made. Equal to rdflib's: same string, same ``URIRef`` s.
    """

    _terms: dict[str, URIRef]

    def __new__(cls, value: str) -> Terms:
        namespace = super().__new__(cls, str(value))
        namespace._terms = {}
        return namespace

    def term(self, name: str) -> URIRef:
        key = name if isinstance(name, str) else ""
        found = self._terms.get(key)
        if found is None:
            found = self._terms[key] = super().term(key)
        return found


# the namespaces of ckanext-dcat's profiles (and rdflib's), as Terms
ADMS = Terms(core.ADMS)
DCAT = Terms(core.DCAT)
DCT = Terms(core.DCT)
FOAF = Terms(core.FOAF)
LOCN = Terms(core.LOCN)
OWL = Terms(core.OWL)
RDF = Terms(core.RDF)
RDFS = Terms(core.RDFS)
SKOS = Terms(core.SKOS)
SPDX = Terms(core.SPDX)
VCARD = Terms(core.VCARD)
XSD = Terms(core.XSD)

OVERHEID = Terms("http://standaarden.overheid.nl/owms/terms/")
# DCAT-AP-DONL has not fixed its own namespace yet ("donl: TODO: URI bepalen" in
# dataoverheid/dcat-ap-donl docs/overzicht/namespaces.md); this provisional one is used for
# the DONL classification flags only.
DONL = Terms("https://data.overheid.nl/def/donl#")
# Municipal additions of ckanext-gemeente (not part of DCAT-AP-DONL or DCAT-AP-NL).
GEM = Terms("urn:ckanext-gemeente:def#")
GEM_CONCEPT = "urn:ckanext-gemeente:"
GSP = Terms("http://www.opengis.net/ont/geosparql#")
ELI = Terms("http://data.europa.eu/eli/ontology#")
DCATAP = Terms("http://data.europa.eu/r5r/")

EU_AUTHORITY = "http://publications.europa.eu/resource/authority/"
IANA_MEDIA_TYPES = "https://www.iana.org/assignments/media-types/"
TAXONOMIE = OVERHEID.TaxonomieBeleidsagenda
TOOI_GEMEENTE = "https://identifier.overheid.nl/tooi/id/gemeente/"
LOCAL_AUTHORITY = URIRef("http://purl.org/adms/publishertype/LocalAuthority")
PUBLISHER_TYPE_SCHEME = URIRef("http://purl.org/adms/publishertype/1.0")
LICENCE_TYPE_UNKNOWN = URIRef("http://purl.org/adms/licencetype/UnknownIPR")
LICENCE_TYPE_SCHEME = URIRef("http://purl.org/adms/licencetype/1.0")
CHANGETYPE = "http://purl.org/adms/changetype/"
CC0 = URIRef("http://creativecommons.org/publicdomain/zero/1.0/deed.nl")
LANGUAGE_CODES = {"nl": "NLD", "en": "ENG", "fy": "FRY", "de": "DEU"}
SPATIAL_SCHEMES = {
    "gemeente": URIRef(
        "http://standaarden.overheid.nl/owms/4.0/doc/waardelijsten/overheid.gemeente"
    ),
    "wijk-buurt": URIRef("urn:ckanext-gemeente:geografisch-schema:cbs-wijk-buurt"),
    "postcode": URIRef("urn:ckanext-gemeente:geografisch-schema:postcode"),
    "punt": URIRef("urn:ckanext-gemeente:geografisch-schema:punt"),
}


# nodes already described in a graph: a catalogue describes a concept, agent or licence once,
# however many datasets use it (ckanext-dcat makes a new profile object per dataset)
_DESCRIBED: weakref.WeakKeyDictionary[Any, set[Hashable]] = weakref.WeakKeyDictionary()
# profiles whose prefixes are bound in a graph
_BOUND: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()
# characters ckanext-dcat's CleanedURIRef percent-encodes (base.py, _careful_quote)
_QUOTED = re.compile(r"[ !\"$'()*,;<>\[\]{|}\\^`]")


class PrefixMisses(NamespaceManager):
    """rdflib's namespace manager that also remembers the URIs it has no prefix for.

    rdflib's Turtle serializer asks for the prefixed name of the subject and the object of
    every triple (``compute_qname(uri, generate=False)``). rdflib caches the names it finds,
    not the misses: a URI without a bound prefix (a dataset, a distribution, a catalogue
    record: most subjects of a catalogue) is split and matched against the namespace trie
    again at every one of its occurrences, which was most of a catalogue page's Turtle time.
    Here a miss is remembered until the next :meth:`bind` (the only way a prefix can appear),
    so the output is the same, only reached sooner.
    """

    def __init__(self, graph: Any) -> None:
        super().__init__(graph, bind_namespaces="none")
        self._misses: set[str] = set()

    def compute_qname(self, uri: str, generate: bool = True) -> tuple[str, URIRef, str]:
        if generate:
            return super().compute_qname(uri, generate)
        if uri in self._misses:
            raise KeyError(f"No known prefix for {uri} and generate=False")
        try:
            return super().compute_qname(uri, generate)
        except KeyError:
            self._misses.add(uri)
            raise

    def bind(self, prefix: str | None, namespace: Any, *args: Any, **kwargs: Any) -> None:
        self._misses.clear()
        super().bind(prefix, namespace, *args, **kwargs)


class ConceptGraph:
    """Graph helpers shared by the profiles (mixed into ckanext-dcat ``RDFProfile`` s)."""

    g: Any

    def _bind_once(self, prefixes: tuple[tuple[str, Namespace], ...]) -> None:
        """Bind the profile's ``prefixes`` (once a graph: the bindings stay) and give the
        graph a :class:`PrefixMisses` manager with every prefix bound so far."""
        graph = self.g
        bound = _BOUND.setdefault(graph, set())
        if type(self).__name__ in bound:
            return
        bound.add(type(self).__name__)
        if not isinstance(graph.namespace_manager, PrefixMisses):
            manager = PrefixMisses(graph)
            for prefix, namespace in graph.namespace_manager.namespaces():
                manager.bind(prefix, namespace)
            graph.namespace_manager = manager
        for prefix, namespace in prefixes:
            graph.bind(prefix, namespace)

    def _first_time(self, node: Hashable) -> bool:
        """True the first time ``node`` (or a key such as ``(node, class)``) is described in
        this graph."""
        described = _DESCRIBED.setdefault(self.g, set())
        if node in described:
            return False
        described.add(node)
        return True

    def _replace(self, subject: Node, predicate: URIRef, obj: Node | None) -> None:
        self.g.remove((subject, predicate, None))
        if obj is not None:
            self.g.add((subject, predicate, obj))

    def _labels(self, node: Node, vocabulary: str, key: str | None = None) -> None:
        """``skos:prefLabel`` (Dutch, untagged) and ``skos:altLabel`` (English) of a term."""
        if not vocabulary or (node, SKOS.prefLabel, None) in self.g:
            return
        term = (vocabularies.terms(vocabulary) or {}).get(key or str(node))
        if term is not None:
            # untagged (xsd:string) Dutch label: the DCAT-AP-NL shapes ask for xsd:string
            self.g.add((node, SKOS.prefLabel, Literal(term.label_nl)))
            if term.label_en != term.label_nl:
                self.g.add((node, SKOS.altLabel, Literal(term.label_en, lang="en")))

    def _scheme(self, node: URIRef, title: str) -> None:
        if not self._first_time(node):
            return
        self.g.add((node, RDF.type, SKOS.ConceptScheme))
        if (node, DCT.title, None) not in self.g:
            self.g.add((node, DCT.title, Literal(title)))

    def _concept(
        self, node: Node, scheme: URIRef | None, vocabulary: str = "", label: str = ""
    ) -> None:
        """Describe ``node`` as a ``skos:Concept`` of ``scheme`` with its label."""
        if not self._first_time(node):
            return
        self.g.add((node, RDF.type, SKOS.Concept))
        if scheme is not None:
            self.g.add((node, SKOS.inScheme, scheme))
        self._labels(node, vocabulary)
        if label and (node, SKOS.prefLabel, None) not in self.g:
            self.g.add((node, SKOS.prefLabel, Literal(label)))

    def _restore_uris(self, dataset_dict: dict[str, Any]) -> None:
        """Undo the percent-encoding of ``()``, ``'`` etc. that the core profiles apply:
        value-list URIs such as ``…/owms/terms/Afval_(thema)`` must stay exactly as listed."""
        values: set[str] = set()
        for d in [dataset_dict, *dataset_dict.get("resources", [])]:
            for value in d.values():
                for item in value if isinstance(value, list) else [value]:
                    # the cheap test first: few values have such characters
                    if isinstance(item, str) and _QUOTED.search(item) and fields.is_uri(item):
                        values.add(item)
        for raw in values:
            cleaned = CleanedURIRef(raw)
            original = URIRef(raw)
            if cleaned == original:
                continue
            for s, p, o in list(self.g.triples((None, None, cleaned))):
                self.g.remove((s, p, o))
                self.g.add((s, p, original))
            for s, p, o in list(self.g.triples((cleaned, None, None))):
                self.g.remove((s, p, o))
                self.g.add((original, p, o))


def geo_items(value: Any) -> list[dict[str, str]]:
    """The ``{scheme, value}`` items of ``geo_coverage`` (a list or its JSON string)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return []
    return [i for i in value or [] if isinstance(i, dict) and i.get("value")]


class SpatialGraph:
    """``geo_coverage`` as ``dct:Location`` s: a point's geometry is a ``locn:Geometry`` node
    (DCAT-AP 3) with ``gsp:asWKT``; codes are ``skos:notation`` s in their scheme."""

    g: Any
    #: a CBS municipality code becomes the municipality's TOOI URI (``donl``: a blank node)
    tooi_codes = True
    #: class of a point's location; ``donl`` uses a subclass of ``dct:Location`` (see there)
    point_class: URIRef = DCT.Location
    #: DCAT-AP 3: ``locn:geometry`` is a ``locn:Geometry`` node (DCAT-AP 2: a literal)
    geometry_node = True

    def _add_geo(self, dataset_ref: Node, item: dict[str, str]) -> None:
        g = self.g
        scheme, value = item.get("scheme") or "", str(item["value"])
        node: Node
        if scheme == "gemeente" and fields.is_uri(value):
            node = URIRef(value)
            self._labels(node, "Overheid:Gemeente")
        elif scheme == "gemeente" and self.tooi_codes:  # CBS code GM0479: its TOOI URI
            node = URIRef(TOOI_GEMEENTE + value.lower())
            g.add((node, SKOS.notation, Literal(value)))
        else:
            node = BNode()
            if scheme == "punt":
                wkt = Literal(value, datatype=GSP.wktLiteral)
                if self.geometry_node:
                    geometry = BNode()
                    g.add((node, LOCN.geometry, geometry))
                    g.add((geometry, RDF.type, LOCN.Geometry))
                    g.add((geometry, GSP.asWKT, wkt))
                else:  # DCAT-AP 2: the WKT literal itself
                    g.add((node, LOCN.geometry, wkt))
                g.add((node, DCAT.centroid, wkt))
            else:
                g.add((node, SKOS.notation, Literal(value)))
        g.add((dataset_ref, DCT.spatial, node))
        if scheme == "punt" and self.geometry_node and self.point_class != DCT.Location:
            g.add((node, RDF.type, self.point_class))
            g.add((self.point_class, RDFS.subClassOf, DCT.Location))
        else:
            g.add((node, RDF.type, DCT.Location))
        if scheme in SPATIAL_SCHEMES:
            g.add((node, SKOS.inScheme, SPATIAL_SCHEMES[scheme]))

    def _parse_geo(self, dataset_ref: Node) -> list[dict[str, str]]:
        g = self.g
        geo = []
        for node in g.objects(dataset_ref, DCT.spatial):
            schemes = {str(s) for s in g.objects(node, SKOS.inScheme)}
            scheme = next((k for k, v in SPATIAL_SCHEMES.items() if str(v) in schemes), "")
            notation = self._object_value(node, SKOS.notation)
            geometry = g.value(node, LOCN.geometry)
            wkt = ""
            if geometry is not None:
                wkt = (
                    str(g.value(geometry, GSP.asWKT) or "")
                    if not isinstance(geometry, Literal)
                    else str(geometry)
                )
            if scheme == "punt" and wkt:
                geo.append({"scheme": "punt", "value": wkt})
            elif notation:
                geo.append({"scheme": scheme or "gemeente", "value": notation})
            elif isinstance(node, URIRef):
                geo.append({"scheme": scheme or "gemeente", "value": str(node)})
        return geo


def code_of(prefix: str, node: Node) -> str:
    """The code of a municipal concept URI ``urn:ckanext-gemeente:<prefix>:<code>``."""
    text = str(node)
    start = f"{GEM_CONCEPT}{prefix}:"
    return text[len(start) :] if text.startswith(start) else text


def concept_uri(prefix: str, code: str) -> URIRef:
    return URIRef(f"{GEM_CONCEPT}{prefix}:{code}")


class SharedParts:
    """What the ``donl`` and ``dcat_ap_nl_3`` profiles write and read alike (mixed into both
    beside :class:`ConceptGraph`); where the standards differ, the caller names the class or
    property."""

    g: Any
    _object_value: Any

    # ------------------------------------------------------------------ serialise

    def _add_legal_foundation(
        self,
        dataset_dict: dict[str, Any],
        dataset_ref: Node,
        link: URIRef,
        cls: URIRef,
        page_predicate: URIRef,
    ) -> None:
        """The legal foundation (label, reference, page) as a ``cls`` node under ``link``."""
        g = self.g
        get = dataset_dict.get
        if not (
            get("legal_foundation_label")
            or get("legal_foundation_uri")
            or get("legal_foundation_ref")
        ):
            return
        law = BNode()
        g.add((dataset_ref, link, law))
        g.add((law, RDF.type, cls))
        if get("legal_foundation_label"):
            g.add((law, RDFS.label, Literal(get("legal_foundation_label"))))
        if get("legal_foundation_ref"):
            g.add((law, DCT.identifier, Literal(get("legal_foundation_ref"))))
        if fields.is_uri(get("legal_foundation_uri")):
            page = URIRef(get("legal_foundation_uri"))
            g.add((law, page_predicate, page))
            g.add((page, RDF.type, FOAF.Document))

    def _add_record_dates(self, record: Node, dataset_dict: dict[str, Any]) -> bool:
        """The catalogue record's dates (``xsd:date``); True when the record is new (created
        and modified at the same time), for its change type."""
        get = dataset_dict.get
        modified = str(get("metadata_modified") or get("modified") or "")[:10]
        if modified:
            self.g.add((record, DCT.modified, Literal(modified, datatype=XSD.date)))
        created = str(get("metadata_created") or "")[:10]
        if created:
            self.g.add((record, DCT.issued, Literal(created, datatype=XSD.date)))
        return bool(get("metadata_created") == get("metadata_modified"))

    def _catalog_forms(self, catalog_ref: Node) -> None:
        """The catalogue's homepage is a ``foaf:Document``, its languages EU language URIs
        (the core writes ``nl``), its modification date an ``xsd:date`` (DCAT-AP-NL)."""
        g = self.g
        for homepage in g.objects(catalog_ref, FOAF.homepage):
            g.add((homepage, RDF.type, FOAF.Document))
        for lang in list(g.objects(catalog_ref, DCT.language)):
            if isinstance(lang, Literal):
                g.remove((catalog_ref, DCT.language, lang))
                code = LANGUAGE_CODES.get(str(lang)[:2].lower())
                if code:
                    g.add((catalog_ref, DCT.language, URIRef(f"{EU_AUTHORITY}language/{code}")))
        for modified in list(g.objects(catalog_ref, DCT.modified)):
            g.remove((catalog_ref, DCT.modified, modified))
            g.add((catalog_ref, DCT.modified, Literal(str(modified)[:10], datatype=XSD.date)))

    # ------------------------------------------------------------------ parse

    def _parse_legal_foundation(
        self, law: Node, page_predicate: URIRef, dataset_dict: dict[str, Any]
    ) -> None:
        for key, predicate in (
            ("legal_foundation_label", RDFS.label),
            ("legal_foundation_ref", DCT.identifier),
            ("legal_foundation_uri", page_predicate),
        ):
            found = self._object_value(law, predicate)
            if found:
                dataset_dict[key] = found

    def _parse_contact(
        self, dataset_dict: dict[str, Any], dataset_ref: Node, phone_scheme: str = ""
    ) -> None:
        """The contact point's name, web page, phone (``phone_scheme`` taken off) and e-mail
        (``mailto:`` taken off)."""
        contact = self.g.value(dataset_ref, DCAT.contactPoint)
        if contact is None:
            return
        value = self._object_value
        for key, predicate in (("contact_name", VCARD.fn), ("contact_url", VCARD.hasURL)):
            found = value(contact, predicate)
            if found:
                dataset_dict[key] = found
        phone = value(contact, VCARD.hasTelephone)
        if phone:
            dataset_dict["contact_phone"] = phone.removeprefix(phone_scheme)
        email = value(contact, VCARD.hasEmail)
        if email:
            dataset_dict["contact_email"] = email.removeprefix("mailto:")

    def _parse_shared(self, dataset_dict: dict[str, Any], dataset_ref: Node) -> None:
        """Identifier, licence (the dataset's, else its first file's), provenance, spatial
        coverage and metadata language."""
        g = self.g
        value = self._object_value
        identifier = value(dataset_ref, DCT.identifier)
        if identifier:
            dataset_dict["identifier"] = identifier

        lic = g.value(dataset_ref, DCT.license)
        if lic is None:
            for dist in g.objects(dataset_ref, DCAT.distribution):
                lic = g.value(dist, DCT.license)
                if lic is not None:
                    break
        if lic is not None:
            dataset_dict["license_id"] = str(lic)

        provenance = g.value(dataset_ref, DCT.provenance)
        if provenance is not None:
            label = value(provenance, RDFS.label) if isinstance(provenance, BNode) else None
            dataset_dict["provenance"] = label or str(provenance)

        geo = self._parse_geo(dataset_ref)  # type: ignore[attr-defined]  # SpatialGraph
        if geo:
            dataset_dict["geo_coverage"] = geo

        for record in g.subjects(FOAF.primaryTopic, dataset_ref):
            lang = g.value(record, DCT.language)
            if lang is not None:
                dataset_dict["metadata_language"] = str(lang)
        if "metadata_language" not in dataset_dict:
            # no catalogue record: the metadata is in the (first) language of the dataset
            first = fields.as_list(dataset_dict.get("language"))
            if first:
                dataset_dict["metadata_language"] = first[0]

    def _parse_file(self, res: dict[str, Any], dist: Node) -> None:
        """A distribution's URL, file type, media type, licence and checksum."""
        g = self.g
        access = g.value(dist, DCAT.accessURL)
        if access is not None:
            res["url"] = str(access)
        fmt = g.value(dist, DCT["format"])
        if fmt is not None:
            text = str(fmt)
            res["format"] = text[len(MDR_FILE_TYPE) :] if text.startswith(MDR_FILE_TYPE) else text
        media = g.value(dist, DCAT.mediaType)
        if media is not None:
            res["mimetype"] = str(media).split("/media-types/", 1)[-1]
        lic = g.value(dist, DCT.license)
        if lic is not None:
            res["license"] = str(lic)
        checksum = g.value(dist, SPDX.checksum)
        if checksum is not None:
            algorithm = g.value(checksum, SPDX.algorithm)
            for code, term in (vocabularies.terms("Gemeente:Checksumalgoritme") or {}).items():
                if algorithm is not None and term.extra.get("uri") == str(algorithm):
                    res["hash_algorithm"] = code
            checksum_value = g.value(checksum, SPDX.checksumValue)
            if checksum_value is not None:
                res["hash"] = str(checksum_value)
