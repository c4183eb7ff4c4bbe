"""What can be derived for a dataset made in CKAN's default schema (pure Python, no CKAN).

Input: the dataset as ``package_show`` returns it, the schema's complaints about it (field
path -> messages), the facts of the portal (:class:`PortalFacts`) and the municipality's
defaults file (:class:`Defaults`). Output: the :class:`Change` list that fills or replaces
what the schema lacks or refuses, each with the reason it is right. Nothing is invented:

- ``authority`` / ``publisher_uri``: the municipality URI of the dataset's department
  (organization), else the portal's ``ckanext.gemeente.municipality_uri``;
- ``license_id``: CKAN licence ids with a DONL equivalent (:data:`LICENCE_MAP`, extended
  or overridden by the defaults file's ``licenses``); ``other-open`` and friends have none;
- ``language`` / ``metadata_language``: language codes already on the dataset (``nl``,
  ``nld``, ``Nederlands``...), else the portal's ``ckan.locale_default``;
- ``access_rights``: public, or non-public for a private dataset;
- ``modified`` / ``issued``: the dates of ``metadata_modified`` / ``metadata_created``;
- ``update_method``: harvested when ckanext-harvest harvested it, else manual;
- ``contact_name`` / ``contact_email``: the dataset's maintainer, else its author;
- ``title``: the dataset's name; ``identifier``: its address on the portal;
- a resource ``format``: the file-type code of a common spelling (``csv``, ``.xlsx``,
  ``text/csv``, ``Shapefile``...), when that code is in the loaded list.

What cannot be derived (a theme, the privacy classification, a description) comes from the
defaults file or stays for a person. A value a dataset already has is never replaced unless
the schema refuses it.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

EU_LANGUAGE = "http://publications.europa.eu/resource/authority/language/"
EU_ACCESS = "http://publications.europa.eu/resource/authority/access-right/"
MDR_FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"

# CKAN's default licence ids (ckan/model/license.py) with a DONL:License equivalent. CKAN's
# ids name no version; DCAT-AP-DONL 1.1 offers the 4.0 Creative Commons licences.
LICENCE_MAP: dict[str, str] = {
    "cc-zero": "http://creativecommons.org/publicdomain/zero/1.0/deed.nl",
    "cc-by": "http://creativecommons.org/licenses/by/4.0/deed.nl",
    "cc-by-sa": "http://creativecommons.org/licenses/by-sa/4.0/deed.nl",
    "other-pd": "http://creativecommons.org/publicdomain/mark/1.0/deed.nl",
    "notspecified": "http://standaarden.overheid.nl/owms/terms/licentieonbekend",
    "other-closed": "http://standaarden.overheid.nl/owms/terms/geslotenlicentie",
}

# ISO 639-1/-2 codes and names as found in free-text ``language`` extras -> EU language code
LANGUAGE_CODES: dict[str, str] = {
    **dict.fromkeys(("nl", "nld", "dut", "nl-nl", "nl_nl", "nederlands", "dutch"), "NLD"),
    **dict.fromkeys(("en", "eng", "en-gb", "en-us", "en_gb", "engels", "english"), "ENG"),
    **dict.fromkeys(("fy", "fry", "fries", "frysk", "frisian"), "FRY"),
    **dict.fromkeys(("de", "deu", "ger", "duits", "deutsch", "german"), "DEU"),
    **dict.fromkeys(("fr", "fra", "fre", "frans", "french"), "FRA"),
}

# common spellings of resource formats -> MDR file-type code
FORMAT_ALIASES: dict[str, str] = {
    "shapefile": "SHP",
    "esri shapefile": "SHP",
    "excel": "XLSX",
    "wms": "WMS_SRVC",
    "wfs": "WFS_SRVC",
    "text/csv": "CSV",
    "application/json": "JSON",
    "application/geo+json": "GEOJSON",
    "application/vnd.geo+json": "GEOJSON",
    "application/pdf": "PDF",
    "application/zip": "ZIP",
    "application/xml": "XML",
    "text/xml": "XML",
    "text/html": "HTML",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "XLSX",
    "application/vnd.ms-excel": "XLS",
}

# schema fields the defaults file may set (dataset level)
DEFAULTABLE = frozenset(
    (
        "theme", "privacy_classification", "processing_legal_basis", "contact_name",
        "contact_email", "contact_phone", "contact_url", "license_id", "language",
        "metadata_language", "access_rights", "update_method", "harvest_source", "notes",
        "authority", "publisher_uri", "frequency", "dataset_status", "data_owner",
        "information_manager", "source_system", "base_registries", "legal_foundation_label",
        "legal_foundation_ref", "legal_foundation_uri", "provenance",
    )
)


class DefaultsError(ValueError):
    """The defaults file is not acceptable (message names the entry)."""


@dataclasses.dataclass(frozen=True)
class Change:
    """One field to set: ``path`` is ``field`` or ``resources[i].field``."""

    path: str
    old: Any
    new: Any
    why: str


@dataclasses.dataclass
class Defaults:
    """The municipality's answers for what cannot be derived (``--defaults FILE``).

    ``defaults`` apply to every dataset, ``organizations`` (by organization name) to the
    datasets of one department, ``datasets`` (by dataset name) to one dataset; the most
    specific wins. They fill fields that are empty or refused, never a valid value.
    ``licenses`` maps further CKAN licence ids to DONL licence URIs.
    """

    defaults: dict[str, Any] = dataclasses.field(default_factory=dict)
    organizations: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    datasets: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    licenses: dict[str, str] = dataclasses.field(default_factory=dict)

    @classmethod
    def from_mapping(cls, data: Any) -> Defaults:
        if data is None:
            return cls()
        if not isinstance(data, Mapping):
            raise DefaultsError("the defaults file must hold a mapping (JSON object / YAML map)")
        unknown = set(data) - {"defaults", "organizations", "datasets", "licenses"}
        if unknown:
            raise DefaultsError(
                f"unknown section(s) {', '.join(sorted(unknown))}: use defaults, "
                "organizations, datasets, licenses"
            )
        out = cls(
            defaults=_fields_of("defaults", data.get("defaults")),
            organizations=_named("organizations", data.get("organizations")),
            datasets=_named("datasets", data.get("datasets")),
        )
        licences = data.get("licenses") or {}
        if not isinstance(licences, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in licences.items()
        ):
            raise DefaultsError("licenses: map CKAN licence ids to DONL licence URIs (strings)")
        out.licenses = dict(licences)
        return out

    def for_dataset(self, name: str, organization: str) -> dict[str, tuple[Any, str]]:
        """Field -> (value, where it comes from), most specific source winning."""
        merged: dict[str, tuple[Any, str]] = {}
        for label, values in (
            ("defaults file: defaults", self.defaults),
            (f"defaults file: organizations.{organization}", self.organizations.get(organization)),
            (f"defaults file: datasets.{name}", self.datasets.get(name)),
        ):
            for key, value in (values or {}).items():
                merged[key] = (value, label)
        return merged


def _fields_of(where: str, values: Any) -> dict[str, Any]:
    if values is None:
        return {}
    if not isinstance(values, Mapping):
        raise DefaultsError(f"{where}: expected a mapping of field names to values")
    bad = sorted(set(values) - DEFAULTABLE)
    if bad:
        raise DefaultsError(
            f"{where}: field(s) {', '.join(bad)} cannot be set from the defaults file "
            f"(allowed: {', '.join(sorted(DEFAULTABLE))})"
        )
    return dict(values)


def _named(where: str, values: Any) -> dict[str, dict[str, Any]]:
    if values is None:
        return {}
    if not isinstance(values, Mapping):
        raise DefaultsError(f"{where}: expected a mapping of names to field values")
    return {str(k): _fields_of(f"{where}.{k}", v) for k, v in values.items()}


@dataclasses.dataclass
class PortalFacts:
    """What the portal knows that a derivation may use (gathered by the CKAN side)."""

    municipality_uri: str = ""  # ckanext.gemeente.municipality_uri
    locale_default: str = "nl"
    site_url: str = ""
    # organization id -> (name, municipality_uri of the organization or "")
    organizations: dict[str, tuple[str, str]] = dataclasses.field(default_factory=dict)
    # value list name -> its keys (None: not loaded)
    lists: dict[str, frozenset[str] | None] = dataclasses.field(default_factory=dict)
    # harvest source URL of a harvested dataset ("" when it was not harvested)
    harvest_source_of: Callable[[dict[str, Any]], str] = lambda pkg: ""

    def in_list(self, name: str, value: str) -> bool:
        keys = self.lists.get(name)
        return keys is not None and value in keys


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == "[]"


def _values(value: Any) -> list[str]:
    if _empty(value):
        return []
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                parsed = json.loads(text)
            except ValueError:
                parsed = [text]
            return [str(v).strip() for v in parsed if str(v).strip()]
        return [v.strip() for v in re.split(r"[,;\n]+", text) if v.strip()]
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if str(v).strip()]
    return [str(value)]


def _language_uri(value: str, facts: PortalFacts) -> str:
    if value.startswith(EU_LANGUAGE):
        return value if facts.in_list("DONL:Language", value) else ""
    code = LANGUAGE_CODES.get(value.strip().lower().replace(" ", ""))
    uri = EU_LANGUAGE + code if code else ""
    return uri if uri and facts.in_list("DONL:Language", uri) else ""


def _date(value: Any) -> str:
    text = str(value or "")
    return text[:10] if re.match(r"^\d{4}-\d{2}-\d{2}", text) else ""


def format_code(value: str, facts: PortalFacts) -> str:
    """The MDR file-type code for a format as people write it ("" when none fits)."""
    text = value.strip()
    if text.startswith(MDR_FILE_TYPE):
        text = text[len(MDR_FILE_TYPE) :]
    low = text.lower().lstrip(".")
    code = FORMAT_ALIASES.get(low) or re.sub(r"[^A-Z0-9_]", "", low.upper())
    if code and (facts.in_list("MDR:Filetype", MDR_FILE_TYPE + code)
                 or facts.in_list("MDR:Filetype", code)):
        return code
    return ""


def derive(
    pkg: Mapping[str, Any],
    problems: Mapping[str, list[str]],
    facts: PortalFacts,
    defaults: Defaults | None = None,
) -> list[Change]:
    """The changes that fill or repair what ``problems`` names (plus ``issued`` alongside).

    ``problems`` maps a field path (``theme``, ``resources[0].format``) to the schema's
    messages; a field absent from it is valid and left alone.
    """
    defaults = defaults or Defaults()
    original = pkg
    changes: list[Change] = []
    # Free extras named like a schema field ("language" = "nl") are refused as extras: their
    # value moves to the field (where the field needs one) and the extra goes.
    extras = list(pkg.get("extras") or [])
    clashing = {i for i in range(len(extras)) if f"extras[{i}].key" in problems}
    if clashing:
        moved = {extras[i]["key"]: extras[i].get("value") for i in sorted(clashing)}
        keep = [e for i, e in enumerate(extras) if i not in clashing]
        changes.append(Change("extras", pkg.get("extras"), keep,
                              f"free extras moved to the schema fields: {', '.join(moved)}"))
        pkg = {**pkg, **{k: v for k, v in moved.items() if _empty(pkg.get(k))}}
        problems = {**problems, **{k: ["free extra"] for k in moved if k not in problems}}
    org_id = str(pkg.get("owner_org") or "")
    org_name, org_municipality = facts.organizations.get(org_id, ("", ""))
    given = defaults.for_dataset(str(pkg.get("name") or ""), org_name)
    licences = {**LICENCE_MAP, **defaults.licenses}

    def needs(field: str) -> bool:
        return field in problems

    def put(field: str, new: Any, why: str) -> None:
        changes.append(Change(field, original.get(field), new, why))

    def from_defaults(field: str) -> bool:
        if field in given:
            value, where = given[field]
            put(field, value, where)
            return True
        return False

    # a person's per-dataset answer beats a derivation; organization/global defaults do not
    specific = {k for k, (_v, where) in given.items() if where.startswith("defaults file: data")}
    for field in sorted(specific):
        if needs(field):
            from_defaults(field)
    done = set(specific) & set(problems)

    for field, derive_one in (
        ("title", lambda: (pkg.get("name"), "the dataset's name")),
        ("authority", lambda: _municipality(org_name, org_municipality, facts)),
        ("publisher_uri", lambda: _municipality(org_name, org_municipality, facts)),
        ("license_id", lambda: _licence(pkg, licences, facts)),
        ("language", lambda: _languages(pkg, facts)),
        ("metadata_language", lambda: _metadata_language(pkg, facts)),
        ("access_rights", lambda: _access_rights(pkg, facts)),
        ("modified", lambda: (_date(pkg.get("metadata_modified")), "metadata_modified")),
        ("update_method", lambda: _update_method(pkg, facts)),
        ("harvest_source", lambda: _harvest_source(pkg, facts)),
        ("contact_name", lambda: _contact(pkg, "")),
        ("contact_email", lambda: _contact(pkg, "_email")),
    ):
        if field in done or not needs(field):
            continue
        value, why = derive_one()
        if not _empty(value):
            put(field, value, why)
            done.add(field)
    for field in sorted(set(problems) - done):
        if "[" not in field and from_defaults(field):
            done.add(field)
    for field in sorted(set(problems) - done):
        # a value that came from a free extra and that no derivation replaced: keep it as
        # it is (the schema then accepts or refuses it)
        if "[" not in field and problems[field] == ["free extra"] and not _empty(pkg.get(field)):
            put(field, pkg[field], f"free extra {field}")
            done.add(field)

    for i, res in enumerate(pkg.get("resources") or []):
        path = f"resources[{i}].format"
        if needs(path) and not _empty(res.get("format")):
            code = format_code(str(res["format"]), facts)
            if code and code != res.get("format"):
                changes.append(Change(path, res.get("format"), code, "file-type code"))

    # Saving runs the schema's defaults for empty fields (identifier, authority, publisher):
    # state them here, so that what a run reports is all it changes.
    if changes:
        touched = {c.path for c in changes}
        for field, value, why in (
            ("identifier", *_identifier(pkg, facts)),
            ("authority", *_municipality(org_name, org_municipality, facts)),
            ("publisher_uri", *_municipality(org_name, org_municipality, facts)),
            ("issued", _date(pkg.get("metadata_created")), "metadata_created"),
        ):
            if field not in touched and _empty(pkg.get(field)) and not _empty(value):
                put(field, value, why)
    return changes


def _identifier(pkg: Mapping[str, Any], facts: PortalFacts) -> tuple[str, str]:
    if facts.site_url and pkg.get("name"):
        return f"{facts.site_url.rstrip('/')}/dataset/{pkg['name']}", "the dataset's address"
    return "", ""


def _municipality(org_name: str, org_uri: str, facts: PortalFacts) -> tuple[str, str]:
    if org_uri:
        uri, why = org_uri, f"municipality of department {org_name}"
    elif facts.municipality_uri:
        uri, why = facts.municipality_uri, "ckanext.gemeente.municipality_uri"
    else:
        return "", ""
    return (uri, why) if facts.in_list("DONL:Organization", uri) else ("", "")


def _licence(
    pkg: Mapping[str, Any], licences: Mapping[str, str], facts: PortalFacts
) -> tuple[str, str]:
    lid = str(pkg.get("license_id") or "notspecified")
    uri = licences.get(lid, "")
    if uri and facts.in_list("DONL:License", uri):
        return uri, f"CKAN licence {lid}"
    return "", ""


def _languages(pkg: Mapping[str, Any], facts: PortalFacts) -> tuple[list[str], str]:
    found = [u for u in (_language_uri(v, facts) for v in _values(pkg.get("language"))) if u]
    if found:
        return list(dict.fromkeys(found)), "the dataset's language codes"
    uri = _language_uri(facts.locale_default[:2], facts)
    return ([uri], "ckan.locale_default") if uri else ([], "")


def _metadata_language(pkg: Mapping[str, Any], facts: PortalFacts) -> tuple[str, str]:
    current = _values(pkg.get("metadata_language"))
    uri = _language_uri(current[0], facts) if current else ""
    if uri:
        return uri, "the dataset's language code"
    uri = _language_uri(facts.locale_default[:2], facts)
    return (uri, "ckan.locale_default") if uri else ("", "")


def _access_rights(pkg: Mapping[str, Any], facts: PortalFacts) -> tuple[str, str]:
    private = pkg.get("private") in (True, "True", "true")
    uri = EU_ACCESS + ("NON_PUBLIC" if private else "PUBLIC")
    if not facts.in_list("Overheid:Openbaarheidsniveau", uri):
        return "", ""
    return uri, "private dataset" if private else "public dataset"


def _update_method(pkg: Mapping[str, Any], facts: PortalFacts) -> tuple[str, str]:
    if facts.harvest_source_of(dict(pkg)):
        return "geharvest", "harvested by ckanext-harvest"
    return "handmatig", "not harvested"


def _harvest_source(pkg: Mapping[str, Any], facts: PortalFacts) -> tuple[str, str]:
    url = facts.harvest_source_of(dict(pkg))
    return (url, "its harvest source") if url else ("", "")


def _contact(pkg: Mapping[str, Any], suffix: str) -> tuple[str, str]:
    for role in ("maintainer", "author"):
        value = pkg.get(role + suffix)
        if not _empty(value):
            return str(value).strip(), f"the dataset's {role}{suffix}"
    return "", ""


def apply(pkg: Mapping[str, Any], changes: list[Change]) -> dict[str, Any]:
    """A copy of ``pkg`` with ``changes`` applied (resources copied, not shared)."""
    out = dict(pkg)
    out["resources"] = [dict(r) for r in pkg.get("resources") or []]
    for change in changes:
        m = re.match(r"^resources\[(\d+)\]\.(\w+)$", change.path)
        if m:
            out["resources"][int(m.group(1))][m.group(2)] = change.new
        else:
            out[change.path] = change.new
    return out
