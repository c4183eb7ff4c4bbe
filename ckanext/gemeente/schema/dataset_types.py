"""Which dataset types are the suite's: the ones the municipal schema governs.

A portal may run other dataset types next to the municipal one (another ckanext-scheming
schema, a harvest source type, CKAN's default schema). The schema plugin's facets, index
flattening and template overrides apply to the suite's types only; everything else keeps
CKAN's (or its own plugin's) behaviour.

The suite's types are ``ckanext.gemeente.dataset_types`` when set, else the ``dataset_type``
of every ``scheming.dataset_schemas`` entry that is a schema file of this package
(``ckanext.gemeente...:path.yaml``).
"""

from __future__ import annotations

import functools
import importlib
import os
from typing import Any

from ckan.plugins import toolkit

SUITE_PACKAGE = "ckanext.gemeente"


def _entries(value: Any) -> tuple[str, ...]:
    if not value:
        return ()
    if isinstance(value, (list, tuple)):
        return tuple(str(v) for v in value if v)
    return tuple(str(value).split())


@functools.lru_cache(maxsize=16)
def _types_of(entries: tuple[str, ...]) -> frozenset[str]:
    import yaml

    found: set[str] = set()
    for entry in entries:
        module, sep, path = entry.partition(":")
        if not sep or not (module == SUITE_PACKAGE or module.startswith(SUITE_PACKAGE + ".")):
            continue
        try:
            base = os.path.dirname(importlib.import_module(module).__file__ or "")
            with open(os.path.join(base, path), encoding="utf-8") as fh:
                schema = yaml.safe_load(fh) or {}
        except (ImportError, OSError, yaml.YAMLError):
            continue  # scheming reports an unloadable schema itself
        if schema.get("dataset_type"):
            found.add(str(schema["dataset_type"]))
    return frozenset(found)


def suite_dataset_types() -> frozenset[str]:
    """The dataset types the municipal schema governs on this portal."""
    configured = _entries(toolkit.config.get("ckanext.gemeente.dataset_types"))
    if configured:
        return frozenset(configured)
    # ckanext-scheming declares no options: read its key without CKAN's "not declared"
    # warning, which would otherwise be logged on every indexed or validated dataset
    key = "scheming.dataset_schemas"
    return _types_of(_entries(toolkit.config[key] if key in toolkit.config else None))


def is_suite_type(dataset_type: Any) -> bool:
    """True when ``dataset_type`` is one of the suite's (template helper
    ``gemeente_is_suite_type``)."""
    return bool(dataset_type) and str(dataset_type) in suite_dataset_types()
