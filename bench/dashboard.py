"""Benchmark: the coordinator dashboard (gemeente_dashboard) on 10,000 datasets.

    .venv/bin/python bench/dashboard.py [--datasets 10000] [--queries 100] [--sources 12]
                                        [--db ckan_bench_dashboard]

(needs the dev stack's PostgreSQL role: run `make test` once first.)

1. A fresh database, CKAN on this repository's test.ini with activity, ckanext-harvest
   (dcat_rdf sources), gemeente_privacy and gemeente_dashboard, the embedded search server
   as its own process. N datasets in 6 departments are written with SQL (one in eight
   without a description, one in twelve without a licence), each with a review record in a
   realistic spread of states and audit entries for those that moved (submitted, decided,
   published), then indexed through CKAN (``search.rebuild``: the dashboard's completeness
   field is computed there). ``--sources`` harvest sources with a finished job each.
2. Times, through the CKAN action API (Flask test client, same process, a coordinator's API
   token, same way for both), the baseline: a typical portal ``package_search`` (free text,
   3 facets, 20 rows, private datasets included), and ``gemeente_dashboard_show``: with the
   lead times reused (``cache_seconds`` default, the steady state) and computed on every
   call (``cache_seconds = 0``: the audit export of the whole period each time). Also the
   page ``/gemeente/dashboard`` against the search page ``/dataset/?q=...``.
   Figure: p95 dashboard / p95 package_search (target <= 2).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import pathlib
import random
import socket
import subprocess
import sys
import time
import urllib.request
import uuid

ROOT = pathlib.Path(__file__).resolve().parent.parent
DEV = ROOT / ".dev"
DEPARTMENTS = [("volksgezondheid", "Volksgezondheid"), ("openbare-ruimte", "Openbare Ruimte"),
               ("veiligheid", "Veiligheid"), ("wonen", "Wonen"), ("mobiliteit", "Mobiliteit"),
               ("informatievoorziening", "Informatievoorziening")]
SUBJECTS = ["afvalcontainers", "parkeerautomaten", "verkeerstellingen", "bomenregister",
            "laadpalen", "speelplaatsen", "luchtkwaliteit", "meldingen openbare ruimte",
            "aed-locaties", "sociale huurwoningen", "evenementenvergunningen", "begroting"]
WIJKEN = ["Centrum", "Noord", "Oost", "Zuid", "West", "Havenkwartier", "Oude Dorp"]
# review state -> share of datasets (the rest stays concept)
STATES = [("gepubliceerd", 0.55), ("ingediend", 0.12), ("privacy_goedgekeurd", 0.05),
          ("wijziging_gevraagd", 0.04), ("afgewezen", 0.02), ("ingetrokken", 0.02)]
SEARCH = ("/api/3/action/package_search?q=afval&rows=20&include_private=true"
          '&facet.field=["organization","res_format","tags"]')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round((len(ordered) - 1) * q / 100))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", type=int, default=10000)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--sources", type=int, default=12)
    parser.add_argument("--db", default="ckan_bench_dashboard")
    args = parser.parse_args()
    DEV.mkdir(exist_ok=True)
    for sql in (f"DROP DATABASE IF EXISTS {args.db}",
                f"CREATE DATABASE {args.db} OWNER ckan_default"):
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", sql], check=True)
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "ckanext.gemeente.search", "--memory",
                               "--host", "127.0.0.1", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    solr_url = f"http://127.0.0.1:{port}/solr/ckan"
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{solr_url}/admin/ping", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    ini = DEV / f"bench-{args.db}.ini"
    ini.write_text("[app:main]\nuse = config:../test.ini\n"
                   f"sqlalchemy.url = postgresql://ckan_default:pass@127.0.0.1/{args.db}\n"
                   f"solr_url = {solr_url}\n"
                   f"ckan.storage_path = {DEV / 'bench-dashboard-storage'}\n"
                   "ckan.plugins = activity dcat harvest dcat_rdf_harvester gemeente_privacy "
                   "gemeente_dashboard\n"
                   "ckanext.gemeente.privacy.notify_email = false\n")
    for var in ("CKAN_SOLR_URL", "CKAN_SQLALCHEMY_URL", "CKAN_INI"):
        os.environ.pop(var, None)
    ckan = str(pathlib.Path(sys.executable).parent / "ckan")
    for cmd in (["db", "init"], ["db", "upgrade", "-p", "harvest"],
                ["db", "upgrade", "-p", "gemeente_privacy"]):
        subprocess.run([ckan, "-c", str(ini), *cmd], check=True, capture_output=True)
    try:
        run(ini, args)
    finally:
        server.terminate()
        server.wait()


def seed(args: argparse.Namespace) -> None:
    import ckan.plugins.toolkit as tk
    import sqlalchemy as sa
    from ckan import model
    from ckan.lib import search
    from ckanext.harvest.model import HarvestJob, HarvestObject, HarvestSource

    from ckanext.gemeente.privacy import audit
    from ckanext.gemeente.privacy import model as pmodel

    rnd = random.Random(20261202)
    site = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    ctx = {"user": site["name"], "ignore_auth": True}
    for name in ("redacteur", "coordinator"):
        tk.get_action("user_create")(dict(ctx), {"name": name, "email": f"{name}@bench.test",
                                                 "password": "Bench-wachtwoord-2026"})
    tk.get_action("gemeente_review_role_grant")(dict(ctx), {"user": "coordinator",
                                                            "role": "coordinator"})
    orgs = [tk.get_action("organization_create")(dict(ctx), {"name": n, "title": t})
            for n, t in DEPARTMENTS]
    user_id = model.User.get("redacteur").id
    now = pmodel.utcnow().replace(microsecond=0)
    pkgs, members, reviews, entries = [], [], [], []
    for i in range(args.datasets):
        pid, org = str(uuid.uuid4()), orgs[i % len(orgs)]
        created = now - dt.timedelta(days=rnd.uniform(1, 300))
        roll, state, acc = rnd.random(), "concept", 0.0
        for name, share in STATES:
            acc += share
            if roll < acc:
                state = name
                break
        pkgs.append({"id": pid, "name": f"dataset-{i}", "type": "dataset", "state": "active",
                     "title": f"{SUBJECTS[i % len(SUBJECTS)].capitalize()} "
                              f"{WIJKEN[i % len(WIJKEN)]} {2015 + i % 10}",
                     "notes": "" if i % 8 == 0 else "Verzonnen gegevens van de gemeente.",
                     "license_id": "" if i % 12 == 0 else "cc-zero",
                     "owner_org": org["id"], "private": state != "gepubliceerd",
                     "metadata_created": created, "metadata_modified": created,
                     "creator_user_id": user_id})
        members.append({"id": str(uuid.uuid4()), "table_id": pid, "table_name": "package",
                        "group_id": org["id"], "capacity": "organization", "state": "active"})
        reviews.append({"package_id": pid, "state": state, "organization_id": org["id"],
                        "checklist": "{}", "conditions": "", "submitted_by": user_id,
                        "submitted_at": created, "state_changed": created, "created": created})
        if state != "concept":
            stamp, steps = created, [("submit", "concept", "ingediend")]
            if state != "ingediend":
                steps.append(("decide", "ingediend", "wijziging_gevraagd"
                              if state == "wijziging_gevraagd" else
                              "afgewezen" if state == "afgewezen" else "privacy_goedgekeurd"))
            if state in ("gepubliceerd", "ingetrokken"):
                steps.append(("publish", "privacy_goedgekeurd", "gepubliceerd"))
            if state == "ingetrokken":
                steps.append(("withdraw", "gepubliceerd", "ingetrokken"))
            for step, frm, to in steps:
                stamp += dt.timedelta(hours=rnd.uniform(2, 24 * 12))
                entries.append({"package_id": pid, "step": step, "actor": "redacteur",
                                "role": "editor", "created": min(stamp, now),
                                "from_state": frm, "to_state": to})
    model.Session.execute(model.package_table.insert(), pkgs)
    model.Session.execute(sa.insert(model.member_table), members)
    model.Session.execute(pmodel.Review.__table__.insert(), reviews)
    entries.sort(key=lambda e: e["created"])
    prev, rows = audit.GENESIS, []
    chk = audit.canonical_json({"personal_data": False, "measure": "niet_nodig"})
    for seq, entry in enumerate(entries, 1):
        row = {"seq": seq, **entry, "checklist": chk, "findings": '{"blocking":0,"count":0}',
               "content_hash": "ab" * 32, "comment": "", "target": "dataset"}
        audit.seal(row, prev)
        prev = row["hash"]
        rows.append(row)
    for start in range(0, len(rows), 10000):
        model.Session.execute(pmodel.AuditEntry.__table__.insert(), rows[start:start + 10000])
    model.Session.commit()
    for i in range(args.sources):
        src = tk.get_action("harvest_source_create")(dict(ctx), {
            "name": f"bron-{i}", "title": f"DCAT-catalogus {i}", "source_type": "dcat_rdf",
            "url": f"http://127.0.0.1:9/catalogus-{i}.ttl", "owner_org": orgs[i % 6]["id"]})
        source = HarvestSource.get(src["id"])
        job = HarvestJob(source=source, status="Finished", gather_started=now,
                         gather_finished=now, finished=now)
        model.Session.add(job)
        model.Session.flush()
        for k in range(20):
            model.Session.add(HarvestObject(job=job, source=source, guid=f"{i}-{k}",
                                            report_status=("added", "updated")[k % 2]))
    model.Session.commit()
    t0 = time.perf_counter()
    search.rebuild(defer_commit=True, quiet=True)
    search.commit()
    print(f"{args.datasets} datasets, {len(rows)} audit entries, {args.sources} sources; "
          f"indexed through CKAN in {time.perf_counter() - t0:.0f} s", file=sys.stderr)


def run(ini: pathlib.Path, args: argparse.Namespace) -> None:
    import ckan.plugins.toolkit as tk
    from ckan.cli import load_config
    from ckan.config.middleware import make_app

    app = make_app(load_config(str(ini)))
    flask_app = app._wsgi_app
    with flask_app.test_request_context():
        seed(args)
        token = tk.get_action("api_token_create")(
            {"user": "coordinator", "ignore_auth": True},
            {"user": "coordinator", "name": "bench"})["token"]
    client = flask_app.test_client()
    headers = {"Authorization": token}

    def timed(url: str) -> float:
        t = time.perf_counter()
        resp = client.get(url, headers=headers)
        elapsed = time.perf_counter() - t
        assert resp.status_code == 200, (url, resp.status_code, resp.data[:300])
        return elapsed

    shown = client.get("/api/3/action/gemeente_dashboard_show", headers=headers).json["result"]
    assert shown["datasets"]["total"] == args.datasets, shown["datasets"]
    assert shown["completeness"]["incomplete"] > args.datasets // 8, shown["completeness"]
    assert shown["review"]["lead_times"]["review"]["count"] > 0, shown["review"]
    assert len(shown["harvest"]["sources"]) == args.sources
    print(f"dashboard: {shown['completeness']['incomplete']} incomplete, lead time review "
          f"median {shown['review']['lead_times']['review']['median_days']} d, p90 "
          f"{shown['review']['lead_times']['review']['p90_days']} d", file=sys.stderr)

    if os.environ.get("BENCH_PROFILE"):  # cProfile of five dashboard calls
        import cProfile
        import pstats

        prof = cProfile.Profile()
        prof.enable()
        for _ in range(5):
            timed("/api/3/action/gemeente_dashboard_show")
        prof.disable()
        pstats.Stats(prof).sort_stats("cumulative").print_stats(40)

    def measure(pairs: dict[str, str]) -> dict[str, list[float]]:
        out: dict[str, list[float]] = {name: [] for name in pairs}
        for _ in range(5):
            for url in pairs.values():
                timed(url)
        for _ in range(args.queries):
            for name, url in pairs.items():  # interleaved: the same machine load for both
                out[name].append(timed(url))
        return out

    figures = []
    api = measure({"search": SEARCH, "dashboard": "/api/3/action/gemeente_dashboard_show"})
    base95, base50 = pct(api["search"], 95), pct(api["search"], 50)
    figures.append(("package_search (q, 3 facets, 20 rows, private included): p95 / p50 "
                    "(baseline)", f"{base95:.1f} / {base50:.1f} ms", "1.00"))
    d95, d50 = pct(api["dashboard"], 95), pct(api["dashboard"], 50)
    figures.append(("**gemeente_dashboard_show**, lead times reused: p95 / p50",
                    f"{d95:.1f} / {d50:.1f} ms",
                    f"**{d95 / base95:.2f} x** p95 (target <= 2); {d50 / base50:.2f} x p50"))
    tk.config["ckanext.gemeente.dashboard.cache_seconds"] = 0
    cold = measure({"search": SEARCH, "dashboard": "/api/3/action/gemeente_dashboard_show"})
    c95, s95 = pct(cold["dashboard"], 95), pct(cold["search"], 95)
    figures.append(("gemeente_dashboard_show, lead times from the audit export on every "
                    "call (`cache_seconds = 0`): p95", f"{c95:.1f} ms",
                    f"{c95 / s95:.2f} x p95 of the same round's package_search"))
    tk.config["ckanext.gemeente.dashboard.cache_seconds"] = 300
    pages = measure({"search": "/dataset/?q=afval", "dashboard": "/gemeente/dashboard"})
    p95s, p95d = pct(pages["search"], 95), pct(pages["dashboard"], 95)
    figures.append(("search page /dataset/?q=afval: p95 (baseline)", f"{p95s:.1f} ms", "1.00"))
    figures.append(("page /gemeente/dashboard: p95", f"{p95d:.1f} ms",
                    f"{p95d / p95s:.2f} x (target <= 2)"))
    load = os.getloadavg()[0]
    print(f"load average during the run: {load:.1f} on {os.cpu_count()} CPUs", file=sys.stderr)
    print(f"\n{args.datasets} datasets, {args.queries} interleaved calls per figure\n")
    print("| figure | value | ratio |\n| --- | --- | --- |")
    for name, value, ratio in figures:
        print(f"| {name} | {value} | {ratio} |")


if __name__ == "__main__":
    main()
