"""Benchmark: Harvesters II (ArcGIS directories, DCAT feeds) against their floors, same run.

    .venv/bin/python bench/harvest_remote.py [--layers 1000] [--datasets 5000] [--no-stock]

(needs the dev stack's PostgreSQL role: run `make test` once first.)

A fresh database ``ckan_bench_harvest`` with gemeente_schema, the embedded search server as
a separate process (as in production), and a local HTTP server serving an invented ArcGIS
site (``--layers`` feature layers in folders, RD New extents) and a DCAT-AP-DONL feed
(``--datasets`` datasets, Turtle pages of 100 linked by Hydra, as ckanext-dcat pages).
For each source, in the same run and process:

1. the floor: ckanapi's ``LocalCKAN().action.package_create`` of exactly the dataset dicts
   the harvester maps from the same source (read and mapped beforehand, not timed),
   measured before and after step 2 and averaged (the machine's speed drifts);
2. the first harvest through ``ckan gemeente harvest``'s runner (read, map, hash, create);
3. the unchanged re-harvest, and the number of datasets it wrote (``metadata_modified``
   changed or activities added): the target is zero;
4. DCAT only: ckanext-dcat's stock ``dcat_rdf_harvester`` on the same feed, run the way
   its own queue consumers run it (gather, then fetch+import per object).

Figures: first harvest / floor (target <= 1.3), unchanged / first (<= 0.05), and
gemeente_dcat / dcat_rdf_harvester (<= 1.0).
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ROOT = pathlib.Path(__file__).resolve().parent.parent
DEV = ROOT / ".dev"
sys.path.insert(0, str(ROOT / "tests" / "harvest"))
sys.path.insert(0, str(ROOT / "bench"))

import arcgis_site  # noqa: E402
import dcat_feeds  # noqa: E402
from stack import (  # noqa: E402
    free_port,
    fresh_database,
    harvest_once,
    harvest_stamps,
    harvest_writes,
    search_server,
)

MUNICIPALITY = "https://identifier.overheid.nl/tooi/id/gemeente/gm0479"
DEFAULTS = arcgis_site.DEFAULTS
PLUGINS = ("scheming_datasets scheming_organizations gemeente_schema dcat harvest "
           "dcat_rdf_harvester gemeente_harvest gemeente_arcgis_harvester "
           "gemeente_dcat_harvester")


class Site(BaseHTTPRequestHandler):
    pages: dict[str, bytes] = {}

    def do_GET(self) -> None:  # noqa: N802
        data = self.pages.get(self.path) or self.pages.get(self.path.split("?", 1)[0])
        if data is None:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        ctype = "text/turtle" if self.path.startswith("/catalog") else "application/json"
        self.send_header("Content-Type", f"{ctype}; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--layers", type=int, default=1000)
    parser.add_argument("--datasets", type=int, default=5000)
    parser.add_argument("--profile", metavar="FILE",
                        help="cProfile statistics of each harvest: FILE.<source>.first|again")
    parser.add_argument("--no-stock", action="store_true",
                        help="skip ckanext-dcat's dcat_rdf_harvester comparison")
    args = parser.parse_args()
    DEV.mkdir(exist_ok=True)
    db_url = fresh_database("ckan_bench_harvest")
    with search_server() as solr_url:
        run_stack(args, db_url, solr_url)


def run_stack(args: argparse.Namespace, db_url: str, solr_url: str) -> None:
    site_port = free_port()
    ini = DEV / "bench-harvest.ini"
    ini.write_text(
        "[app:main]\nuse = config:../test.ini\n"
        f"sqlalchemy.url = {db_url}\n"
        f"solr_url = {solr_url}\nckan.plugins = {PLUGINS}\n"
        "scheming.dataset_schemas = ckanext.gemeente.schema:schemas/gemeente_dataset.yaml\n"
        "scheming.organization_schemas = "
        "ckanext.gemeente.schema:schemas/gemeente_organization.yaml\n"
        "scheming.presets = ckanext.scheming:presets.json ckanext.gemeente.schema:presets.json\n"
        "ckanext.dcat.rdf.profiles = euro_dcat_ap_2 euro_dcat_ap_scheming donl\n"
        f"ckanext.gemeente.municipality_uri = {MUNICIPALITY}\n"
        "ckanext.gemeente.harvest.allow_hosts = 127.0.0.1\n"
        "ckanext.gemeente.harvest.max_response_mb = 200\n"
        "ckan.activity_streams_enabled = true\n")
    for key in ("CKAN_SOLR_URL", "CKAN_SQLALCHEMY_URL"):
        os.environ.pop(key, None)
    ckan = str(pathlib.Path(sys.executable).parent / "ckan")
    for cmd in (["db", "init"], ["db", "upgrade", "-p", "harvest"],
                ["db", "upgrade", "-p", "gemeente_schema"],
                ["gemeente", "vocabularies", "update", "--from",
                 str(ROOT / "tests" / "schema" / "data" / "vocabularies"), "--allow-incomplete"]):
        subprocess.run([ckan, "-c", str(ini), *cmd], capture_output=True)
    site = ThreadingHTTPServer(("127.0.0.1", site_port), Site)
    threading.Thread(target=site.serve_forever, daemon=True).start()
    try:
        run(ini, args, f"http://127.0.0.1:{site_port}")
    finally:
        site.shutdown()


def _mapped(harvester: Any, source: dict[str, Any]) -> list[dict[str, Any]]:
    """The dataset dicts the harvester's gather stage makes of the source (not timed)."""
    from ckanext.gemeente.harvest import base
    from ckanext.gemeente.harvest import mapping as mp

    config = json.loads(source["config"] or "{}")
    ctx = base.SourceContext(id=source["id"], name=source["name"], url=source["url"],
                             config=config, policy=base.guard_policy())
    schema = base.dataset_schema()
    mapping = harvester._mapping(config, schema)
    out = []
    for i, record in enumerate(harvester.read_records(ctx)):
        pkg, errors = mp.apply_mapping(mapping, record.data, {
            "owner_org": source["owner_org"], "update_method": "geharvest",
            **config.get("defaults", {})})
        pkg, shape_errors = harvester._shape(pkg, schema, source["id"], record.identifier or
                                             str(i), harvester._organizations())
        assert not errors and not shape_errors, (errors, shape_errors)
        pkg["name"] = f"vloer-{source['name']}-{i:05d}"
        pkg["private"] = True
        out.append(pkg)
    return out


