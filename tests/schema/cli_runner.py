"""A CLI runner for the schema tests that keeps stdout and stderr apart (click 8.1 and 8.2+)."""

from __future__ import annotations

from typing import Any

from ckan.tests.helpers import CKANCliRunner


def split_runner(ckan_config: dict[str, Any]) -> CKANCliRunner:
    """Like CKAN's ``cli`` fixture, with ``result.stdout`` and ``result.stderr`` separate."""
    env = {"CKAN_INI": ckan_config["__file__"]}
    try:
        return CKANCliRunner(env=env, mix_stderr=False)  # click < 8.2
    except TypeError:  # click 8.2 removed mix_stderr: the streams are always kept apart
        return CKANCliRunner(env=env)
