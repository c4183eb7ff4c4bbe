"""The ``gemeente_search`` plugin: search-index maintenance commands for CKAN.

The search server in this package runs without CKAN; this plugin is the CKAN side:
``ckan gemeente search-index rebuild [--workers N]`` (:mod:`.cli`, :mod:`.rebuild`).
"""

from __future__ import annotations

from typing import Any

import ckan.plugins as p

from . import cli


class GemeenteSearchPlugin(p.SingletonPlugin):
    p.implements(p.IClick)

    def get_commands(self) -> list[Any]:
        return cli.get_commands()
