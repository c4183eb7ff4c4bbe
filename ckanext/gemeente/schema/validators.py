"""Validators of the municipal DCAT-AP-DONL schema.

Messages are English msgids translated to Dutch in ``ckanext/gemeente/i18n`` (domain
``ckanext-gemeente``); a portal with ``ckan.locale_default = nl`` shows them in Dutch.
Validators that need the scheming field (``vocabulary:`` key, sibling names) are decorated
with :func:`ckanext.scheming.validation.scheming_validator`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from typing import Any

from ckan.plugins import toolkit
from ckanext.scheming.validation import scheming_validator

from . import fields, vocabularies

Invalid = toolkit.Invalid
missing = toolkit.missing
_ = toolkit._

Validator = Callable[..., Any]

EMAIL_RE = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$"
)
# Dutch numbers: 0 + 9 digits, +31/0031 + 9 digits, or the municipal 14 + area code number.
PHONE_NL_RE = re.compile(r"^(?:0\d{9}|\+31\d{9}|0031\d{9}|140\d{2,3})$")
PHONE_INTL_RE = re.compile(r"^\+\d{8,15}$")
MEDIA_TYPE_RE = re.compile(r"^[a-z]+/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$")
HEX_RE = re.compile(r"^[0-9a-fA-F]+$")
CBS_GEMEENTE_RE = re.compile(r"^GM\d{4}$")
CBS_WIJK_BUURT_RE = re.compile(r"^(?:WK\d{6}|BU\d{8})$")
POSTCODE_RE = re.compile(r"^[1-9]\d{3}(?: ?[A-Z]{2})?$")
POINT_RE = re.compile(r"^POINT ?\( ?(-?\d+(?:\.\d+)?) (-?\d+(?:\.\d+)?) ?\)$", re.IGNORECASE)
MDR_FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"


def _empty(value: Any) -> bool:
    return value is missing or value is None or value == "" or value == []


# one URI check and one list reader for the whole schema (see fields.py)
_is_uri = fields.is_uri
as_list = fields.as_list


# ---------------------------------------------------------------------------- simple


def gemeente_email(value: Any, context: dict[str, Any]) -> Any:
    if _empty(value):
        return value
    value = str(value).strip()
    if value.lower().startswith("mailto:"):
        value = value[7:]
    if not EMAIL_RE.match(value):
        raise Invalid(_("Invalid e-mail address: use the form name@example.nl"))
    return value


def gemeente_phone(value: Any, context: dict[str, Any]) -> Any:
    if _empty(value):
        return value
    value = str(value).strip()
    compact = re.sub(r"[\s\-().]", "", value)
    if not (PHONE_NL_RE.match(compact) or PHONE_INTL_RE.match(compact)):
        raise Invalid(
            _(
                "Invalid phone number: use 10 digits starting with 0 (e.g. 020 123 4567), "
                "+31 followed by 9 digits, or the municipal number 14 followed by the area code"
            )
        )
    return value


def gemeente_uri(value: Any, context: dict[str, Any]) -> Any:
    if _empty(value):
        return value
    value = str(value).strip()
    if not _is_uri(value):
        raise Invalid(_("Invalid URI: a web address starting with http:// or https:// is required"))
    return value


def gemeente_uri_list(value: Any, context: dict[str, Any]) -> Any:
    """One or more URIs (list, JSON list, or one per line); stored as a JSON list."""
    if _empty(value):
        return value
    items = as_list(value)
    bad = [i for i in items if not _is_uri(i)]
    if bad:
        raise Invalid(
            _(
                "Invalid URI: {value} (a web address starting with http:// or https:// is required)"
            ).format(value=", ".join(bad))
        )
    return json.dumps(items) if items else missing


def _parse_date(value: str) -> dt.datetime | None:
    text = value.strip()
    for fmt in ("%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%dT%H:%M"):
        try:
            return dt.datetime.strptime(text.rstrip("Z"), fmt)
        except ValueError:
            continue
    return None


def gemeente_date(value: Any, context: dict[str, Any]) -> Any:
    """An ISO 8601 date (YYYY-MM-DD) or date-time; normalised to ISO form."""
    if _empty(value):
        return value
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    parsed = _parse_date(str(value))
    if parsed is None:
        raise Invalid(_("Invalid date: use the form YYYY-MM-DD, e.g. 2024-03-31"))
    if len(str(value).strip()) == 10:
        return parsed.date().isoformat()
    return parsed.isoformat()


@scheming_validator
def gemeente_date_after(field: dict[str, Any], schema: dict[str, Any]) -> Validator:
    """This date must be on or after the sibling date named in ``field['date_after']``."""
    other = field.get("date_after", "temporal_start")

    def validator(key: tuple, data: dict, errors: dict, context: dict) -> None:
        value = data.get(key)
        start = data.get(key[:-1] + (other,))
        if _empty(value) or _empty(start) or errors.get(key):
            return
        a, b = _parse_date(str(start)), _parse_date(str(value))
        if a and b and b < a:
            errors[key].append(
                _("The end date ({end}) must be on or after the start date ({start})").format(
                    end=value, start=start
                )
            )

    return validator


def gemeente_nonnegative_int(value: Any, context: dict[str, Any]) -> Any:
    if _empty(value):
        return value
    try:
        number = int(str(value).strip())
    except ValueError:
        raise Invalid(_("Invalid size: give a whole number of bytes (0 or more)")) from None
    if number < 0:
        raise Invalid(_("Invalid size: give a whole number of bytes (0 or more)"))
    return number


def gemeente_bool(value: Any, context: dict[str, Any]) -> Any:
    """Yes/no, stored as the strings "True"/"False" (the values of the form's choices)."""
    try:
        return fields.bool_text(value)
    except ValueError:
        raise Invalid(_("Invalid value: choose yes or no")) from None


def gemeente_media_type(value: Any, context: dict[str, Any]) -> Any:
    if _empty(value):
        return value
    value = str(value).strip().lower()
    if value.startswith("https://www.iana.org/assignments/media-types/"):
        value = value.rsplit("media-types/", 1)[1]
    if not MEDIA_TYPE_RE.match(value):
        raise Invalid(_("Invalid media type: use the IANA form type/subtype, e.g. text/csv"))
    known = vocabularies.terms("IANA:Mediatype")
    if known is not None and not (
        value in known or f"https://www.iana.org/assignments/media-types/{value}" in known
    ):
        raise Invalid(
            _("Unknown media type {value}: it is not in the value list {vocabulary}").format(
                value=value, vocabulary="IANA:Mediatype"
            )
        )
    return value


# ---------------------------------------------------------------------------- vocabulary


def _not_loaded(name: str) -> str:
    return _(
        "The value list {vocabulary} is not loaded; an administrator loads it with "
        "`ckan gemeente vocabularies update`"
    ).format(vocabulary=name)


@scheming_validator
def gemeente_vocabulary(field: dict[str, Any], schema: dict[str, Any]) -> Validator:
    """Values must be keys of the value list named by ``field['vocabulary']``.

    Single-valued fields keep a string; fields with ``multiple: true`` are stored as a
    JSON list (read back by ``scheming_load_json``).
    """
    name: str = field["vocabulary"]
    # `required_unless_harvested: true`: the source of a harvested dataset may not know it
    multiple = bool(field.get("multiple"))
    required = bool(field.get("required"))

    def validator(key: tuple, data: dict, errors: dict, context: dict) -> None:
        value = data.get(key)
        if (value is missing or value is None) and not required:
            data.pop(key, None)
            raise toolkit.StopOnError
        items = as_list(value) if multiple else ([] if _empty(value) else [str(value).strip()])
        if not items:
            harvested = data.get(key[:-1] + ("update_method",)) == "geharvest"
            if required and not (field.get("required_unless_harvested") and harvested):
                errors[key].append(
                    _("Choose at least one value") if multiple else _("Missing value")
                )
            elif multiple and not _empty(value):
                data[key] = "[]"
            elif value is missing or value is None:
                # left empty (allowed for harvested datasets): store nothing, not `missing`
                # (CKAN 2.11 would try to save the `missing` marker as an extra)
                data.pop(key, None)
                raise toolkit.StopOnError
            return
        known = vocabularies.terms(name)
        if known is None:
            errors[key].append(_not_loaded(name))
            return
        unknown = [i for i in items if i not in known]
        if unknown:
            errors[key].append(
                _("Unknown value {value}: it is not in the value list {vocabulary}").format(
                    value=", ".join(unknown), vocabulary=name
                )
            )
            return
        if not multiple and len(items) > 1:
            errors[key].append(_("Only one value is allowed"))
            return
        data[key] = json.dumps(list(dict.fromkeys(items))) if multiple else items[0]

    return validator


def gemeente_resource_format(value: Any, context: dict[str, Any]) -> Any:
    """An MDR file type, given as code (``CSV``) or URI; stored as the code."""
    if _empty(value):
        return value
    code = str(value).strip()
    if code.startswith(MDR_FILE_TYPE):
        code = code[len(MDR_FILE_TYPE) :]
    code = code.upper().lstrip(".")
    known = vocabularies.terms("MDR:Filetype")
    if known is None:
        raise Invalid(_not_loaded("MDR:Filetype"))
    if MDR_FILE_TYPE + code not in known and code not in known:
        raise Invalid(
            _("Unknown value {value}: it is not in the value list {vocabulary}").format(
                value=value, vocabulary="MDR:Filetype"
            )
        )
    return code


# ---------------------------------------------------------------------------- defaults


def municipality_uri_for(data: dict, context: dict[str, Any]) -> str:
    """The municipality URI of the dataset's department, else of the portal."""
    owner = data.get(("owner_org",))
    if owner and not _empty(owner):
        try:
            # only the organization's own fields: no dataset counts, followers, groups, tags
            # (a search and several queries each, for every validated dataset)
            org = toolkit.get_action("organization_show")(
                {"ignore_auth": True},
                {
                    "id": owner,
                    "include_datasets": False,
                    "include_dataset_count": False,
                    "include_users": False,
                    "include_groups": False,
                    "include_tags": False,
                    "include_followers": False,
                    "include_extras": True,
                },
            )
            if org.get("municipality_uri"):
                return str(org["municipality_uri"])
            for extra in org.get("extras") or []:
                if extra.get("key") == "municipality_uri" and extra.get("value"):
                    return str(extra["value"])
        except (toolkit.ObjectNotFound, toolkit.NotAuthorized):
            pass
    return toolkit.config.get("ckanext.gemeente.municipality_uri") or ""


def gemeente_default_municipality(key: tuple, data: dict, errors: dict, context: dict) -> None:
    """Fill an empty authority/publisher with the municipality of the department/portal."""
    if _empty(data.get(key)):
        uri = municipality_uri_for(data, context)
        if uri:
            data[key] = uri


def gemeente_default_identifier(key: tuple, data: dict, errors: dict, context: dict) -> None:
    """Fill an empty identifier with the dataset's URI on this portal."""
    if not _empty(data.get(key)):
        return
    name = data.get(("name",))
    site = (toolkit.config.get("ckan.site_url") or "").rstrip("/")
    if name and not _empty(name) and site:
        data[key] = f"{site}/dataset/{name}"


# ---------------------------------------------------------------------------- conditional


def gemeente_privacy_legal_basis(key: tuple, data: dict, errors: dict, context: dict) -> None:
    """A legal basis for processing is required when the data holds personal data."""
    value = data.get(key)
    cls = data.get(key[:-1] + ("privacy_classification",))
    if _empty(cls) or not _empty(value):
        return
    term = (vocabularies.terms("Gemeente:Privacyclassificatie") or {}).get(str(cls))
    if term and term.extra.get("personal_data"):
        errors[key].append(
            _(
                "A legal basis for processing (e.g. AVG art. 6(1)(e)) is required when the "
                'privacy classification is "{classification}"'
            ).format(classification=term.label(_lang()))
        )


def gemeente_harvest_source(key: tuple, data: dict, errors: dict, context: dict) -> None:
    """A harvested dataset must name its source (a URI)."""
    value = data.get(key)
    method = data.get(key[:-1] + ("update_method",))
    if _empty(value):
        if method == "geharvest":
            errors[key].append(
                _("The harvest source is required when the update method is harvested")
            )
        return
    if not _is_uri(str(value).strip()):
        errors[key].append(
            _("Invalid URI: a web address starting with http:// or https:// is required")
        )


def gemeente_checksum(key: tuple, data: dict, errors: dict, context: dict) -> None:
    """A checksum is hexadecimal, of the length its algorithm gives."""
    value = data.get(key)
    if _empty(value):
        return
    value = str(value).strip()
    data[key] = value.lower()
    algorithm = data.get(key[:-1] + ("hash_algorithm",))
    if not HEX_RE.match(value):
        errors[key].append(
            _("Invalid checksum: only hexadecimal characters (0-9, a-f) are allowed")
        )
        return
    term = (vocabularies.terms("Gemeente:Checksumalgoritme") or {}).get(str(algorithm))
    if term and term.extra.get("hex_length") and len(value) != int(term.extra["hex_length"]):
        errors[key].append(
            _(
                "Invalid checksum: a {algorithm} checksum has {length} hexadecimal characters"
            ).format(algorithm=term.label_en, length=term.extra["hex_length"])
        )


def gemeente_spatial_value(key: tuple, data: dict, errors: dict, context: dict) -> None:
    """The value of a geographic coverage entry must fit its scheme."""
    value = data.get(key)
    scheme = data.get(key[:-1] + ("scheme",))
    if _empty(value):
        if not _empty(scheme):
            errors[key].append(_("Missing value"))
        return
    value = str(value).strip()
    if _empty(scheme):
        errors[key].append(_("Choose the kind of area (scheme) for this value"))
        return
    ok = True
    if scheme == "gemeente":
        known = vocabularies.terms("Overheid:Gemeente")
        if _is_uri(value):
            ok = known is None or value in known
        else:
            ok = bool(CBS_GEMEENTE_RE.match(value.upper()))
            value = value.upper()
        msg = _("Invalid municipality: give a CBS code such as GM0363 or a municipality URI")
    elif scheme == "wijk-buurt":
        value = value.upper()
        ok = bool(CBS_WIJK_BUURT_RE.match(value))
        msg = _("Invalid district/neighbourhood code: use WK + 6 digits or BU + 8 digits (CBS)")
    elif scheme == "postcode":
        value = value.upper()
        ok = bool(POSTCODE_RE.match(value))
        msg = _("Invalid postcode area: use 4 digits (PC4) or 4 digits and 2 letters (PC6)")
    elif scheme == "punt":
        m = POINT_RE.match(value)
        ok = bool(m) and -180 <= float(m.group(1)) <= 180 and -90 <= float(m.group(2)) <= 90
        if m:
            value = f"POINT({m.group(1)} {m.group(2)})"
        msg = _("Invalid point: use WKT in WGS84, e.g. POINT(4.8897 52.3731)")
    else:
        ok = False
        msg = _("Unknown value {value}: it is not in the value list {vocabulary}").format(
            value=scheme, vocabulary="Gemeente:GeografischSchema"
        )
    if not ok:
        errors[key].append(msg)
        return
    data[key] = value


_GEOJSON_TYPES = {"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon",
                  "MultiPolygon"}


def gemeente_geojson(value: Any, context: dict[str, Any]) -> Any:
    """A GeoJSON geometry in WGS84 (ckanext-spatial's ``spatial`` field), kept as JSON text."""
    if _empty(value):
        return value
    try:
        geom = json.loads(value) if isinstance(value, str) else value
    except ValueError:
        raise Invalid(_("Invalid geometry: GeoJSON text is required")) from None
    if not isinstance(geom, dict) or geom.get("type") not in _GEOJSON_TYPES \
            or not isinstance(geom.get("coordinates"), list):
        raise Invalid(_("Invalid geometry: a GeoJSON Point, LineString or Polygon (or their "
                        "Multi- forms) with coordinates is required"))
    flat: list[Any] = list(geom["coordinates"])
    while flat and isinstance(flat[0], list) and flat[0] and isinstance(flat[0][0], list):
        flat = [c for part in flat for c in part]
    points = flat if flat and isinstance(flat[0], list) else [flat]
    for point in points:
        if len(point) < 2 or not all(isinstance(c, int | float) for c in point[:2]) \
                or not (-180 <= point[0] <= 180 and -90 <= point[1] <= 90):
            raise Invalid(_("Invalid geometry: coordinates must be longitude, latitude in "
                            "WGS84"))
    return json.dumps(geom, separators=(",", ":"))


def gemeente_municipality_uri(value: Any, context: dict[str, Any]) -> Any:
    """An organization's municipality: a TOOI URI or a DONL:Organization URI."""
    if _empty(value):
        return value
    value = str(value).strip()
    if not _is_uri(value):
        raise Invalid(_("Invalid URI: a web address starting with http:// or https:// is required"))
    if value.startswith("https://identifier.overheid.nl/tooi/id/"):
        return value
    known = vocabularies.terms("DONL:Organization")
    if known is not None and value not in known:
        raise Invalid(
            _("Unknown value {value}: it is not in the value list {vocabulary}").format(
                value=value, vocabulary="DONL:Organization"
            )
        )
    return value


_lang = fields.current_language


def get_validators() -> dict[str, Validator]:
    return {
        "gemeente_email": gemeente_email,
        "gemeente_phone": gemeente_phone,
        "gemeente_uri": gemeente_uri,
        "gemeente_uri_list": gemeente_uri_list,
        "gemeente_date": gemeente_date,
        "gemeente_date_after": gemeente_date_after,
        "gemeente_nonnegative_int": gemeente_nonnegative_int,
        "gemeente_bool": gemeente_bool,
        "gemeente_media_type": gemeente_media_type,
        "gemeente_vocabulary": gemeente_vocabulary,
        "gemeente_resource_format": gemeente_resource_format,
        "gemeente_default_municipality": gemeente_default_municipality,
        "gemeente_default_identifier": gemeente_default_identifier,
        "gemeente_privacy_legal_basis": gemeente_privacy_legal_basis,
        "gemeente_harvest_source": gemeente_harvest_source,
        "gemeente_checksum": gemeente_checksum,
        "gemeente_spatial_value": gemeente_spatial_value,
        "gemeente_municipality_uri": gemeente_municipality_uri,
        "gemeente_geojson": gemeente_geojson,
    }
