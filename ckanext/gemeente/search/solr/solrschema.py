"""Solr ``schema.xml`` model: field types, fields, dynamic fields, copyFields, uniqueKey.

Pure Python (standard library + ``snowballstemmer`` through :mod:`.analysis`).

:meth:`Schema.prepare` applies Solr's update semantics to one JSON document
(``DocumentBuilder.toDocument`` plus the uniqueKey / atomic-update / immense-term checks
around it) and returns ``{field: [normalized values]}`` including copyField
destinations and default values. Error texts are Solr 9's.

Values are normalized to Python types: ``str`` for text/string/binary/other fields and
for dates (Solr's canonical ISO form, see :func:`.datemath.format_solr_date`), ``bool``,
``int`` (int/long; JSON numbers are narrowed like Java's ``Number.intValue()``) and
``float`` (float/double; float fields keep double precision, an approximation).
"""

from __future__ import annotations

import math
import os
import re
import struct
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Literal

from .analysis import KEYWORD_ANALYZER, Analyzer, Token, build_analyzer
from .datemath import format_solr_date, parse_solr_date, to_epoch_millis
from .errors import SolrError
from .geometry import parse_shape

__all__ = ["FieldType", "Field", "Schema", "SchemaError", "java_str", "MAX_TERM_LENGTH"]

Kind = Literal[
    "text", "string", "bool", "int", "long", "float", "double", "date", "binary", "spatial",
    "other"
]

MAX_TERM_LENGTH = 32766

_KIND_BY_CLASS: dict[str, Kind] = {
    "textfield": "text",
    "sortabletextfield": "text",
    "strfield": "string",
    "uuidfield": "string",
    "boolfield": "bool",
    "intpointfield": "int",
    "trieintfield": "int",
    "intfield": "int",
    "longpointfield": "long",
    "trielongfield": "long",
    "longfield": "long",
    "floatpointfield": "float",
    "triefloatfield": "float",
    "floatfield": "float",
    "doublepointfield": "double",
    "triedoublefield": "double",
    "doublefield": "double",
    "datepointfield": "date",
    "triedatefield": "date",
    "datefield": "date",
    "daterangefield": "date",
    "binaryfield": "binary",
    "spatialrecursiveprefixtreefieldtype": "spatial",
    "rptwithgeometryspatialfield": "spatial",
    "latlonpointspatialfield": "spatial",
}

_ATOMIC_OPS = frozenset({"set", "add", "add-distinct", "remove", "removeregex", "inc"})

_INT_RE = re.compile(r"[+-]?\d+\Z")
_FLOAT_RE = re.compile(r"[+-]?(?:NaN|Infinity|(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)[fFdD]?)\Z")
_JAVA_TRIM = "".join(chr(c) for c in range(0x21))


class SchemaError(SolrError):
    """An invalid schema (Solr refuses to load the core)."""

    def __init__(self, msg: str) -> None:
        super().__init__(msg, 500)


# --------------------------------------------------------------------------- Java-isms


