"""Template helpers of the gemeente_schema plugin."""

from __future__ import annotations

import json
from typing import Any

from ckan.plugins import toolkit

from . import fields, vocabularies


def facet_vocabularies(dataset_type: str = "dataset") -> dict[str, str]:
    """Index fields (multi-valued ``vocab_*`` strings in CKAN's stock Solr schema) that carry
    vocabulary keys, and the list whose labels they show: the schema's ``vocabulary:``."""
    vocabulary_fields = fields.vocabulary_fields(dataset_type=dataset_type)
    return {f"vocab_{name}": vocab for name, vocab in vocabulary_fields.items()}


def gemeente_vocabulary_choices(field: dict[str, Any]) -> list[dict[str, Any]]:
    """scheming ``choices_helper``: the terms of ``field['vocabulary']`` as choices."""
    found = vocabularies.terms(field["vocabulary"]) or {}
    return [{"value": t.uri, "label": {"nl": t.label_nl, "en": t.label_en}} for t in found.values()]


def gemeente_vocabulary_label(name: str, value: str, lang: str | None = None) -> str:
    """Readable label of a vocabulary key (the key itself when unknown)."""
    return vocabularies.label(name, value, lang or fields.current_language())


def gemeente_json_lines(value: str) -> str:
    """A JSON list string as one item per line (for textarea form fields)."""
    try:
        items = json.loads(value)
    except ValueError:
        return value
    return "\n".join(str(i) for i in items) if isinstance(items, list) else value


def gemeente_facet_label(facet: str, value: str) -> str:
    """Readable label of a facet value."""
    name = facet_vocabularies().get(facet)
    if name:
        return gemeente_vocabulary_label(name, value)
    if facet == "vocab_geo_coverage":
        return value.split(":", 1)[-1]
    return value


def gemeente_municipality_uri() -> str:
    return toolkit.config.get("ckanext.gemeente.municipality_uri") or ""


def gemeente_municipality_name() -> str:
    return toolkit.config.get("ckanext.gemeente.municipality_name") or ""


def get_helpers() -> dict[str, Any]:
    return {
        "gemeente_vocabulary_choices": gemeente_vocabulary_choices,
        "gemeente_vocabulary_label": gemeente_vocabulary_label,
        "gemeente_json_lines": gemeente_json_lines,
        "gemeente_facet_label": gemeente_facet_label,
        "gemeente_municipality_uri": gemeente_municipality_uri,
        "gemeente_municipality_name": gemeente_municipality_name,
    }
