"""The departmental database harvester against the real PostgreSQL and MariaDB here, and SQLite.

The source databases are named after this run's CKAN database (``<ckan db>_src``), so
parallel runs on one machine (each with its own CKAN database) never share one; the
fixtures create and drop them.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import sqlite3
from collections.abc import Iterator
from typing import Any

import ckan.plugins.toolkit as tk
import pytest
import sqlalchemy as sa
from conftest import harvest_config

pytestmark = harvest_config()

SECRET = "Zaanse-Schans-7391"


def _ckan_db() -> str:
    url = os.environ.get("CKAN_SQLALCHEMY_URL") or tk.config.get("sqlalchemy.url")
    return sa.engine.make_url(url).database


POSTGRES_DDL = [
    "CREATE SCHEMA openbareruimte",
    "CREATE SCHEMA intern",
    """CREATE TABLE openbareruimte.afvalbakken (
        id serial PRIMARY KEY, wijk text NOT NULL, soort varchar(40), inhoud_liter integer,
        geplaatst date)""",
    "COMMENT ON TABLE openbareruimte.afvalbakken IS 'Afvalbakken in de openbare ruimte'",
    "COMMENT ON COLUMN openbareruimte.afvalbakken.wijk IS 'Wijkcode volgens CBS (WK0479..)'",
    "COMMENT ON COLUMN openbareruimte.afvalbakken.soort IS 'Soort bak: rest, papier, glas'",
    """CREATE TABLE openbareruimte.speeltoestellen (
        id serial PRIMARY KEY, locatie text, toestel text, laatste_keuring date)""",
    """CREATE VIEW openbareruimte.afvalbakken_per_wijk AS
        SELECT wijk, count(*) AS aantal FROM openbareruimte.afvalbakken GROUP BY wijk""",
    "CREATE TABLE intern.rooster (id serial PRIMARY KEY, team text, dienst date)",
    """INSERT INTO openbareruimte.afvalbakken (wijk, soort, inhoud_liter, geplaatst) VALUES
        ('WK047901', 'rest', 60, '2021-04-12'), ('WK047901', 'papier', 120, '2022-09-01'),
        ('WK047902', 'glas', 1500, NULL), ('WK047903', 'rest; "groot"', 240, '2024-01-31')""",
    """INSERT INTO openbareruimte.speeltoestellen (locatie, toestel, laatste_keuring) VALUES
        ('Westerpark', 'schommel', '2025-03-01'), ('Darwinpark', 'glijbaan', '2025-02-11')""",
]

MARIADB_DDL = [
    """CREATE TABLE parkeervergunningen_zones (
        zone_code VARCHAR(8) PRIMARY KEY COMMENT 'Code van de vergunningzone',
        naam VARCHAR(80) NOT NULL COMMENT 'Naam van de zone',
        tarief_per_jaar DECIMAL(8,2) COMMENT 'Tarief in euro per jaar')
        COMMENT='Zones voor parkeervergunningen'""",
    """CREATE TABLE laadpalen (id INT AUTO_INCREMENT PRIMARY KEY, adres VARCHAR(120),
        vermogen_kw INT, in_gebruik DATE)""",
    """INSERT INTO parkeervergunningen_zones VALUES ('Z1', 'Centrum', 312.50),
        ('Z2', 'Westerkoog', 96.00)""",
    "INSERT INTO laadpalen (adres, vermogen_kw, in_gebruik) VALUES ('Stationsplein 1', 22, "
    "'2023-05-01')",
]


@pytest.fixture
def pg_source() -> Iterator[str]:
    name = f"{_ckan_db()}_src"
    admin = sa.create_engine("postgresql://postgres@127.0.0.1:5432/postgres",
                             isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = f"postgresql://postgres@127.0.0.1:5432/{name}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for stmt in POSTGRES_DDL:
            conn.execute(sa.text(stmt))
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def maria_source() -> Iterator[dict[str, str]]:
    name = f"{_ckan_db()}_src"
    user = f"{_ckan_db()}_lezer"[:32]
    admin = sa.create_engine("mysql+pymysql://root@127.0.0.1:3306/", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS `{name}`"))
        conn.execute(sa.text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
        conn.execute(sa.text(f"DROP USER IF EXISTS '{user}'@'%'"))
        conn.execute(sa.text(f"CREATE USER '{user}'@'%' IDENTIFIED BY '{SECRET}'"))
        conn.execute(sa.text(f"GRANT SELECT ON `{name}`.* TO '{user}'@'%'"))
    engine = sa.create_engine(f"mysql+pymysql://root@127.0.0.1:3306/{name}?charset=utf8mb4")
    with engine.begin() as conn:
        for stmt in MARIADB_DDL:
            conn.execute(sa.text(stmt))
    engine.dispose()
    yield {"name": name, "user": user}
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS `{name}`"))
        conn.execute(sa.text(f"DROP USER IF EXISTS '{user}'@'%'"))
    admin.dispose()


@pytest.fixture
def db_host_allowed(ckan_config: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # the departmental database server is an internal host, listed as a municipality would
    monkeypatch.setitem(ckan_config, "ckanext.gemeente.harvest.allow_hosts", "127.0.0.1")


def _datasets(source_id: str) -> dict[str, dict[str, Any]]:
    from ckan import model
    from ckanext.harvest.model import HarvestObject

    from ckanext.gemeente.harvest.base import source_identifier_of

    model.Session.remove()
    out = {}
    for (pid,) in model.Session.query(HarvestObject.package_id).filter(
            HarvestObject.harvest_source_id == source_id, HarvestObject.current.is_(True)):
        pkg = tk.get_action("package_show")({"ignore_auth": True}, {"id": pid})
        out[source_identifier_of(pkg)] = pkg
    return out


SQL_DEFAULTS = {"defaults": {
    "contact_name": "Team Data Openbare Ruimte", "contact_email": "data-or@zaanstad.example.nl",
    "license_id": "CC0 1.0", "access_rights": "Publiek", "language": ["Nederlands"],
    "metadata_language": "Nederlands",
    "theme": ["http://standaarden.overheid.nl/owms/terms/Ruimte_en_infrastructuur"],
}}


def test_postgresql_tables_and_views_become_datasets(make_source, run_harvest, pg_source,
                                                     db_host_allowed, monkeypatch, caplog):
    monkeypatch.setenv("GEMEENTE_HV_DB_PASSWORD", SECRET)
    url = pg_source.replace("postgres@", "postgres:${GEMEENTE_HV_DB_PASSWORD}@")
    config = {**SQL_DEFAULTS, "schemas": ["openbareruimte"], "export_csv": True}
    source = make_source(url, source_type="gemeente_sql", name="gis-db", config=config)
    caplog.set_level(logging.DEBUG)
    result = run_harvest(source)
    assert result.errors == [], result.errors
    assert result.added == 3
    datasets = _datasets(source["id"])
    assert sorted(datasets) == ["openbareruimte.afvalbakken",
                                "openbareruimte.afvalbakken_per_wijk",
                                "openbareruimte.speeltoestellen"]
    bakken = datasets["openbareruimte.afvalbakken"]
    assert bakken["title"] == "Afvalbakken in de openbare ruimte"
    assert bakken["private"] is True and bakken["update_method"] == "geharvest"
    notes = bakken["notes"]
    assert "| wijk | TEXT | nee | Wijkcode volgens CBS (WK0479..) |" in notes
    assert "| soort | VARCHAR(40) | ja | Soort bak: rest, papier, glas |" in notes
    assert "| inhoud_liter | INTEGER |" in notes and "4 rijen" in notes
    assert datasets["openbareruimte.speeltoestellen"]["title"] == "Speeltoestellen"
    # the streamed CSV export is a resource with the table's rows
    (res,) = [r for r in bakken["resources"] if r["format"] == "CSV"]
    assert res["url_type"] == "upload"
    from ckan.lib.uploader import get_resource_uploader

    path = get_resource_uploader(res).get_path(res["id"])
    with open(path, encoding="utf-8", newline="") as fh:
        table = list(csv.reader(fh))
    assert table[0] == ["id", "wijk", "soort", "inhoud_liter", "geplaatst"]
    assert table[4] == ["4", "WK047903", 'rest; "groot"', "240", "2024-01-31"]
    assert table[3][4] == ""
    # credentials appear nowhere: objects, errors, logs, the source as shown
    from ckan import model
    from ckanext.harvest.model import HarvestObject

    contents = " ".join(o.content or "" for o in model.Session.query(HarvestObject))
    assert SECRET not in contents and SECRET not in caplog.text
    shown = tk.get_action("harvest_source_show")({"ignore_auth": True}, {"id": source["id"]})
    assert SECRET not in json.dumps(shown)
    # an unchanged database writes nothing
    before = {k: v["metadata_modified"] for k, v in datasets.items()}
    result = run_harvest(source)
    assert (result.added, result.updated, result.unchanged) == (0, 0, 3)
    assert {k: v["metadata_modified"] for k, v in _datasets(source["id"]).items()} == before


def test_postgresql_changes_and_dropped_tables(make_source, run_harvest, pg_source,
                                               db_host_allowed):
    config = {**SQL_DEFAULTS, "schemas": ["openbareruimte", "intern"],
              "exclude": ["rooster"], "views": False}
    source = make_source(pg_source, source_type="gemeente_sql", name="gis-db", config=config)
    result = run_harvest(source)
    assert result.added == 2 and result.errors == []
    engine = sa.create_engine(pg_source)
    with engine.begin() as conn:
        conn.execute(sa.text("COMMENT ON COLUMN openbareruimte.speeltoestellen.toestel IS "
                             "'Soort toestel (NEN-EN 1176)'"))
        conn.execute(sa.text("CREATE TABLE openbareruimte.bankjes (id serial, plek text)"))
    result = run_harvest(source)
    assert (result.added, result.updated, result.unchanged) == (1, 1, 1)
    assert "NEN-EN 1176" in _datasets(source["id"])["openbareruimte.speeltoestellen"]["notes"]
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE openbareruimte.bankjes"))
    engine.dispose()
    result = run_harvest(source)
    assert result.withdrawn == 1 and "openbareruimte.bankjes" not in _datasets(source["id"])


def test_mariadb_with_password_from_the_environment(make_source, run_harvest, maria_source,
                                                    db_host_allowed, monkeypatch, caplog):
    monkeypatch.setenv("GEMEENTE_HV_MARIA_PASSWORD", SECRET)
    url = (f"mysql+pymysql://{maria_source['user']}:${{GEMEENTE_HV_MARIA_PASSWORD}}"
           f"@127.0.0.1:3306/{maria_source['name']}?charset=utf8mb4")
    source = make_source(url, source_type="gemeente_sql", name="parkeren",
                         config={**SQL_DEFAULTS, "export_csv": True})
    caplog.set_level(logging.DEBUG)
    result = run_harvest(source)
    assert result.errors == [], result.errors
    datasets = _datasets(source["id"])
    zones = datasets["parkeervergunningen_zones"]
    assert zones["title"] == "Zones voor parkeervergunningen"
    assert "| tarief_per_jaar | DECIMAL(8, 2) | ja | Tarief in euro per jaar |" in zones["notes"]
    assert datasets["laadpalen"]["title"] == "Laadpalen"
    # a wrong password: a clear error without the password, nothing withdrawn
    monkeypatch.setenv("GEMEENTE_HV_MARIA_PASSWORD", SECRET + "-fout")
    result = run_harvest(source)
    assert result.failed and result.withdrawn == 0
    assert "Access denied" in result.errors[0] and SECRET not in result.errors[0]
    monkeypatch.delenv("GEMEENTE_HV_MARIA_PASSWORD")
    result = run_harvest(source)
    assert result.failed and "GEMEENTE_HV_MARIA_PASSWORD" in result.errors[0]
    assert SECRET not in caplog.text
    assert len(_datasets(source["id"])) == 2


def test_literal_password_is_refused_on_save(make_source, maria_source):
    url = f"mysql+pymysql://lezer:{SECRET}@127.0.0.1:3306/{maria_source['name']}"
    with pytest.raises(tk.ValidationError) as info:
        make_source(url, source_type="gemeente_sql", name="lek")
    assert "url" in info.value.error_dict
    assert SECRET not in json.dumps(info.value.error_dict)


def test_sqlite_under_a_file_root(make_source, run_harvest, file_root, tmp_path):
    path = os.path.join(file_root, "bomen.sqlite")
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE bomen (id INTEGER PRIMARY KEY, soort TEXT, plantjaar INTEGER)")
    conn.execute("INSERT INTO bomen (soort, plantjaar) VALUES ('Tilia cordata', 1987)")
    conn.commit()
    conn.close()
    source = make_source(f"sqlite:///{path}", source_type="gemeente_sql", name="bomen",
                         config=SQL_DEFAULTS)
    result = run_harvest(source)
    assert result.errors == [] and result.added == 1
    assert "| plantjaar | INTEGER | ja |  |" in _datasets(source["id"])["bomen"]["notes"]
    outside = os.path.join(str(tmp_path), "elders.sqlite")
    sqlite3.connect(outside).close()
    other = make_source(f"sqlite:///{outside}", source_type="gemeente_sql", name="elders",
                        config=SQL_DEFAULTS)
    result = run_harvest(other)
    assert result.failed and "file_roots" in result.errors[0]


def test_database_host_must_be_allowed(make_source, run_harvest, pg_source):
    source = make_source(pg_source, source_type="gemeente_sql", name="gis-db",
                         config=SQL_DEFAULTS)
    result = run_harvest(source)
    assert result.failed and "loopback" in result.errors[0]


def test_sql_config_is_validated(make_source, pg_source):
    with pytest.raises(tk.ValidationError) as info:
        make_source(pg_source, source_type="gemeente_sql", name="fout",
                    config={"tables": "afval*", "views": "ja", "tabellen": []})
    message = json.dumps(info.value.error_dict)
    assert "tables: must be a list" in message and "views: must be true or false" in message
    assert "tabellen: unknown configuration key" in message


def test_csv_export_streams(pg_source):
    from ckanext.gemeente.harvest.sources import sql

    engine = sa.create_engine(pg_source)
    buf = io.BytesIO()
    assert sql.export_csv(engine, "openbareruimte", "afvalbakken", buf) == 4
    assert buf.getvalue().decode().splitlines()[0] == "id,wijk,soort,inhoud_liter,geplaatst"
    engine.dispose()


# Names a department really uses, quoted by the database: capitals, a space, a quote, a %.
AWKWARD = ["Meldingen 2025", "rente_%_lening", "o'brien_straat", "Wijk-Indeling"]


def _awkward_counts(engine: sa.engine.Engine, quote: str, schema: str | None) -> None:
    from ckanext.gemeente.harvest.sources import sql

    def q(name: str) -> str:
        return quote + name.replace(quote, quote * 2) + quote

    prefix = f"{q(schema)}." if schema else ""
    with engine.begin() as conn:
        for n, name in enumerate(AWKWARD, start=1):
            conn.execution_options(no_parameters=True).exec_driver_sql(
                f"CREATE TABLE {prefix}{q(name)} (id integer)")
            for i in range(n):
                conn.execute(sa.text(f"INSERT INTO {prefix}{q(name)} (id) VALUES (:i)"),
                             {"i": i})
    found = {t["name"]: t["rows"] for t in sql.describe(
        engine, {"schemas": [schema] if schema else None, "tables": AWKWARD})}
    assert found == {name: n for n, name in enumerate(AWKWARD, start=1)}
    # more tables than one UNION ALL batch holds: the counts stay in table order
    with engine.connect() as conn:
        tables = [(schema, name) for name in AWKWARD] * (sql.COUNT_BATCH // 2 + 1)
        assert sql.row_counts(conn, tables) == [1, 2, 3, 4] * (sql.COUNT_BATCH // 2 + 1)


def test_row_counts_with_awkward_table_names(pg_source, maria_source, tmp_path):
    engine = sa.create_engine(pg_source)
    try:
        _awkward_counts(engine, '"', "openbareruimte")
    finally:
        engine.dispose()
    engine = sa.create_engine(
        f"mysql+pymysql://root@127.0.0.1:3306/{maria_source['name']}?charset=utf8mb4")
    try:
        _awkward_counts(engine, "`", None)
    finally:
        engine.dispose()
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'wijken.sqlite'}")
    try:
        _awkward_counts(engine, '"', None)
    finally:
        engine.dispose()
