"""Field knowledge of the municipal schema, written once.

Everything the validators, the index flattening, the facet labels and the RDF profiles need
to know about a field comes from here, read from the loaded ckanext-scheming schema (or, when
scheming is not loaded, from the packaged ``gemeente_dataset.yaml``):

- which fields hold several values (:func:`list_fields`),
- which value list backs a field (:func:`vocabulary_fields`, :func:`vocabulary_of`),

and how a value is read:

- a URI (:func:`is_uri`: ``http``/``https``, a host, no white space),
- a list (:func:`as_list`: a list, a JSON list or a comma/newline separated string),
- a yes/no value (:func:`as_bool`, :func:`bool_text`: the strings ``"True"``/``"False"``),
- a language string (:func:`current_language`, :func:`pick_language`).

Do not add a second copy of any of these elsewhere: ``tests/schema/test_dcat_fields.py``
looks for one.
"""

from __future__ import annotations

import functools
import json
import os
import re
import urllib.parse
from collections.abc import Mapping
from typing import Any

SCHEMA_FILE = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "schemas", "gemeente_dataset.yaml"
)

TRUE_WORDS = frozenset(("true", "1", "yes", "ja", "on", "y", "j"))
FALSE_WORDS = frozenset(("false", "0", "no", "nee", "off", "n"))
DEFAULT_LANGUAGE = "nl"
_WHITE_SPACE = re.compile(r"\s")
# validators/presets that make a schema field hold a list (stored as a JSON list)
LIST_VALIDATORS = frozenset(
    ("gemeente_uri_list", "scheming_multiple_choice", "scheming_multiple_text")
)


# ---------------------------------------------------------------------------- values


def is_uri(value: Any) -> bool:
    """An absolute http(s) URI with a host and no white space."""
    if not isinstance(value, str) or not value or _WHITE_SPACE.search(value):
        return False
    parts = urllib.parse.urlparse(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def is_empty(value: Any) -> bool:
    """``None``, ``""``, ``[]`` or CKAN's ``missing`` marker."""
    if value is None or value == "" or value == []:
        return True
    return type(value).__name__ == "Missing"


def as_list(value: Any) -> list[str]:
    """A list from a list, a JSON list string, or a comma/newline separated string."""
    if is_empty(value):
        return []
    if isinstance(value, (list, tuple)):
        items = list(value)
    elif isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                items = json.loads(text)
            except ValueError:
                items = [text]
        else:
            items = re.split(r"[\r\n]+|,(?=\s*https?://)|,(?!\S*://)", text)
    else:
        items = [value]
    return [str(i).strip() for i in items if str(i).strip()]


def as_bool(value: Any) -> bool | None:
    """Read a yes/no value (``True``, ``"ja"``, ``"False"``, ``1``, an RDF boolean...).

    ``None`` when empty; :class:`ValueError` when it is neither yes nor no.
    """
    if is_empty(value):
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise ValueError(value)


def bool_text(value: Any) -> str:
    """A yes/no value as the schema stores it: ``"True"`` or ``"False"`` (empty is no)."""
    return "True" if as_bool(value) else "False"


def current_language() -> str:
    """The user's language in a request, else ``ckan.locale_default``, else Dutch."""
    from ckan.plugins import toolkit

    try:
        lang = toolkit.h.lang()
    except Exception:  # no request (CLI, background job, RDF serialisation in a test)
        lang = None
    return lang or toolkit.config.get("ckan.locale_default") or DEFAULT_LANGUAGE


def pick_language(value: Any, lang: str | None = None) -> str:
    """The string of a language map (``{"nl": ..., "en": ...}``) for ``lang``.

    Order: the exact language, its two-letter base (``en`` for ``en_GB``), Dutch, English,
    then any non-empty value. A plain string is returned as it is.
    """
    if not isinstance(value, Mapping):
        return "" if value is None else str(value)
    wanted = lang or current_language()
    for key in (wanted, wanted[:2], DEFAULT_LANGUAGE, "en"):
        if value.get(key):
            return str(value[key])
    return next((str(v) for v in value.values() if v), "")


# ---------------------------------------------------------------------------- the schema


@functools.lru_cache(maxsize=1)
def _packaged_schema() -> dict[str, Any]:
    import yaml

    with open(SCHEMA_FILE, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def dataset_schema(dataset_type: str = "dataset") -> dict[str, Any]:
    """The loaded (preset-expanded) scheming schema of ``dataset_type``.

    Without ckanext-scheming (the plugin on CKAN's defaults) it is the packaged YAML.
    """
    try:
        from ckanext.scheming.helpers import scheming_get_dataset_schema

        schema = scheming_get_dataset_schema(dataset_type)
    except Exception:  # scheming not installed or not loaded
        schema = None
    return schema or _packaged_schema()


def _fields(entity: str, dataset_type: str) -> list[dict[str, Any]]:
    key = "resource_fields" if entity == "resource" else "dataset_fields"
    return list(dataset_schema(dataset_type).get(key) or [])


def _is_list_field(field: Mapping[str, Any]) -> bool:
    if field.get("multiple") or field.get("preset") in ("gemeente_uri_list", "multiple_select"):
        return True
    validators = str(field.get("validators") or "").split()
    return any(v in LIST_VALIDATORS for v in validators)


def list_fields(entity: str = "dataset", dataset_type: str = "dataset") -> tuple[str, ...]:
    """Names of the fields that hold several values (stored as JSON lists)."""
    return tuple(f["field_name"] for f in _fields(entity, dataset_type) if _is_list_field(f))


def vocabulary_fields(entity: str = "dataset", dataset_type: str = "dataset") -> dict[str, str]:
    """Field name -> name of the value list that backs it (``vocabulary:`` in the YAML)."""
    return {
        f["field_name"]: f["vocabulary"]
        for f in _fields(entity, dataset_type)
        if f.get("vocabulary")
    }


def vocabulary_of(field_name: str, entity: str = "dataset", dataset_type: str = "dataset") -> str:
    """The value list of one field ("" when the field has none)."""
    return vocabulary_fields(entity, dataset_type).get(field_name, "")


def field(
    field_name: str, entity: str = "dataset", dataset_type: str = "dataset"
) -> dict[str, Any]:
    """The schema field ``field_name`` ({} when the schema has no such field)."""
    return next((f for f in _fields(entity, dataset_type) if f["field_name"] == field_name), {})


def choice_values(
    field_name: str, entity: str = "dataset", dataset_type: str = "dataset"
) -> list[str]:
    """The values of a field's fixed ``choices`` in the YAML."""
    return [str(c["value"]) for c in field(field_name, entity, dataset_type).get("choices") or []]
