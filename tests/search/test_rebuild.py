"""``ckan gemeente search-index rebuild``: the real CLI (subprocess), CKAN, this session's
search server and database.

The datasets are made with CKAN's factories in this process (committed), the index is
emptied, and the command is run as a municipality runs it: ``ckan -c <ini> gemeente
search-index rebuild`` with the ``gemeente_search`` plugin enabled in that ini.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import ckan.model as model
import pytest
import sqlalchemy as sa
from ckan.lib import search
from ckan.tests import factories
from ckan_ini import LOGGING

ROOT = Path(__file__).resolve().parents[2]
CKAN = str(Path(sys.executable).parent / "ckan")


def _select(solr_url: str, **params: str) -> dict[str, Any]:
    query = urllib.parse.urlencode({"wt": "json", **params})
    with urllib.request.urlopen(f"{solr_url}/select?{query}") as resp:
        return json.load(resp)


def _indexed_ids(solr_url: str) -> set[str]:
    data = _select(solr_url, q="*:*", fl="id", rows="10000")
    return {d["id"] for d in data["response"]["docs"]}


@pytest.fixture
def cli_ini(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """An ini on top of this session's, with only ``gemeente_search`` enabled."""
    base = Path(request.config.getoption("ckan_ini")).resolve()
    ini = tmp_path / "rebuild.ini"
    ini.write_text(f"[app:main]\nuse = config:{base}\nckan.plugins = gemeente_search\n"
                   + LOGGING)
    return ini


def _rebuild(ini: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)  # CKAN_SOLR_URL: this session's search server
    return subprocess.run(
        [CKAN, "-c", str(ini), "gemeente", "search-index", "rebuild", *args],
        capture_output=True, text=True, env=env, timeout=300, cwd=ROOT,
    )


def _add_extra_in_db(package_id: str, key: str, value: str) -> None:
    """An extra written with SQL, past CKAN's validation and its index-on-commit hook."""
    if hasattr(model, "PackageExtra"):  # CKAN 2.11: a package_extra table
        sql = ("INSERT INTO package_extra (id, package_id, key, value, state) "
               "VALUES (:pid || '-x', :pid, :key, :value, 'active')")
    else:  # CKAN 2.12: a JSONB column
        sql = ("UPDATE package SET extras = coalesce(extras, '{}'::jsonb) "
               "|| jsonb_build_object(:key, :value) WHERE id = :pid")
    model.Session.execute(sa.text(sql), {"pid": package_id, "key": key, "value": value})
    model.Session.commit()


@pytest.fixture
def datasets() -> list[dict[str, Any]]:
    """23 datasets of two departments, some private, then an empty index."""
    orgs = [
        factories.Organization(name="stadsbeheer", title="Stadsbeheer"),
        factories.Organization(name="werk-en-inkomen", title="Werk en Inkomen"),
    ]
    made = []
    for i in range(23):
        made.append(factories.Dataset(
            name=f"afvalinzameling-wijk-{i:02d}",
            title=f"Afvalinzameling wijk {i:02d}",
            notes="Ophaalrondes en containerlocaties per wijk.",
            owner_org=orgs[i % 2]["id"],
            private=i % 5 == 0,
            tags=[{"name": "afval"}],
            resources=[{"url": f"https://data.gemeente.example/afval/{i}.csv", "format": "CSV"}],
        ))
    search.clear_all()
    return made


