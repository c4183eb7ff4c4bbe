"""Template helpers of ``gemeente_theme``: theme class, token CSS, logo, footer, home page."""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from markupsafe import Markup

from .tokens import css_rule, parse_tokens


def theme_class() -> str:
    return tk.config.get("ckanext.gemeente.theme.class") or "voorbeeld-theme"


def token_style() -> Markup:
    """The configured token overrides as an inline rule (validated at start-up)."""
    rule = css_rule(theme_class(), parse_tokens(tk.config.get("ckanext.gemeente.theme.tokens")
                                                or ""))
    return Markup(rule)  # noqa: S704 - parse_tokens only lets token-safe characters through


def stylesheets() -> list[str]:
    return [tk.h.url_for_static_or_external(url)
            for url in tk.config.get("ckanext.gemeente.theme.stylesheets") or []]


def logo() -> dict[str, str]:
    site = tk.config.get("ckan.site_title") or ""
    return {
        "src": tk.h.url_for_static_or_external(
            tk.config.get("ckanext.gemeente.theme.logo") or "/gemeente-theme/logo.svg"),
        "alt": tk.config.get("ckanext.gemeente.theme.logo_alt") or tk._("Logo {site}").format(
            site=site),
    }


def footer_links() -> list[dict[str, str]]:
    links = [{"label": tk._("About this portal"), "url": tk.h.url_for("home.about")}]
    for key, label in (
        ("contact_url", tk._("Contact")),
        ("privacy_statement_url", tk._("Privacy statement")),
        ("accessibility_statement_url", tk._("Accessibility statement")),
    ):
        url = tk.config.get(f"ckanext.gemeente.theme.{key}")
        if url:
            links.append({"label": label, "url": url})
    links.append({"label": tk._("Data API (CKAN)"), "url": tk.h.url_for("api.get_api", ver=3)})
    return links


def municipality() -> str:
    """The municipality's name (gemeente_schema's option), else the site title."""
    return (tk.config.get("ckanext.gemeente.municipality_name")
            or tk.config.get("ckan.site_title") or "")


def intro() -> str:
    return (tk.config.get("ckanext.gemeente.theme.intro")
            or tk.config.get("ckan.site_intro_text") or "")


def home_figures() -> dict[str, Any]:
    """One search for the home page: counts, departments, themes, the newest datasets."""
    # vocab_theme: gemeente_schema's themes (an empty facet without it)
    fields = ["organization", "vocab_theme"]
    try:
        result = tk.get_action("package_search")(
            {}, {"q": "*:*", "rows": 4, "sort": "metadata_modified desc",
                 "facet.field": fields, "facet.limit": -1, "facet.mincount": 1})
    except (tk.ValidationError, tk.ObjectNotFound):  # search server down or bad config
        return {"count": 0, "datasets": [], "departments": [], "themes": []}
    facets = result.get("search_facets") or {}
    return {
        "count": result["count"],
        "datasets": result["results"],
        "departments": sorted((facets.get("organization") or {}).get("items", []),
                              key=lambda item: str(item.get("display_name")).lower()),
        "themes": (facets.get("vocab_theme") or {}).get("items", []),
    }


def get_helpers() -> dict[str, Any]:
    return {
        "gemeente_theme_class": theme_class,
        "gemeente_theme_token_style": token_style,
        "gemeente_theme_stylesheets": stylesheets,
        "gemeente_theme_logo": logo,
        "gemeente_theme_footer_links": footer_links,
        "gemeente_theme_intro": intro,
        "gemeente_theme_municipality": municipality,
        "gemeente_theme_home": home_figures,
    }
