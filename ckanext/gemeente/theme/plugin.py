"""The ``gemeente_theme`` plugin: home page, header, footer on NL Design System tokens.

Registers the templates, the public logo, the webassets bundle (vendored token and
component CSS built from npm by scripts/build_theme_assets.py, plus the theme's own CSS) and
the template helpers; the configured token overrides are checked at start-up.
"""

from __future__ import annotations

from typing import Any

import ckan.plugins as p
import ckan.plugins.toolkit as tk

from ..i18n import GemeenteTranslation
from . import helpers
from .tokens import TokenError, css_rule, parse_tokens


@tk.blanket.config_declarations
@tk.blanket.helpers(helpers.get_helpers)
class GemeenteThemePlugin(p.SingletonPlugin, GemeenteTranslation):
    p.implements(p.IConfigurer)
    p.implements(p.IConfigurable)
    p.implements(p.ITranslation)

    # IConfigurer
    def update_config(self, config: Any) -> None:
        tk.add_template_directory(config, "templates")
        tk.add_public_directory(config, "public")
        tk.add_resource("assets", "gemeente_theme")
        if not tk.asbool(config.get("ckanext.gemeente.theme.allow_gravatar")):
            # no visitor data to gravatar.com: CKAN's placeholder picture instead
            config["ckan.gravatar_default"] = "disabled"

    # IConfigurable
    def configure(self, config: Any) -> None:
        try:
            css_rule(config.get("ckanext.gemeente.theme.class") or "voorbeeld-theme",
                     parse_tokens(config.get("ckanext.gemeente.theme.tokens") or ""))
        except TokenError as err:
            raise ValueError(f"ckanext.gemeente.theme: {err}") from None
