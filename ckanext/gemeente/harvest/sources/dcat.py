"""``gemeente_dcat``: DCAT-AP-DONL and DCAT-AP feeds (Turtle, RDF/XML, JSON-LD), paged.

Each page is fetched through the URL guard, checked (:func:`safe_rdf_bytes`: no DOCTYPE or
entity declaration in XML, wherever it stands; JSON-LD contexts only through the guard,
inlined), parsed by ckanext-dcat's :class:`RDFParser` with the portal's RDF profiles (with
gemeente_schema: ``euro_dcat_ap_2 euro_dcat_ap_scheming donl``), and the next page is
followed through Hydra (``hydra:next`` / ``hydra:nextPage``) until there is none. A page that
fails makes the whole read fail: nothing is created, changed or withdrawn on a partial feed.

The parsed datasets are already dataset dicts of the active schema, so the default mapping
is the identity on the schema's fields; a source's ``mapping`` may still override any field.
Configuration keys besides the base ones: ``format`` (``turtle``, ``xml``, ``json-ld``;
default from the Content-Type), ``profiles`` (space separated), ``max_pages`` (1000).
"""

from __future__ import annotations

import hashlib
import json
import xml.parsers.expat
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import ckan.plugins.toolkit as tk
from rdflib import Literal, Namespace, URIRef
from rdflib.namespace import RDF

from ckanext.gemeente import urlguard

from ..base import GemeenteHarvester, Record, SourceContext, SourceReadError, dataset_schema

FORMATS = ("turtle", "xml", "json-ld")
_CONTENT_TYPES = {
    "text/turtle": "turtle", "application/x-turtle": "turtle", "text/n3": "turtle",
    "application/rdf+xml": "xml", "application/xml": "xml", "text/xml": "xml",
    "application/ld+json": "json-ld", "application/json": "json-ld",
}
_SUFFIXES = {".ttl": "turtle", ".rdf": "xml", ".xml": "xml", ".jsonld": "json-ld",
             ".json": "json-ld"}
MAX_RESOURCES = 50
# ckanext-dcat's own keys that are no dataset fields
_INTERNAL = {"id", "name", "owner_org", "private", "state", "type", "resources", "uri",
             "harvest_source", "update_method"}
_CORE_DATASET = ("title", "notes", "url", "version", "license_id", "tags", "extras",
                 "author", "author_email", "maintainer", "maintainer_email")
_CORE_RESOURCE = ("url", "name", "description", "format", "mimetype", "size", "hash",
                  "license", "download_url", "issued", "modified", "language", "status",
                  "rights", "conforms_to", "access_url")


DCAT_NS = Namespace("http://www.w3.org/ns/dcat#")
HYDRA_NS = Namespace("http://www.w3.org/ns/hydra/core#")
RDF_TYPE = RDF.type


class UnsafeDocument(ValueError):
    """The feed document contains constructs that are never processed (DTDs, entities)."""


def _refuse(*_args: Any) -> None:
    raise UnsafeDocument(
        "het XML-document bevat een DOCTYPE- of entiteitsdeclaratie; die worden om "
        "veiligheidsredenen nooit verwerkt (billion laughs / XXE)")


def check_xml(data: bytes) -> None:
    """Raise :class:`UnsafeDocument` for any DOCTYPE or entity declaration in ``data``,
    and ``ValueError`` for XML that is not well-formed (expat, no DTD processing)."""
    parser = xml.parsers.expat.ParserCreate()
    parser.StartDoctypeDeclHandler = _refuse
    parser.EntityDeclHandler = _refuse
    parser.UnparsedEntityDeclHandler = _refuse
    parser.ExternalEntityRefHandler = _refuse
    try:
        parser.Parse(data, True)
    except xml.parsers.expat.ExpatError as exc:
        raise ValueError(f"ongeldige XML: {exc}") from None


