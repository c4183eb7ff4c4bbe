"""The ``gemeente_dashboard`` plugin: /gemeente/dashboard and ``gemeente_dashboard_show``."""

from __future__ import annotations

from typing import Any

import ckan.plugins as p
import ckan.plugins.toolkit as tk

from ..i18n import GemeenteTranslation
from . import views
from .logic import action, auth


@tk.blanket.actions(action.get_actions)
@tk.blanket.auth_functions(auth.get_auth_functions)
@tk.blanket.blueprints(views.get_blueprints)
@tk.blanket.config_declarations
class GemeenteDashboardPlugin(p.SingletonPlugin, GemeenteTranslation):
    p.implements(p.IConfigurer)
    p.implements(p.ITranslation)
    p.implements(p.IPackageController, inherit=True)

    # IConfigurer
    def update_config(self, config: Any) -> None:
        tk.add_template_directory(config, "templates")

    # IPackageController
    def before_dataset_index(self, pkg_dict: dict[str, Any]) -> dict[str, Any]:
        return action.index_completeness(pkg_dict)
