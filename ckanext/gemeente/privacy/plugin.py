"""The ``gemeente_privacy`` plugin: nothing becomes public without the privacy review.

A thin class: the actions (including CKAN's own publish paths, chained) are in
:mod:`.logic.action` and :mod:`.logic.enforce`, auth functions in :mod:`.logic.auth`, the
state machine in :mod:`.workflow`, the audit chain in :mod:`.audit`. The hooks here index the
review state (``review_state``, a facet) and let privacy officers and coordinators see the
datasets they review (permission labels).
"""

from __future__ import annotations

import os
from typing import Any

import ckan.plugins as p
from ckan.lib.plugins import DefaultPermissionLabels, DefaultTranslation
from ckan.plugins import toolkit as tk

from . import cli, helpers, labels, views
from .logic import action, auth


def _i18n_dir() -> str:
    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "i18n")


@tk.blanket.config_declarations
@tk.blanket.actions(action.get_actions)
@tk.blanket.auth_functions(auth.get_auth_functions)
@tk.blanket.cli(cli.get_commands)
@tk.blanket.helpers(helpers.get_helpers)
@tk.blanket.blueprints(views.get_blueprint)
class GemeentePrivacyPlugin(p.SingletonPlugin, DefaultTranslation):
    p.implements(p.IConfigurer)
    p.implements(p.IPackageController, inherit=True)
    p.implements(p.IPermissionLabels)
    p.implements(p.IFacets, inherit=True)
    p.implements(p.ITranslation)

    _default_labels = DefaultPermissionLabels()

    # IConfigurer
    def update_config(self, config: Any) -> None:
        tk.add_template_directory(config, "templates")
        tk.add_resource("assets", "gemeente_privacy")

    # ITranslation
    def i18n_directory(self) -> str:
        return _i18n_dir()

    def i18n_domain(self) -> str:
        return "ckanext-gemeente"

    # IPermissionLabels
    def get_dataset_labels(self, dataset_obj: Any) -> list[str]:
        return labels.dataset_labels(dataset_obj, self._default_labels)

    def get_user_dataset_labels(self, user_obj: Any) -> list[str]:
        return labels.user_labels(user_obj, self._default_labels)

    # IPackageController
    def before_dataset_index(self, pkg_dict: dict[str, Any]) -> dict[str, Any]:
        return labels.index_review_state(pkg_dict)

    def after_dataset_search(self, search_results: dict[str, Any],
                             search_params: dict[str, Any]) -> dict[str, Any]:
        return labels.label_facet(search_results)

    # IFacets
    def dataset_facets(self, facets_dict: dict[str, Any], package_type: str) -> dict[str, Any]:
        facets_dict["review_state"] = tk._("Privacy status")
        return facets_dict
