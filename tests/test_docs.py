"""The guides: the configuration reference matches the declarations, links resolve."""

from __future__ import annotations

import pathlib
import re
import runpy

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
TOOL = runpy.run_path(str(ROOT / "scripts" / "config_reference.py"))


def test_configuration_reference_is_current() -> None:
    committed = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert committed == TOOL["render"](), (
        "docs/configuration.md is stale: run python scripts/config_reference.py")


def test_configuration_reference_names_every_declared_option() -> None:
    text = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    declared = [opt["key"]
                for path in (ROOT / "ckanext" / "gemeente").glob("*/config_declaration.yaml")
                for group in yaml.safe_load(path.read_text())["groups"]
                for opt in group["options"]]
    assert len(declared) > 20
    for key in declared:
        assert f"### `{key}`" in text, key


def test_links_between_guides_resolve() -> None:
    broken = []
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", doc.read_text()):
            if re.match(r"[a-z]+:", target):
                continue  # external
            if not (doc.parent / target).exists():
                broken.append(f"{doc.relative_to(ROOT)} -> {target}")
    assert not broken, broken
