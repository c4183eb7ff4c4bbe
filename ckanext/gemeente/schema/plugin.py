"""The ``gemeente_schema`` plugin: DCAT-AP-DONL dataset schema for municipal portals.

The schema itself is ckanext-scheming YAML (``schemas/``), its RDF mapping the ckanext-dcat
profile ``donl`` (:mod:`.dcat`); this class only registers validators, helpers, templates,
index flattening, facets, translations and the ``ckan gemeente vocabularies`` commands.
"""

from __future__ import annotations

import json
import os
from typing import Any

import ckan.plugins as p
from ckan.lib.plugins import DefaultTranslation
from ckan.plugins import toolkit

from . import cli, dataset_types, fields, helpers, validators
from .fields import as_list

# Fields of CKAN's stock Solr schema that are multi-valued; every other indexed value must be
# a single value (``extras_*`` is single-valued text, ``*`` a single-valued string).
MULTIVALUED_INDEX_FIELDS = frozenset(
    "tags groups permission_labels res_name res_description res_format res_url res_type "
    "text urls depends_on dependency_of derives_from has_derivation links_to linked_from "
    "child_of parent_of".split()
)
MULTIVALUED_INDEX_PREFIXES = ("vocab_", "res_extras_")

# Schema fields holding several values (stored as JSON lists: read from the schema, see
# fields.list_fields) and the single-valued ones that are also facets; both are indexed as
# ``vocab_<field>`` (multi-valued strings).
FACET_FIELDS_SINGLE = ("access_rights", "privacy_classification", "update_method")


def _i18n_dir() -> str:
    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "i18n")


@toolkit.blanket.config_declarations
class GemeenteSchemaPlugin(p.SingletonPlugin, DefaultTranslation):
    p.implements(p.IConfigurer)
    p.implements(p.IValidators)
    p.implements(p.ITemplateHelpers)
    p.implements(p.IClick)
    p.implements(p.IFacets, inherit=True)
    p.implements(p.IPackageController, inherit=True)
    p.implements(p.ITranslation)
    p.implements(p.IConfigurable)

    # IConfigurer
    def update_config(self, config: Any) -> None:
        toolkit.add_template_directory(config, "templates")

    # IConfigurable
    def configure(self, config: Any) -> None:
        # our overrides of ckanext-scheming's own templates (templates/scheming/package/...:
        # the metadata table without empty rows) must come before scheming's directory,
        # whatever the order of the plugins in ckan.plugins
        paths = config.get("computed_template_paths") or []
        ours = os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates")
        scheming = [i for i, path in enumerate(paths)
                    if os.path.normpath(path).endswith(os.path.join("ckanext", "scheming",
                                                                    "templates"))]
        if ours in paths and scheming and paths.index(ours) > scheming[0]:
            paths.remove(ours)
            paths.insert(scheming[0], ours)

    # IValidators
    def get_validators(self) -> dict[str, Any]:
        return validators.get_validators()

    # ITemplateHelpers
    def get_helpers(self) -> dict[str, Any]:
        return {**helpers.get_helpers(), "gemeente_is_suite_type": dataset_types.is_suite_type}

    # IClick
    def get_commands(self) -> list[Any]:
        return cli.get_commands()

    # ITranslation
    def i18n_directory(self) -> str:
        return _i18n_dir()

    def i18n_domain(self) -> str:
        return "ckanext-gemeente"

    # IFacets
    def dataset_facets(self, facets_dict: dict[str, Any], package_type: str) -> dict[str, Any]:
        # other dataset types on the portal keep their facets (license_id included)
        if not dataset_types.is_suite_type(package_type):
            return facets_dict
        _ = toolkit._
        new: dict[str, Any] = {
            "vocab_theme": _("Themes"),
            "organization": _("Departments"),
            "vocab_access_rights": _("Access rights"),
            "res_format": _("Formats"),
            "vocab_privacy_classification": _("Privacy classification"),
            "vocab_geo_coverage": _("Spatial coverage"),
        }
        for key, value in facets_dict.items():
            if key not in new and key != "license_id":
                new[key] = value
        facets_dict.clear()
        facets_dict.update(new)
        return facets_dict

    # IPackageController
    def before_dataset_index(self, pkg_dict: dict[str, Any]) -> dict[str, Any]:
        if not dataset_types.is_suite_type(pkg_dict.get("type")):
            return pkg_dict
        return flatten_for_index(pkg_dict)

    def after_dataset_search(
        self, search_results: dict[str, Any], search_params: dict[str, Any]
    ) -> dict[str, Any]:
        for field, facet in (search_results.get("search_facets") or {}).items():
            if field.startswith("vocab_"):
                for item in facet.get("items", []):
                    item["display_name"] = helpers.gemeente_facet_label(field, item["name"])
        return search_results


def _geo_values(raw: Any) -> list[str]:
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return []
    out = []
    for item in raw or []:
        if isinstance(item, dict) and item.get("value"):
            out.append(f"{item.get('scheme') or ''}:{item['value']}")
    return out


def flatten_for_index(pkg_dict: dict[str, Any]) -> dict[str, Any]:
    """Make the index document fit CKAN's stock Solr schema.

    List-valued schema fields go to multi-valued ``vocab_<field>`` fields; in single-valued
    fields (including ``extras_*``) lists are joined with spaces.
    """
    for field in fields.list_fields(dataset_type=pkg_dict.get("type") or "dataset"):
        for key in (field, f"extras_{field}"):
            if key in pkg_dict:
                values = as_list(pkg_dict[key])
                pkg_dict[f"vocab_{field}"] = values
                pkg_dict[key] = " ".join(values)
    for field in FACET_FIELDS_SINGLE:
        value = pkg_dict.get(field) or pkg_dict.get(f"extras_{field}")
        if value:
            pkg_dict[f"vocab_{field}"] = [str(value)]
    for key in ("geo_coverage", "extras_geo_coverage"):
        if key in pkg_dict:
            values = _geo_values(pkg_dict[key])
            pkg_dict["vocab_geo_coverage"] = values
            pkg_dict[key] = " ".join(values)
    for key, value in list(pkg_dict.items()):
        if isinstance(value, (list, tuple)) and not (
            key in MULTIVALUED_INDEX_FIELDS or key.startswith(MULTIVALUED_INDEX_PREFIXES)
        ):
            pkg_dict[key] = " ".join(str(v) for v in value if v is not None)
        elif isinstance(value, dict):
            pkg_dict[key] = json.dumps(value, ensure_ascii=False)
    return pkg_dict
