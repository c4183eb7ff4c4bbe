"""The harvest plugins: ``gemeente_harvest`` (options, CLI, form help) and one per source type.

``gemeente_spreadsheet_harvester`` and ``gemeente_sql_harvester`` are the ckanext-harvest
harvesters (source types ``gemeente_spreadsheet`` and ``gemeente_sql``); each also brings
the ``ckan gemeente harvest`` commands and the source form's help, so it works on its own.
``gemeente_harvest`` declares the ``ckanext.gemeente.harvest.*`` options (one plugin may
declare them, CKAN refuses a second declaration); without it the defaults apply.
"""

from __future__ import annotations

import os
from typing import Any

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.lib.plugins import DefaultTranslation
from ckanext.harvest.interfaces import IHarvester

from . import cli
from .sources.spreadsheet import SpreadsheetHarvester
from .sources.sql import SqlHarvester

_I18N = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "i18n")


def _configure(config: Any) -> None:
    tk.add_template_directory(config, "templates")
    tk.add_public_directory(config, "public")


@tk.blanket.config_declarations
@tk.blanket.cli(cli.get_commands)
class GemeenteHarvestPlugin(p.SingletonPlugin, DefaultTranslation):
    p.implements(p.IConfigurer)
    p.implements(p.ITranslation)

    def update_config(self, config: Any) -> None:
        _configure(config)

    def i18n_directory(self) -> str:
        return _I18N

    def i18n_domain(self) -> str:
        return "ckanext-gemeente"


@tk.blanket.cli(cli.get_commands)
class SpreadsheetHarvesterPlugin(SpreadsheetHarvester):
    p.implements(IHarvester)
    p.implements(p.IConfigurer)

    def update_config(self, config: Any) -> None:
        _configure(config)


@tk.blanket.cli(cli.get_commands)
class SqlHarvesterPlugin(SqlHarvester):
    p.implements(IHarvester)
    p.implements(p.IConfigurer)
    p.implements(p.IActions)

    def update_config(self, config: Any) -> None:
        _configure(config)

    def get_actions(self) -> dict[str, Any]:
        return {"harvest_source_create": harvest_source_create,
                "harvest_source_update": harvest_source_update}


def _refuse_literal_password(data_dict: dict[str, Any]) -> None:
    from .sources.sql import literal_password

    if data_dict.get("source_type") == SqlHarvester.source_type and \
            literal_password(str(data_dict.get("url") or "")):
        raise tk.ValidationError({"url": [tk._(
            "Do not write the password in the database URL: put it in an environment "
            "variable of the CKAN server and write ${NAME} in its place")]})


@tk.chained_action
def harvest_source_create(up: Any, context: dict[str, Any], data_dict: dict[str, Any]) -> Any:
    tk.check_access("harvest_source_create", context, data_dict)
    _refuse_literal_password(data_dict)
    return up(context, data_dict)


@tk.chained_action
def harvest_source_update(up: Any, context: dict[str, Any], data_dict: dict[str, Any]) -> Any:
    tk.check_access("harvest_source_update", context, data_dict)
    _refuse_literal_password(data_dict)
    return up(context, data_dict)
