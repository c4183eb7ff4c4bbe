"""Design-token overrides from configuration: parsed strictly, rendered as one CSS rule."""

from __future__ import annotations

import pytest

from ckanext.gemeente.theme.tokens import TokenError, css_rule, parse_tokens


def test_lines_become_an_ordered_rule() -> None:
    tokens = parse_tokens([
        "# huisstijl Zaanstad",
        "--basis-color-accent-1-inverse-bg-default: #00589c;",
        '--basis-text-font-family-default: "Open Sans", Arial, sans-serif',
        "",
        "--utrecht-button-primary-action-background-color: "
        "var(--basis-color-accent-1-inverse-bg-default)",
    ])
    assert list(tokens) == [
        "--basis-color-accent-1-inverse-bg-default",
        "--basis-text-font-family-default",
        "--utrecht-button-primary-action-background-color",
    ]
    assert tokens["--basis-text-font-family-default"] == '"Open Sans", Arial, sans-serif'
    rule = css_rule("zaanstad-theme", tokens)
    assert rule.startswith(".zaanstad-theme.zaanstad-theme{")
    assert "--basis-color-accent-1-inverse-bg-default:#00589c;" in rule


def test_no_tokens_no_rule() -> None:
    assert css_rule("voorbeeld-theme", parse_tokens("")) == ""


@pytest.mark.parametrize("line", [
    "--x: red;} body{display:none",
    "--x: red</style><script>alert(1)</script>",
    "--x: url(javascript:alert(1)",
    "--x: red /* comment */",
    "color: red",
    "--Bad_Name: red",
    "--x:",
    "--x red",
])
def test_unsafe_lines_are_refused_with_the_line(line: str) -> None:
    with pytest.raises(TokenError) as err:
        parse_tokens(line)
    assert line.split(":")[0].strip() in str(err.value)


def test_theme_class_must_be_a_class_name() -> None:
    with pytest.raises(TokenError):
        css_rule("x{}", {"--a": "1px"})
