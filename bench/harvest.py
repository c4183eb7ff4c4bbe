"""Benchmark: Harvesters I (spreadsheet inventory, departmental database) against their floor.

    .venv/bin/python bench/harvest.py [--rows 5000] [--tables 200]

(needs the dev stack's PostgreSQL role: run `make test` once first.)

A fresh CKAN database ``ckan_bench_hv`` with gemeente_schema, the embedded search server as a
separate process (as in production), an invented 5,000-row inventory (CSV under a file
root) and an invented PostgreSQL database ``ckan_bench_hv_src`` with 200 tables (columns
with types and comments). For each source, in the same run and process:

1. the floor: ckanapi's ``LocalCKAN().action.package_create`` of exactly the dataset dicts
   the harvester's gather stage maps from the same source (mapped beforehand, not timed),
   measured before and after step 2 and averaged (the machine's speed drifts);
2. the first harvest through ``ckan gemeente harvest run``'s runner (read, map, hash,
   create; harvest job and objects included);
3. the unchanged re-harvest, and the number of datasets it wrote (``metadata_modified``
   changed): the target is zero.

Figures: first harvest / floor (target <= 1.3), unchanged / first (target <= 0.05).
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import subprocess
import sys
import time
from typing import Any

ROOT = pathlib.Path(__file__).resolve().parent.parent
DEV = ROOT / ".dev"
sys.path.insert(0, str(ROOT / "tests" / "harvest"))

import harvest_data  # noqa: E402
import stack  # noqa: E402

MUNICIPALITY = "https://identifier.overheid.nl/tooi/id/gemeente/gm0479"
PLUGINS = ("scheming_datasets scheming_organizations gemeente_schema gemeente_harvest "
           "gemeente_spreadsheet_harvester gemeente_sql_harvester harvest")
DB = "ckan_bench_hv"
SQL_DEFAULTS = {
    "contact_name": "Team Data", "contact_email": "data@zaanstad.example.nl",
    "license_id": "CC0 1.0", "access_rights": "Publiek", "language": ["Nederlands"],
    "metadata_language": "Nederlands",
    "theme": ["http://standaarden.overheid.nl/owms/terms/Ruimte_en_infrastructuur"],
}


def make_database(tables: int) -> str:
    import sqlalchemy as sa

    name = f"{DB}_src"
    admin = sa.create_engine("postgresql://postgres@127.0.0.1:5432/postgres",
                             isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = f"postgresql://postgres@127.0.0.1:5432/{name}"
    engine = sa.create_engine(url)
    subjects = ["afvalbakken", "bomen", "lantaarnpalen", "speeltoestellen", "bankjes",
                "parkeervakken", "laadpalen", "fietsenrekken", "putten", "bruggen"]
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE SCHEMA beheer"))
        for i in range(tables):
            t = f"{subjects[i % len(subjects)]}_{i // len(subjects) + 1:03d}"
            conn.execute(sa.text(
                f"CREATE TABLE beheer.{t} (id serial PRIMARY KEY, wijk text, soort text, "
                f"aantal integer, geplaatst date, x numeric(9,2), y numeric(9,2))"))
            conn.execute(sa.text(f"COMMENT ON TABLE beheer.{t} IS "
                                 f"'Beheerobjecten {t.replace('_', ' ')}'"))
            conn.execute(sa.text(f"COMMENT ON COLUMN beheer.{t}.wijk IS 'CBS-wijkcode'"))
            conn.execute(sa.text(f"INSERT INTO beheer.{t} (wijk, soort, aantal) "
                                 f"VALUES ('WK047901', 'standaard', {i})"))
    engine.dispose()
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--tables", type=int, default=200)
    parser.add_argument("--profile", metavar="FILE",
                        help="cProfile statistics of each harvest: FILE.<source>.first|again")
    args = parser.parse_args()
    DEV.mkdir(exist_ok=True)
    share = DEV / "bench-hv-share"
    share.mkdir(exist_ok=True)
    with stack.search_server() as solr_url:
        prepare_and_run(args, share, stack.fresh_database(DB), solr_url)


def prepare_and_run(args: argparse.Namespace, share: pathlib.Path, db_url: str,
                    solr_url: str) -> None:
    ini = DEV / "bench-hv.ini"
    ini.write_text(
        "[app:main]\nuse = config:../test.ini\n"
        f"sqlalchemy.url = {db_url}\n"
        f"solr_url = {solr_url}\nckan.plugins = {PLUGINS}\n"
        "scheming.dataset_schemas = ckanext.gemeente.schema:schemas/gemeente_dataset.yaml\n"
        "scheming.organization_schemas = "
        "ckanext.gemeente.schema:schemas/gemeente_organization.yaml\n"
        "scheming.presets = ckanext.scheming:presets.json ckanext.gemeente.schema:presets.json\n"
        f"ckanext.gemeente.municipality_uri = {MUNICIPALITY}\n"
        f"ckanext.gemeente.harvest.file_roots = {share}\n"
        "ckanext.gemeente.harvest.allow_hosts = 127.0.0.1 localhost\n"
        "ckan.harvest.mq.redis_db = 5\n")
    for key in ("CKAN_SOLR_URL", "CKAN_SQLALCHEMY_URL"):
        os.environ.pop(key, None)
    ckan = str(pathlib.Path(sys.executable).parent / "ckan")
    for cmd in (["db", "init"], ["db", "upgrade", "-p", "harvest"],
                ["db", "upgrade", "-p", "gemeente_schema"],
                ["gemeente", "vocabularies", "update", "--from",
                 str(ROOT / "tests" / "schema" / "data" / "vocabularies"), "--allow-incomplete"]):
        subprocess.run([ckan, "-c", str(ini), *cmd], capture_output=True)
    csv_path = share / "inventaris.csv"
    csv_path.write_bytes(harvest_data.to_csv(harvest_data.rows(args.rows)))
    run(ini, args, str(csv_path), make_database(args.tables) if args.tables else "")


def _floor(harvester: Any, source: dict[str, Any], user: str,
           prefix: str = "vloer", profile: str | None = None) -> tuple[float, int]:
    """ckanapi package_create of the dicts the gather stage maps (mapping not timed)."""
    from ckan import model
    from ckanapi import LocalCKAN
    from ckanext.harvest.model import HarvestSource

    plan = harvester.plan(HarvestSource.get(source["id"]))
    assert not plan.errors, plan.errors[:5]
    dicts = []
    for i, item in enumerate(plan.items):
        pkg = dict(item.content["package"])
        pkg["name"] = f"{prefix}-{source['name']}-{i:05d}"
        pkg["private"] = True
        for key, value in (item.content.get("fill") or {}).items():
            pkg[key] = "2025-12-01" if value == "today" else value
        dicts.append(pkg)
    model.Session.remove()
    api = LocalCKAN(username=user)
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    t0 = time.perf_counter()
    for pkg in dicts:
        api.action.package_create(**pkg)
    elapsed = time.perf_counter() - t0
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(f"{profile}.{source['name']}.{prefix}")
    return elapsed, len(dicts)






def _twin(url: str) -> str:
    """The same source under another URL (ckanext-harvest wants one source per URL)."""
    if url.startswith("postgresql://"):
        return url.replace("@127.0.0.1:", "@localhost:")
    twin = url.replace(".csv", "-vloer.csv")
    pathlib.Path(twin).write_bytes(pathlib.Path(url).read_bytes())
    return twin


def run(ini: pathlib.Path, args: argparse.Namespace, csv_path: str, db_url: str) -> None:
    from ckan.cli import load_config
    from ckan.config.middleware import make_app

    app = make_app(load_config(str(ini)))
    import ckan.plugins.toolkit as tk

    from ckanext.gemeente.harvest.plugin import SpreadsheetHarvesterPlugin, SqlHarvesterPlugin

    with app._wsgi_app.test_request_context():
        user = tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]
        orgs = {}
        for name, title in (("openbare-ruimte", "Openbare Ruimte"), ("vloer", "Vloer")):
            orgs[name] = tk.get_action("organization_create")({"user": user}, {
                "name": name, "title": title, "municipality_uri": MUNICIPALITY,
                "municipality_name": "Gemeente Zaanstad"})["id"]
        cases = [("Inventory", SpreadsheetHarvesterPlugin(), "inventaris", csv_path,
                  "gemeente_spreadsheet", {})] if args.rows else []
        if db_url:
            cases.append(("Database", SqlHarvesterPlugin(), "beheer-db", db_url, "gemeente_sql",
                          {"defaults": SQL_DEFAULTS, "schemas": ["beheer"]}))
        for label, harvester, name, url, stype, config in cases:
            floor_src = tk.get_action("harvest_source_create")({"user": user}, {
                "name": f"{name}-vloer", "title": name, "url": _twin(url),
                "source_type": stype, "owner_org": orgs["vloer"], "frequency": "MANUAL",
                "config": json.dumps(config)})
            src = tk.get_action("harvest_source_create")({"user": user}, {
                "name": name, "title": name, "url": url, "source_type": stype,
                "owner_org": orgs["openbare-ruimte"], "frequency": "MANUAL",
                "config": json.dumps(config)})
            # the floor before and after the harvest, so a machine that changes speed during
            # the run (shared CI machines do) weighs on both sides alike
            floor_a, n = _floor(harvester, floor_src, user, "vloer-a", args.profile)
            first, result = stack.harvest_once(src, args.profile)
            floor_b, _n = _floor(harvester, floor_src, user, "vloer-b")
            floor = (floor_a + floor_b) / 2
            stamps = stack.harvest_stamps(src["id"])
            again, result2 = stack.harvest_once(src, args.profile, "again")
            writes = stack.harvest_writes(src["id"], stamps)
            print(f"{label}: {n} datasets; floor (ckanapi package_create, mean of before "
                  f"{floor_a:.1f} s and after {floor_b:.1f} s) {floor:.1f} s "
                  f"({n / floor:.0f}/s), first harvest {first:.1f} s ({result.added} added) "
                  f"= {first / floor:.2f}x the floor (target <= 1.3); unchanged re-harvest "
                  f"{again:.2f} s = {again / first:.3f}x the first (target <= 0.05), "
                  f"{writes} datasets written, {result2.unchanged} unchanged", flush=True)


if __name__ == "__main__":
    main()
