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

import re
from typing import Any

from ckan.plugins import toolkit
from ckanext.dcat.profiles import RDFProfile
from ckanext.dcat.profiles.base import CleanedURIRef
from ckanext.dcat.utils import resource_uri
from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from . import fields, vocabularies
from .profiles import (
    ADMS,
    CC0,
    CHANGETYPE,
    DCAT,
    DCT,
    DONL,
    EU_AUTHORITY,
    FOAF,
    GEM,
    GSP,
    IANA_MEDIA_TYPES,
    LICENCE_TYPE_SCHEME,
    LICENCE_TYPE_UNKNOWN,
    LOCAL_AUTHORITY,
    MDR_FILE_TYPE,
    OVERHEID,
    OWL,
    PUBLISHER_TYPE_SCHEME,
    RDF,
    RDFS,
    SKOS,
    SPDX,
    TAXONOMIE,
    VCARD,
    XSD,
    ConceptGraph,
    SharedParts,
    SpatialGraph,
    geo_items,
)
from .profiles import gemeente as municipal

EU_MDR_AUTHORITY = "http://publications.europa.eu/mdr/authority/"  # as in the DCAT-AP-NL shapes
DONL_ORGANISATIE_SCHEME = URIRef("donl:Organisatie")  # value required by the DCAT-AP-NL shapes
LICENTIE_SCHEME = OVERHEID.Licentie
ADMS_STATUS_SCHEME = URIRef("http://purl.org/adms/status/1.0")
DCAT_AP_DONL = URIRef("https://www.forumstandaardisatie.nl/open-standaarden/dcat-ap-donl")

# DONL flags: high_value here, the others shared with the `gemeente` profile's table
DONL_FLAGS: list[municipal.Row] = [("high_value", DONL.highValue, None, Literal)]
# the municipal additions, written by the `gemeente` profile's tables (DONL has adms:status)
MUNICIPAL_TABLES = (municipal.LITERALS, municipal.LINKS, municipal.FLAGS, municipal.CONCEPTS)


def on_dcat_ap_3() -> bool:
    """Whether the profiles of this serialisation (``?profiles=`` or the configured list)
    use ckanext-dcat's ``euro_dcat_ap_3``: DCAT-AP 3 and 2 disagree on the geometry (a node
    or a literal) and on ``dcat:byteSize`` (integer or decimal, converted by the base)."""
    names = ""
    try:
        names = toolkit.request.args.get("profiles") or ""
    except (RuntimeError, TypeError, AttributeError):  # no request
        names = ""
    profiles = (
        names.split(",")
        if names
        else toolkit.aslist(toolkit.config.get("ckanext.dcat.rdf.profiles"))
    )
    return "euro_dcat_ap_3" in profiles


