"""Repository-level checks: lint, packaging, and the promises README makes about CI."""

from __future__ import annotations

import pathlib
import re
import runpy
import shutil
import subprocess
import sys
from importlib.metadata import distribution

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_ruff_clean() -> None:
    ruff = shutil.which("ruff") or str(pathlib.Path(sys.executable).parent / "ruff")
    proc = subprocess.run([ruff, "check", "--no-cache", "."], cwd=ROOT, capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    commands = re.findall(r"^(make \w+)\s+#", readme, flags=re.M)
    assert commands[:2] == ["make test", "make demo"]
    assert "make test" in ci
    assert "CKAN_VERSION=$version make test" in ci and "2.11.x" in ci


def test_plugins_registered_are_real() -> None:
    """Every ckan.plugins entry point loads and implements at least one interface."""
    import ckan.plugins as p

    eps = [ep for ep in distribution("ckanext-gemeente").entry_points
           if ep.group == "ckan.plugins"]
    assert eps, "the distribution registers no CKAN plugin"
    for ep in eps:
        cls = ep.load()
        assert issubclass(cls, p.SingletonPlugin), ep.name
        implemented = [i for i in p.interfaces.Interface.__subclasses__()
                       if i.implemented_by(cls)]
        assert implemented, f"{ep.name} implements no CKAN interface"


def test_license_is_agpl() -> None:
    assert "GNU AFFERO GENERAL PUBLIC LICENSE" in (ROOT / "LICENSE").read_text()
    assert distribution("ckanext-gemeente").metadata["License-Expression"] == \
        "AGPL-3.0-or-later"


def test_committed_catalogues_are_compiled() -> None:
    """The .mo files `pip install` ships match their .po (scripts/compile_catalogs.py)."""
    tool = runpy.run_path(str(ROOT / "scripts" / "compile_catalogs.py"))
    assert list((ROOT / "ckanext" / "gemeente" / "i18n").glob("nl/LC_MESSAGES/*.po"))
    assert tool["stale_catalogs"]() == []
