"""The harvest plugins of remote catalogue sources (Harvesters II), on the same base.

``gemeente_arcgis_harvester`` (source type ``gemeente_arcgis``: ArcGIS REST directories and
ArcGIS Hub feeds), ``gemeente_dcat_harvester`` (``gemeente_dcat``: DCAT-AP(-DONL) feeds) and
``gemeente_ckan_harvester`` (``gemeente_ckan``: another CKAN portal). Like the spreadsheet
and SQL harvesters (:mod:`.plugin`), each brings the ``ckan gemeente harvest`` commands and
the source form's help, so it works on its own.
"""

from __future__ import annotations

from typing import Any

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckanext.harvest.interfaces import IHarvester

from . import cli
from .plugin import _configure
from .sources.arcgis import ArcGISHarvester
from .sources.ckan import CkanHarvester
from .sources.dcat import DcatHarvester


@tk.blanket.cli(cli.get_commands)
class ArcGISHarvesterPlugin(ArcGISHarvester):
    p.implements(IHarvester)
    p.implements(p.IConfigurer)

    def update_config(self, config: Any) -> None:
        _configure(config)


@tk.blanket.cli(cli.get_commands)
class DcatHarvesterPlugin(DcatHarvester):
    p.implements(IHarvester)
    p.implements(p.IConfigurer)

    def update_config(self, config: Any) -> None:
        _configure(config)


@tk.blanket.cli(cli.get_commands)
class CkanHarvesterPlugin(CkanHarvester):
    p.implements(IHarvester)
    p.implements(p.IConfigurer)

    def update_config(self, config: Any) -> None:
        _configure(config)
