"""The CKAN side of adoption: read each dataset, ask the schema, fill, save (or not).

For every active dataset of the suite's types (:mod:`..dataset_types`), private ones
included: ``package_show``, the municipal schema's validation exactly as ``package_update``
runs it (the dataset type's IDatasetForm plugin, i.e. ckanext-scheming), the derivations of
:mod:`.derive`, and the validation again on the result. A dataset is saved (``migrate``
without ``--dry-run``) only when that result passes the schema: the schema refuses partial
records, so a dataset that still needs a person is left as it is and reported with both
what would be filled and what is missing.

``ckan.lib.plugins`` (``lookup_package_plugin``, ``plugin_validate``) is imported because
the toolkit has no way to validate without saving; ``ckan.model`` lists the datasets.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Iterator
from typing import Any

from ckan import model
from ckan.lib import plugins as lib_plugins
from ckan.plugins import toolkit

from .. import dataset_types, fields, vocabularies
from .derive import Change, Defaults, PortalFacts, apply, derive


@dataclasses.dataclass
class DatasetResult:
    id: str
    name: str
    organization: str
    problems: dict[str, list[str]]  # before: field path -> the schema's messages
    changes: list[Change]
    remaining: dict[str, list[str]]  # after the changes: what still needs a person
    saved: bool = False
    error: str = ""

    @property
    def valid(self) -> bool:
        return not self.problems

    @property
    def fixable(self) -> bool:
        return bool(self.changes) and not self.remaining


def flatten_errors(errors: Any, prefix: str = "") -> dict[str, list[str]]:
    """navl errors (nested dicts/lists) as ``path -> messages``."""
    out: dict[str, list[str]] = {}
    if isinstance(errors, dict):
        for key, value in errors.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            out.update(flatten_errors(value, path))
    elif isinstance(errors, list):
        if all(isinstance(e, str) for e in errors):
            if errors:
                out[prefix] = [str(e) for e in errors]
        else:
            for i, value in enumerate(errors):
                out.update(flatten_errors(value, f"{prefix}[{i}]"))
    elif errors:
        out[prefix] = [str(errors)]
    return out


def _site_user() -> str:
    return toolkit.get_action("get_site_user")({"ignore_auth": True}, {})["name"]


def _organizations() -> dict[str, tuple[str, str]]:
    out: dict[str, tuple[str, str]] = {}
    ctx = {"ignore_auth": True}
    for name in toolkit.get_action("organization_list")(ctx, {"all_fields": False}):
        org = toolkit.get_action("organization_show")(
            ctx, {"id": name, "include_datasets": False, "include_dataset_count": False,
                  "include_users": False, "include_groups": False, "include_tags": False,
                  "include_followers": False, "include_extras": True},
        )
        uri = org.get("municipality_uri") or next(
            (e.get("value") for e in org.get("extras") or [] if e.get("key") ==
             "municipality_uri"), "",
        )
        out[org["id"]] = (org["name"], str(uri or ""))
    return out


def _harvest_source_of(pkg: dict[str, Any]) -> str:
    source_id = pkg.get("harvest_source_id") or next(
        (e.get("value") for e in pkg.get("extras") or [] if e.get("key") == "harvest_source_id"),
        "",
    )
    if not source_id:
        return ""
    try:
        source = toolkit.get_action("harvest_source_show")({"ignore_auth": True},
                                                           {"id": source_id})
    except (KeyError, toolkit.ObjectNotFound):  # KeyError: ckanext-harvest not loaded
        return ""
    return str(source.get("url") or "")


# value lists validators use without a ``vocabulary:`` key on their field
VALIDATOR_LISTS = ("MDR:Filetype",)


def schema_lists(dataset_type: str) -> list[str]:
    """The value lists the schema of ``dataset_type`` uses (dataset and resource fields)."""
    names = {
        *fields.vocabulary_fields("dataset", dataset_type).values(),
        *fields.vocabulary_fields("resource", dataset_type).values(),
        *VALIDATOR_LISTS,
    }
    return sorted(names)


def gather_facts() -> PortalFacts:
    config = toolkit.config
    lists: dict[str, frozenset[str] | None] = {}
    for dataset_type in sorted(dataset_types.suite_dataset_types()):
        for name in schema_lists(dataset_type):
            found = vocabularies.terms(name)
            lists[name] = frozenset(found) if found is not None else None
    return PortalFacts(
        municipality_uri=config.get("ckanext.gemeente.municipality_uri") or "",
        locale_default=config.get("ckan.locale_default") or "nl",
        site_url=config.get("ckan.site_url") or "",
        organizations=_organizations(),
        lists=lists,
        harvest_source_of=_harvest_source_of,
    )


def missing_lists(facts: PortalFacts) -> list[str]:
    """Value lists the schema needs that are not loaded (a portal problem, not a dataset's)."""
    return sorted(name for name, keys in facts.lists.items() if keys is None)


def dataset_ids() -> list[tuple[str, str]]:
    """(id, name) of every active dataset of the suite's types, by name."""
    types = sorted(dataset_types.suite_dataset_types())
    if not types:
        return []
    rows = (
        model.Session.query(model.Package.id, model.Package.name)
        .filter(model.Package.state == "active", model.Package.type.in_(types))
        .order_by(model.Package.name)
    )
    return [(r[0], r[1]) for r in rows]


def validate(pkg: dict[str, Any], user: str) -> dict[str, list[str]]:
    """The schema's complaints about ``pkg`` exactly as ``package_update`` would raise them."""
    return _validated(pkg, user)[1]


def _validated(pkg: dict[str, Any], user: str) -> tuple[dict[str, Any], dict[str, list[str]]]:
    plugin = lib_plugins.lookup_package_plugin(pkg.get("type"))
    schema = plugin.update_package_schema()
    context: dict[str, Any] = {
        "model": model, "session": model.Session, "user": user, "ignore_auth": True,
        "package": model.Package.get(pkg["id"]),
    }
    data, errors = lib_plugins.plugin_validate(
        plugin, context, copy.deepcopy(pkg), schema, "package_update"
    )
    return data, flatten_errors(errors)


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or type(value).__name__ == "Missing"


def schema_defaults(
    candidate: dict[str, Any], validated: dict[str, Any], changes: list[Change]
) -> list[Change]:
    """Fields saving would fill by the schema's own defaults (e.g. a yes/no field left
    empty becomes "False"): stated as changes, so the report is all that changes."""
    named = {c.path for c in changes}
    out = []
    for f in fields.dataset_schema(str(candidate.get("type") or "dataset")).get(
        "dataset_fields"
    ) or []:
        name = f["field_name"]
        if name in named or not _empty(candidate.get(name)) or _empty(validated.get(name)):
            continue
        value = validated[name]
        if isinstance(value, str) and value.startswith("["):
            try:  # a list field stores JSON: give it as the list the form and API take
                value = json.loads(value)
            except ValueError:
                pass
        if isinstance(value, (str, int, float, bool, list)):
            out.append(Change(name, candidate.get(name), value, "the schema's default"))
    # resource values the schema's validators rewrite on save (e.g. a file type "GeoJSON"
    # stored as the code "GEOJSON")
    saved = validated.get("resources") or []
    for i, res in enumerate(candidate.get("resources") or []):
        if i >= len(saved) or not isinstance(saved[i], dict):
            break
        for name, value in res.items():
            path = f"resources[{i}].{name}"
            new = saved[i].get(name)
            if (path not in named and isinstance(value, str) and isinstance(new, str)
                    and value and new != value):
                out.append(Change(path, value, new, "the schema's normalisation"))
    return out


def examine(
    pkg_id: str, facts: PortalFacts, defaults: Defaults, user: str
) -> tuple[DatasetResult, dict[str, Any]]:
    """The result for one dataset and the dataset as it would be saved (nothing is written)."""
    pkg = toolkit.get_action("package_show")({"ignore_auth": True, "user": user},
                                             {"id": pkg_id})
    problems = validate(pkg, user)
    changes = derive(pkg, problems, facts, defaults) if problems else []
    candidate = apply(pkg, changes)
    remaining = problems
    if changes:
        validated, remaining = _validated(candidate, user)
        extra = schema_defaults(candidate, validated, changes)
        changes += extra
        candidate = apply(candidate, extra)
    org = facts.organizations.get(str(pkg.get("owner_org") or ""), ("", ""))[0]
    result = DatasetResult(pkg["id"], pkg["name"], org, problems, changes, remaining)
    return result, candidate


def run(
    *, defaults: Defaults | None = None, save: bool = False
) -> Iterator[DatasetResult]:
    """Examine every dataset of the suite's types; with ``save``, store the fixable ones.

    A dataset is stored only when its changes make it pass the schema; a failure while
    saving one dataset is reported on it and does not stop the run.
    """
    defaults = defaults or Defaults()
    facts = gather_facts()
    user = _site_user()
    for pkg_id, _name in dataset_ids():
        result, candidate = examine(pkg_id, facts, defaults, user)
        if save and result.fixable:
            try:
                toolkit.get_action("package_update")(
                    {"ignore_auth": True, "user": user}, candidate
                )
                result.saved = True
            except toolkit.ValidationError as e:
                model.Session.rollback()
                result.error = str(e.error_dict)
        yield result
