"""The per-source mapping from source records to dataset fields: validation, application, hash.

Pure Python, no CKAN imports. Every municipal harvester turns its source into *records*
(flat dicts of column -> value: a spreadsheet row, a database table's description) and
this module maps them, the same way for every source type, to a dataset dict. The mapping
is JSON in the harvest source's configuration (key ``mapping``)::

    {"identifier": "ID",                          # column with the source's own id
     "fields": {"title": "Titel",                 # target field: column name, or a spec
                "modified": {"column": "Gewijzigd", "type": "date"},
                "theme": {"column": "Thema", "type": "list", "split": ";",
                          "map": {"Wonen": "http://standaarden.overheid.nl/..."}},
                "contact_email": {"value": "opendata@gemeente.nl"},
                "notes": {"template": "{Omschrijving}\\n\\nBron: {Systeem}"}},
     "resources": [{"url": "Download-URL", "format": "Formaat", "name": "Bestandsnaam"}]}

A spec has exactly one of ``column`` / ``value`` / ``template`` and optionally ``type``
(``text`` default, ``date`` (31-12-2025, 2025-12-31, 31/12/2025, Excel dates), ``list``,
``bool`` (ja/nee), ``int``), ``split`` (list separator, default ``;``), ``map`` (value
translation, case-insensitive), ``default`` (when the cell is empty) and ``required``.
Errors are (field, message) pairs in English; the CKAN side translates them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

TYPES = ("text", "date", "list", "bool", "int")
_SPEC_KEYS = {"column", "value", "template", "type", "split", "map", "default", "required"}
_TRUE = {"ja", "j", "yes", "y", "true", "waar", "1", "x"}
_FALSE = {"nee", "n", "no", "false", "onwaar", "0", ""}
_DATE_PATTERNS = (
    (re.compile(r"^(\d{1,2})-(\d{1,2})-(\d{4})$"), ("d", "m", "y")),
    (re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$"), ("d", "m", "y")),
    (re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$"), ("d", "m", "y")),
    (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?$"), ("y", "m", "d")),
)
_MONTHS = {m: i + 1 for i, m in enumerate(
    "januari februari maart april mei juni juli augustus september oktober november december"
    .split())}
_LONG_DATE = re.compile(r"^(\d{1,2})\s+([a-z]+)\.?\s+(\d{4})$")


class MappingError(ValueError):
    """The mapping itself is invalid; ``errors`` lists (path, message) pairs."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{path}: {msg}" for path, msg in errors))


@dataclass(frozen=True)
class FieldSpec:
    target: str
    column: str | None = None
    value: Any = None
    template: str | None = None
    type: str = "text"
    split: str = ";"
    map: Mapping[str, Any] = field(default_factory=dict)
    default: Any = None
    required: bool = False

    def columns(self) -> list[str]:
        if self.column:
            return [self.column]
        if self.template:
            return re.findall(r"\{([^{}]+)\}", self.template)
        return []


@dataclass(frozen=True)
class Mapping_:
    identifier: str | None
    fields: tuple[FieldSpec, ...]
    resources: tuple[tuple[FieldSpec, ...], ...]

    def columns(self) -> set[str]:
        cols = {c for f in self.fields for c in f.columns()}
        cols |= {c for r in self.resources for f in r for c in f.columns()}
        if self.identifier:
            cols.add(self.identifier)
        return cols


def _spec(target: str, raw: Any, path: str, errors: list[tuple[str, str]]) -> FieldSpec | None:
    if isinstance(raw, str):
        return FieldSpec(target=target, column=raw)
    if not isinstance(raw, dict):
        errors.append((path, "must be a column name or an object"))
        return None
    unknown = set(raw) - _SPEC_KEYS
    if unknown:
        errors.append((path, "unknown keys: " + ", ".join(sorted(unknown))))
    sources = [k for k in ("column", "value", "template") if k in raw]
    if len(sources) != 1:
        errors.append((path, "give exactly one of column, value, template"))
        return None
    ftype = raw.get("type", "text")
    if ftype not in TYPES:
        errors.append((path + ".type", f"unknown type {ftype!r} (one of {', '.join(TYPES)})"))
        ftype = "text"
    vmap = raw.get("map", {})
    if not isinstance(vmap, dict):
        errors.append((path + ".map", "must be an object of source value -> value"))
        vmap = {}
    for key in ("column", "template"):
        if key in raw and not (isinstance(raw[key], str) and raw[key].strip()):
            errors.append((path + "." + key, "must be a non-empty text"))
            return None
    split = raw.get("split", ";")
    if not isinstance(split, str) or not split:
        errors.append((path + ".split", "must be a non-empty text"))
        split = ";"
    return FieldSpec(
        target=target, column=raw.get("column"), value=raw.get("value"),
        template=raw.get("template"), type=ftype, split=split,
        map={str(k).strip().lower(): v for k, v in vmap.items()},
        default=raw.get("default"), required=bool(raw.get("required", False)),
    )