def _inline_contexts(node: Any, policy: urlguard.GuardPolicy, depth: int = 0) -> Any:
    """Replace remote ``@context`` references by their JSON, fetched through the guard
    (rdflib would otherwise fetch them itself, past every check)."""
    if isinstance(node, list):
        return [_inline_contexts(n, policy, depth) for n in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "@context":
            out[key] = _resolve_context(value, policy, depth)
        else:
            out[key] = _inline_contexts(value, policy, depth)
    return out


def _resolve_context(value: Any, policy: urlguard.GuardPolicy, depth: int) -> Any:
    if isinstance(value, list):
        return [_resolve_context(v, policy, depth) for v in value]
    if isinstance(value, str):
        if depth >= 2:
            raise ValueError("JSON-LD-contexten zijn te diep genest")
        try:
            remote = json.loads(urlguard.fetch_bytes(value, policy))
        except ValueError as exc:
            raise ValueError(f"JSON-LD-context {urlguard.redact_url(value)}: {exc}") from None
        inner = remote.get("@context", {}) if isinstance(remote, dict) else {}
        return _resolve_context(inner, policy, depth + 1)
    if isinstance(value, dict):
        return {k: _resolve_context(v, policy, depth) if k == "@context" else v
                for k, v in value.items()}
    return value


def detect_format(url: str, content_type: str, configured: str | None) -> str:
    if configured:
        return configured
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media in _CONTENT_TYPES:
        return _CONTENT_TYPES[media]
    path = url.split("?", 1)[0].lower()
    for suffix, fmt in _SUFFIXES.items():
        if path.endswith(suffix):
            return fmt
    return "turtle"


def safe_rdf_bytes(raw: bytes, fmt: str, charset: str | None,
                   policy: urlguard.GuardPolicy) -> bytes | str:
    """The document ready for rdflib: decoded by its declared charset, checked."""
    if fmt == "xml":
        check_xml(raw)
        return raw  # the XML declaration names its own encoding
    try:
        text = raw.decode(charset or "utf-8")
    except (LookupError, UnicodeDecodeError) as exc:
        raise ValueError(f"de tekst is niet te lezen als {charset or 'utf-8'}: {exc}") from None
    if fmt == "json-ld":
        try:
            doc = json.loads(text)
        except ValueError as exc:
            raise ValueError(f"ongeldige JSON-LD: {exc}") from None
        return json.dumps(_inline_contexts(doc, policy))
    return text


def _profiles(config: dict[str, Any]) -> list[str]:
    names = config.get("profiles") or tk.config.get("ckanext.dcat.rdf.profiles") or ""
    return names.split() if isinstance(names, str) else list(names)


def read_pages(url: str, config: dict[str, Any], policy: urlguard.GuardPolicy,
               raw_key: Callable[[str], str] | None = None,
               known: frozenset[str] = frozenset()) -> list[FeedDataset]:
    """Every dataset of the feed at ``url``, all pages; raise on any failed page.

    With ``raw_key`` (:meth:`SourceContext.raw_key`) each dataset carries the key of its own
    triples (:func:`dataset_digest`), and a dataset whose key is in ``known`` is not parsed by
    the profiles: its ``dataset`` is None."""
    from ckanext.dcat.exceptions import RDFParserException
    from ckanext.dcat.processors import RDFParser

    max_pages = int(config.get("max_pages", 1000))
    seen: set[str] = set()
    datasets: list[FeedDataset] = []
    next_url: str | None = url
    while next_url:
        if next_url in seen:
            raise SourceReadError(f"de feed verwijst in een kring naar pagina "
                                  f"{urlguard.redact_url(next_url)}")
        if len(seen) >= max_pages:
            raise SourceReadError(f"meer dan {max_pages} pagina's (max_pages)")
        seen.add(next_url)
        with urlguard.open_url(next_url, policy, headers={
                "Accept": "text/turtle, application/rdf+xml;q=0.9, "
                          "application/ld+json;q=0.8"}) as resp:
            raw = resp.read()
            fmt = detect_format(next_url, resp.headers.get("Content-Type", ""),
                                config.get("format"))
            charset = _charset(resp.headers.get("Content-Type", ""))
        try:
            data = safe_rdf_bytes(raw, fmt, charset, policy)
            parser = RDFParser(profiles=_profiles(config) or None)
            parser.parse(data, _format=fmt)
            datasets.extend(_page_datasets(parser, raw_key, known))
        except (RDFParserException, ValueError, UnicodeDecodeError) as exc:
            raise SourceReadError(
                f"pagina {len(seen)} ({urlguard.redact_url(next_url)}) is niet te lezen: "
                f"{exc}") from None
        except Exception as exc:  # rdflib's parsers raise many kinds on broken input
            raise SourceReadError(
                f"pagina {len(seen)} ({urlguard.redact_url(next_url)}) is niet te lezen: "
                f"{type(exc).__name__}: {exc}") from None
        next_url = parser.next_page()
        if next_url and next_url.startswith("/"):
            from urllib.parse import urljoin

            next_url = urljoin(url, next_url)
    return datasets


@dataclass
class FeedDataset:
    """One dataset of a feed: its subject, the key of its triples, its parsed dict (None
    when the key was known and the profiles were not run)."""

    subject: str
    key: str | None
    dataset: dict[str, Any] | None


def _page_datasets(parser: Any, raw_key: Callable[[str], str] | None,
                   known: frozenset[str]) -> list[FeedDataset]:
    """The page's datasets as ckanext-dcat's ``RDFParser.datasets`` parses them (every
    profile in turn), skipping the profiles for the datasets whose key is known."""
    graph = parser.g
    stops = _stop_nodes(graph) if raw_key is not None else set()
    memo: dict[Any, str] = {}
    out = []
    for ref in parser._datasets():
        subject = str(ref) if isinstance(ref, URIRef) else "_:"
        key = raw_key(dataset_digest(graph, ref, stops, memo)) if raw_key else None
        if key is not None and key in known:
            out.append(FeedDataset(subject, key, None))
            continue
        dataset: dict[str, Any] = {}
        for profile_class in parser._profiles:
            profile = profile_class(graph, dataset_type=parser.dataset_type,
                                    compatibility_mode=parser.compatibility_mode)
            profile.parse_dataset(dataset, ref)
        out.append(FeedDataset(subject, key, dataset))
    return out


def _stop_nodes(graph: Any) -> set[Any]:
    """Nodes whose own triples are no part of any one dataset's: datasets, catalogues,
    Hydra page nodes (a dataset's digest names them, it does not describe them)."""
    stops: set[Any] = set()
    for cls in (DCAT_NS.Dataset, DCAT_NS.Catalog, HYDRA_NS.PartialCollectionView,
                HYDRA_NS.PagedCollection, HYDRA_NS.Collection):
        stops.update(graph.subjects(RDF_TYPE, cls))
    return stops


def dataset_digest(graph: Any, ref: Any, stops: set[Any], memo: dict[Any, str]) -> str:
    """A digest of everything the graph says of dataset ``ref`` that a profile can read: its
    triples, the descriptions of the nodes they lead to (distributions, contact points,
    agents, locations, blank nodes; recursively), and the triples that point at it (a
    catalogue record's ``foaf:primaryTopic``). Blank-node labels do not count, triple order
    does not count: the same feed text, or the same statements in another order or syntax,
    give the same digest. ``memo`` holds the digests of nodes shared between datasets of one
    graph (a publisher described once)."""
    lines = [p.n3() + " " + _node_text(graph, o, stops, memo, {ref})[0]
             for p, o in graph.predicate_objects(ref)]
    for s, p in graph.subject_predicates(ref):
        if s in stops:
            lines.append("^" + p.n3() + " " + _head(s))
        else:
            lines.append("^" + p.n3() + " " + _node_text(graph, s, stops, memo, {ref})[0])
    lines.sort()
    return hashlib.sha256("\n".join([_head(ref), *lines]).encode("utf-8")).hexdigest()


def _head(node: Any) -> str:
    return node.n3() if isinstance(node, URIRef | Literal) else "_:"


def _node_text(graph: Any, node: Any, stops: set[Any], memo: dict[Any, str],
               path: set[Any]) -> tuple[str, bool]:
    """(text, path-independent) of ``node``: a literal or a name as it is; a described
    node with the digest of its sorted statements. A node on the path (a cycle) or a stop
    node is named, not described; results that met a cycle are not memoised."""
    if isinstance(node, Literal):
        return node.n3(), True
    if node in memo:
        return memo[node], True
    if node in path:
        return _head(node), False
    if node in stops:
        return _head(node), True
    path.add(node)
    clean = True
    lines = []
    for p, o in graph.predicate_objects(node):
        text, ok = _node_text(graph, o, stops, memo, path)
        clean = clean and ok
        lines.append(p.n3() + " " + text)
    path.discard(node)
    if not lines:
        text = _head(node)
    else:
        lines.sort()
        text = _head(node) + "{" + hashlib.sha256(
            "\n".join(lines).encode("utf-8")).hexdigest() + "}"
    if clean:
        memo[node] = text
    return text, clean


def _charset(content_type: str) -> str | None:
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset" and value:
            return value.strip('"').strip()
    return None


def to_record(dataset: dict[str, Any]) -> dict[str, Any]:
    """A parsed dataset dict as a flat record (resources as ``resource_<i>_<field>``)."""
    flat = {k: v for k, v in dataset.items() if k != "resources"}
    for i, res in enumerate(dataset.get("resources") or [], start=1):
        if i > MAX_RESOURCES:
            break
        for key, value in res.items():
            flat[f"resource_{i}_{key}"] = value
    return flat


def identity_mapping(schema: dict[str, Any] | None) -> dict[str, Any]:
    if schema is not None:
        fields = [f["field_name"] for f in schema.get("dataset_fields", [])] + ["tags"]
        res_fields = [f["field_name"] for f in schema.get("resource_fields", [])]
    else:
        fields, res_fields = list(_CORE_DATASET), list(_CORE_RESOURCE)
    fields = [f for f in fields if f not in _INTERNAL and f != "tag_string"]
    return {
        "identifier": "identifier",
        "fields": {f: f for f in fields},
        "resources": [{f: f"resource_{i}_{f}" for f in res_fields}
                      for i in range(1, MAX_RESOURCES + 1)],
    }


class DcatHarvester(GemeenteHarvester):
    """Harvester of DCAT-AP(-DONL) feeds through ckanext-dcat's parser."""

    source_type = "gemeente_dcat"
    title = "DCAT-feed (DCAT-AP-DONL, DCAT-AP)"
    description = ("Een DCAT-catalogus in Turtle, RDF/XML of JSON-LD, ook verdeeld over "
                   "pagina's (Hydra), gelezen met de RDF-profielen van het portaal.")
    config_keys = {"format", "profiles", "max_pages"}
    record_word = "Dataset"

    def default_mapping(self, config: dict[str, Any]) -> dict[str, Any]:
        return identity_mapping(dataset_schema())

    def validate_source_config(self, config: dict[str, Any]) -> list[tuple[str, str]]:
        errors = []
        if "format" in config and config["format"] not in FORMATS:
            errors.append(("format", "must be one of: " + ", ".join(FORMATS)))
        if "max_pages" in config and not (isinstance(config["max_pages"], int)
                                          and config["max_pages"] > 0):
            errors.append(("max_pages", "must be a positive whole number"))
        if "profiles" in config:
            from ckanext.dcat.exceptions import RDFProfileException
            from ckanext.dcat.processors import RDFParser

            try:
                RDFParser(profiles=_profiles(config))
            except RDFProfileException as exc:
                errors.append(("profiles", str(exc)))
        return errors

    def read_records(self, source: SourceContext) -> Iterable[Record]:
        records = []
        for item in read_pages(source.url, source.config, source.policy,
                               raw_key=source.raw_key, known=source.known):
            if item.dataset is None:
                records.append(Record(identifier=None, data={}, ref=f"Dataset {item.subject}",
                                      raw_key=item.key, known=True))
                continue
            dataset = item.dataset
            extras = {e.get("key"): e.get("value") for e in dataset.get("extras") or []
                      if isinstance(e, dict)}  # CKAN's default schema keeps them there
            ident = str(dataset.get("identifier") or dataset.get("uri") or
                        extras.get("identifier") or extras.get("uri") or "").strip()
            if not ident:
                ident = str(dataset.get("title") or "").strip()
            data = to_record(dataset)
            if ident:
                data["identifier"] = ident  # the mapping's identifier column, either schema
            records.append(Record(identifier=ident or None, data=data, ref=f"Dataset {ident}",
                                  raw_key=item.key))
        return records
