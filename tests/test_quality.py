"""Repository-level checks: lint, packaging, and the promises README makes about CI."""

from __future__ import annotations

import pathlib
import re
import runpy
import shutil
import subprocess
import sys
from importlib.metadata import distribution

import pytest

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


# folders whose modules must not import CKAN (they run without it); checked statically
# (every import statement in every file) and by importing them all in a fresh interpreter
CKAN_FREE_FOLDERS = ("ckanext/gemeente/search/solr",)


def test_ckan_free_folders_import_no_ckan() -> None:
    import ast

    offending: list[str] = []
    modules: list[str] = []
    for folder in CKAN_FREE_FOLDERS:
        files = sorted((ROOT / folder).rglob("*.py"))
        assert files, folder
        for path in files:
            rel = path.relative_to(ROOT)
            if path.name != "__main__.py":
                parts = rel.with_suffix("").parts
                modules.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
            for node in ast.walk(ast.parse(path.read_text(), str(rel))):
                names = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                    names = [node.module]
                offending += [f"{rel}:{node.lineno}: {n}" for n in names
                              if n == "ckan" or n.startswith("ckan.")]
    assert not offending, offending
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}:\n"
        "    importlib.import_module(m)\n"
        "bad = sorted(n for n in sys.modules if n == 'ckan' or n.startswith('ckan.'))\n"
        "assert not bad, bad\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert len(modules) >= 15  # server, app, core, index, query, analysis, ...


def test_scan_core_imports_no_ckan() -> None:
    """gemeente_scan: the scanner core (file in, findings out) imports no CKAN, also not
    indirectly; only plugin, jobs, model, review, cli and logic/ are CKAN's side."""
    scan = ROOT / "ckanext" / "gemeente" / "scan"
    ckan_side = {"plugin", "jobs", "model", "review", "cli", "__init__", "__main__"}
    core = sorted(p.stem for p in scan.glob("*.py") if p.stem not in ckan_side)
    assert len(core) >= 9, core
    probe = ("import sys; from ckanext.gemeente.scan import " + ", ".join(core) +
             "; sys.exit(','.join(m for m in sys.modules if m.split('.')[0] == 'ckan') or None)")
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          cwd=ROOT)
    assert proc.returncode == 0 and not proc.stderr, proc.stderr


# The distribution a top-level import (or a ``ckanext.<name>`` namespace package) comes from,
# where the two names differ. Used by test_declared_dependencies_are_the_imported_ones.
IMPORT_TO_DISTRIBUTION = {
    "ckanext.dcat": "ckanext-dcat",
    "ckanext.harvest": "ckanext-harvest",
    "ckanext.scheming": "ckanext-scheming",
    "flask": "Flask",
    "jinja2": "Jinja2",
    "markupsafe": "MarkupSafe",
    "pymysql": "PyMySQL",
    "sqlalchemy": "SQLAlchemy",
    "stdnum": "python-stdnum",
    "werkzeug": "Werkzeug",
    "yaml": "PyYAML",
}
# Imported but deliberately not declared: CKAN itself (the extension is installed into the
# portal's CKAN; declaring it would let pip replace the portal's CKAN).
HOST = {"ckan"}
# Declared without an import statement in the package, and why.
LOADED_BY_NAME = {
    "PyMySQL": "SQLAlchemy loads it for mysql+pymysql:// URLs (gemeente_sql_harvester)",
}
# Imported only by modules meant for another tool, with the optional extra providing it.
OPTIONAL_IMPORTS = {"pytest": ("dev", "ckanext/gemeente/search/pytest_plugin.py")}


