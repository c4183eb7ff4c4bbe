"""Fixtures of the harvest tests: plugins, value lists, departments, sources, local servers.

Sources are read from a file root under ``tmp_path`` (a municipality's share) or from the
local HTTP server of :mod:`harvest_servers` (listed in ``allow_hosts`` as a municipality
lists an internal server). Mail goes to a local SMTP sink on a free port.
"""

from __future__ import annotations

import json
import os
import runpy
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from harvest_servers import HTTPServer, SMTPSink

HERE = os.path.dirname(os.path.abspath(__file__))
VOCAB_DIR = os.path.join(HERE, "..", "schema", "data", "vocabularies")
MUNICIPALITY = "https://identifier.overheid.nl/tooi/id/gemeente/gm0479"
EU = "http://publications.europa.eu/resource/authority/"

HARVEST_PLUGINS = "gemeente_harvest gemeente_spreadsheet_harvester gemeente_sql_harvester harvest"
SCHEMA_PLUGINS = "scheming_datasets scheming_organizations gemeente_schema"

SCHEMA_CONFIG: dict[str, str] = {
    "scheming.dataset_schemas": "ckanext.gemeente.schema:schemas/gemeente_dataset.yaml",
    "scheming.organization_schemas": "ckanext.gemeente.schema:schemas/gemeente_organization.yaml",
    "scheming.presets": "ckanext.scheming:presets.json ckanext.gemeente.schema:presets.json",
    "ckanext.gemeente.municipality_uri": MUNICIPALITY,
    "ckanext.gemeente.municipality_name": "Gemeente Zaanstad",
    "ckanext.gemeente.vocabulary_dir": "",
    "ckanext.gemeente.vocabulary_source_url": "http://127.0.0.1:9/",
    "ckan.locale_default": "en",
}


def harvest_config(plugins: str = f"activity {SCHEMA_PLUGINS} {HARVEST_PLUGINS}",
                   schema: bool = True) -> list[Any]:
    """The marks (plugins, options, ``with_plugins``) for ``pytestmark`` of a module."""
    options = {"ckan.plugins": plugins, "ckan.harvest.mq.redis_db": "5"}
    if schema:
        options.update(SCHEMA_CONFIG)
    else:
        options["ckan.locale_default"] = "en"
    marks = [pytest.mark.ckan_config(key, value) for key, value in options.items()]
    return [*marks, pytest.mark.usefixtures("with_plugins")]


def privacy_available() -> bool:
    from importlib.metadata import entry_points

    return any(e.name == "gemeente_privacy" for e in entry_points(group="ckan.plugins"))


@pytest.fixture
def harvest_db(clean_db: None, clean_index: None, migrate_db_for: Callable[..., None],
               ckan_config: Any) -> Iterator[None]:
    """Clean database with ckanext-harvest's tables (and the schema's value lists)."""
    import ckan.plugins as p

    if p.plugin_loaded("activity"):
        migrate_db_for("activity")
    migrate_db_for("harvest")
    if p.plugin_loaded("gemeente_schema"):
        from ckanext.gemeente.schema import vocabularies

        migrate_db_for("gemeente_schema")
        vocabularies.invalidate_cache()
        vocabularies.update(VOCAB_DIR, allow_incomplete=True)
    if p.plugin_loaded("gemeente_privacy"):
        migrate_db_for("gemeente_privacy")
    yield
    if p.plugin_loaded("gemeente_schema"):
        from ckanext.gemeente.schema import vocabularies

        vocabularies.invalidate_cache()


@pytest.fixture
def sysadmin(harvest_db: None) -> dict[str, Any]:
    from ckan.tests import factories

    return factories.Sysadmin(name="beheerder")