def java_double_str(value: float) -> str:
    """``Double.toString``: ``1.0``, ``0.001``, ``1.0E7``, ``1.5E-4``, ``NaN``, ``Infinity``."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    dec = Decimal(repr(value))
    sign, digits, exp = dec.as_tuple()
    assert isinstance(exp, int)
    ds = "".join(map(str, digits)).rstrip("0") or "0"
    sci_exp = len(digits) - 1 + exp
    prefix = "-" if sign else ""
    if 1e-3 <= abs(value) < 1e7:
        if sci_exp >= 0:
            int_part = ds[: sci_exp + 1].ljust(sci_exp + 1, "0")
            frac = ds[sci_exp + 1 :] or "0"
        else:
            int_part = "0"
            frac = "0" * (-sci_exp - 1) + ds
        return f"{prefix}{int_part}.{frac}"
    mantissa = ds[0] + "." + (ds[1:] or "0")
    return f"{prefix}{mantissa}E{sci_exp}"


def java_str(value: object) -> str:
    """``String.valueOf`` of a JSON-decoded value as Solr's JSON loader sees it."""
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return java_double_str(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(java_str(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={java_str(v)}" for k, v in value.items()) + "}"
    return str(value)


def _wrap(value: int, bits: int) -> int:
    mask = (1 << bits) - 1
    value &= mask
    return value - (1 << bits) if value >> (bits - 1) else value


def _narrow_float(value: float, bits: int) -> int:
    # Java's (int)/(long) cast of a double: NaN -> 0, saturating.
    if math.isnan(value):
        return 0
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    if math.isinf(value):
        return hi if value > 0 else lo
    return max(lo, min(hi, int(value)))


def _parse_java_int(text: str, bits: int) -> int:
    """``Integer.parseInt`` / ``Long.parseLong``; ValueError carries Java's message."""
    if _INT_RE.match(text):
        result = int(text)
        if -(1 << (bits - 1)) <= result < (1 << (bits - 1)):
            return result
    raise ValueError(f'For input string: "{text}"')


def _parse_java_float(text: str, single: bool) -> float:
    """``Float.parseFloat`` / ``Double.parseDouble``; ValueError carries Java's message."""
    trimmed = text.strip(_JAVA_TRIM)
    if not trimmed:
        raise ValueError("empty String")
    if not _FLOAT_RE.match(trimmed):
        raise ValueError(f'For input string: "{trimmed}"')
    body = (
        trimmed.rstrip("fFdD") if trimmed[-1] in "fFdD" and "Infinity" not in trimmed else trimmed
    )
    result = float(body.replace("Infinity", "inf"))
    if single and math.isfinite(result):
        try:
            struct.pack("f", result)
        except OverflowError:
            result = math.copysign(math.inf, result)
    return result


# --------------------------------------------------------------------------- field types


@dataclass
class FieldType:
    name: str
    class_name: str
    kind: Kind
    index_analyzer: Analyzer = KEYWORD_ANALYZER
    query_analyzer: Analyzer = KEYWORD_ANALYZER
    multi_valued: bool = False
    indexed: bool = True
    stored: bool = True
    position_increment_gap: int = 0
    sort_missing_last: bool = False
    sort_missing_first: bool = False
    doc_values: bool = False
    multiterm_analyzer: Analyzer | None = None
    attrs: dict[str, str] = field(default_factory=dict, repr=False)

    # ---- indexing

    def convert(self, field_name: str, value: object) -> object:
        """Normalize one incoming JSON value; SolrError with Solr's (inner) message."""
        kind = self.kind
        try:
            if kind in ("text", "string", "binary", "other"):
                return java_str(value)
            if kind == "spatial":  # stored as given; the index keeps the parsed shape
                text = java_str(value)
                parse_shape(text)
                return text
            if kind == "bool":
                text = java_str(value)
                return bool(text) and text[0] in "1tT"
            if kind in ("int", "long"):
                bits = 32 if kind == "int" else 64
                if isinstance(value, bool):
                    return _parse_java_int(java_str(value), bits)
                if isinstance(value, int):
                    if -(1 << 63) <= value < (1 << 63):
                        return _wrap(value, bits)
                    return _parse_java_int(str(value), bits)
                if isinstance(value, float):
                    return _narrow_float(value, bits)
                return _parse_java_int(java_str(value), bits)
            if kind in ("float", "double"):
                if isinstance(value, bool):
                    return _parse_java_float(java_str(value), kind == "float")
                if isinstance(value, (int, float)):
                    return float(value)
                return _parse_java_float(java_str(value), kind == "float")
            if kind == "date":
                if isinstance(value, datetime):
                    return format_solr_date(value)
                return format_solr_date(parse_solr_date(java_str(value)))
        except ValueError as exc:
            raise SolrError(str(exc)) from None
        return java_str(value)  # pragma: no cover - all kinds handled above

    def canonical(self, value: object) -> str:
        """The indexed term text of a normalized value."""
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, float):
            return java_double_str(value)
        return str(value)

    def terms(self, value: object) -> list[Token]:
        if self.kind == "text":
            return self.index_analyzer.analyze(value if isinstance(value, str) else java_str(value))
        return [Token(self.canonical(value), 0)]

    def positions(self, value: object) -> tuple[list[str], list[int], int, int]:
        """``terms`` for indexing: ``(terms, positions, distinct positions, last)``."""
        if self.kind == "text":
            return self.index_analyzer.positions(
                value if isinstance(value, str) else java_str(value)
            )
        return [self.canonical(value)], [0], 1, 0

    # ---- sorting and ranges

    def sort_key(self, value: object) -> object:
        kind = self.kind
        if kind == "date":
            if isinstance(value, str):
                return _date_millis(value)
            if isinstance(value, datetime):
                return to_epoch_millis(value)
            return value
        if kind == "bool":
            return 1 if value else 0
        return value

    def parse_bound(
        self, text: str, field_name: str | None = None, now: datetime | None = None
    ) -> object:
        """A range bound from a query, in the domain of :meth:`sort_key`."""
        kind = self.kind
        if kind in ("int", "long"):
            return _number_from_user(
                text, field_name, lambda t: _parse_java_int(t, 32 if kind == "int" else 64)
            )
        if kind in ("float", "double"):
            return _number_from_user(
                text, field_name, lambda t: _parse_java_float(t, kind == "float")
            )
        if kind == "date":
            return to_epoch_millis(parse_solr_date(text, now))
        if kind == "bool":
            return 1 if text[:1] in ("1", "t", "T") else 0
        return text

    def query_value(
        self, text: str, field_name: str | None = None, now: datetime | None = None
    ) -> str:
        """Canonical term text for a query term on a non-text field (validated)."""
        kind = self.kind
        if kind in ("int", "long"):
            return str(self.parse_bound(text, field_name))
        if kind in ("float", "double"):
            return java_double_str(float(self.parse_bound(text, field_name)))  # type: ignore[arg-type]
        if kind == "date":
            return format_solr_date(parse_solr_date(text, now))
        if kind == "bool":
            return "true" if text[:1] in ("1", "t", "T") else "false"
        return text

    def multiterm(self, text: str) -> str:
        if self.kind != "text":
            return text
        if self.multiterm_analyzer is not None:
            toks = self.multiterm_analyzer.analyze(text)
            return toks[0].text if toks else text
        return self.query_analyzer.multiterm(text)


_date_cache: dict[str, int] = {}


def _date_millis(value: str) -> int:
    cached = _date_cache.get(value)
    if cached is None:
        try:
            dt = datetime.fromisoformat(value)
        except ValueError:
            dt = parse_solr_date(value)
        if len(_date_cache) > 100_000:
            _date_cache.clear()
        cached = _date_cache[value] = to_epoch_millis(dt)
    return cached


def _number_from_user(text: str, field_name: str | None, parse) -> object:  # noqa: ANN001
    try:
        return parse(text)
    except ValueError:
        suffix = f" for field {field_name}" if field_name else ""
        raise SolrError(f"Invalid Number: {text}{suffix}") from None


@dataclass
class Field:
    name: str
    type: FieldType
    indexed: bool = True
    stored: bool = True
    multi_valued: bool = False
    required: bool = False
    default: str | None = None
    doc_values: bool = False
    dynamic: bool = False
    position_increment_gap: int = 0
    sort_missing_last: bool = False
    sort_missing_first: bool = False
    #: for dynamic fields: the pattern that matched (``*_date``); else None
    pattern: str | None = None


# --------------------------------------------------------------------------- helpers


def _bool_attr(value: str | None, default: bool) -> bool:
    if value is None:
        return default
    return value.strip().lower() == "true" or value.strip() == "1"


def _glob_match(pattern: str, name: str) -> str | None:
    """Match a Solr glob (``*``, ``prefix*``, ``*suffix``); returns the ``*`` part or None."""
    if pattern == "*":
        return name
    if pattern.startswith("*"):
        suffix = pattern[1:]
        return name[: len(name) - len(suffix)] if name.endswith(suffix) else None
    if pattern.endswith("*"):
        prefix = pattern[:-1]
        return name[len(prefix) :] if name.startswith(prefix) else None
    return None


def _is_glob(pattern: str) -> bool:
    return "*" in pattern


def _java_signed_bytes(data: bytes) -> str:
    return "[" + ", ".join(str(b - 256 if b > 127 else b) for b in data) + "]"


# --------------------------------------------------------------------------- schema


class Schema:
    def __init__(self) -> None:
        self.name: str = ""
        self.version: str = ""
        self.unique_key: str = ""
        self.raw_xml: bytes = b""
        self.path: str | None = None
        self.field_types: dict[str, FieldType] = {}
        self.fields: dict[str, Field] = {}
        self.dynamic_fields: list[Field] = []
        self.copy_fields: list[tuple[str, str, int]] = []
        self._field_cache: dict[str, Field | None] = {}
        self._copy_cache: dict[str, list[tuple[str, int]]] = {}
        self._fixed_copies: dict[str, list[tuple[str, int]]] = {}
        self._glob_copies: list[tuple[str, str, int]] = []
        self._required: list[Field] = []

    # ---- loading

    @classmethod
    def load(cls, path: str) -> Schema:
        with open(path, "rb") as fh:
            data = fh.read()
        schema = cls.from_string(data, os.path.dirname(os.path.abspath(path)))
        schema.path = path
        return schema

    @classmethod
    def from_string(cls, xml: str | bytes, resource_dir: str | None = None) -> Schema:
        raw = xml.encode("utf-8") if isinstance(xml, str) else xml
        try:
            root = ET.fromstring(raw)
        except ET.ParseError as exc:
            raise SchemaError(f"Unable to parse schema: {exc}") from None
        if root.tag != "schema":
            raise SchemaError(f"Schema root element must be <schema>, not <{root.tag}>")
        schema = cls()
        schema.raw_xml = raw
        schema.name = root.get("name", "")
        schema.version = root.get("version", "1.6")
        schema._parse(root, resource_dir)
        return schema

    def _parse(self, root: ET.Element, resource_dir: str | None) -> None:
        try:
            version = float(self.version)
        except ValueError:
            version = 1.6
        containers = [root, *root.findall("types"), *root.findall("fields")]

        for container in containers:
            for el in container:
                if el.tag in ("fieldType", "fieldtype"):
                    ft = self._parse_field_type(el, resource_dir, version)
                    if ft.name in self.field_types:
                        raise SchemaError(f"Duplicate fieldType definition for '{ft.name}'")
                    self.field_types[ft.name] = ft

        dynamic_decl: list[Field] = []
        for container in containers:
            for el in container:
                if el.tag == "field":
                    f = self._parse_field(el, dynamic=False)
                    if f.name in self.fields:
                        raise SchemaError(f"[schema.xml] Duplicate field definition for '{f.name}'")
                    self.fields[f.name] = f
                elif el.tag == "dynamicField":
                    f = self._parse_field(el, dynamic=True)
                    if not (f.name.startswith("*") or f.name.endswith("*")):
                        raise SchemaError(
                            f"Dynamic field name '{f.name}' must start or end with '*'"
                        )
                    if any(d.name == f.name for d in dynamic_decl):
                        raise SchemaError(
                            f"[schema.xml] Duplicate DynamicField definition for '{f.name}'"
                        )
                    dynamic_decl.append(f)
        # Solr: longer patterns first (stable for equal lengths); '*' therefore last.
        self.dynamic_fields = sorted(dynamic_decl, key=lambda d: -len(d.name))

        uk = root.find("uniqueKey")
        if uk is not None and (uk.text or "").strip():
            self.unique_key = (uk.text or "").strip()
            ukf = self.field(self.unique_key)
            if ukf is None or ukf.dynamic:
                raise SchemaError(f"Unknown uniqueKey field '{self.unique_key}'")
            if ukf.multi_valued:
                raise SchemaError(
                    f"uniqueKey field ({self.unique_key}) can not be configured to be multivalued"
                )
            ukf.required = True

        for el in root.iter("copyField"):
            source = el.get("source")
            dest = el.get("dest")
            if not source or not dest:
                raise SchemaError("copyField needs both source and dest")
            max_chars = int(el.get("maxChars", "0") or 0)
            self._add_copy_field(source, dest, max_chars)

        self._required = [f for f in self.fields.values() if f.required or f.default is not None]
        for f in self.fields.values():
            if f.default is not None:
                try:
                    if f.type.kind != "date" or not f.default.startswith("NOW"):
                        f.type.convert(f.name, f.default)
                except SolrError as exc:
                    raise SchemaError(
                        f"Error parsing default value '{f.default}' for field {f.name}: {exc.msg}"
                    ) from None

    def _parse_field_type(
        self, el: ET.Element, resource_dir: str | None, version: float
    ) -> FieldType:
        name = el.get("name")
        cls = el.get("class")
        if not name or not cls:
            raise SchemaError("fieldType needs both name and class")
        short = cls.rsplit(".", 1)[-1].lower()
        kind: Kind = _KIND_BY_CLASS.get(short, "other")
        ft = FieldType(name=name, class_name=cls, kind=kind, attrs=dict(el.attrib))
        ft.multi_valued = _bool_attr(el.get("multiValued"), version < 1.1)
        ft.indexed = _bool_attr(el.get("indexed"), kind != "binary")
        ft.stored = _bool_attr(el.get("stored"), True)
        ft.doc_values = _bool_attr(
            el.get("docValues"), version >= 1.7 and kind not in ("text", "binary", "other")
        )
        ft.sort_missing_last = _bool_attr(el.get("sortMissingLast"), False)
        ft.sort_missing_first = _bool_attr(el.get("sortMissingFirst"), False)
        try:
            ft.position_increment_gap = int(el.get("positionIncrementGap", "0"))
        except ValueError:
            raise SchemaError(f"fieldType {name}: invalid positionIncrementGap") from None
        if kind == "text":
            both_el = index_el = query_el = multi_el = None
            for a in el.findall("analyzer"):
                t = a.get("type")
                if t is None:
                    both_el = a
                elif t == "index":
                    index_el = a
                elif t == "query":
                    query_el = a
                elif t == "multiterm":
                    multi_el = a
                else:
                    raise SchemaError(f"fieldType {name}: unknown analyzer type '{t}'")
            index_el = index_el if index_el is not None else both_el
            query_el = query_el if query_el is not None else both_el
            if index_el is None:
                index_el = query_el
            if query_el is None:
                query_el = index_el
            try:
                ft.index_analyzer = build_analyzer(index_el, resource_dir)
                ft.query_analyzer = (
                    ft.index_analyzer
                    if query_el is index_el
                    else build_analyzer(query_el, resource_dir)
                )
                if multi_el is not None:
                    ft.multiterm_analyzer = build_analyzer(multi_el, resource_dir)
            except SolrError as exc:
                raise SchemaError(
                    f'Plugin init failure for [schema.xml] fieldType "{name}": {exc.msg}'
                ) from None
        return ft

    def _parse_field(self, el: ET.Element, dynamic: bool) -> Field:
        name = el.get("name")
        type_name = el.get("type")
        if not name or not type_name:
            raise SchemaError("field needs both name and type")
        ft = self.field_types.get(type_name)
        if ft is None:
            raise SchemaError(f"Unknown fieldType '{type_name}' specified on field {name}")
        gap = el.get("positionIncrementGap")
        return Field(
            name=name,
            type=ft,
            indexed=_bool_attr(el.get("indexed"), ft.indexed),
            stored=_bool_attr(el.get("stored"), ft.stored),
            multi_valued=_bool_attr(el.get("multiValued"), ft.multi_valued),
            required=_bool_attr(el.get("required"), False),
            default=el.get("default"),
            doc_values=_bool_attr(el.get("docValues"), ft.doc_values),
            dynamic=dynamic,
            position_increment_gap=int(gap) if gap is not None else ft.position_increment_gap,
            sort_missing_last=_bool_attr(el.get("sortMissingLast"), ft.sort_missing_last),
            sort_missing_first=_bool_attr(el.get("sortMissingFirst"), ft.sort_missing_first),
            pattern=name if dynamic else None,
        )

    def _add_copy_field(self, source: str, dest: str, max_chars: int) -> None:
        source_glob = _is_glob(source)
        if not source_glob and self.field(source) is None:
            raise SchemaError(
                f"copyField source :'{source}' is not a glob and doesn't match any explicit "
                "field or dynamicField."
            )
        if _is_glob(dest):
            if not source_glob:
                raise SchemaError(
                    f"copyField only supports a dynamic destination with a dynamic source: "
                    f"'{source}' -> '{dest}'"
                )
            probe = dest.replace("*", "x", 1)
            if self.field(probe) is None:
                raise SchemaError(
                    f"copyField dest :'{dest}' is not an explicit field and doesn't match a "
                    "dynamicField."
                )
        elif self.field(dest) is None:
            raise SchemaError(
                f"copyField dest :'{dest}' is not an explicit field and doesn't match a "
                "dynamicField."
            )
        self.copy_fields.append((source, dest, max_chars))
        if source_glob or source not in self.fields:
            self._glob_copies.append((source, dest, max_chars))
        else:
            self._fixed_copies.setdefault(source, []).append((dest, max_chars))
        self._copy_cache.clear()

    # ---- lookups

    def field(self, name: str) -> Field | None:
        """Explicit field, else the dynamic field with Solr's precedence."""
        f = self.fields.get(name)
        if f is not None:
            return f
        cache = self._field_cache
        if name in cache:
            return cache[name]
        found: Field | None = None
        for proto in self.dynamic_fields:
            if _glob_match(proto.name, name) is not None:
                found = replace(proto, name=name)
                break
        if len(cache) > 100_000:
            cache.clear()
        cache[name] = found
        return found

    def copy_destinations(self, name: str) -> list[tuple[str, int]]:
        cached = self._copy_cache.get(name)
        if cached is not None:
            return cached
        result: list[tuple[str, int]] = []
        for source, dest, max_chars in self._glob_copies:
            if _is_glob(source):
                star = _glob_match(source, name)
                if star is None:
                    continue
                target = dest.replace("*", star, 1) if _is_glob(dest) else dest
            elif source == name:
                target = dest
            else:
                continue
            result.append((target, max_chars))
        result.extend(self._fixed_copies.get(name, ()))
        if len(self._copy_cache) > 100_000:
            self._copy_cache.clear()
        self._copy_cache[name] = result
        return result

    # ---- update processing

    def prepare(self, doc: dict) -> dict[str, list]:
        """Solr's update semantics for one JSON document; see the module docstring."""
        uk = self.unique_key
        doc_id = "null"
        if uk:
            raw_id = doc.get(uk)
            id_values = [
                v for v in (raw_id if isinstance(raw_id, list) else [raw_id]) if v is not None
            ]
            if not id_values:
                raise SolrError(f"Document is missing mandatory uniqueKey field: {uk}")
            if len(id_values) > 1:
                raise SolrError(
                    "Document contains multiple values for uniqueKey field: "
                    f"{uk}={java_str(raw_id)}"
                )
            doc_id = java_str(id_values[0])
        id_prefix = f"[doc={doc_id}] " if uk else ""

        # Maps as field values: child documents or atomic updates.
        for name, raw in doc.items():
            values = raw if isinstance(raw, list) else [raw]
            for v in values:
                if not isinstance(v, dict):
                    continue
                if uk and uk in v:
                    if "_root_" not in self.fields:
                        raise SolrError(
                            "Unable to index docs with children: the schema must include "
                            "definitions for both a uniqueKey field and the '_root_' field, "
                            "using the exact same "
                            "fieldType"
                        )
                    raise SolrError(
                        "Nested child documents are not supported by this search server"
                    )
                for op in v:
                    if op not in _ATOMIC_OPS:
                        raise SolrError(
                            f"Error:{id_prefix} Unknown operation for the an atomic update: {op}"
                        )
                raise SolrError(
                    f"Atomic update of field '{name}' ({', '.join(v)}) is not supported by this "
                    "search server: send the complete document"
                )

        out: dict[str, list] = {}
        used_fields: set[str] = set()
        immense: tuple[str, str] | None = None

        def add(target: Field, value: object) -> None:
            nonlocal immense
            converted = target.type.convert(target.name, value)
            out.setdefault(target.name, []).append(converted)
            if immense is None and target.indexed and isinstance(converted, str):
                if len(converted) * 4 > MAX_TERM_LENGTH:
                    if self._has_immense_term(target, converted):
                        immense = (target.name, converted)

        for name, raw in doc.items():
            is_list = isinstance(raw, list)
            values = raw if is_list else [raw]
            sfield = self.field(name)
            if sfield is not None and not sfield.multi_valued and len(values) > 1:
                raise SolrError(
                    f"ERROR: {id_prefix}multiple values encountered for non multiValued field "
                    f"{sfield.name}: {java_str(values)}"
                )
            copies = self.copy_destinations(name)
            used = False
            has_field = False
            try:
                for v in values:
                    if v is None:
                        continue
                    has_field = True
                    if sfield is not None:
                        used = True
                        add(sfield, v)
                        used_fields.add(sfield.name)
                    for dest_name, max_chars in copies:
                        dest = self.field(dest_name)
                        if dest is None:  # pragma: no cover - validated at load time
                            continue
                        if not dest.multi_valued and dest.name in used_fields:
                            raise SolrError(
                                "Multiple values encountered for non multiValued copy field "
                                f"{dest.name}: {java_str(v)}"
                            )
                        used = True
                        val = v[:max_chars] if isinstance(v, str) and max_chars > 0 else v
                        add(dest, val)
                        used_fields.add(dest.name)
            except SolrError as exc:
                shown = java_str(values) if is_list else java_str(raw)
                raise SolrError(
                    f"ERROR: {id_prefix}Error adding field '{name}'='{shown}' msg={exc.msg}",
                    exc.code,
                ) from None
            if not used and has_field:
                raise SolrError(f"ERROR: {id_prefix}unknown field '{name}'")

        for f in self._required:
            if f.name in out:
                continue
            if f.default is not None:
                add(f, f.default)
            else:
                raise SolrError(f"{id_prefix}missing required field: {f.name}")

        if immense is not None:
            fname, term = immense
            data = term.encode("utf-8")
            raise SolrError(
                f"Exception writing document id {doc_id} to the index; possible analysis error: "
                f'Document contains at least one immense term in field="{fname}" (whose UTF8 '
                f"encoding is longer than the max length {MAX_TERM_LENGTH}), all of which were "
                "skipped.  Please correct the analyzer to not produce such terms.  The prefix of "
                f"the first immense term is: '{_java_signed_bytes(data[:30])}...', original "
                f"message: bytes can be at most {MAX_TERM_LENGTH} in length; got {len(data)}. "
                "Perhaps the document has an indexed string field (solr.StrField) which is too "
                "large"
            )
        return out

    def _has_immense_term(self, target: Field, value: str) -> bool:
        kind = target.type.kind
        if kind == "string":
            return len(value.encode("utf-8")) > MAX_TERM_LENGTH
        if kind == "text" and target.type.index_analyzer.keyword_tokenizer:
            return any(
                len(t.text.encode("utf-8")) > MAX_TERM_LENGTH
                for t in target.type.index_analyzer.analyze(value)
            )
        return False

    # ---- query-time helpers

    def _query_field(self, name: str) -> Field:
        f = self.field(name)
        if f is None:
            raise SolrError(f"undefined field {name}")
        return f

    def query_tokens(self, field: str, text: str, now: datetime | None = None) -> list[Token]:
        f = self._query_field(field)
        if f.type.kind == "text":
            return f.type.query_analyzer.analyze(text)
        return [Token(f.type.query_value(text, f.name, now), 0)]

    def multiterm(self, field: str, text: str) -> str:
        return self._query_field(field).type.multiterm(text)

    def is_spatial(self, field: str) -> bool:
        """Is ``field`` a spatial (RPT) field, queried with ``Intersects(...)``?"""
        f = self.field(field)
        return f is not None and f.type.kind == "spatial"


# what ckanext-spatial's documentation asks to add to CKAN's schema.xml (and the spatial
# images of ckan/ckan-solr carry): the float bbox fields of its ``solr-bbox`` backend and
# the RPT field of its ``solr-spatial-field`` backend
SPATIAL_FIELD_TYPE = (
    '<fieldType name="location_rpt" class="solr.SpatialRecursivePrefixTreeFieldType" '
    'spatialContextFactory="JTS" autoIndex="true" validationRule="repairBuffer0" '
    'distErrPct="0.025" maxDistErr="0.001" distanceUnits="kilometers"/>'
)
SPATIAL_FIELDS = {
    "bbox_area": '<field name="bbox_area" type="float" indexed="true" stored="true"/>',
    "maxx": '<field name="maxx" type="float" indexed="true" stored="true"/>',
    "maxy": '<field name="maxy" type="float" indexed="true" stored="true"/>',
    "minx": '<field name="minx" type="float" indexed="true" stored="true"/>',
    "miny": '<field name="miny" type="float" indexed="true" stored="true"/>',
    "spatial_geom": '<field name="spatial_geom" type="location_rpt" indexed="true" '
                    'multiValued="true"/>',
}


def with_spatial_fields(xml: bytes) -> bytes:
    """``xml`` (a schema.xml) with ckanext-spatial's fields added where missing."""
    root = ET.fromstring(xml)
    types = {t.get("name") for t in root.iter("fieldType")}
    names = {f.get("name") for f in root.iter("field")}
    out = xml
    if "location_rpt" not in types:
        marker = b"</types>" if b"</types>" in out else b"<fields>"
        if marker not in out:
            raise SchemaError("schema.xml has neither </types> nor <fields>: add the "
                              "spatial fields to it yourself")
        out = out.replace(marker, SPATIAL_FIELD_TYPE.encode() + b"\n" + marker, 1)
    missing = "".join(v + "\n" for k, v in SPATIAL_FIELDS.items() if k not in names)
    if missing:
        marker = b"</fields>" if b"</fields>" in out else b"</schema>"
        out = out.replace(marker, missing.encode() + marker, 1)
    return out
