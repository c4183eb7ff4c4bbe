"""Demo stage: a local ArcGIS services directory and a DCAT-AP-DONL feed, harvested once.

The two sources are files under ``.dev/demo-sources`` (written from the same invented site
and feed the tests use: tests/harvest/arcgis_site.py and dcat_feeds.py), served by a small
static HTTP server on 127.0.0.1:8991 that keeps running beside the demo (``.dev/sources.pid``,
stopped by ``scripts/devstack.sh stop``), so that ``ckan -c .dev/demo.ini gemeente harvest
run`` on the running demo works as cron would, and a second run changes nothing.
The demo ini lists 127.0.0.1 in ``ckanext.gemeente.harvest.allow_hosts``, as a municipality
lists its internal ArcGIS server.
"""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys
import time
import urllib.request
from typing import Any

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from _harvest import create_and_harvest  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
DEV = ROOT / ".dev"
SOURCES = DEV / "demo-sources"
PORT = 8991
BASE = f"http://127.0.0.1:{PORT}"


sys.path.insert(0, str(ROOT / "tests" / "harvest"))  # the invented site and feed
import arcgis_site  # noqa: E402
import dcat_feeds  # noqa: E402


def _write_sources() -> None:

    for path, answer in arcgis_site.site().items():
        # a static server answers a directory with its index.html: /services?f=json works
        target = SOURCES / path.lstrip("/") / "index.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(answer, ensure_ascii=False), encoding="utf-8")
    feed = dcat_feeds.feed_pages(BASE + "/dcat", 12, per_page=100, path="/catalog.ttl")
    (SOURCES / "dcat").mkdir(parents=True, exist_ok=True)
    (SOURCES / "dcat" / "catalog.ttl").write_text(feed["/catalog.ttl"], encoding="utf-8")


def _serving() -> bool:
    try:
        with urllib.request.urlopen(BASE + "/dcat/catalog.ttl", timeout=2) as resp:
            return resp.status == 200
    except OSError:
        return False


def _start_server() -> None:
    if _serving():
        return
    log = (DEV / "sources.log").open("ab")
    proc = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(PORT), "--bind", "127.0.0.1",
         "--directory", str(SOURCES)],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    (DEV / "sources.pid").write_text(str(proc.pid))
    for _ in range(50):
        if _serving():
            return
        time.sleep(0.1)
    raise SystemExit("[gemeente] ERROR: the demo's source server did not start (.dev/sources.log)")


def seed(api: Any, venv: pathlib.Path, ckan: Any, data: dict[str, Any], ini: pathlib.Path
         ) -> dict[str, int]:
    plugins = ini.read_text()
    if "gemeente_arcgis_harvester" not in plugins or "gemeente_dcat_harvester" not in plugins:
        return {"skipped (harvesters not enabled)": 0}
    _write_sources()
    _start_server()
    orgs = [o["name"] for o in data["organizations"]]
    geo_org = next((o for o in orgs if "ruimte" in o), orgs[0])
    health_org = next((o for o in orgs if "gezondheid" in o), orgs[-1])
    wanted = [
        {"name": "arcgis-zaanstad", "title": "ArcGIS-services Zaanstad (demo)",
         "url": BASE + "/arcgis/rest/services?f=json", "source_type": "gemeente_arcgis",
         "owner_org": geo_org, "frequency": "DAILY",
         "config": json.dumps({"defaults": arcgis_site.DEFAULTS, "review_state": "ingediend"})},
        {"name": "ggd-dcat", "title": "DCAT-feed GGD Zaanstreek-Waterland (demo)",
         "url": BASE + "/dcat/catalog.ttl", "source_type": "gemeente_dcat",
         "owner_org": health_org, "frequency": "DAILY", "config": "{}"},
    ]
    return create_and_harvest(api, ckan, wanted)
