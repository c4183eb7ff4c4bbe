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

import json
import xml.parsers.expat
from collections.abc import Iterable
from typing import Any

import ckan.plugins.toolkit as tk

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


def read_pages(url: str, config: dict[str, Any], policy: urlguard.GuardPolicy
               ) -> list[dict[str, Any]]:
    """Every dataset dict of the feed at ``url``, all pages; raise on any failed page."""
    from ckanext.dcat.exceptions import RDFParserException
    from ckanext.dcat.processors import RDFParser

    max_pages = int(config.get("max_pages", 1000))
    seen: set[str] = set()
    datasets: list[dict[str, Any]] = []
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
            page = list(parser.datasets())
        except (RDFParserException, ValueError, UnicodeDecodeError) as exc:
            raise SourceReadError(
                f"pagina {len(seen)} ({urlguard.redact_url(next_url)}) is niet te lezen: "
                f"{exc}") from None
        except Exception as exc:  # rdflib's parsers raise many kinds on broken input
            raise SourceReadError(
                f"pagina {len(seen)} ({urlguard.redact_url(next_url)}) is niet te lezen: "
                f"{type(exc).__name__}: {exc}") from None
        datasets.extend(page)
        next_url = parser.next_page()
        if next_url and next_url.startswith("/"):
            from urllib.parse import urljoin

            next_url = urljoin(url, next_url)
    return datasets


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
        for dataset in read_pages(source.url, source.config, source.policy):
            extras = {e.get("key"): e.get("value") for e in dataset.get("extras") or []
                      if isinstance(e, dict)}  # CKAN's default schema keeps them there
            ident = str(dataset.get("identifier") or dataset.get("uri") or
                        extras.get("identifier") or extras.get("uri") or "").strip()
            if not ident:
                ident = str(dataset.get("title") or "").strip()
            data = to_record(dataset)
            if ident:
                data["identifier"] = ident  # the mapping's identifier column, either schema
            records.append(Record(identifier=ident or None, data=data, ref=f"Dataset {ident}"))
        return records
