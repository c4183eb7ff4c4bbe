"""The ``gemeente_scan`` plugin: personal-data scan of resources and pseudonymisation.

Thin: the scanner is the CKAN-free core (:mod:`.core`), the background job :mod:`.jobs`, the
actions :mod:`.logic.action`. Hooks: every resource created or updated is queued for a scan;
with ``gemeente_privacy`` enabled the scan's findings appear on the dataset's Privacy tab
(:class:`IGemeenteReview`), and a ``hoog`` (or failed) scan blocks approval unless the privacy
officer writes a justification. Without ``gemeente_privacy`` the results are available
through ``gemeente_scan_show`` and ``ckan gemeente scan``.
"""

from __future__ import annotations

import os
from typing import Any

import ckan.plugins as p
from ckan.lib.plugins import DefaultTranslation
from ckan.plugins import toolkit as tk

from ckanext.gemeente.privacy.interfaces import IGemeenteReview

from . import cli, review
from .logic import action, auth


@tk.blanket.config_declarations
@tk.blanket.actions(action.get_actions)
@tk.blanket.auth_functions(auth.get_auth_functions)
@tk.blanket.cli(cli.get_commands)
class GemeenteScanPlugin(p.SingletonPlugin, DefaultTranslation):
    p.implements(p.IResourceController, inherit=True)
    p.implements(p.IPackageController, inherit=True)
    p.implements(IGemeenteReview, inherit=True)
    p.implements(p.ITranslation)

    # ITranslation
    def i18n_directory(self) -> str:
        return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                            "i18n")

    def i18n_domain(self) -> str:
        return "ckanext-gemeente"

    # IResourceController
    def after_resource_create(self, context: dict[str, Any], resource: dict[str, Any]) -> None:
        review.on_resource_change(resource)

    def after_resource_update(self, context: dict[str, Any], resource: dict[str, Any]) -> None:
        review.on_resource_change(resource)

    # IPackageController: datasets created or updated together with their resources
    def after_dataset_create(self, context: dict[str, Any], pkg_dict: dict[str, Any]) -> None:
        review.on_package_change(pkg_dict)

    def after_dataset_update(self, context: dict[str, Any], pkg_dict: dict[str, Any]) -> None:
        review.on_package_change(pkg_dict)

    # IGemeenteReview
    def review_findings(self, context: dict[str, Any], package: dict[str, Any]
                        ) -> list[dict[str, Any]]:
        return review.findings_for(package)
