"""Benchmark: the embedded search server behind CKAN, on 10,000 municipal datasets.

    .venv/bin/python bench/search.py [--datasets 10000] [--queries 300] [--data]
                                     [--ini generated|test] [--db ckan_bench]

(needs the dev stack's PostgreSQL role: run `make test` once first.)

``--data`` runs the search server persistent (``--data DIR``, as the demo and a small
portal run it) instead of in memory; ``--ini generated`` (the default) runs CKAN on the
ckan.ini that ``ckan generate config`` writes (database, Solr and Redis URLs set),
``--ini test`` on this repository's test.ini. The server's resident memory is read from
``/proc`` before and after indexing: figure, KB per dataset.

1. Creates a fresh database ``ckan_bench`` and N realistic municipal datasets in 8
   departments (creation is not measured), then empties the index.
2. Indexes them *through CKAN*, against the search server started as a separate process
   (``python -m ckanext.gemeente.search``), as in production: ``ckan.lib.search.rebuild``
   (package_show + index_package per dataset, as ``ckan search-index rebuild`` does, one
   process), and ``ckan gemeente search-index rebuild`` (the same CKAN code on
   ``--workers`` forked processes, a commit every 1,000 datasets and at the end).
   Figures: datasets/s, each against the same re-index into a null endpoint (CKAN's own
   cost), and the ratio to the issue's floor of 200/s.
3. Times, through the CKAN action API (Flask test client, same process, same way for
   both), a typical portal search — free text + 3 facets + an fq + the permission labels
   of a logged-in department member — and ``package_show`` of one dataset. Figure: p95
   search / p50 package_show (target <= 2).
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import random
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT = pathlib.Path(__file__).resolve().parent.parent
DEV = ROOT / ".dev"

DEPARTMENTS = [
    ("ruimte-en-duurzaamheid", "Ruimte en Duurzaamheid"),
    ("verkeer-en-openbare-ruimte", "Verkeer en Openbare Ruimte"),
    ("sociaal-domein", "Sociaal Domein"),
    ("onderzoek-en-statistiek", "Onderzoek en Statistiek"),
    ("dienstverlening", "Dienstverlening"),
    ("economie-en-cultuur", "Economie en Cultuur"),
    ("wonen", "Wonen"),
    ("veiligheid", "Openbare Orde en Veiligheid"),
]
SUBJECTS = [
    "afvalcontainers", "parkeerautomaten", "verkeerstellingen", "bomenregister",
    "laadpalen", "speelplaatsen", "luchtkwaliteit", "geluidsbelasting", "evenementen",
    "subsidies", "bouwvergunningen", "woningvoorraad", "bevolking", "werkloosheid",
    "fietsenstallingen", "straatverlichting", "riolering", "grondwaterstand",
    "zwerfafval", "meldingen openbare ruimte", "sportaccommodaties", "monumenten",
    "bibliotheken", "jeugdzorg", "schuldhulpverlening", "energielabels", "zonnepanelen",
]
WIJKEN = [
    "Centrum", "Noord", "Oost", "Zuid", "West", "Nieuw-West", "Zuidoost", "Havenkwartier",
    "Oude Dorp", "Rivierenbuurt", "Tuinstad", "Stationsgebied",
]
TAGS = ["openbare ruimte", "mobiliteit", "duurzaamheid", "wonen", "zorg", "economie",
        "milieu", "energie", "veiligheid", "cultuur", "onderwijs", "statistiek", "kaart"]
FORMATS = ["CSV", "JSON", "GeoJSON", "XLSX", "WMS", "WFS", "PDF", "ZIP"]
QUERIES = ["afval", "parkeren centrum", "bomen", "luchtkwaliteit noord", "laadpalen",
           "bevolking wijk", "subsidies 2024", "verkeer", "energie zuid", "monumenten"]


class NullSolr(BaseHTTPRequestHandler):
    """Answers every request like a Solr update that succeeded, doing nothing."""

    bodies: list[tuple[str, bytes, str]] = []  # (path, body, content type) of each update

    def do_POST(self) -> None:  # noqa: N802
        data = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if "/update" in self.path:
            self.bodies.append((self.path, data, self.headers.get("Content-Type", "")))
        body = b'{"responseHeader":{"status":0,"QTime":0}}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST  # noqa: N815

    def log_message(self, *args: object) -> None:
        pass

    @classmethod
    def start(cls) -> ThreadingHTTPServer:
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), cls)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        return httpd


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_dataset(i: int, rnd: random.Random) -> dict:
    subject = rnd.choice(SUBJECTS)
    wijk = rnd.choice(WIJKEN)
    year = rnd.randint(2015, 2026)
    org = DEPARTMENTS[i % len(DEPARTMENTS)][0]
    return {
        "name": f"{subject.replace(' ', '-')}-{wijk.lower().replace(' ', '-')}-{year}-{i}",
        "title": f"{subject.capitalize()} {wijk} {year}",
        "notes": (f"Overzicht van {subject} in stadsdeel {wijk} over {year}, bijgehouden door "
                  f"de afdeling {DEPARTMENTS[i % len(DEPARTMENTS)][1]}. Gegevens worden "
                  f"{rnd.choice(['dagelijks', 'wekelijks', 'maandelijks', 'jaarlijks'])} "
                  "bijgewerkt uit het bronsysteem."),
        "owner_org": org,
        "private": rnd.random() < 0.2,
        "tags": [{"name": t} for t in rnd.sample(TAGS, 3)],
        "extras": [{"key": "bronsysteem", "value": rnd.choice(["Decos", "GISib", "SAP"])}],
        "resources": [
            {"url": f"https://data.zuiderveen.example/{subject}/{year}/{i}.{fmt.lower()}",
             "format": fmt, "name": f"{subject} {fmt}"}
            for fmt in rnd.sample(FORMATS, 2)
        ],
    }


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered)) - 1))
    return ordered[k]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", type=int, default=10000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--workers", type=int, default=None,
                        help="worker processes of the parallel re-index (default: as "
                             "`ckan gemeente search-index rebuild`, the CPUs up to 8)")
    parser.add_argument("--data", action="store_true",
                        help="persistent search server (--data DIR) instead of --memory")
    parser.add_argument("--ini", choices=("generated", "test"), default="generated",
                        help="CKAN's generated ckan.ini (default) or this repo's test.ini")
    parser.add_argument("--db", default="ckan_bench", help="database to (re)create")
    args = parser.parse_args()
    DEV.mkdir(exist_ok=True)

    # 1. fresh database + search server process
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc",
                    f"DROP DATABASE IF EXISTS {args.db}"], check=True)
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc",
                    f"CREATE DATABASE {args.db} OWNER ckan_default"], check=True)
    port = free_port()
    store = ["--memory"]
    if args.data:
        data_dir = DEV / f"bench-search-{args.db}"
        shutil.rmtree(data_dir, ignore_errors=True)
        store = ["--data", str(data_dir)]
    server = subprocess.Popen([sys.executable, "-m", "ckanext.gemeente.search", *store,
                               "--host", "127.0.0.1", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    solr_url = f"http://127.0.0.1:{port}/solr/ckan"
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{solr_url}/admin/ping", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    ckan = str(pathlib.Path(sys.executable).parent / "ckan")
    db_url = f"postgresql://ckan_default:pass@127.0.0.1/{args.db}"
    redis_url = os.environ.get("CKAN_REDIS_URL", "redis://127.0.0.1:6379/1")
    ini = DEV / f"bench-{args.db}.ini"
    if args.ini == "generated":
        ini.unlink(missing_ok=True)
        subprocess.run([ckan, "generate", "config", str(ini)], check=True, capture_output=True)
        subprocess.run([ckan, "config-tool", str(ini), f"sqlalchemy.url={db_url}",
                        f"solr_url={solr_url}", f"ckan.redis.url={redis_url}",
                        f"ckan.storage_path={DEV / 'bench-storage'}"],
                       check=True, capture_output=True)
    else:
        ini.write_text("[app:main]\nuse = config:../test.ini\n"
                       f"sqlalchemy.url = {db_url}\n"
                       f"solr_url = {solr_url}\nckan.plugins = activity\n")
    for var in ("CKAN_SOLR_URL", "CKAN_SQLALCHEMY_URL", "CKAN_INI"):
        os.environ.pop(var, None)
    subprocess.run([ckan, "-c", str(ini), "db", "init"], check=True, capture_output=True)
    args.server_pid = server.pid
    args.rss_start = rss_kb(server.pid)  # a fresh server, empty index
    print(f"search server: {' '.join(store)}; CKAN ini: {args.ini}")
    try:
        run(ini, args, solr_url)
    finally:
        server.terminate()
        server.wait()


def rss_kb(pid: int) -> int:
    """Resident memory of a process (KB), from /proc."""
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def run(ini: pathlib.Path, args: argparse.Namespace, solr_url: str) -> None:
    from ckan.cli import load_config
    from ckan.config.middleware import make_app

    app = make_app(load_config(str(ini)))
    flask_app = app._wsgi_app
    import ckan.lib.search as search
    import ckan.plugins.toolkit as tk

    rnd = random.Random(20261125)
    with flask_app.test_request_context():
        site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
        ctx = lambda: {"user": site_user["name"], "ignore_auth": True}  # noqa: E731
        member = tk.get_action("user_create")(ctx(), {
            "name": "bench-medewerker", "email": "medewerker@zuiderveen.example",
            "password": "Bench-wachtwoord-2026"})
        for name, title in DEPARTMENTS:
            tk.get_action("organization_create")(ctx(), {"name": name, "title": title})
        for name, _ in DEPARTMENTS[:3]:
            tk.get_action("organization_member_create")(
                ctx(), {"id": name, "username": member["name"], "role": "editor"})
        t0 = time.perf_counter()
        ids = []  # the datasets the benchmark user may read
        member_orgs = {name for name, _ in DEPARTMENTS[:3]}
        for i in range(args.datasets):
            data = make_dataset(i, rnd)
            pkg = tk.get_action("package_create")(ctx(), data)
            if not data["private"] or data["owner_org"] in member_orgs:
                ids.append(pkg["id"])
        print(f"created {args.datasets} datasets in {time.perf_counter() - t0:.0f} s")
        search.clear_all()  # creation indexed them one by one; measure a full re-index

        from ckanext.gemeente.search.rebuild import dataset_ids, default_workers
        from ckanext.gemeente.search.rebuild import rebuild as parallel_rebuild

        all_ids = dataset_ids()
        args.workers = args.workers or default_workers()

        def parallel() -> float:
            result = parallel_rebuild(all_ids, args.workers)
            assert result.ok and result.indexed == args.datasets, result
            return result.seconds

        # Baselines: the same CKAN re-index against a null endpoint that accepts every
        # update and does nothing, i.e. what CKAN itself costs per dataset.
        null_httpd = NullSolr.start()
        tk.config["solr_url"] = f"http://127.0.0.1:{null_httpd.server_address[1]}/solr/ckan"
        t0 = time.perf_counter()
        search.rebuild(defer_commit=True, quiet=True)
        null_s = time.perf_counter() - t0
        null_par_s = parallel()
        null_httpd.shutdown()
        tk.config["solr_url"] = solr_url

        t0 = time.perf_counter()
        search.rebuild(defer_commit=True, quiet=True)
        search.commit()
        index_s = time.perf_counter() - t0
        search.clear_all()
        index_par_s = parallel()  # ends with the commit
        rss_full = rss_kb(args.server_pid)
    index_rate = args.datasets / index_s
    null_rate = args.datasets / null_s
    index_par_rate = args.datasets / index_par_s
    null_par_rate = args.datasets / null_par_s

    # The server's own ingest rate: replay the exact update requests CKAN sent (one per
    # dataset, as CKAN sends them) straight to the search server, then commit.
    replay = [b for b in NullSolr.bodies if b"index_id" in b[1]][: args.datasets]
    t0 = time.perf_counter()
    for path, body, ctype in replay:
        query = path.split("?", 1)[1] if "?" in path else ""
        req = urllib.request.Request(f"{solr_url}/update?{query}", data=body,
                                     headers={"Content-Type": ctype})
        urllib.request.urlopen(req).read()
    urllib.request.urlopen(f"{solr_url}/update?commit=true", data=b"").read()
    replay_rate = len(replay) / (time.perf_counter() - t0)

    search_stats = json.load(urllib.request.urlopen(
        f"{solr_url}/select?q=*:*&rows=0&wt=json"))["response"]["numFound"]
    assert search_stats == args.datasets, search_stats

    client = flask_app.test_client()
    token = None
    with flask_app.test_request_context():
        token = tk.get_action("api_token_create")(
            {"user": member["name"], "ignore_auth": True},
            {"user": member["name"], "name": "bench"})["token"]
    headers = {"Authorization": token}

    def timed(url: str) -> float:
        t = time.perf_counter()
        resp = client.get(url, headers=headers)
        elapsed = time.perf_counter() - t
        assert resp.status_code == 200, resp.data[:300]
        return elapsed

    facets = json.dumps(["organization", "tags", "res_format"])
    search_times, show_times = [], []
    for _ in range(20):  # warm-up
        timed(f"/api/3/action/package_show?id={ids[0]}")
        timed(f"/api/3/action/package_search?q=afval&facet.field={facets}")
    for n in range(args.queries):
        q = QUERIES[n % len(QUERIES)]
        fq = f'tags:"{TAGS[n % len(TAGS)]}"'
        search_times.append(timed(
            f"/api/3/action/package_search?q={urllib.parse.quote(q)}&fq={urllib.parse.quote(fq)}"
            f"&facet.field={urllib.parse.quote(facets)}&rows=20&include_private=true"))
        show_times.append(timed(f"/api/3/action/package_show?id={ids[rnd.randrange(len(ids))]}"))

    p50_show = statistics.median(show_times) * 1000
    p95_search = percentile(search_times, 95) * 1000
    p50_search = statistics.median(search_times) * 1000
    print(f"CKAN re-index against a null endpoint (baseline): {null_rate:.0f} datasets/s")
    print(f"CKAN re-index (search-index rebuild, 1 process): {index_rate:.0f} datasets/s "
          f"({args.datasets} in {index_s:.1f} s) = {index_rate / null_rate:.2f}x the "
          f"baseline, {index_rate / 200:.2f}x the 200/s floor")
    print(f"CKAN re-index against a null endpoint, {args.workers} workers (baseline): "
          f"{null_par_rate:.0f} datasets/s")
    print(f"CKAN re-index (ckan gemeente search-index rebuild, {args.workers} workers): "
          f"{index_par_rate:.0f} datasets/s ({args.datasets} in {index_par_s:.1f} s, commit "
          f"included) = {index_par_rate / null_par_rate:.2f}x the baseline, "
          f"{index_par_rate / 200:.2f}x the 200/s floor")
    print(f"search server alone, replaying CKAN's {len(replay)} update requests one by one: "
          f"{replay_rate:.0f} datasets/s = {replay_rate / 200:.2f}x the 200/s floor")

    rss_empty = args.rss_start
    print(f"search server memory: {rss_empty / 1024:.0f} MB at start (empty), "
          f"{rss_full / 1024:.0f} MB holding {args.datasets} datasets (after re-indexing "
          f"them three times) = {(rss_full - rss_empty) / args.datasets:.1f} KB per dataset")
    print(f"package_show p50: {p50_show:.1f} ms (baseline)")
    print(f"portal search p50: {p50_search:.1f} ms, p95: {p95_search:.1f} ms")
    print(f"RATIO p95 search / p50 package_show = {p95_search / p50_show:.2f} (target <= 2.00)")


if __name__ == "__main__":
    main()