@pytest.fixture
def department(harvest_db: None) -> dict[str, Any]:
    import ckan.plugins as p
    from ckan.tests import factories

    extra = {}
    if p.plugin_loaded("gemeente_schema"):
        extra = {"municipality_uri": MUNICIPALITY, "municipality_name": "Gemeente Zaanstad"}
    factories.Organization(name="stadsbeheer", title="Stadsbeheer", **extra)
    return factories.Organization(name="openbare-ruimte", title="Openbare Ruimte", **extra)


@pytest.fixture
def file_root(tmp_path: Any, ckan_config: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    root = os.path.join(str(tmp_path), "share")
    os.makedirs(root)
    monkeypatch.setitem(ckan_config, "ckanext.gemeente.harvest.file_roots", root)
    return root


@pytest.fixture
def http_server(ckan_config: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[HTTPServer]:
    server = HTTPServer().start()
    monkeypatch.setitem(ckan_config, "ckanext.gemeente.harvest.allow_hosts", "localhost")
    yield server
    server.stop()


@pytest.fixture
def smtp(ckan_config: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[SMTPSink]:
    sink = SMTPSink().start()
    monkeypatch.setitem(ckan_config, "smtp.server", f"127.0.0.1:{sink.port}")
    monkeypatch.setitem(ckan_config, "smtp.starttls", False)
    monkeypatch.setitem(ckan_config, "smtp.mail_from", "opendata@zaanstad.example.nl")
    yield sink
    sink.stop()


@pytest.fixture
def make_source(sysadmin: dict[str, Any], department: dict[str, Any]
                ) -> Callable[..., dict[str, Any]]:
    import ckan.plugins.toolkit as tk

    def make(url: str, source_type: str = "gemeente_spreadsheet", name: str = "inventaris",
             config: dict[str, Any] | None = None, frequency: str = "MANUAL",
             owner_org: str | None = None) -> dict[str, Any]:
        return tk.get_action("harvest_source_create")(
            {"user": sysadmin["name"]},
            {"name": name, "title": f"Bron {name}", "url": url, "source_type": source_type,
             "frequency": frequency, "config": json.dumps(config or {}),
             "owner_org": owner_org or department["id"]})

    return make


@pytest.fixture
def run_harvest() -> Callable[..., Any]:
    """Run one source through the cron runner in this process; its SourceRun."""

    def run(source: dict[str, Any], dry_run: bool = False) -> Any:
        from ckan import model
        from ckanext.harvest.model import HarvestSource

        from ckanext.gemeente.harvest import runner

        result = runner.run_source(HarvestSource.get(source["id"]), dry_run=dry_run)
        model.Session.remove()
        return result

    return run


# the logging pieces every generated ini carries (CKAN 2.11's CLI reads them from the file)
LOGGING = runpy.run_path(os.path.join(HERE, "..", "search", "ckan_ini.py"))["LOGGING"]


@pytest.fixture
def cli_ini(tmp_path: Any, ckan_config: Any) -> Callable[..., str]:
    """Write an ini for ``ckan`` subprocesses with this test's plugins and options."""
    test_ini = os.path.join(HERE, "..", "..", "test.ini")

    def write(**extra: str) -> str:
        keys = ["ckan.plugins", "ckan.harvest.mq.redis_db", "ckan.locale_default",
                "ckanext.gemeente.harvest.file_roots", "ckanext.gemeente.harvest.allow_hosts",
                "smtp.server", "smtp.mail_from", *SCHEMA_CONFIG]
        options = {k: " ".join(v) if isinstance(v, list | tuple) else str(v)
                   for k in keys if (v := ckan_config.get(k)) is not None}
        options.update(extra)
        path = os.path.join(str(tmp_path), "harvest-cli.ini")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(f"[app:main]\nuse = config:{os.path.abspath(test_ini)}\n")
            for key, value in options.items():
                fh.write(f"{key} = {value}\n")
            fh.write(LOGGING)
        return path

    return write


def ckan_command() -> str:
    import sys

    return os.path.join(os.path.dirname(sys.executable), "ckan")
