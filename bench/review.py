"""Benchmark: the privacy review (gemeente_privacy) against CKAN without it, same run.

    .venv/bin/python bench/review.py [--datasets 10000] [--updates 200] [--rounds 20]
                                     [--audit-rows 100000] [--db ckan_bench_review]

(needs the dev stack's PostgreSQL role: run `make test` once first.)

1. A fresh database, CKAN on this repository's test.ini with ``activity`` and the embedded
   search server as its own process. 100 datasets are created through the API.
   **package_update p50** of a description edit, in alternating rounds without and with
   ``gemeente_privacy`` loaded (``ckan.plugins.load/unload`` in the same process; the first
   calls after each switch warm the new engine up and are not timed), on private datasets
   (``concept``) and on published ones (the plugin checks the edit for material changes),
   interleaved. Target: with / without <= 1.15; the per-round ratios show the spread.
2. N datasets under review (rows written with SQL and ANALYZEd, as autovacuum would, then
   indexed through CKAN's own ``search.rebuild``), **the review queue** as a privacy
   officer: the action ``gemeente_review_queue`` (20 rows) vs ``package_search`` of the same page
   (``fq=review_state:ingediend``, 20 rows, oldest first), and the queue page
   ``/gemeente/review`` vs the search page ``/dataset/?review_state=ingediend``.
   Target: queue / search <= 1.5.
3. M audit rows (sealed with the chain, written with SQL): ``gemeente_audit_verify``
   over the database (streamed, every hash recomputed) in rows/s, against streaming the same
   rows without checking them (baseline), and the pure chain check over rows in memory.
   Target: >= 50,000 rows/s.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import random
import statistics
import subprocess
import sys
import time
import uuid

from stack import fresh_database, search_server

ROOT = pathlib.Path(__file__).resolve().parent.parent
DEV = ROOT / ".dev"
SUBJECTS = ["afvalcontainers", "parkeerautomaten", "verkeerstellingen", "bomenregister",
            "laadpalen", "speelplaatsen", "luchtkwaliteit", "meldingen openbare ruimte",
            "wmo-voorzieningen", "schuldhulpverlening", "bouwvergunningen", "jeugdzorg"]
WIJKEN = ["Centrum", "Noord", "Oost", "Zuid", "West", "Havenkwartier", "Oude Dorp"]


WARMUP = 2  # untimed package_update calls per dataset kind after loading/unloading the plugin


def p50(values: list[float]) -> float:
    return statistics.median(values) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", type=int, default=10000, help="datasets under review")
    parser.add_argument("--updates", type=int, default=200, help="package_update calls per side")
    parser.add_argument("--rounds", type=int, default=20,
                        help="alternating rounds without/with the plugin for package_update")
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--edit-datasets", type=int, default=100,
                        help="datasets for the package_update figure (half published)")
    parser.add_argument("--audit-rows", type=int, default=100000)
    parser.add_argument("--db", default="ckan_bench_review")
    args = parser.parse_args()
    DEV.mkdir(exist_ok=True)
    db_url = fresh_database(args.db)
    with search_server() as solr_url:
        prepare_and_run(args, db_url, solr_url)


def prepare_and_run(args: argparse.Namespace, db_url: str, solr_url: str) -> None:
    ini = DEV / f"bench-{args.db}.ini"
    ini.write_text("[app:main]\nuse = config:../test.ini\n"
                   f"sqlalchemy.url = {db_url}\nsolr_url = {solr_url}\n"
                   f"ckan.storage_path = {DEV / 'bench-review-storage'}\n"
                   "ckan.plugins = activity gemeente_privacy\n"
                   "ckanext.gemeente.privacy.notify_email = false\n")
    for var in ("CKAN_SOLR_URL", "CKAN_SQLALCHEMY_URL", "CKAN_INI"):
        os.environ.pop(var, None)
    ckan = str(pathlib.Path(sys.executable).parent / "ckan")
    for cmd in (["db", "init"], ["db", "upgrade", "-p", "gemeente_privacy"]):
        subprocess.run([ckan, "-c", str(ini), *cmd], check=True, capture_output=True)
    run(ini, args)


def run(ini: pathlib.Path, args: argparse.Namespace) -> None:
    import ckan.plugins as plugins
    import ckan.plugins.toolkit as tk
    import sqlalchemy as sa
    from ckan import model
    from ckan.cli import load_config
    from ckan.config.middleware import make_app

    from ckanext.gemeente.privacy import audit
    from ckanext.gemeente.privacy import model as pmodel

    app = make_app(load_config(str(ini)))
    flask_app = app._wsgi_app
    rnd = random.Random(20261202)
    figures: list[tuple[str, str, str]] = []
    with flask_app.test_request_context():
        site = tk.get_action("get_site_user")({"ignore_auth": True}, {})

        def ctx(user: str = site["name"]) -> dict:
            return {"user": user, "ignore_auth": True}

        for name in ("redacteur", "privacy-officer", "coordinator"):
            tk.get_action("user_create")(ctx(), {"name": name, "email": f"{name}@bench.test",
                                                 "password": "Bench-wachtwoord-2026"})
        org = tk.get_action("organization_create")(ctx(), {"name": "openbare-ruimte",
                                                           "title": "Openbare Ruimte"})
        tk.get_action("organization_member_create")(
            ctx(), {"id": org["id"], "username": "redacteur", "role": "editor"})
        for name, role in (("privacy-officer", "privacy_officer"),
                           ("coordinator", "coordinator")):
            tk.get_action("gemeente_review_role_grant")(ctx(), {"user": name, "role": role})
        checklist = {"personal_data": False, "measure": "niet_nodig", "dpia": "niet_nodig"}
        concept, published = [], []
        for i in range(args.edit_datasets):
            data = {"name": f"bench-{i}", "title": f"{SUBJECTS[i % len(SUBJECTS)]} {i}",
                    "owner_org": org["id"], "notes": "Beschrijving.",
                    "resources": [{"url": f"https://data.bench.example/{i}.csv",
                                   "format": "CSV"}]}
            pkg = tk.get_action("package_create")(ctx("redacteur"), data)
            (published if i % 2 else concept).append(pkg["id"])
        for pkg_id in published:
            tk.get_action("gemeente_review_submit")(ctx("redacteur"), {"id": pkg_id})
            tk.get_action("gemeente_review_decide")(
                ctx("privacy-officer"), {"id": pkg_id, "decision": "approve",
                                         "checklist": checklist})
            tk.get_action("gemeente_review_publish")(ctx("coordinator"), {"id": pkg_id})

        # 1. package_update with and without the plugin, alternating rounds
        times: dict[tuple[bool, str], list[float]] = {}
        counter = [0]

        def update(pkg_id: str) -> float:
            counter[0] += 1
            shown = tk.get_action("package_show")(ctx(), {"id": pkg_id})
            shown["notes"] = f"Beschrijving, bijgewerkt ({counter[0]})."
            t = time.perf_counter()
            tk.get_action("package_update")(ctx("redacteur"), shown)
            return time.perf_counter() - t

        # Loading or unloading a plugin rebuilds CKAN's configuration (a new database engine
        # with cold statement caches): the first calls after a switch are warm-up, untimed.
        rounds = max(2, args.rounds)
        per_round = max(2, args.updates // rounds)
        per_round_p50: dict[tuple[bool, str], list[float]] = {}
        for r in range(rounds):
            for enabled in ((False, True) if r % 2 == 0 else (True, False)):
                if enabled and not plugins.plugin_loaded("gemeente_privacy"):
                    plugins.load("gemeente_privacy")
                if not enabled and plugins.plugin_loaded("gemeente_privacy"):
                    plugins.unload("gemeente_privacy")
                for ids in (concept, published):
                    for _ in range(WARMUP):
                        update(ids[rnd.randrange(len(ids))])
                block: dict[str, list[float]] = {}
                for _ in range(per_round // 2):
                    for kind, ids in (("concept", concept), ("published", published)):
                        block.setdefault(kind, []).append(update(ids[rnd.randrange(len(ids))]))
                for kind, values in block.items():
                    times.setdefault((enabled, kind), []).extend(values)
                    per_round_p50.setdefault((enabled, kind), []).append(p50(values))
        if not plugins.plugin_loaded("gemeente_privacy"):
            plugins.load("gemeente_privacy")
        for kind in ("concept", "published"):
            off, on = p50(times[(False, kind)]), p50(times[(True, kind)])
            ratios = [a / b for a, b in zip(per_round_p50[(True, kind)],
                                            per_round_p50[(False, kind)], strict=True)]
            figures.append((f"package_update p50, {kind} dataset, without plugin (baseline)",
                            f"{off:.1f} ms", "1.00"))
            figures.append((f"package_update p50, {kind} dataset, with gemeente_privacy",
                            f"{on:.1f} ms", f"{on / off:.2f} x (target <= 1.15; per round "
                            f"{min(ratios):.2f}-{max(ratios):.2f})"))

        # 2. N datasets under review: rows by SQL, indexed through CKAN
        t0 = time.perf_counter()
        now = pmodel.utcnow()
        user_id = model.User.get("redacteur").id
        pkg_rows, review_rows = [], []
        for i in range(args.datasets):
            pid = str(uuid.uuid4())
            changed = now.replace(microsecond=0) - __import__("datetime").timedelta(
                minutes=args.datasets - i)
            pkg_rows.append({"id": pid, "name": f"review-{i}", "title":
                             f"{SUBJECTS[i % len(SUBJECTS)].capitalize()} "
                             f"{WIJKEN[i % len(WIJKEN)]} {2015 + i % 10}",
                             "owner_org": org["id"], "private": True, "state": "active",
                             "type": "dataset", "metadata_created": changed,
                             "metadata_modified": changed, "creator_user_id": user_id,
                             "notes": "Ter beoordeling aangeboden.", "license_id": "cc-zero"})
            review_rows.append({"package_id": pid, "state": "ingediend",
                                "organization_id": org["id"], "checklist": "{}",
                                "conditions": "", "submitted_by": user_id,
                                "submitted_at": changed, "state_changed": changed,
                                "created": changed})
        model.Session.execute(model.package_table.insert(), pkg_rows)
        model.Session.execute(sa.insert(model.member_table), [
            {"id": str(uuid.uuid4()), "table_id": r["id"], "table_name": "package",
             "group_id": org["id"], "capacity": "organization", "state": "active"}
            for r in pkg_rows])
        model.Session.execute(pmodel.Review.__table__.insert(), review_rows)
        model.Session.commit()
        for table in ("package", "member", pmodel.Review.__tablename__):
            model.Session.execute(sa.text(f"ANALYZE {table}"))
        model.Session.commit()
        from ckan.lib import search

        search.rebuild(defer_commit=True, quiet=True)
        search.commit()
        print(f"{args.datasets} datasets under review written and indexed in "
              f"{time.perf_counter() - t0:.0f} s", file=sys.stderr)

        # 3. audit rows
        t0 = time.perf_counter()
        model.Session.execute(sa.text("DELETE FROM gemeente_privacy_audit"))
        rows, prev = [], audit.GENESIS
        chk = audit.canonical_json({"personal_data": True, "measure": "geaggregeerd",
                                    "legal_basis": "AVG art. 6 lid 1 sub e"})
        for i in range(1, args.audit_rows + 1):
            row = {"seq": i, "package_id": pkg_rows[i % len(pkg_rows)]["id"],
                   "step": ("submit", "approve", "publish")[i % 3], "actor": "redacteur",
                   "role": "editor", "created": now, "from_state": "ingediend",
                   "to_state": "privacy_goedgekeurd", "checklist": chk,
                   "findings": '{"blocking":0,"count":0}', "content_hash": "ab" * 32,
                   "comment": f"Stap {i}", "target": "dataset"}
            audit.seal(row, prev)
            prev = row["hash"]
            rows.append(row)
        for start in range(0, len(rows), 10000):
            model.Session.execute(pmodel.AuditEntry.__table__.insert(),
                                  rows[start:start + 10000])
        model.Session.commit()
        print(f"{args.audit_rows} audit rows written in {time.perf_counter() - t0:.0f} s",
              file=sys.stderr)

    client = flask_app.test_client()
    with flask_app.test_request_context():
        token = tk.get_action("api_token_create")(
            {"user": "privacy-officer", "ignore_auth": True},
            {"user": "privacy-officer", "name": "bench"})["token"]
    headers = {"Authorization": token}

    def timed(url: str) -> float:
        t = time.perf_counter()
        resp = client.get(url, headers=headers)
        elapsed = time.perf_counter() - t
        assert resp.status_code == 200, (url, resp.status_code, resp.data[:300])
        return elapsed

    pairs = {
        "queue action": ("/api/3/action/gemeente_review_queue?rows=20",
                         "/api/3/action/package_search?fq=review_state:ingediend"
                         "&include_private=true&rows=20&sort=metadata_modified%20asc"),
        "queue page": ("/gemeente/review", "/dataset/?review_state=ingediend"),
    }
    for name, (queue_url, search_url) in pairs.items():
        for _ in range(5):
            timed(queue_url)
            timed(search_url)
        q_times, s_times = [], []
        for _ in range(args.queries):
            q_times.append(timed(queue_url))
            s_times.append(timed(search_url))
        q, s = p50(q_times), p50(s_times)
        figures.append((f"{name}: package_search of the same page p50 (baseline)",
                        f"{s:.1f} ms", "1.00"))
        figures.append((f"{name}: gemeente_review_queue p50 ({args.datasets} under review)",
                        f"{q:.1f} ms", f"{q / s:.2f} x (target <= 1.5)"))

    # wall-clock rates, and rates per CPU second of this process (the machine may be shared)
    with flask_app.test_request_context():
        t0, c0 = time.perf_counter(), time.process_time()
        n = sum(1 for _ in pmodel.iter_audit_rows())
        stream_s, stream_c = time.perf_counter() - t0, time.process_time() - c0
        t0, c0 = time.perf_counter(), time.process_time()
        out = tk.get_action("gemeente_audit_verify")({"user": "privacy-officer"}, {})
        verify_s, verify_c = time.perf_counter() - t0, time.process_time() - c0
        assert out["ok"] and out["count"] == args.audit_rows == n, out
    t0, c0 = time.perf_counter(), time.process_time()
    assert audit.verify(rows).ok
    pure_s, pure_c = time.perf_counter() - t0, time.process_time() - c0
    figures.append(("audit rows streamed from PostgreSQL, unchecked (baseline)",
                    f"{n / stream_s:,.0f} rows/s ({n / stream_c:,.0f} per CPU-s)", "1.00"))
    figures.append((f"**gemeente_audit_verify over {n:,} rows** (database, every hash)",
                    f"{n / verify_s:,.0f} rows/s ({n / verify_c:,.0f} per CPU-s)",
                    f"{stream_s / verify_s:.2f} x baseline, "
                    f"{(n / verify_s) / 50000:.2f} x the 50,000/s target"))
    figures.append(("audit.verify, rows in memory (pure core)",
                    f"{n / pure_s:,.0f} rows/s ({n / pure_c:,.0f} per CPU-s)",
                    f"{(n / pure_s) / 50000:.2f} x the target"))
    load = os.getloadavg()[0]
    print(f"load average during the run: {load:.1f} on {os.cpu_count()} CPUs", file=sys.stderr)

    print("\n| figure | value | ratio |\n| --- | --- | --- |")
    for name, value, ratio in figures:
        print(f"| {name} | {value} | {ratio} |")


if __name__ == "__main__":
    main()