@pytest.mark.usefixtures("clean_db", "clean_index")
class TestRebuild:
    def test_indexes_every_dataset_with_two_workers(
        self, datasets: list[dict[str, Any]], cli_ini: Path, solr_url: str
    ) -> None:
        assert _indexed_ids(solr_url) == set()
        proc = _rebuild(cli_ini, "--workers", "2", "--batch-size", "4")
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "Indexing 23 datasets with 2 worker(s)..." in proc.stdout
        assert "Indexed 23 of 23 datasets" in proc.stdout
        assert "2 worker(s)); 0 failed, committed." in proc.stdout
        assert _indexed_ids(solr_url) == {d["id"] for d in datasets}
        # the documents are CKAN's own: permission labels and capacity as CKAN sets them
        private = next(d for d in datasets if d["private"])
        label = f"member-{private['owner_org']}"
        doc = _select(solr_url, q=f'id:"{private["id"]}"', fq=f'permission_labels:"{label}"',
                      fl="capacity")
        assert doc["response"]["docs"] == [{"capacity": "private"}]

    def test_one_worker_gives_the_same_index(
        self, datasets: list[dict[str, Any]], cli_ini: Path, solr_url: str
    ) -> None:
        proc = _rebuild(cli_ini, "--workers", "1")
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "1 worker(s)" in proc.stdout
        assert _indexed_ids(solr_url) == {d["id"] for d in datasets}

    def test_a_rejected_dataset_is_reported_and_the_rest_indexed(
        self, datasets: list[dict[str, Any]], cli_ini: Path, solr_url: str
    ) -> None:
        # A dataset whose metadata the search server refuses, as Solr would: a term of
        # over 32,766 bytes (an extra lands in the catch-all string field). It is written
        # to the database directly: through the API, creating it would already fail.
        bad = datasets[7]
        _add_extra_in_db(bad["id"], "bijlage_tekst", "x" * 40_000)
        proc = _rebuild(cli_ini, "--workers", "2", "--batch-size", "3")
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert f"FAILED {bad['id']}: SearchIndexError" in proc.stderr
        assert "immense term" in proc.stderr
        assert "Indexed 22 of 23 datasets" in proc.stdout
        assert "1 failed" in proc.stdout
        assert _indexed_ids(solr_url) == {d["id"] for d in datasets} - {bad["id"]}

    def test_only_missing(
        self, datasets: list[dict[str, Any]], cli_ini: Path, solr_url: str
    ) -> None:
        first = _rebuild(cli_ini, "--workers", "2")
        assert first.returncode == 0, first.stdout + first.stderr
        gone = datasets[3]
        search.index_for(model.Package).delete_package({"id": gone["id"]})
        search.commit()
        assert gone["id"] not in _indexed_ids(solr_url)
        proc = _rebuild(cli_ini, "--only-missing")
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "Indexing 1 datasets with 1 worker(s)" in proc.stdout
        assert "Indexed 1 of 1 datasets" in proc.stdout
        assert _indexed_ids(solr_url) == {d["id"] for d in datasets}
        again = _rebuild(cli_ini, "--only-missing")
        assert again.returncode == 0
        assert "Nothing to index: every dataset is in the index." in again.stdout

    def test_commits_on_the_way(
        self, datasets: list[dict[str, Any]], cli_ini: Path, solr_url: str
    ) -> None:
        def version() -> int:
            base, core = solr_url.rsplit("/", 1)
            with urllib.request.urlopen(f"{base}/admin/cores?action=STATUS&core={core}") as r:
                return json.load(r)["status"][core]["index"]["version"]

        before = version()
        proc = _rebuild(cli_ini, "--workers", "2", "--batch-size", "4", "--commit-every", "5")
        assert proc.returncode == 0, proc.stdout + proc.stderr
        # 23 datasets in batches of 4, a commit whenever 5 more are done: at least 3
        assert version() - before >= 3
        assert _indexed_ids(solr_url) == {d["id"] for d in datasets}
        search.clear_all()
        before = version()
        proc = _rebuild(cli_ini, "--workers", "2", "--commit-every", "0")
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert version() - before == 1  # only the one at the end
        assert _indexed_ids(solr_url) == {d["id"] for d in datasets}

    def test_bad_option_is_a_usage_error(self, cli_ini: Path) -> None:
        proc = _rebuild(cli_ini, "--workers", "0")
        assert proc.returncode == 2
        assert "Invalid value for '-w' / '--workers'" in proc.stderr
