"""Design-token overrides from configuration, turned into one safe CSS rule (no CKAN).

NL Design System themes are sets of CSS custom properties (``--basis-color-...``,
``--utrecht-button-...``) scoped to a theme class such as ``.voorbeeld-theme``. A
municipality applies its own look either by loading its own token package (another
stylesheet and class name) or by overriding single tokens in ``ckan.ini``::

    ckanext.gemeente.theme.tokens =
        --basis-color-accent-1-bg-default: #00589c
        --basis-text-font-family-default: "Open Sans", Arial, sans-serif

This module parses such lines and renders them as a rule that the page can inline, refusing
anything that could break out of a declaration (braces, semicolons, ``<``, comments, urls
with quotes...).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

TOKEN_NAME = re.compile(r"^--[a-z0-9]+(?:-[a-z0-9]+)*$")
# letters, digits, spaces and the punctuation colours, sizes, font stacks and var() need
TOKEN_VALUE = re.compile(r"""^[A-Za-z0-9#%.,()\s"'+\-_/]+$""")
CLASS_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")


class TokenError(ValueError):
    """A configured token line that cannot be used; the message names the line."""


def parse_tokens(lines: Iterable[str] | str) -> dict[str, str]:
    """``--name: value`` lines (or one string of them) -> ordered {name: value}.

    Blank lines and lines starting with ``#`` are ignored; a trailing ``;`` is allowed.
    Raises :class:`TokenError` for a malformed line.
    """
    if isinstance(lines, str):
        lines = lines.splitlines()
    tokens: dict[str, str] = {}
    for raw in lines:
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.partition(":")
        name, value = name.strip(), value.strip().rstrip(";").strip()
        if not sep or not TOKEN_NAME.match(name):
            raise TokenError(f"not a design token line (--name: value): {line!r}")
        if not value or not TOKEN_VALUE.match(value) or "/*" in value \
                or value.count("(") != value.count(")"):
            raise TokenError(f"unsafe or empty value for {name}: {value!r}")
        tokens[name] = value
    return tokens


def css_rule(theme_class: str, tokens: dict[str, str]) -> str:
    """The overrides as one CSS rule on the theme class ("" when there are none).

    The selector is doubled (``.x.x``) so it wins over the token package's own ``.x`` rule
    whatever the order of the stylesheets.
    """
    if not CLASS_NAME.match(theme_class):
        raise TokenError(f"not a CSS class name: {theme_class!r}")
    if not tokens:
        return ""
    body = "".join(f"{name}:{value};" for name, value in tokens.items())
    return f".{theme_class}.{theme_class}{{{body}}}"
