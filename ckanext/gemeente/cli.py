"""The ``ckan gemeente ...`` command group shared by every plugin of the suite.

Each plugin adds its subcommands to :data:`gemeente` in its own ``cli.py`` and returns
the group from ``IClick.get_commands``; CKAN registers it once under ``ckan gemeente``.
"""

from __future__ import annotations

import click


@click.group("gemeente", short_help="ckanext-gemeente: commands of the enabled suite plugins")
def gemeente() -> None:
    """Commands of the ckanext-gemeente suite; each enabled plugin adds its own."""