def parse_mapping(
    raw: Any, known_fields: Iterable[str] | None = None,
    known_resource_fields: Iterable[str] | None = None,
) -> Mapping_:
    """Validate ``raw`` (the ``mapping`` value of a source config); raise :class:`MappingError`.

    ``known_fields`` / ``known_resource_fields`` (the target schema's field names) make an
    unknown target field an error at save time instead of at the first harvest.
    """
    errors: list[tuple[str, str]] = []
    if not isinstance(raw, dict):
        raise MappingError([("mapping", "must be an object")])
    unknown = set(raw) - {"identifier", "fields", "resources"}
    if unknown:
        errors.append(("mapping", "unknown keys: " + ", ".join(sorted(unknown))))
    ident = raw.get("identifier")
    if ident is not None and not (isinstance(ident, str) and ident.strip()):
        errors.append(("mapping.identifier", "must be a column name"))
        ident = None
    known = set(known_fields) if known_fields is not None else None
    known_res = set(known_resource_fields) if known_resource_fields is not None else None
    specs: list[FieldSpec] = []
    fields_raw = raw.get("fields", {})
    if not isinstance(fields_raw, dict):
        errors.append(("mapping.fields", "must be an object of field -> spec"))
        fields_raw = {}
    for target, spec_raw in fields_raw.items():
        path = f"mapping.fields.{target}"
        if known is not None and target not in known:
            errors.append((path, "unknown dataset field"))
            continue
        spec = _spec(target, spec_raw, path, errors)
        if spec:
            specs.append(spec)
    resources: list[tuple[FieldSpec, ...]] = []
    res_raw = raw.get("resources", [])
    if not isinstance(res_raw, list):
        errors.append(("mapping.resources", "must be a list"))
        res_raw = []
    for i, res in enumerate(res_raw):
        path = f"mapping.resources[{i}]"
        if not isinstance(res, dict) or "url" not in res:
            errors.append((path, "must be an object with at least 'url'"))
            continue
        rspecs = []
        for target, spec_raw in res.items():
            if known_res is not None and target not in known_res:
                errors.append((f"{path}.{target}", "unknown resource field"))
                continue
            spec = _spec(target, spec_raw, f"{path}.{target}", errors)
            if spec:
                rspecs.append(spec)
        resources.append(tuple(rspecs))
    if errors:
        raise MappingError(errors)
    return Mapping_(identifier=ident, fields=tuple(specs), resources=tuple(resources))


# ------------------------------------------------------------------ values


def parse_date(value: Any) -> str:
    """ISO date (``2025-12-31``) from Dutch and ISO spellings, datetimes and Excel serials."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 20000 < value < 80000:  # an Excel serial date that arrived as a number
            return (dt.date(1899, 12, 30) + dt.timedelta(days=int(value))).isoformat()
        raise ValueError(f"not a date: {value!r}")
    text = str(value).strip()
    for pattern, order in _DATE_PATTERNS:
        m = pattern.match(text)
        if m:
            parts = dict(zip(order, (int(g) for g in m.groups()), strict=True))
            try:
                return dt.date(parts["y"], parts["m"], parts["d"]).isoformat()
            except ValueError as exc:
                raise ValueError(f"not a date ({exc}): {text!r}") from None
    m = _LONG_DATE.match(text.lower())
    if m and m.group(2) in _MONTHS:
        return dt.date(int(m.group(3)), _MONTHS[m.group(2)], int(m.group(1))).isoformat()
    raise ValueError(f"not a date (expected e.g. 31-12-2025): {text!r}")


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return parse_date(value)
    return str(value).strip()


def _convert(spec: FieldSpec, value: Any) -> Any:
    def mapped(v: Any) -> Any:
        if spec.map:
            key = _text(v).lower()
            if key in spec.map:
                return spec.map[key]
            raise ValueError(f"value {_text(v)!r} is not in the mapping's value list")
        return v

    if spec.type == "list":
        items = value if isinstance(value, list) else _text(value).split(spec.split)
        out = []
        for item in items:
            if not _empty(item):
                m = mapped(_text(item) if not isinstance(item, str) else item.strip())
                out.extend(m if isinstance(m, list) else [m])
        return out
    value = mapped(value)
    if spec.type == "date":
        return parse_date(value)
    if spec.type == "bool":
        if isinstance(value, bool):
            return value
        text = _text(value).lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValueError(f"not yes/no: {_text(value)!r}")
    if spec.type == "int":
        try:
            return int(float(_text(value)))
        except ValueError:
            raise ValueError(f"not a whole number: {_text(value)!r}") from None
    return _text(value) if not isinstance(value, list | dict | bool) else value


def _apply(spec: FieldSpec, record: Mapping[str, Any]) -> Any:
    if spec.column is not None:
        value = record.get(spec.column)
    elif spec.template is not None:
        parts = {c: "" if _empty(record.get(c)) else _text(record.get(c))
                 for c in spec.columns()}
        value = spec.template.format_map(parts).strip()
    else:
        value = spec.value
    if _empty(value) or value == []:
        if spec.default is not None:
            return spec.default
        if spec.required:
            raise ValueError("a value is required")
        return None
    if spec.value is not None and spec.column is None:
        return value
    return _convert(spec, value)


def apply_mapping(
    mapping: Mapping_, record: Mapping[str, Any], base: Mapping[str, Any] | None = None
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The dataset dict of ``record`` (on top of ``base``) and its (field, message) errors."""
    out: dict[str, Any] = dict(base or {})
    errors: list[tuple[str, str]] = []
    for spec in mapping.fields:
        try:
            value = _apply(spec, record)
        except ValueError as exc:
            errors.append((spec.target, str(exc)))
            continue
        if value is not None:
            out[spec.target] = value
    resources = list(out.get("resources") or [])
    for i, rspecs in enumerate(mapping.resources):
        res: dict[str, Any] = {}
        for spec in rspecs:
            try:
                value = _apply(spec, record)
            except ValueError as exc:
                errors.append((f"resources[{i}].{spec.target}", str(exc)))
                continue
            if value is not None:
                res[spec.target] = value
        if res.get("url"):
            resources.append(res)
    if resources:
        out["resources"] = resources
    return out, errors


def record_identifier(mapping: Mapping_, record: Mapping[str, Any], fallback: str) -> str:
    if mapping.identifier and not _empty(record.get(mapping.identifier)):
        return _text(record[mapping.identifier])
    return fallback


def content_hash(data: Any) -> str:
    """A stable SHA-256 of ``data`` (key order and whitespace do not matter)."""
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                      default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
