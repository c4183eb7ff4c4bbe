"""The suite's one Babel catalogue (domain ``ckanext-gemeente``, ``nl`` first).

``<lang>/LC_MESSAGES/ckanext-gemeente.po`` holds the translations, ``ckanext-gemeente.pot``
the extracted template (``python scripts/i18n.py extract``). Plugins that show text mix in
:class:`GemeenteTranslation` so they all point CKAN at this directory and domain.
"""

from __future__ import annotations

import os

from ckan.lib.plugins import DefaultTranslation

DOMAIN = "ckanext-gemeente"
DIRECTORY = os.path.dirname(os.path.abspath(__file__))


class GemeenteTranslation(DefaultTranslation):
    """ITranslation for a plugin of the suite: the shared catalogue in this directory."""

    def i18n_directory(self) -> str:
        return DIRECTORY

    def i18n_domain(self) -> str:
        return DOMAIN