def _dist_key(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_declared_dependencies_are_the_imported_ones() -> None:
    """pyproject's dependencies are exactly the distributions ckanext/gemeente imports."""
    import ast

    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {
        _dist_key(re.split(r"[\s<>=!~;\[(]", req, maxsplit=1)[0]): req
        for req in project["dependencies"]
    }
    imported: dict[str, set[str]] = {}
    for path in sorted((ROOT / "ckanext" / "gemeente").rglob("*.py")):
        rel = str(path.relative_to(ROOT))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                parts = name.split(".")
                top = ".".join(parts[:2]) if parts[0] == "ckanext" else parts[0]
                if top in sys.stdlib_module_names or top == "ckanext.gemeente" or top in HOST:
                    continue
                imported.setdefault(top, set()).add(rel)
    for module, (extra, allowed) in OPTIONAL_IMPORTS.items():
        where = imported.pop(module, set())
        assert where <= {allowed}, f"{module} imported outside {allowed}: {sorted(where)}"
        assert any(_dist_key(module) == _dist_key(re.split(r"[\s<>=!~;\[(]", r)[0])
                   for r in project["optional-dependencies"][extra])
    needed = {_dist_key(IMPORT_TO_DISTRIBUTION.get(m, m)): m for m in imported}
    undeclared = {m: sorted(imported[m])[:3] for k, m in needed.items() if k not in declared}
    loaded = {_dist_key(n) for n in LOADED_BY_NAME}
    unused = sorted(req for k, req in declared.items() if k not in needed and k not in loaded)
    assert not undeclared, f"imported but not in [project] dependencies: {undeclared}"
    assert not unused, f"declared but never imported (remove, or document why): {unused}"


def test_packaging_fields() -> None:
    """PEP 639 licence string needs setuptools >= 77; ckanext-dcat internals are imported
    (profiles, harvester), so its range is the tested one."""
    import tomllib

    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "setuptools>=77" in data["build-system"]["requires"]
    assert data["project"]["license"] == "AGPL-3.0-or-later"
    dcat = next(r for r in data["project"]["dependencies"] if r.startswith("ckanext-dcat"))
    for lock in ("ckan-2.12.txt", "ckan-2.11.txt"):
        pinned = re.search(r"^ckanext-dcat==(\S+)$",
                           (ROOT / "requirements" / lock).read_text(), re.M)
        assert pinned, lock
        from packaging.requirements import Requirement

        spec = Requirement(dcat).specifier
        assert spec.contains(pinned.group(1)), (dcat, lock)
        assert "<" in str(spec), f"{dcat}: give the upper bound of the tested range"


def test_privacy_cores_import_no_ckan() -> None:
    """gemeente_privacy: the state machine and the audit hash chain are pure Python."""
    code = (
        "import sys\n"
        "import ckanext.gemeente.privacy.workflow, ckanext.gemeente.privacy.audit\n"
        "bad = sorted(n for n in sys.modules if n == 'ckan' or n.startswith('ckan.'))\n"
        "assert not bad, bad\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT)
    assert proc.returncode == 0, proc.stderr


def test_harvest_cores_import_no_ckan() -> None:
    """The URL guard and the harvest mapping (validation, application, hash) are pure Python."""
    code = (
        "import sys\n"
        "import ckanext.gemeente.urlguard, ckanext.gemeente.harvest.mapping\n"
        "bad = sorted(n for n in sys.modules if n == 'ckan' or n.startswith('ckan.'))\n"
        "assert not bad, bad\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("modules", [
    ("ckanext.gemeente.dashboard.figures",),
    ("ckanext.gemeente.theme.tokens",),
    ("ckanext.gemeente.harvest.sources.arcgis_rest", "ckanext.gemeente.harvest.sources.hub_feeds"),
])
def test_other_pure_cores_import_no_ckan(modules: tuple[str, ...]) -> None:
    """The dashboard's figures, the theme's token parser and the ArcGIS/Hub walkers."""
    code = (
        "import importlib, sys\n"
        f"for m in {list(modules)!r}:\n"
        "    importlib.import_module(m)\n"
        "bad = sorted(n for n in sys.modules if n == 'ckan' or n.startswith('ckan.'))\n"
        "assert not bad, bad\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT)
    assert proc.returncode == 0, proc.stderr