def _floor(dicts: list[dict[str, Any]], user: str) -> float:
    from ckanapi import LocalCKAN

    api = LocalCKAN(username=user)
    t0 = time.perf_counter()
    for pkg in dicts:
        api.action.package_create(**pkg)
    return time.perf_counter() - t0








def _stock(url: str, org_id: str, user: str) -> tuple[float, int]:
    import ckan.plugins.toolkit as tk
    from ckan import model
    from ckanext.dcat.harvesters import DCATRDFHarvester
    from ckanext.harvest import queue
    from ckanext.harvest.model import HarvestJob, HarvestObject

    source = tk.get_action("harvest_source_create")({"user": user}, {
        "name": "stock-dcat", "title": "ckanext-dcat", "url": url,
        "source_type": "dcat_rdf", "owner_org": org_id,
        "config": json.dumps({"rdf_format": "text/turtle"})})
    job = tk.get_action("harvest_job_create")({"user": user}, {
        "source_id": source["id"], "run": False})
    harvester = DCATRDFHarvester()
    t0 = time.perf_counter()
    job_obj = HarvestJob.get(job["id"])
    job_obj.status = "Running"
    job_obj.save()
    ids = queue.gather_stage(harvester, job_obj) or []
    done = 0
    for obj_id in ids:
        obj = HarvestObject.get(obj_id)
        queue.fetch_and_import_stages(harvester, obj)
        done += obj.state == "COMPLETE"
    elapsed = time.perf_counter() - t0
    model.Session.remove()
    return elapsed, done