class DonlProfile(ConceptGraph, SpatialGraph, SharedParts, RDFProfile):
    """DCAT-AP-DONL 1.1 and the municipal additions of ``gemeente_dataset.yaml``."""

    tooi_codes = False  # DCAT-AP-DONL: a CBS code is a dct:Location with skos:notation
    # A point's location is a gem:Punt (rdfs:subClassOf dct:Location, stated in the output,
    # so SHACL's class checks see a dct:Location): its locn:geometry is a node, as DCAT-AP 3
    # wants, and ckanext-dcat 2.4's parser of the euro_dcat_ap_2/_3 profiles, which reads
    # every locn:geometry of a dct:Location as a literal (and fails on a node), leaves it to
    # this profile.
    point_class = GEM.Punt

    @property
    def geometry_node(self) -> bool:  # type: ignore[override]
        """DCAT-AP 3 forms (geometry node) on ``euro_dcat_ap_3``, DCAT-AP 2 forms on ``_2``."""
        return on_dcat_ap_3()

    # ------------------------------------------------------------------ helpers

    def _bind(self) -> None:
        self._bind_once(
            (
                ("overheid", OVERHEID),
                ("donl", DONL),
                ("gem", GEM),
                ("skos", SKOS),
                ("vcard", VCARD),
                ("spdx", SPDX),
                ("adms", ADMS),
                ("gsp", GSP),
            )
        )

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
        if fields.is_uri(get("authority")):
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
        if fields.is_uri(get("license_id")):
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
        if fields.is_uri(get("dataset_status")):
            node = URIRef(get("dataset_status"))
            g.add((dataset_ref, ADMS.status, node))
            g.add((node, RDF.type, SKOS.Concept))
            self._labels(node, "Overheid:DatasetStatus")

        # classification flags
        for field, predicate, _fallbacks, _type in DONL_FLAGS:
            flag = fields.as_bool(get(field))
            if flag is not None:
                g.add((dataset_ref, predicate, Literal(flag, datatype=XSD.boolean)))

        # legal foundation (overheid:grondslag -> overheid:Regeling)
        self._add_legal_foundation(
            dataset_dict, dataset_ref, OVERHEID.grondslag, OVERHEID.Regeling, FOAF.isPrimaryTopicOf
        )

        # sample distributions must have an access URL (DCAT-AP)
        for sample in g.objects(dataset_ref, ADMS.sample):
            if isinstance(sample, URIRef):
                g.add((sample, DCAT.accessURL, sample))
                g.add((sample, RDF.type, RDFS.Resource))
                g.add((sample, DCT.description, Literal(f"Voorbeeld: {get('title') or ''}")))
                if fields.is_uri(get("license_id")):
                    self._license(sample, get("license_id"))
                ext = str(sample).rsplit(".", 1)[-1].upper()
                if MDR_FILE_TYPE + ext in (vocabularies.terms("MDR:Filetype") or {}):
                    fmt = URIRef(MDR_FILE_TYPE + ext)
                    g.add((sample, DCT["format"], fmt))
                    g.add((fmt, RDF.type, DCT.MediaTypeOrExtent))
                    self._eu_concept(fmt, "MDR:Filetype")

        # spatial coverage
        for item in geo_items(get("geo_coverage")):
            self._add_geo(dataset_ref, item)

        # metadata language, on the catalogue record (DCAT-AP-NL)
        if isinstance(dataset_ref, URIRef) and fields.is_uri(get("metadata_language")):
            record = URIRef(f"{dataset_ref}#catalogusrecord")
            g.add((record, RDF.type, DCAT.CatalogRecord))
            g.add((record, FOAF.primaryTopic, dataset_ref))
            lang = URIRef(get("metadata_language"))
            g.add((record, DCT.language, lang))
            self._eu_concept(lang, "DONL:Language")
            g.add((record, DCT.identifier, Literal(str(get("id") or get("name") or ""))))
            new = self._add_record_dates(record, dataset_dict)
            change = "created" if new else "updated"
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

        # municipal additions: the tables of the `gemeente` profile
        municipal.add_municipal(self, dataset_dict, dataset_ref, MUNICIPAL_TABLES)

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
            text = str(fmt)
            node = URIRef(text if fields.is_uri(text) else MDR_FILE_TYPE + text.upper())
            g.add((dist, DCT["format"], node))
            g.add((node, RDF.type, DCT.MediaTypeOrExtent))
            self._eu_concept(node, "MDR:Filetype")
        mimetype = res.get("mimetype")
        if mimetype:
            self._replace(dist, DCAT.mediaType, None)
            node = URIRef(mimetype if fields.is_uri(str(mimetype)) else IANA_MEDIA_TYPES + mimetype)
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
        if fields.is_uri(license_uri):
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

    # ------------------------------------------------------------------ parse

    def parse_dataset(self, dataset_dict: dict[str, Any], dataset_ref: Node) -> dict[str, Any]:
        g = self.g

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

        authority = g.value(dataset_ref, OVERHEID.authority)
        if authority is not None:
            dataset_dict["authority"] = str(authority)
        publisher = g.value(dataset_ref, DCT.publisher)
        if isinstance(publisher, URIRef):
            dataset_dict["publisher_uri"] = str(publisher)

        self._parse_contact(dataset_dict, dataset_ref)

        status = g.value(dataset_ref, ADMS.status)
        if status is not None:
            dataset_dict["dataset_status"] = str(status)
        rights = g.value(dataset_ref, DCT.accessRights)
        if isinstance(rights, URIRef):
            dataset_dict["access_rights"] = str(rights)

        for field, predicate, _fallbacks, _type in DONL_FLAGS:
            flag = g.value(dataset_ref, predicate)
            if flag is not None:
                dataset_dict[field] = fields.bool_text(flag.toPython())

        regeling = g.value(dataset_ref, OVERHEID.grondslag)
        if regeling is not None:
            self._parse_legal_foundation(regeling, FOAF.isPrimaryTopicOf, dataset_dict)

        self._parse_shared(dataset_dict, dataset_ref)

        municipal.parse_municipal(self, dataset_dict, dataset_ref, MUNICIPAL_TABLES)

        lists = fields.list_fields(dataset_type=dataset_dict.get("type") or "dataset")
        for field in lists:
            if field in dataset_dict:
                dataset_dict[field] = fields.as_list(dataset_dict[field])
        dataset_dict["extras"] = [
            e
            for e in dataset_dict.get("extras", [])
            if e["key"] not in dataset_dict and e["key"] not in lists
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
        self._parse_file(res, dist)
        for field in fields.list_fields("resource"):
            if field in res:
                res[field] = fields.as_list(res[field])
        res.pop("access_url", None)

    # ------------------------------------------------------------------ catalog

    def graph_from_catalog(self, catalog_dict: dict[str, Any], catalog_ref: Node) -> None:
        g = self.g
        self._bind()
        municipality = toolkit.config.get("ckanext.gemeente.municipality_uri")
        if fields.is_uri(municipality) and (catalog_ref, DCT.publisher, None) not in g:
            node = URIRef(municipality)
            g.add((catalog_ref, DCT.publisher, node))
            self._organisation(node)
        municipality_name = toolkit.config.get("ckanext.gemeente.municipality_name") or ""
        if (catalog_ref, DCT.description, None) not in g:
            description = toolkit.config.get("ckan.site_description") or (
                f"Open data van {municipality_name}".strip()
            )
            g.add((catalog_ref, DCT.description, Literal(description)))
        self._catalog_forms(catalog_ref)
        if (catalog_ref, DCT.license, None) not in g:
            self._license(catalog_ref, str(CC0))
        if fields.is_uri(municipality) and (catalog_ref, DCT.spatial, None) not in g:
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
        if (catalog_ref, DCT.language, None) not in g:
            g.add((catalog_ref, DCT.language, URIRef(EU_AUTHORITY + "language/NLD")))
        for lang in g.objects(catalog_ref, DCT.language):
            self._eu_concept(lang, "DONL:Language")
            g.add((lang, RDF.type, DCT.LinguisticSystem))
