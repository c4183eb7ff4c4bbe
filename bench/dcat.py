"""Benchmark: /catalog.ttl of 1,000 municipal datasets, DCAT-AP-NL 3.0 against DCAT-AP 3.

    .venv/bin/python bench/dcat.py [--datasets 1000] [--rounds 3] [--db ckan_bench_dcat]

(needs the dev stack's PostgreSQL role and Redis: run `make test` once first.)

1. Creates a fresh database with the schema plugin's tables and the test value lists, starts
   the search server as its own process, and creates N datasets through ``package_create``
   (the demo's datasets of scripts/demo_data.json, cycled under new names; not measured).
2. Fetches the whole catalogue as ckanext-dcat pages it - ``/catalog.ttl?page=1..``
   (``ckanext.dcat.datasets_per_page``, 100) - through CKAN's Flask app (test client, same
   process), once per profile list and round, the lists in turn:
   * ``euro_dcat_ap_3`` - ckanext-dcat's own DCAT-AP 3 profile: the baseline;
   * ``dcat_ap_nl_3`` - DCAT-AP-NL 3.0 (this package), alone;
   * ``dcat_ap_nl_3,gemeente`` - with the municipal additions (the portal's default).
   Figure: the best round's time of each list / the baseline's (target <= 1.3).
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import socket
import subprocess
import sys
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parent.parent
DEV = ROOT / ".dev"
VOCAB_DIR = ROOT / "tests" / "schema" / "data" / "vocabularies"
DEMO_DATA = ROOT / "scripts" / "demo_data.json"
MUNICIPALITY = "https://identifier.overheid.nl/tooi/id/gemeente/gm0479"
PROFILES = ["euro_dcat_ap_3", "dcat_ap_nl_3", "dcat_ap_nl_3,gemeente"]
PER_PAGE = 100


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_ini(ini: pathlib.Path, db_url: str, solr_url: str) -> None:
    ini.write_text(
        "[app:main]\nuse = config:../test.ini\n"
        f"sqlalchemy.url = {db_url}\nsolr_url = {solr_url}\n"
        "ckan.plugins = scheming_datasets scheming_organizations gemeente_schema dcat\n"
        "scheming.dataset_schemas = ckanext.gemeente.schema:schemas/gemeente_dataset.yaml\n"
        "scheming.organization_schemas = "
        "ckanext.gemeente.schema:schemas/gemeente_organization.yaml\n"
        "scheming.presets = ckanext.scheming:presets.json ckanext.gemeente.schema:presets.json\n"
        "ckanext.dcat.rdf.profiles = dcat_ap_nl_3 gemeente\n"
        f"ckanext.dcat.datasets_per_page = {PER_PAGE}\n"
        f"ckanext.gemeente.municipality_uri = {MUNICIPALITY}\n"
        "ckanext.gemeente.municipality_name = Gemeente Zaanstad\n"
        "ckanext.gemeente.catalog_contact_email = opendata@zaanstad.example.nl\n"
        f"ckanext.gemeente.vocabulary_dir = {VOCAB_DIR}\n"
        "ckanext.gemeente.vocabulary_source_url = http://127.0.0.1:9/\n"
        "ckan.site_url = http://data.zaanstad.example.nl\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--datasets", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--db", default="ckan_bench_dcat", help="database to (re)create")
    parser.add_argument("--profile", metavar="PREFIX",
                        help="after the timed rounds, fetch the catalogue once more per "
                             "profile list under cProfile, stats in PREFIX.<profiles>")
    args = parser.parse_args()
    DEV.mkdir(exist_ok=True)
    for sql in (
        f"DROP DATABASE IF EXISTS {args.db}",
        f"CREATE DATABASE {args.db} OWNER ckan_default",
    ):
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", sql], check=True)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "ckanext.gemeente.search", "--memory", "--host", "127.0.0.1",
         "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    solr_url = f"http://127.0.0.1:{port}/solr/ckan"
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{solr_url}/admin/ping", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    ckan = str(pathlib.Path(sys.executable).parent / "ckan")
    ini = DEV / f"bench-{args.db}.ini"
    write_ini(ini, f"postgresql://ckan_default:pass@127.0.0.1/{args.db}", solr_url)
    for var in ("CKAN_SOLR_URL", "CKAN_SQLALCHEMY_URL", "CKAN_INI"):
        os.environ.pop(var, None)
    for command in (["db", "init"], ["db", "upgrade", "-p", "gemeente_schema"]):
        subprocess.run([ckan, "-c", str(ini), *command], check=True, capture_output=True)
    subprocess.run(
        [
            ckan,
            "-c",
            str(ini),
            "gemeente",
            "vocabularies",
            "update",
            "--from",
            str(VOCAB_DIR),
            "--allow-incomplete",
        ],
        capture_output=True,
    )  # fmt: skip  (exits 1: IANA:Mediatype is not among the test lists)
    try:
        run(ini, args)
    finally:
        server.terminate()
        server.wait()


def run(ini: pathlib.Path, args: argparse.Namespace) -> None:
    from ckan.cli import load_config
    from ckan.config.middleware import make_app

    app = make_app(load_config(str(ini)))
    flask_app = app._wsgi_app
    import ckan.plugins.toolkit as tk

    data = json.loads(DEMO_DATA.read_text(encoding="utf-8"))
    with flask_app.test_request_context():
        site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})

        def ctx() -> dict:
            return {"user": site_user["name"], "ignore_auth": True}

        orgs = {}
        for org in data["organizations"]:
            fields = {k: v for k, v in org.items() if k != "members"}
            orgs[org["name"]] = tk.get_action("organization_create")(ctx(), fields)["id"]
        t0 = time.perf_counter()
        for i in range(args.datasets):
            source = data["datasets"][i % len(data["datasets"])]
            dataset = dict(source, name=f"{source['name']}-{i:05d}",
                           owner_org=orgs[source["owner_org"]])  # fmt: skip
            dataset["resources"] = [dict(r) for r in source.get("resources", [])]
            tk.get_action("package_create")(ctx(), dataset)
        print(f"created {args.datasets} datasets in {time.perf_counter() - t0:.0f} s")

    client = flask_app.test_client()
    pages = -(-args.datasets // PER_PAGE)

    def catalogue(profiles: str) -> tuple[float, int]:
        t = time.perf_counter()
        size = 0
        for page in range(1, pages + 1):
            resp = client.get(f"/catalog.ttl?page={page}&profiles={profiles}")
            assert resp.status_code == 200, resp.data[:500]
            size += len(resp.data)
        return time.perf_counter() - t, size

    catalogue(PROFILES[0])  # warm-up: caches, value lists, templates
    times: dict[str, list[float]] = {p: [] for p in PROFILES}
    sizes: dict[str, int] = {}
    for _round in range(args.rounds):
        for profiles in PROFILES:
            seconds, sizes[profiles] = catalogue(profiles)
            times[profiles].append(seconds)
    base = min(times[PROFILES[0]])
    print(f"\n/catalog.ttl, {args.datasets} datasets, {pages} pages of {PER_PAGE}, "
          f"best of {args.rounds} rounds")  # fmt: skip
    print(f"{'profiles':28} {'seconds':>8} {'datasets/s':>11} {'MB':>6} {'ratio':>6}")
    for profiles in PROFILES:
        best = min(times[profiles])
        print(
            f"{profiles:28} {best:8.2f} {args.datasets / best:11.0f} "
            f"{sizes[profiles] / 1e6:6.1f} {best / base:6.2f}"
        )
    print("target: dcat_ap_nl_3 <= 1.30 x euro_dcat_ap_3")
    if args.profile:  # after the figures: a profiled fetch is slower, never part of them
        import cProfile

        for profiles in PROFILES:
            profiler = cProfile.Profile()
            profiler.enable()
            catalogue(profiles)
            profiler.disable()
            profiler.dump_stats(f"{args.profile}.{profiles.replace(',', '+')}")


if __name__ == "__main__":
    main()