def run(ini: pathlib.Path, args: argparse.Namespace, site_url: str) -> None:
    from ckan.cli import load_config
    from ckan.config.middleware import make_app

    app = make_app(load_config(str(ini)))
    flask_app = app._wsgi_app
    import ckan.plugins.toolkit as tk

    from ckanext.gemeente.harvest.remote_plugins import ArcGISHarvesterPlugin, DcatHarvesterPlugin

    services = max(1, args.layers // 10)
    pages = arcgis_site.site(extra_services=services, layers_per_service=10)
    Site.pages = {k: json.dumps(v, ensure_ascii=False).encode() for k, v in pages.items()}
    feed = dcat_feeds.feed_pages(site_url, args.datasets, per_page=100)
    Site.pages.update({k: v.encode() for k, v in feed.items()})
    n_layers = arcgis_site.layer_count(pages)
    print(f"ArcGIS site: {n_layers} layers in {services + 5} services; "
          f"DCAT feed: {args.datasets} datasets in {len(feed) - 1} pages", flush=True)

    with flask_app.test_request_context():
        user = tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]
        ctx = lambda: {"user": user}  # noqa: E731
        orgs = {}
        for name in ("geo", "ggd", "vloer", "stock"):
            orgs[name] = tk.get_action("organization_create")(ctx(), {
                "name": name, "title": name.upper(), "municipality_uri": MUNICIPALITY,
                "municipality_name": "Gemeente Zaanstad"})["id"]

        def source(name: str, url: str, stype: str, config: dict[str, Any]) -> dict[str, Any]:
            return tk.get_action("harvest_source_create")(ctx(), {
                "name": name, "title": name, "url": url, "source_type": stype,
                "owner_org": orgs["geo" if stype == "gemeente_arcgis" else "ggd"],
                "frequency": "MANUAL", "config": json.dumps(config)})

        figures = []
        for label, harvester, src in (
            ("ArcGIS", ArcGISHarvesterPlugin(),
             source("arcgis", f"{site_url}{arcgis_site.ROOT}?f=json", "gemeente_arcgis",
                    {"defaults": DEFAULTS})),
            ("DCAT", DcatHarvesterPlugin(),
             source("dcat", f"{site_url}/catalog.ttl", "gemeente_dcat", {})),
        ):
            dicts = _mapped(harvester, {**src, "owner_org": orgs["vloer"]})
            # the floor before and after the harvest (other names), so a machine that changes
            # speed during the run weighs on both sides alike
            floor_a = _floor(dicts, user)
            first, result = harvest_once(src, args.profile, allow_errors=True)
            floor_b = _floor([{**d, "name": d["name"].replace("vloer-", "vloer-b-", 1)}
                              for d in dicts], user)
            floor = (floor_a + floor_b) / 2
            stamps = harvest_stamps(src["id"])
            again, result2 = harvest_once(src, args.profile, "again", allow_errors=True)
            writes = harvest_writes(src["id"], stamps)
            print(f"{label}: {len(dicts)} datasets; floor (ckanapi package_create, mean of "
                  f"before {floor_a:.1f} s and after {floor_b:.1f} s) {floor:.1f} s "
                  f"({len(dicts) / floor:.0f}/s), first harvest {first:.1f} s "
                  f"({result.added} added) = {first / floor:.2f}x the floor (target <= 1.3); "
                  f"unchanged re-harvest {again:.2f} s = {again / first:.3f}x the first "
                  f"(target <= 0.05), {writes} datasets written, {result2.unchanged} unchanged",
                  flush=True)
            figures.append((label, first))
        if not args.no_stock:
            stock, done = _stock(f"{site_url}/catalog.ttl", orgs["stock"], user)
            ours = dict(figures)["DCAT"]
            print(f"DCAT: ckanext-dcat dcat_rdf_harvester {stock:.1f} s ({done} imported); "
                  f"gemeente_dcat / dcat_rdf_harvester = {ours / stock:.2f}x (target <= 1.0)",
                  flush=True)


if __name__ == "__main__":
    main()
