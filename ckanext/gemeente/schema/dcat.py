"""The ckanext-dcat profile ``donl``: DCAT-AP-DONL for the municipal schema.

Use it on top of the European profiles, in this order::

    ckanext.dcat.rdf.profiles = euro_dcat_ap_2 euro_dcat_ap_scheming donl

``euro_dcat_ap_2`` (or ``_3``) serialises and parses the DCAT-AP core (title, description,
keywords, themes, languages, dates, temporal coverage, contact name/e-mail, publisher,
distributions...). This profile adds what DCAT-AP-DONL and the municipal additions need on
top, and corrects the few core triples DCAT-AP-DONL wants in another form (e.g. the file
type as an MDR URI, literal identifiers, value-list concepts described with ``skos``).
See docs/schema.md for the full field → property table.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ckan.plugins import toolkit
from ckanext.dcat.profiles import RDFProfile
from ckanext.dcat.profiles.base import (
    ADMS,
    DCAT,
    DCT,
    FOAF,
    LOCN,
    OWL,
    RDF,
    RDFS,
    SKOS,
    SPDX,
    VCARD,
    XSD,
    CleanedURIRef,
)
from ckanext.dcat.utils import resource_uri
from rdflib import BNode, Literal, Namespace, URIRef
from rdflib.term import Node

from . import vocabularies
from .validators import MDR_FILE_TYPE, as_list

OVERHEID = Namespace("http://standaarden.overheid.nl/owms/terms/")
# DCAT-AP-DONL has not fixed its own namespace yet ("donl: TODO: URI bepalen" in
# dataoverheid/dcat-ap-donl docs/overzicht/namespaces.md); this provisional one is used for
# the three DONL classification flags only.
DONL = Namespace("https://data.overheid.nl/def/donl#")
# Municipal additions of ckanext-gemeente (not part of DCAT-AP-DONL).
GEM = Namespace("urn:ckanext-gemeente:def#")
GEM_CONCEPT = "urn:ckanext-gemeente:"
GSP = Namespace("http://www.opengis.net/ont/geosparql#")

EU_AUTHORITY = "http://publications.europa.eu/resource/authority/"
EU_MDR_AUTHORITY = "http://publications.europa.eu/mdr/authority/"  # as in the DCAT-AP-NL shapes
IANA_MEDIA_TYPES = "https://www.iana.org/assignments/media-types/"
TAXONOMIE = OVERHEID.TaxonomieBeleidsagenda
DONL_ORGANISATIE_SCHEME = URIRef("donl:Organisatie")  # value required by the DCAT-AP-NL shapes
LICENTIE_SCHEME = OVERHEID.Licentie
ADMS_STATUS_SCHEME = URIRef("http://purl.org/adms/status/1.0")
LICENCE_TYPE_UNKNOWN = URIRef("http://purl.org/adms/licencetype/UnknownIPR")
LICENCE_TYPE_SCHEME = URIRef("http://purl.org/adms/licencetype/1.0")
LOCAL_AUTHORITY = URIRef("http://purl.org/adms/publishertype/LocalAuthority")
PUBLISHER_TYPE_SCHEME = URIRef("http://purl.org/adms/publishertype/1.0")
CHANGETYPE = "http://purl.org/adms/changetype/"
CC0 = URIRef("http://creativecommons.org/publicdomain/zero/1.0/deed.nl")
DCAT_AP_DONL = URIRef("https://www.forumstandaardisatie.nl/open-standaarden/dcat-ap-donl")
LANGUAGE_CODES = {"nl": "NLD", "en": "ENG", "fy": "FRY", "de": "DEU"}

BOOL_FIELDS = {
    "high_value": DONL.highValue,
    "basis_register": DONL.basisRegister,
    "referentie_data": DONL.referentieData,
}
GEM_LITERALS = {
    "data_owner": GEM.dataOwner,
    "information_manager": GEM.informationManager,
    "source_system": GEM.sourceSystem,
    "processing_legal_basis": GEM.processingLegalBasis,
}
GEM_CONCEPTS = {  # field -> (predicate, vocabulary, concept prefix)
    "privacy_classification": (
        GEM.privacyClassification,
        "Gemeente:Privacyclassificatie",
        "privacyclassificatie",
    ),
    "update_method": (GEM.updateMethod, "Gemeente:Bijwerkmethode", "bijwerkmethode"),
    "base_registries": (GEM.baseRegistry, "Gemeente:Basisregistratie", "basisregistratie"),
}
LIST_FIELDS = ("language", "theme", "documentation", "conforms_to", "sample", "base_registries")
RESOURCE_LIST_FIELDS = ("language", "conforms_to")

SPATIAL_SCHEMES = {
    "gemeente": URIRef(
        "http://standaarden.overheid.nl/owms/4.0/doc/waardelijsten/overheid.gemeente"
    ),
    "wijk-buurt": URIRef("urn:ckanext-gemeente:geografisch-schema:cbs-wijk-buurt"),
    "postcode": URIRef("urn:ckanext-gemeente:geografisch-schema:postcode"),
    "punt": URIRef("urn:ckanext-gemeente:geografisch-schema:punt"),
}


def _concept(prefix: str, code: str) -> URIRef:
    return URIRef(f"{GEM_CONCEPT}{prefix}:{code}")


def _code(prefix: str, node: Node) -> str:
    text = str(node)
    start = f"{GEM_CONCEPT}{prefix}:"
    return text[len(start) :] if text.startswith(start) else text


def _is_uri(value: Any) -> bool:
    return isinstance(value, str) and bool(re.match(r"^https?://\S+$", value))


class DonlProfile(RDFProfile):
    """DCAT-AP-DONL 1.1 and the municipal additions of ``gemeente_dataset.yaml``."""

    # ------------------------------------------------------------------ helpers

    def _bind(self) -> None:
        for prefix, ns in (
            ("overheid", OVERHEID),
            ("donl", DONL),
            ("gem", GEM),
            ("skos", SKOS),
            ("vcard", VCARD),
            ("spdx", SPDX),
            ("adms", ADMS),
            ("gsp", GSP),
        ):
            self.g.bind(prefix, ns)

    def _labels(self, node: URIRef, vocabulary: str, key: str | None = None) -> None:
        term = (vocabularies.terms(vocabulary) or {}).get(key or str(node))
        if term is not None and (node, SKOS.prefLabel, None) not in self.g:
            # untagged (xsd:string) Dutch label: the DCAT-AP-NL shapes ask for xsd:string
            self.g.add((node, SKOS.prefLabel, Literal(term.label_nl)))
            if term.label_en != term.label_nl:
                self.g.add((node, SKOS.altLabel, Literal(term.label_en, lang="en")))

    def _eu_concept(self, node: Node, vocabulary: str | None = None) -> None:
        """Describe an EU authority-table value as the DCAT-AP and DCAT-AP-NL shapes ask."""
        if not isinstance(node, URIRef) or not str(node).startswith(EU_AUTHORITY):
            return
        table = str(node)[len(EU_AUTHORITY) :].split("/", 1)[0]
        self.g.add((node, RDF.type, SKOS.Concept))
        self.g.add((node, SKOS.inScheme, URIRef(EU_AUTHORITY + table)))
        self.g.add((node, SKOS.inScheme, URIRef(f"{EU_MDR_AUTHORITY}{table}/")))
        if table == "frequency":
            self.g.add((node, SKOS.inScheme, URIRef(f"{EU_MDR_AUTHORITY}{table}")))
        if vocabulary:
            self._labels(node, vocabulary)

    def _organisation(self, node: URIRef) -> None:
        self.g.add((node, RDF.type, FOAF.Agent))
        self.g.add((node, SKOS.inScheme, DONL_ORGANISATIE_SCHEME))
        term = (vocabularies.terms("DONL:Organization") or {}).get(str(node))
        if term is not None:
            self._replace(node, FOAF.name, Literal(term.label_nl))
        elif (node, FOAF.name, None) not in self.g:
            name = toolkit.config.get("ckanext.gemeente.municipality_name") or str(node)
            self.g.add((node, FOAF.name, Literal(name)))
        municipality = toolkit.config.get("ckanext.gemeente.municipality_uri")
        if "/tooi/id/gemeente/" in str(node) or str(node) == municipality:
            self.g.add((node, DCT.type, LOCAL_AUTHORITY))
            self.g.add((LOCAL_AUTHORITY, RDF.type, SKOS.Concept))
            self.g.add((LOCAL_AUTHORITY, SKOS.inScheme, PUBLISHER_TYPE_SCHEME))
            self.g.add(
                (LOCAL_AUTHORITY, SKOS.inScheme, URIRef("http://purl.org/adms/publishertype/"))
            )
            self._scheme(PUBLISHER_TYPE_SCHEME, "ADMS publisher type")
            self._scheme(URIRef("http://purl.org/adms/publishertype/"), "ADMS publisher type")
            self.g.add((LOCAL_AUTHORITY, SKOS.prefLabel, Literal("Lokaal bestuur")))

    def _scheme(self, node: URIRef, title: str) -> None:
        self.g.add((node, RDF.type, SKOS.ConceptScheme))
        if (node, DCT.title, None) not in self.g:
            self.g.add((node, DCT.title, Literal(title)))

    def _license(self, subject: Node, value: str) -> None:
        node = URIRef(value)
        self.g.add((subject, DCT.license, node))
        self.g.add((node, RDF.type, DCT.LicenseDocument))
        self.g.add((node, SKOS.inScheme, LICENTIE_SCHEME))
        if (node, DCT.type, None) not in self.g:
            self.g.add((node, DCT.type, LICENCE_TYPE_UNKNOWN))
        self.g.add((LICENCE_TYPE_UNKNOWN, RDF.type, SKOS.Concept))
        self.g.add((LICENCE_TYPE_UNKNOWN, SKOS.inScheme, LICENCE_TYPE_SCHEME))
        self.g.add((LICENCE_TYPE_UNKNOWN, SKOS.prefLabel, Literal("Onbekend")))
        self._labels(node, "DONL:License")

    def _restore_uris(self, dataset_dict: dict[str, Any]) -> None:
        """Undo the percent-encoding of ``()``, ``'`` etc. that the core profiles apply:
        value-list URIs such as ``…/owms/terms/Afval_(thema)`` must stay exactly as listed."""
        values: set[str] = set()
        for d in [dataset_dict, *dataset_dict.get("resources", [])]:
            for value in d.values():
                for item in value if isinstance(value, list) else [value]:
                    if _is_uri(item):
                        values.add(item.strip())
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

    def _replace(self, subject: Node, predicate: URIRef, obj: Node | None) -> None:
        self.g.remove((subject, predicate, None))
        if obj is not None:
            self.g.add((subject, predicate, obj))

    # ------------------------------------------------------------------ serialise

    def graph_from_dataset(self, dataset_dict: dict[str, Any], dataset_ref: Node) -> None:
        g = self.g
        self._bind()
        get = dataset_dict.get
        self._restore_uris(dataset_dict)

        # identifier: a literal (DCAT-AP range, DCAT-AP-NL datatype xsd:string)
        if get("identifier"):
            self._replace(dataset_ref, DCT.identifier, Literal(str(get("identifier"))))

        # authority (registratiehouder) and publisher (verstrekker)
        if _is_uri(get("authority")):
            node = URIRef(get("authority"))
            g.add((dataset_ref, OVERHEID.authority, node))
            self._organisation(node)
        for publisher in list(g.objects(dataset_ref, DCT.publisher)):
            if isinstance(publisher, URIRef):
                self._organisation(publisher)

        # contact point: e-mail as literal, phone and web page
        contacts = list(g.objects(dataset_ref, DCAT.contactPoint))
        if not contacts and get("contact_name"):
            contact = BNode()
            g.add((dataset_ref, DCAT.contactPoint, contact))
            g.add((contact, RDF.type, VCARD.Organization))
            g.add((contact, VCARD.fn, Literal(get("contact_name"))))
            contacts = [contact]
        for contact in contacts:
            g.add((contact, RDF.type, VCARD.Kind))
            if get("contact_email"):
                self._replace(contact, VCARD.hasEmail, Literal(get("contact_email")))
            if get("contact_phone"):
                self._replace(contact, VCARD.hasTelephone, Literal(get("contact_phone")))
            if get("contact_url"):
                self._replace(contact, VCARD.hasURL, URIRef(get("contact_url")))

        # licence on the dataset (DCAT-AP-DONL: 1..1)
        if _is_uri(get("license_id")):
            self._license(dataset_ref, get("license_id"))

        # value-list concepts
        for theme in g.objects(dataset_ref, DCAT.theme):
            if isinstance(theme, URIRef):
                g.add((theme, RDF.type, SKOS.Concept))
                g.add((theme, SKOS.inScheme, TAXONOMIE))
                self._labels(theme, "Overheid:TaxonomieBeleidsagenda")
        for lang in g.objects(dataset_ref, DCT.language):
            self._eu_concept(lang, "DONL:Language")
        for freq in g.objects(dataset_ref, DCT.accrualPeriodicity):
            self._eu_concept(freq, "Overheid:Frequency")
        for rights in g.objects(dataset_ref, DCT.accessRights):
            self._eu_concept(rights, "Overheid:Openbaarheidsniveau")
            g.add((rights, RDF.type, DCT.RightsStatement))

        # status
        if _is_uri(get("dataset_status")):
            node = URIRef(get("dataset_status"))
            g.add((dataset_ref, ADMS.status, node))
            g.add((node, RDF.type, SKOS.Concept))
            self._labels(node, "Overheid:DatasetStatus")

        # classification flags
        for field, predicate in BOOL_FIELDS.items():
            value = get(field)
            if value not in (None, ""):
                flag = value is True or str(value).lower() in ("true", "1", "ja", "yes")
                g.add((dataset_ref, predicate, Literal(flag, datatype=XSD.boolean)))

        # legal foundation (overheid:grondslag -> overheid:Regeling)
        if (
            get("legal_foundation_label")
            or get("legal_foundation_uri")
            or get("legal_foundation_ref")
        ):
            regeling = BNode()
            g.add((dataset_ref, OVERHEID.grondslag, regeling))
            g.add((regeling, RDF.type, OVERHEID.Regeling))
            if get("legal_foundation_label"):
                g.add((regeling, RDFS.label, Literal(get("legal_foundation_label"))))
            if get("legal_foundation_ref"):
                g.add((regeling, DCT.identifier, Literal(get("legal_foundation_ref"))))
            if _is_uri(get("legal_foundation_uri")):
                page = URIRef(get("legal_foundation_uri"))
                g.add((regeling, FOAF.isPrimaryTopicOf, page))
                g.add((page, RDF.type, FOAF.Document))

        # sample distributions must have an access URL (DCAT-AP)
        for sample in g.objects(dataset_ref, ADMS.sample):
            if isinstance(sample, URIRef):
                g.add((sample, DCAT.accessURL, sample))
                g.add((sample, RDF.type, RDFS.Resource))
                g.add((sample, DCT.description, Literal(f"Voorbeeld: {get('title') or ''}")))
                if _is_uri(get("license_id")):
                    self._license(sample, get("license_id"))
                ext = str(sample).rsplit(".", 1)[-1].upper()
                if MDR_FILE_TYPE + ext in (vocabularies.terms("MDR:Filetype") or {}):
                    fmt = URIRef(MDR_FILE_TYPE + ext)
                    g.add((sample, DCT["format"], fmt))
                    g.add((fmt, RDF.type, DCT.MediaTypeOrExtent))
                    self._eu_concept(fmt, "MDR:Filetype")

        # spatial coverage
        for item in self._geo_items(get("geo_coverage")):
            self._add_geo(dataset_ref, item)

        # metadata language, on the catalogue record (DCAT-AP-NL)
        if isinstance(dataset_ref, URIRef) and _is_uri(get("metadata_language")):
            record = URIRef(f"{dataset_ref}#catalogusrecord")
            g.add((record, RDF.type, DCAT.CatalogRecord))
            g.add((record, FOAF.primaryTopic, dataset_ref))
            lang = URIRef(get("metadata_language"))
            g.add((record, DCT.language, lang))
            self._eu_concept(lang, "DONL:Language")
            g.add((record, DCT.identifier, Literal(str(get("id") or get("name") or ""))))
            modified = str(get("metadata_modified") or get("modified") or "")[:10]
            if modified:
                g.add((record, DCT.modified, Literal(modified, datatype=XSD.date)))
            created = str(get("metadata_created") or "")[:10]
            if created:
                g.add((record, DCT.issued, Literal(created, datatype=XSD.date)))
            change = "created" if get("metadata_created") == get("metadata_modified") else "updated"
            change_ref = URIRef(CHANGETYPE + change)
            g.add((record, ADMS.status, change_ref))
            g.add((change_ref, RDF.type, SKOS.Concept))
            g.add((change_ref, SKOS.inScheme, URIRef(CHANGETYPE + "1.0")))
            g.add(
                (
                    change_ref,
                    SKOS.prefLabel,
                    Literal("Aangemaakt" if change == "created" else "Gewijzigd"),
                )
            )
            g.add((record, DCT.conformsTo, DCAT_AP_DONL))
            g.add((DCAT_AP_DONL, RDF.type, DCT.Standard))
            g.add((DCAT_AP_DONL, RDF.type, RDFS.Resource))

        # municipal additions
        for field, predicate in GEM_LITERALS.items():
            if get(field):
                g.add((dataset_ref, predicate, Literal(str(get(field)))))
        for field, (predicate, vocab, prefix) in GEM_CONCEPTS.items():
            for code in as_list(get(field)):
                node = _concept(prefix, code)
                g.add((dataset_ref, predicate, node))
                g.add((node, RDF.type, SKOS.Concept))
                g.add((node, SKOS.notation, Literal(code)))
                self._labels(node, vocab, code)
        if _is_uri(get("harvest_source")):
            g.add((dataset_ref, GEM.harvestSource, URIRef(get("harvest_source"))))
        org = get("organization") or {}
        if isinstance(org, dict) and org.get("name"):
            site = (toolkit.config.get("ckan.site_url") or "").rstrip("/")
            dept = URIRef(f"{site}/organization/{org['name']}")
            g.add((dataset_ref, GEM.department, dept))
            g.add((dept, RDF.type, FOAF.Organization))
            g.add((dept, FOAF.name, Literal(org.get("title") or org["name"])))

        for resource in dataset_dict.get("resources", []):
            self._distribution(dataset_dict, resource)

    def _distribution(self, dataset_dict: dict[str, Any], res: dict[str, Any]) -> None:
        g = self.g
        dist = CleanedURIRef(resource_uri(res))
        if res.get("url") and (dist, DCAT.accessURL, None) not in g:
            g.add((dist, DCAT.accessURL, URIRef(res["url"])))

        fmt = res.get("format")
        if fmt:
            self._replace(dist, DCT["format"], None)
            code = str(fmt).upper()
            node = URIRef(code if code.startswith("HTTP") else MDR_FILE_TYPE + code)
            if str(fmt).startswith("http"):
                node = URIRef(str(fmt))
            g.add((dist, DCT["format"], node))
            g.add((node, RDF.type, DCT.MediaTypeOrExtent))
            self._eu_concept(node, "MDR:Filetype")
        mimetype = res.get("mimetype")
        if mimetype:
            self._replace(dist, DCAT.mediaType, None)
            node = URIRef(
                mimetype if str(mimetype).startswith("http") else IANA_MEDIA_TYPES + mimetype
            )
            g.add((dist, DCAT.mediaType, node))
            g.add((node, RDF.type, DCT.MediaType))
            g.add((node, RDF.type, DCT.MediaTypeOrExtent))
            g.add(
                (
                    node,
                    SKOS.inScheme,
                    URIRef("http://www.iana.org/assignments/media-types/media-types.xhtml"),
                )
            )

        license_uri = res.get("license") or dataset_dict.get("license_id")
        if _is_uri(license_uri):
            self._replace(dist, DCT.license, None)
            self._license(dist, license_uri)

        for lang in g.objects(dist, DCT.language):
            self._eu_concept(lang, "DONL:Language")
        for status in g.objects(dist, ADMS.status):
            if isinstance(status, URIRef):
                g.add((status, RDF.type, SKOS.Concept))
                g.add((status, SKOS.inScheme, ADMS_STATUS_SCHEME))
                self._scheme(ADMS_STATUS_SCHEME, "ADMS status")
                self._labels(status, "ADMS:Distributiestatus")

        algorithm = res.get("hash_algorithm")
        term = (vocabularies.terms("Gemeente:Checksumalgoritme") or {}).get(str(algorithm))
        if algorithm and term is not None and term.extra.get("uri"):
            node = URIRef(term.extra["uri"])
            for checksum in g.objects(dist, SPDX.checksum):
                self._replace(checksum, SPDX.algorithm, node)
            g.add((node, RDF.type, SPDX.ChecksumAlgorithm))
            g.add((node, RDF.type, OWL.Individual))

    @staticmethod
    def _geo_items(value: Any) -> list[dict[str, str]]:
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                return []
        return [i for i in value or [] if isinstance(i, dict) and i.get("value")]

    def _add_geo(self, dataset_ref: Node, item: dict[str, str]) -> None:
        g = self.g
        scheme, value = item.get("scheme") or "", str(item["value"])
        scheme_ref = SPATIAL_SCHEMES.get(scheme)
        if scheme == "gemeente" and _is_uri(value):
            node: Node = URIRef(value)
            self._labels(node, "Overheid:Gemeente")  # type: ignore[arg-type]
        else:
            node = BNode()
            if scheme == "punt":
                g.add((node, LOCN.geometry, Literal(value, datatype=GSP.wktLiteral)))
                g.add((node, DCAT.centroid, Literal(value, datatype=GSP.wktLiteral)))
            else:
                g.add((node, SKOS.notation, Literal(value)))
        g.add((dataset_ref, DCT.spatial, node))
        g.add((node, RDF.type, DCT.Location))
        if scheme_ref is not None:
            g.add((node, SKOS.inScheme, scheme_ref))

    # ------------------------------------------------------------------ parse

    def parse_dataset(self, dataset_dict: dict[str, Any], dataset_ref: Node) -> dict[str, Any]:
        g = self.g
        value = self._object_value

        # drop what the European profiles parsed into keys this schema does not have
        for key in ("publisher", "creator", "contact", "spatial_coverage", "qualified_relation"):
            dataset_dict.pop(key, None)
        drop_extras = re.compile(
            r"^(publisher_(?!uri$)|creator_|contact_uri$|contact_identifier$|spatial"
            r"|dcat_type$)"
        )
        dataset_dict["extras"] = [
            e for e in dataset_dict.get("extras", []) if not drop_extras.match(e["key"])
        ]

        identifier = value(dataset_ref, DCT.identifier)
        if identifier:
            dataset_dict["identifier"] = identifier
        authority = g.value(dataset_ref, OVERHEID.authority)
        if authority is not None:
            dataset_dict["authority"] = str(authority)
        publisher = g.value(dataset_ref, DCT.publisher)
        if isinstance(publisher, URIRef):
            dataset_dict["publisher_uri"] = str(publisher)

        contact = g.value(dataset_ref, DCAT.contactPoint)
        if contact is not None:
            for field, predicate in (
                ("contact_name", VCARD.fn),
                ("contact_phone", VCARD.hasTelephone),
                ("contact_url", VCARD.hasURL),
            ):
                found = value(contact, predicate)
                if found:
                    dataset_dict[field] = found
            email = value(contact, VCARD.hasEmail)
            if email:
                dataset_dict["contact_email"] = re.sub(r"^mailto:", "", email)

        lic = g.value(dataset_ref, DCT.license)
        if lic is None:
            for dist in g.objects(dataset_ref, DCAT.distribution):
                lic = g.value(dist, DCT.license)
                if lic is not None:
                    break
        if lic is not None:
            dataset_dict["license_id"] = str(lic)

        status = g.value(dataset_ref, ADMS.status)
        if status is not None:
            dataset_dict["dataset_status"] = str(status)
        rights = g.value(dataset_ref, DCT.accessRights)
        if isinstance(rights, URIRef):
            dataset_dict["access_rights"] = str(rights)

        for field, predicate in BOOL_FIELDS.items():
            flag = g.value(dataset_ref, predicate)
            if flag is not None:
                dataset_dict[field] = "True" if flag.toPython() is True else "False"

        regeling = g.value(dataset_ref, OVERHEID.grondslag)
        if regeling is not None:
            for field, predicate in (
                ("legal_foundation_label", RDFS.label),
                ("legal_foundation_ref", DCT.identifier),
                ("legal_foundation_uri", FOAF.isPrimaryTopicOf),
            ):
                found = value(regeling, predicate)
                if found:
                    dataset_dict[field] = found

        provenance = g.value(dataset_ref, DCT.provenance)
        if provenance is not None:
            label = value(provenance, RDFS.label) if isinstance(provenance, BNode) else None
            dataset_dict["provenance"] = label or str(provenance)

        geo = []
        for node in g.objects(dataset_ref, DCT.spatial):
            schemes = {str(s) for s in g.objects(node, SKOS.inScheme)}
            scheme = next((k for k, v in SPATIAL_SCHEMES.items() if str(v) in schemes), "")
            geometry = value(node, LOCN.geometry)
            notation = value(node, SKOS.notation)
            if scheme == "punt" and geometry:
                geo.append({"scheme": "punt", "value": geometry})
            elif notation:
                geo.append({"scheme": scheme, "value": notation})
            elif isinstance(node, URIRef):
                geo.append({"scheme": scheme or "gemeente", "value": str(node)})
        if geo:
            dataset_dict["geo_coverage"] = geo

        for record in g.subjects(FOAF.primaryTopic, dataset_ref):
            lang = g.value(record, DCT.language)
            if lang is not None:
                dataset_dict["metadata_language"] = str(lang)
        if "metadata_language" not in dataset_dict:
            # no catalogue record: the metadata is in the (first) language of the dataset
            first = as_list(dataset_dict.get("language"))
            if first:
                dataset_dict["metadata_language"] = first[0]

        for field, predicate in GEM_LITERALS.items():
            found = value(dataset_ref, predicate)
            if found:
                dataset_dict[field] = found
        for field, (predicate, _vocab, prefix) in GEM_CONCEPTS.items():
            codes = sorted(_code(prefix, n) for n in g.objects(dataset_ref, predicate))
            if codes:
                dataset_dict[field] = codes if field == "base_registries" else codes[0]
        harvest = g.value(dataset_ref, GEM.harvestSource)
        if harvest is not None:
            dataset_dict["harvest_source"] = str(harvest)
        if "update_method" not in dataset_dict:
            # a feed without the municipal additions (e.g. another DCAT-AP-DONL catalogue):
            # the dataset is harvested, and its source is the dataset's own URI there
            dataset_dict["update_method"] = "geharvest"
            if isinstance(dataset_ref, URIRef) and "harvest_source" not in dataset_dict:
                dataset_dict["harvest_source"] = str(dataset_ref)

        for field in LIST_FIELDS:
            if field in dataset_dict:
                dataset_dict[field] = as_list(dataset_dict[field])
        dataset_dict["extras"] = [
            e
            for e in dataset_dict.get("extras", [])
            if e["key"] not in dataset_dict and e["key"] not in LIST_FIELDS
        ]

        for res in dataset_dict.get("resources", []):
            self._parse_distribution(res)
        return dataset_dict

    def _parse_distribution(self, res: dict[str, Any]) -> None:
        g = self.g
        ref = res.get("distribution_ref")
        if not ref:
            return
        dist = URIRef(ref) if not ref.startswith("_:") else None
        if dist is None:
            for d in g.subjects(RDF.type, DCAT.Distribution):
                if str(d) == ref:
                    dist = d
                    break
        if dist is None:
            return
        access = g.value(dist, DCAT.accessURL)
        if access is not None:
            res["url"] = str(access)
        fmt = g.value(dist, DCT["format"])
        if fmt is not None:
            text = str(fmt)
            res["format"] = text[len(MDR_FILE_TYPE) :] if text.startswith(MDR_FILE_TYPE) else text
        media = g.value(dist, DCAT.mediaType)
        if media is not None:
            text = str(media)
            res["mimetype"] = text.split("/media-types/", 1)[-1]
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
        for field in RESOURCE_LIST_FIELDS:
            if field in res:
                res[field] = as_list(res[field])
        res.pop("access_url", None)

    # ------------------------------------------------------------------ catalog

    def graph_from_catalog(self, catalog_dict: dict[str, Any], catalog_ref: Node) -> None:
        g = self.g
        self._bind()
        municipality = toolkit.config.get("ckanext.gemeente.municipality_uri")
        if _is_uri(municipality) and (catalog_ref, DCT.publisher, None) not in g:
            node = URIRef(municipality)
            g.add((catalog_ref, DCT.publisher, node))
            self._organisation(node)
        municipality_name = toolkit.config.get("ckanext.gemeente.municipality_name") or ""
        if (catalog_ref, DCT.description, None) not in g:
            description = toolkit.config.get("ckan.site_description") or (
                f"Open data van {municipality_name}".strip()
            )
            g.add((catalog_ref, DCT.description, Literal(description)))
        for homepage in g.objects(catalog_ref, FOAF.homepage):
            g.add((homepage, RDF.type, FOAF.Document))
        for lang in list(g.objects(catalog_ref, DCT.language)):
            if isinstance(lang, Literal):
                g.remove((catalog_ref, DCT.language, lang))
                code = LANGUAGE_CODES.get(str(lang)[:2].lower())
                if code:
                    g.add((catalog_ref, DCT.language, URIRef(f"{EU_AUTHORITY}language/{code}")))
        if (catalog_ref, DCT.license, None) not in g:
            self._license(catalog_ref, str(CC0))
        if _is_uri(municipality) and (catalog_ref, DCT.spatial, None) not in g:
            g.add((catalog_ref, DCT.spatial, URIRef(municipality)))
            g.add((URIRef(municipality), RDF.type, DCT.Location))
        if (catalog_ref, DCT.issued, None) not in g:
            first = toolkit.get_action("package_search")(
                {"ignore_auth": True}, {"sort": "metadata_created asc", "rows": 1}
            )
            if first.get("results"):
                self._add_date_triple(
                    catalog_ref, DCT.issued, first["results"][0]["metadata_created"][:10]
                )
        g.add((catalog_ref, DCAT.themeTaxonomy, TAXONOMIE))
        self._scheme(TAXONOMIE, "TaxonomieBeleidsagenda")
        for modified in list(g.objects(catalog_ref, DCT.modified)):  # DCAT-AP-NL: xsd:date
            g.remove((catalog_ref, DCT.modified, modified))
            g.add((catalog_ref, DCT.modified, Literal(str(modified)[:10], datatype=XSD.date)))
        if (catalog_ref, DCT.language, None) not in g:
            g.add((catalog_ref, DCT.language, URIRef(EU_AUTHORITY + "language/NLD")))
        for lang in g.objects(catalog_ref, DCT.language):
            self._eu_concept(lang, "DONL:Language")
            g.add((lang, RDF.type, DCT.LinguisticSystem))
