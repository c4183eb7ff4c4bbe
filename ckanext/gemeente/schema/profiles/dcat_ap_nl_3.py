"""The ckanext-dcat profile ``dcat_ap_nl_3``: DCAT-AP-NL 3.0 for the municipal schema.

DCAT-AP-NL 3.0 (Geonovum, adopted 2024-12-12) is DCAT-AP 3.0 with Dutch rules: a creator
and a contact point on every dataset, one contact point on the catalogue, a language on the
catalogue record, the EU authority tables for theme, language, frequency, access rights,
file type, dataset and distribution status, TOOI (or another national list) for
organisations, and the high-value-dataset (HVD) properties ``dcatap:applicableLegislation``
and ``dcatap:hvdCategory``.

The profile is ckanext-dcat's ``euro_dcat_ap_3`` (which includes its scheming support) plus
what DCAT-AP-NL 3.0 needs on top, so it is used alone (``?profiles=dcat_ap_nl_3``) or with
the municipal additions (``ckanext.dcat.rdf.profiles = dcat_ap_nl_3 gemeente``); do not list
``euro_dcat_ap_3`` beside it. Serialising and parsing are each other's inverse for every
national field of ``gemeente_dataset.yaml`` (the test proves it in Turtle, RDF/XML and
JSON-LD). Field -> property mapping: docs/schema.md.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from typing import Any

from ckan.plugins import toolkit
from ckanext.dcat.profiles.base import CleanedURIRef
from ckanext.dcat.profiles.euro_dcat_ap_3 import EuropeanDCATAP3Profile
from ckanext.dcat.utils import resource_uri
from geomet import wkt as geomet_wkt
from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from .. import fields, vocabularies
from . import (
    ADMS,
    CC0,
    CHANGETYPE,
    DCAT,
    DCATAP,
    DCT,
    ELI,
    EU_AUTHORITY,
    FOAF,
    GSP,
    IANA_MEDIA_TYPES,
    LICENCE_TYPE_SCHEME,
    LICENCE_TYPE_UNKNOWN,
    LOCAL_AUTHORITY,
    LOCN,
    MDR_FILE_TYPE,
    OVERHEID,
    PUBLISHER_TYPE_SCHEME,
    RDF,
    RDFS,
    SKOS,
    SPDX,
    TAXONOMIE,
    TOOI_GEMEENTE,
    VCARD,
    ConceptGraph,
    SharedParts,
    SpatialGraph,
    geo_items,
)

DCAT_AP_NL_3 = URIRef("https://docs.geostandaarden.nl/dcat/dcat-ap-nl30/")
DATA_THEME = URIRef(EU_AUTHORITY + "data-theme")
HVD_LEGISLATION = URIRef("http://data.europa.eu/eli/reg_impl/2023/138/oj")
HVD_CATEGORY_SCHEME = URIRef("http://data.europa.eu/bna/asd487ae75")
IANA_REGISTRY = URIRef("https://www.iana.org/assignments/media-types/media-types.xhtml")

# DONL dataset status -> EU dataset status (DCAT-AP-NL: adms:status from the EU list); the
# exact DONL value travels in the `gemeente` profile (gem:datasetStatus)
DATASET_STATUS = {
    "http://data.overheid.nl/status/beschikbaar": "COMPLETED",
    "http://data.overheid.nl/status/in_onderzoek": "DEVELOP",
    "http://data.overheid.nl/status/gepland": "DEVELOP",
    "http://data.overheid.nl/status/niet_beschikbaar": "WITHDRAWN",
}
DATASET_STATUS_BACK = {
    "COMPLETED": "http://data.overheid.nl/status/beschikbaar",
    "DEVELOP": "http://data.overheid.nl/status/in_onderzoek",
    "DEPRECATED": "http://data.overheid.nl/status/niet_beschikbaar",
    "WITHDRAWN": "http://data.overheid.nl/status/niet_beschikbaar",
}
# ADMS distribution status (the schema's list) <-> EU distribution status (one to one)
DISTRIBUTION_STATUS = {
    "http://purl.org/adms/status/Completed": "COMPLETED",
    "http://purl.org/adms/status/Deprecated": "DEPRECATED",
    "http://purl.org/adms/status/UnderDevelopment": "DEVELOP",
    "http://purl.org/adms/status/Withdrawn": "WITHDRAWN",
}
# TaxonomieBeleidsagenda -> EU data theme (DCAT-AP-NL: dcat:theme from the EU list; the
# Dutch theme is kept beside it). A theme missing here gets the EU theme of the term's
# `data_theme` in the value list, if the list has one.
DATA_THEMES = {
    "Bestuur": "GOVE", "Gemeenten": "GOVE", "Cultuur_en_recreatie": "EDUC",
    "Economie": "ECON", "Financien": "ECON", "Huisvesting_(thema)": "SOCI",
    "Internationaal": "INTR", "Landbouw": "AGRI", "Migratie_en_integratie": "SOCI",
    "Natuur_en_milieu": "ENVI", "Afval_(thema)": "ENVI", "Energie": "ENER",
    "Onderwijs_en_wetenschap": "EDUC", "Openbare_orde_en_veiligheid": "JUST", "Recht": "JUST",
    "Ruimte_en_infrastructuur": "REGI", "Ruimtelijke_ordening": "REGI",
    "Verkeer_(thema)": "TRAN", "Sociale_zekerheid": "SOCI", "Werk_(thema)": "ECON",
    "Zorg_en_gezondheid": "HEAL",
}  # fmt: skip
# EU data theme -> TaxonomieBeleidsagenda, for feeds that carry EU themes only
DATA_THEMES_BACK = {
    "GOVE": "Bestuur", "EDUC": "Cultuur_en_recreatie", "ECON": "Economie",
    "SOCI": "Sociale_zekerheid", "INTR": "Internationaal", "AGRI": "Landbouw",
    "ENVI": "Natuur_en_milieu", "ENER": "Natuur_en_milieu", "JUST": "Openbare_orde_en_veiligheid",
    "REGI": "Ruimte_en_infrastructuur", "TRAN": "Verkeer_(thema)", "HEAL": "Zorg_en_gezondheid",
    "TECH": "Economie",
}  # fmt: skip
# resource formats served by an API: the distribution gets a dcat:DataService
SERVICE_STANDARDS = {
    "WMS_SRVC": ("WMS", "http://www.opengis.net/def/serviceType/ogc/wms"),
    "WFS_SRVC": ("WFS", "http://www.opengis.net/def/serviceType/ogc/wfs"),
    "WCS_SRVC": ("WCS", "http://www.opengis.net/def/serviceType/ogc/wcs"),
    "WMTS_SRVC": ("WMTS", "http://www.opengis.net/def/serviceType/ogc/wmts"),
    "REST": ("", ""),
    "SPARQLQ": ("", "https://www.w3.org/TR/sparql11-protocol/"),
}
# keys the core profiles parse into that this schema keeps elsewhere (or not at all)
CORE_KEYS = ("publisher", "creator", "contact", "spatial_coverage", "qualified_relation")
CORE_EXTRAS = re.compile(
    r"^(publisher_(?!uri$)|creator_|contact_uri$|contact_identifier$|spatial|dcat_type$"
    r"|access_services$|applicable_legislation$|hvd_category$)"
)

PREFIXES = (
    ("overheid", OVERHEID),
    ("skos", SKOS),
    ("vcard", VCARD),
    ("spdx", SPDX),
    ("adms", ADMS),
    ("gsp", GSP),
    ("eli", ELI),
    ("dcatap", DCATAP),
    ("locn", LOCN),
)


def _tail(uri: Any) -> str:
    return re.split(r"[/#]", str(uri).rstrip("/"))[-1]


class DcatApNl3Profile(ConceptGraph, SpatialGraph, SharedParts, EuropeanDCATAP3Profile):
    """DCAT-AP-NL 3.0 on ckanext-dcat's DCAT-AP 3 profile."""

    # ------------------------------------------------------------------ helpers

    def _bind(self) -> None:
        self._bind_once(PREFIXES)

    def _eu(self, table: str, code: str) -> URIRef:
        return URIRef(f"{EU_AUTHORITY}{table}/{code}")

    def _eu_concept(self, node: Node, vocabulary: str = "", cls: URIRef | None = None) -> None:
        """An EU authority-table value as a labelled ``skos:Concept`` of its table."""
        if not isinstance(node, URIRef) or not str(node).startswith(EU_AUTHORITY):
            return
        if not self._first_time((node, cls)):  # already done in this graph
            return
        if (node, RDF.type, SKOS.Concept) in self.g and (
            cls is None or (node, RDF.type, cls) in self.g
        ):
            return
        table = str(node)[len(EU_AUTHORITY) :].split("/", 1)[0]
        self._concept(node, URIRef(EU_AUTHORITY + table), vocabulary, _tail(node))
        if cls is not None:
            self.g.add((node, RDF.type, cls))

    def _agent(self, node: URIRef) -> None:
        """An organisation (TOOI or DONL:Organization URI) as a named ``foaf:Agent``."""
        g = self.g
        if not self._first_time(node):
            return
        g.add((node, RDF.type, FOAF.Agent))
        if (node, FOAF.name, None) in g:
            return
        term = (vocabularies.terms("DONL:Organization") or {}).get(str(node))
        municipality = toolkit.config.get("ckanext.gemeente.municipality_uri")
        if term is not None:
            name = term.label_nl
        elif str(node) == municipality:
            name = toolkit.config.get("ckanext.gemeente.municipality_name") or _tail(node)
        else:
            name = _tail(node)
        g.add((node, FOAF.name, Literal(name)))
        if str(node).startswith(TOOI_GEMEENTE) or str(node) == municipality:
            g.add((node, DCT.type, LOCAL_AUTHORITY))
            self._concept(LOCAL_AUTHORITY, PUBLISHER_TYPE_SCHEME, label="Lokaal bestuur")
            self._scheme(PUBLISHER_TYPE_SCHEME, "ADMS publisher type")

    def _add_license(self, subject: Node, value: str) -> None:
        node = URIRef(value)
        g = self.g
        self._replace(subject, DCT.license, node)
        if not self._first_time(node):
            return
        g.add((node, RDF.type, DCT.LicenseDocument))
        if (node, DCT.type, None) not in g:
            g.add((node, DCT.type, LICENCE_TYPE_UNKNOWN))
            self._concept(LICENCE_TYPE_UNKNOWN, LICENCE_TYPE_SCHEME, label="Onbekend")
            self._scheme(LICENCE_TYPE_SCHEME, "ADMS licence type")
        if (node, RDFS.label, None) not in g:
            term = (vocabularies.terms("DONL:License") or {}).get(value)
            if term is not None:
                g.add((node, RDFS.label, Literal(term.label_nl)))

    def _catalogs(self) -> list[Node]:
        return list(self.g.subjects(RDF.type, DCAT.Catalog))

    # ------------------------------------------------------------------ serialise

    def graph_from_dataset(self, dataset_dict: dict[str, Any], dataset_ref: Node) -> None:
        super().graph_from_dataset(dataset_dict, dataset_ref)
        g = self.g
        self._bind()
        self._restore_uris(dataset_dict)
        get = dataset_dict.get

        if get("identifier"):  # a literal (DCAT-AP 3: rdfs:Literal)
            self._replace(dataset_ref, DCT.identifier, Literal(str(get("identifier"))))

        # publisher (verstrekker) and creator (registratiehouder)
        self.g.remove((dataset_ref, DCT.publisher, None))
        self.g.remove((dataset_ref, DCT.creator, None))
        for key, predicate in (("publisher_uri", DCT.publisher), ("authority", DCT.creator)):
            if fields.is_uri(get(key)):
                node = URIRef(get(key))
                g.add((dataset_ref, predicate, node))
                self._agent(node)

        contact = self._contact(dataset_dict, dataset_ref)

        if fields.is_uri(get("license_id")):  # the dataset's licence (default of its files)
            self._add_license(dataset_ref, get("license_id"))

        # themes: the TaxonomieBeleidsagenda concept and the EU data theme
        taxonomy = vocabularies.terms("Overheid:TaxonomieBeleidsagenda") or {}
        for theme in list(g.objects(dataset_ref, DCAT.theme)):
            if not isinstance(theme, URIRef):
                continue
            self._concept(theme, TAXONOMIE, "Overheid:TaxonomieBeleidsagenda", _tail(theme))
            term = taxonomy.get(str(theme))
            code = DATA_THEMES.get(_tail(theme)) or (term.extra.get("data_theme") if term else "")
            if code:
                eu = self._eu("data-theme", str(code))
                g.add((dataset_ref, DCAT.theme, eu))
                self._eu_concept(eu)

        for lang in g.objects(dataset_ref, DCT.language):
            self._eu_concept(lang, "DONL:Language", DCT.LinguisticSystem)
        for freq in g.objects(dataset_ref, DCT.accrualPeriodicity):
            self._eu_concept(freq, "Overheid:Frequency", DCT.Frequency)
        for rights in g.objects(dataset_ref, DCT.accessRights):
            self._eu_concept(rights, "Overheid:Openbaarheidsniveau", DCT.RightsStatement)

        status = DATASET_STATUS.get(str(get("dataset_status") or ""))
        self._replace(dataset_ref, ADMS.status, None)
        if status:
            node = self._eu("dataset-status", status)
            g.add((dataset_ref, ADMS.status, node))
            self._eu_concept(node)

        # legal foundation and the HVD regulation: dcatap:applicableLegislation
        self._replace(dataset_ref, DCATAP.applicableLegislation, None)
        self._add_legal_foundation(
            dataset_dict, dataset_ref, DCATAP.applicableLegislation, ELI.LegalResource, FOAF.page
        )
        hvd = bool(fields.as_bool(get("high_value")))
        if hvd:
            g.add((dataset_ref, DCATAP.applicableLegislation, HVD_LEGISLATION))
            g.add((HVD_LEGISLATION, RDF.type, ELI.LegalResource))
            for category in fields.as_list(get("hvd_category")):
                node = URIRef(category)
                g.add((dataset_ref, DCATAP.hvdCategory, node))
                label = self._choice_label("hvd_category", category)
                self._concept(node, HVD_CATEGORY_SCHEME, label=label or _tail(node))
            self._scheme(HVD_CATEGORY_SCHEME, "High-value dataset categories")

        # a sample is a file (a distribution): access and download URL, licence, language
        # and standard of its dataset
        for sample in g.objects(dataset_ref, ADMS.sample):
            if isinstance(sample, URIRef):
                g.add((sample, RDF.type, DCAT.Distribution))
                g.add((sample, DCAT.accessURL, sample))
                g.add((sample, DCAT.downloadURL, sample))
                if fields.is_uri(get("license_id")):
                    self._add_license(sample, get("license_id"))
                for predicate in (DCT.language, DCT.conformsTo):
                    for value in g.objects(dataset_ref, predicate):
                        g.add((sample, predicate, value))

        for item in geo_items(get("geo_coverage")):
            self._add_geo(dataset_ref, item)

        # the dataset's page on this portal is its landing page (recommended)
        if (dataset_ref, DCAT.landingPage, None) not in g and get("name"):
            site = (toolkit.config.get("ckan.site_url") or "").rstrip("/")
            page = URIRef(f"{site}/dataset/{get('name')}")
            g.add((dataset_ref, DCAT.landingPage, page))
            g.add((page, RDF.type, FOAF.Document))

        self._record(dataset_dict, dataset_ref)

        for resource in dataset_dict.get("resources", []):
            self._distribution(dataset_dict, dataset_ref, resource, contact, hvd)

    def _choice_label(self, field_name: str, value: str) -> str:
        for choice in fields.field(field_name).get("choices") or []:
            if str(choice.get("value")) == value:
                return fields.pick_language(choice.get("label"), "nl")
        return ""

    def _contact(self, dataset_dict: dict[str, Any], dataset_ref: Node) -> Node | None:
        g = self.g
        get = dataset_dict.get
        contacts = list(g.objects(dataset_ref, DCAT.contactPoint))
        if not contacts and get("contact_name"):
            contact = BNode()
            g.add((dataset_ref, DCAT.contactPoint, contact))
            g.add((contact, VCARD.fn, Literal(get("contact_name"))))
            contacts = [contact]
        for contact in contacts:
            g.add((contact, RDF.type, VCARD.Kind))
            g.add((contact, RDF.type, VCARD.Organization))
            if get("contact_email"):
                email = re.sub(r"^mailto:", "", str(get("contact_email")))
                self._replace(contact, VCARD.hasEmail, URIRef(f"mailto:{email}"))
            if get("contact_phone"):  # as entered ("14 075"): a tel: URI would lose the form
                self._replace(contact, VCARD.hasTelephone, Literal(str(get("contact_phone"))))
            if fields.is_uri(get("contact_url")):
                self._replace(contact, VCARD.hasURL, URIRef(get("contact_url")))
        return contacts[0] if contacts else None

    def _record(self, dataset_dict: dict[str, Any], dataset_ref: Node) -> None:
        """The catalogue record: metadata language, dates, change type, application profile."""
        if not isinstance(dataset_ref, URIRef):
            return
        g = self.g
        get = dataset_dict.get
        record = URIRef(f"{dataset_ref}#catalogusrecord")
        g.add((record, RDF.type, DCAT.CatalogRecord))
        g.add((record, FOAF.primaryTopic, dataset_ref))
        # DCAT 3's axiom, stated so that a validator without RDFS inference sees the primary
        # topic as the dcat:Resource DCAT-AP 3 asks for
        if self._first_time(DCAT.Dataset):
            g.add((DCAT.Dataset, RDFS.subClassOf, DCAT.Resource))
        for catalog in self._catalogs():
            g.add((catalog, DCAT.record, record))
        if fields.is_uri(get("metadata_language")):
            lang = URIRef(get("metadata_language"))
            g.add((record, DCT.language, lang))
            self._eu_concept(lang, "DONL:Language", DCT.LinguisticSystem)
        new = self._add_record_dates(record, dataset_dict)
        change = URIRef(CHANGETYPE + ("created" if new else "updated"))
        g.add((record, ADMS.status, change))
        self._concept(
            change, URIRef(CHANGETYPE + "1.0"), label="Aangemaakt" if new else "Gewijzigd"
        )
        g.add((record, DCT.conformsTo, DCAT_AP_NL_3))
        if self._first_time(DCAT_AP_NL_3):
            g.add((DCAT_AP_NL_3, RDF.type, DCT.Standard))

    def _distribution(
        self,
        dataset_dict: dict[str, Any],
        dataset_ref: Node,
        res: dict[str, Any],
        contact: Node | None,
        hvd: bool,
    ) -> None:
        g = self.g
        dist = CleanedURIRef(resource_uri(res))
        if res.get("url") and (dist, DCAT.accessURL, None) not in g:
            g.add((dist, DCAT.accessURL, URIRef(res["url"])))
        for url in g.objects(dist, DCAT.accessURL):
            g.add((url, RDF.type, RDFS.Resource))

        code = ""
        fmt = res.get("format")
        if fmt:
            text = str(fmt)
            code = text[len(MDR_FILE_TYPE) :] if text.startswith(MDR_FILE_TYPE) else text.upper()
            node = URIRef(text if fields.is_uri(text) else MDR_FILE_TYPE + code)
            self._replace(dist, DCT["format"], node)
            g.add((node, RDF.type, DCT.MediaTypeOrExtent))
            self._eu_concept(node, "MDR:Filetype")
        mimetype = res.get("mimetype")
        if mimetype:
            text = str(mimetype)
            node = URIRef(text if fields.is_uri(text) else IANA_MEDIA_TYPES + text)
            self._replace(dist, DCAT.mediaType, node)
            g.add((node, RDF.type, DCT.MediaType))
            self._concept(node, IANA_REGISTRY, label=text.split("/media-types/")[-1])

        license_uri = res.get("license") or dataset_dict.get("license_id")
        if fields.is_uri(license_uri):
            self._add_license(dist, license_uri)

        for lang in g.objects(dist, DCT.language):
            self._eu_concept(lang, "DONL:Language", DCT.LinguisticSystem)
        status = DISTRIBUTION_STATUS.get(str(res.get("status") or ""))
        self._replace(dist, ADMS.status, None)
        if status:
            node = self._eu("distribution-status", status)
            g.add((dist, ADMS.status, node))
            self._eu_concept(node)

        term = (vocabularies.terms("Gemeente:Checksumalgoritme") or {}).get(
            str(res.get("hash_algorithm") or "")
        )
        if term is not None and term.extra.get("uri"):
            algorithm = URIRef(term.extra["uri"])
            for checksum in g.objects(dist, SPDX.checksum):
                self._replace(checksum, SPDX.algorithm, algorithm)
            g.add((algorithm, RDF.type, SPDX.ChecksumAlgorithm))

        if hvd:
            g.add((dist, DCATAP.applicableLegislation, HVD_LEGISLATION))
        if code in SERVICE_STANDARDS and res.get("url"):
            self._service(dataset_dict, dataset_ref, dist, res, code, contact, hvd)

    def _service(
        self,
        dataset_dict: dict[str, Any],
        dataset_ref: Node,
        dist: URIRef,
        res: dict[str, Any],
        code: str,
        contact: Node | None,
        hvd: bool,
    ) -> None:
        """An API/WMS/WFS resource: the distribution is served by a ``dcat:DataService``."""
        g = self.g
        get = dataset_dict.get
        service = URIRef(f"{dist}#dataservice")
        g.add((dist, DCAT.accessService, service))
        g.add((service, RDF.type, DCAT.DataService))
        g.add((service, DCAT.servesDataset, dataset_ref))
        for catalog in self._catalogs():
            g.add((catalog, DCAT.service, service))
        kind, standard = SERVICE_STANDARDS[code]
        title = res.get("name") or f"{kind or 'API'}: {get('title') or ''}".strip()
        g.add((service, DCT.title, Literal(title)))
        g.add((service, DCT.description, Literal(res.get("description") or title)))
        g.add((service, DCT.identifier, Literal(str(service))))
        url = str(res["url"])
        endpoint = URIRef(url.split("?", 1)[0])
        g.add((service, DCAT.endpointURL, endpoint))
        g.add((endpoint, RDF.type, RDFS.Resource))
        if kind:  # OGC: the capabilities document describes the endpoint
            query = urllib.parse.urlencode({"service": kind, "request": "GetCapabilities"})
            description = URIRef(f"{endpoint}?{query}")
        else:
            conforms = [u for u in fields.as_list(res.get("conforms_to")) if fields.is_uri(u)]
            description = URIRef(conforms[0] if conforms else url)
        g.add((service, DCAT.endpointDescription, description))
        g.add((description, RDF.type, RDFS.Resource))
        if standard:
            g.add((service, DCT.conformsTo, URIRef(standard)))
            g.add((URIRef(standard), RDF.type, DCT.Standard))
        if contact is not None:  # a copy: rdflib's pretty RDF/XML loses a blank node shared
            copy = BNode()  # by two subjects (the dataset's contact point came back empty)
            for predicate, value in list(g.predicate_objects(contact)):
                g.add((copy, predicate, value))
            g.add((service, DCAT.contactPoint, copy))
        for predicate in (
            DCT.accessRights,
            DCT.publisher,
            DCT.creator,
            DCAT.theme,
            DCAT.keyword,
            DCT.language,
            DCATAP.hvdCategory,
        ):
            for value in g.objects(dataset_ref, predicate):
                g.add((service, predicate, value))
        license_uri = res.get("license") or get("license_id")
        if fields.is_uri(license_uri):
            self._add_license(service, license_uri)
        if hvd:
            g.add((service, DCATAP.applicableLegislation, HVD_LEGISLATION))

    # ------------------------------------------------------------------ parse

    def _parse_geodata(self, spatial: Node, datatype: URIRef, cur_value: Any) -> Any:
        """The core reads ``locn:geometry`` etc. as literals only; DCAT-AP 3 makes the
        geometry a ``locn:Geometry`` node with ``gsp:asWKT``/``gsp:asGeoJSON``: read both."""
        literals: list[Node] = []
        for value in self.g.objects(spatial, datatype):
            if isinstance(value, Literal):
                literals.append(value)
            else:
                literals.extend(self.g.objects(value, GSP.asWKT))
                literals.extend(self.g.objects(value, GSP.asGeoJSON))
        for value in literals:
            if cur_value:
                break
            try:
                if getattr(value, "datatype", None) == GSP.wktLiteral:
                    cur_value = json.dumps(geomet_wkt.loads(str(value)))
                else:
                    json.loads(str(value))
                    cur_value = str(value)
            except (ValueError, TypeError):
                continue
        return cur_value

    def parse_dataset(self, dataset_dict: dict[str, Any], dataset_ref: Node) -> dict[str, Any]:
        dataset_dict = super().parse_dataset(dataset_dict, dataset_ref)
        g = self.g
        dataset_type = dataset_dict.get("type") or "dataset"

        for key in CORE_KEYS:
            dataset_dict.pop(key, None)
        dataset_dict["extras"] = [
            e for e in dataset_dict.get("extras", []) if not CORE_EXTRAS.match(e["key"])
        ]

        self._parse_shared(dataset_dict, dataset_ref)
        for key, predicate in (("publisher_uri", DCT.publisher), ("authority", DCT.creator)):
            node = g.value(dataset_ref, predicate)
            if isinstance(node, URIRef):
                dataset_dict[key] = str(node)
        if "authority" not in dataset_dict and "publisher_uri" in dataset_dict:
            dataset_dict["authority"] = dataset_dict["publisher_uri"]

        self._parse_contact(dataset_dict, dataset_ref, phone_scheme="tel:")

        themes = [str(t) for t in g.objects(dataset_ref, DCAT.theme)]
        dutch = sorted(t for t in themes if not t.startswith(str(DATA_THEME) + "/"))
        if not dutch:
            dutch = sorted(
                {
                    str(OVERHEID[DATA_THEMES_BACK[_tail(t)]])
                    for t in themes
                    if _tail(t) in DATA_THEMES_BACK
                }
            )
        if themes:
            dataset_dict["theme"] = dutch

        rights = g.value(dataset_ref, DCT.accessRights)
        if isinstance(rights, URIRef):
            dataset_dict["access_rights"] = str(rights)
        status = g.value(dataset_ref, ADMS.status)
        if status is not None:
            dataset_dict["dataset_status"] = DATASET_STATUS_BACK.get(_tail(status), str(status))

        laws = list(g.objects(dataset_ref, DCATAP.applicableLegislation))
        categories = sorted(str(c) for c in g.objects(dataset_ref, DCATAP.hvdCategory))
        dataset_dict["high_value"] = fields.bool_text(HVD_LEGISLATION in laws or bool(categories))
        if categories:
            dataset_dict["hvd_category"] = categories
        for law in laws:
            if law == HVD_LEGISLATION:
                continue
            self._parse_legal_foundation(law, FOAF.page, dataset_dict)
            if isinstance(law, URIRef) and "legal_foundation_uri" not in dataset_dict:
                dataset_dict["legal_foundation_uri"] = str(law)
            break

        dataset_dict.pop("url", None)  # the landing page: this portal's own page
        for key in fields.list_fields(dataset_type=dataset_type):
            if key in dataset_dict:
                dataset_dict[key] = fields.as_list(dataset_dict[key])
        dataset_dict["extras"] = [
            e for e in dataset_dict.get("extras", []) if e["key"] not in dataset_dict
        ]
        resource_lists = fields.list_fields("resource", dataset_type)
        for res in dataset_dict.get("resources", []):
            self._parse_distribution(res, resource_lists)
            if res.get("license") and res["license"] == dataset_dict.get("license_id"):
                del res["license"]  # the dataset's licence, written on each file
        return dataset_dict

    def _parse_distribution(self, res: dict[str, Any], lists: tuple[str, ...]) -> None:
        g = self.g
        ref = res.get("distribution_ref")
        dist = next((d for d in g.subjects(RDF.type, DCAT.Distribution) if str(d) == ref), None)
        res.pop("access_services", None)
        res.pop("access_url", None)
        if dist is None:
            return
        self._parse_file(res, dist)
        status = g.value(dist, ADMS.status)
        if status is not None:
            back = {v: k for k, v in DISTRIBUTION_STATUS.items()}
            res["status"] = back.get(_tail(status), str(status))
        for key in lists:
            if key in res:
                res[key] = fields.as_list(res[key])

    # ------------------------------------------------------------------ catalog

    def graph_from_catalog(self, catalog_dict: dict[str, Any], catalog_ref: Node) -> None:
        super().graph_from_catalog(catalog_dict, catalog_ref)
        g = self.g
        self._bind()
        config = toolkit.config
        municipality = config.get("ckanext.gemeente.municipality_uri")
        name = config.get("ckanext.gemeente.municipality_name") or config.get("ckan.site_title")
        if fields.is_uri(municipality):
            node = URIRef(municipality)
            for predicate in (DCT.publisher, DCT.creator):
                if (catalog_ref, predicate, None) not in g:
                    g.add((catalog_ref, predicate, node))
            self._agent(node)
            if (catalog_ref, DCT.spatial, None) not in g:
                g.add((catalog_ref, DCT.spatial, node))
                g.add((node, RDF.type, DCT.Location))
        if (catalog_ref, DCT.description, None) not in g:
            description = config.get("ckan.site_description") or f"Open data van {name or ''}"
            g.add((catalog_ref, DCT.description, Literal(description.strip())))
        if (catalog_ref, DCAT.contactPoint, None) not in g:  # DCAT-AP-NL: exactly one
            contact = URIRef(f"{catalog_ref}#contactpunt")
            g.add((catalog_ref, DCAT.contactPoint, contact))
            g.add((contact, RDF.type, VCARD.Kind))
            g.add((contact, RDF.type, VCARD.Organization))
            g.add((contact, VCARD.fn, Literal(name or str(catalog_ref))))
            email = config.get("ckanext.gemeente.catalog_contact_email")
            if email:
                g.add((contact, VCARD.hasEmail, URIRef(f"mailto:{email}")))
            site = (config.get("ckan.site_url") or "").rstrip("/")
            if site:
                g.add((contact, VCARD.hasURL, URIRef(site)))
        self._catalog_forms(catalog_ref)
        if (catalog_ref, DCT.language, None) not in g:
            g.add((catalog_ref, DCT.language, self._eu("language", "NLD")))
        for lang in g.objects(catalog_ref, DCT.language):
            self._eu_concept(lang, "DONL:Language", DCT.LinguisticSystem)
        if (catalog_ref, DCT.license, None) not in g:
            self._add_license(catalog_ref, str(CC0))
        for taxonomy, title in ((DATA_THEME, "Data theme"), (TAXONOMIE, "TaxonomieBeleidsagenda")):
            g.add((catalog_ref, DCAT.themeTaxonomy, taxonomy))
            self._scheme(taxonomy, title)
