"""gemeente_scan inside CKAN: the background job on CKAN's RQ queue (Redis), results per
resource version, the actions and their auth, URLs through the URL guard (local HTTP servers
on free ports), and the privacy review: a BSN upload blocks approval until justified."""

from __future__ import annotations

import json
import os
import pathlib
import random
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from ckanext.gemeente.scan import sampledata as sd

QUEUE = "gemeente_scan_test"
SCAN_ONLY = "gemeente_scan"
WITH_PRIVACY = "activity gemeente_privacy gemeente_scan"
APPROVE_CHECKLIST = {
    "personal_data": True, "personal_data_categories": ["identificatie"], "bsn": True,
    "legal_basis": "AVG art. 6 lid 1 sub e (publieke taak)", "measure": "geaggregeerd",
    "dpia": "uitgevoerd", "retention": "5 jaar",
}


def bsn_csv(n: int = 200) -> str:
    rng = random.Random(99)
    lines = ["c01;c02;c03"] + [f"{sd.bsn(rng)};{rng.choice(sd.CATEGORIES)};{i}"
                               for i in range(n)]
    return "\n".join(lines) + "\n"


def plain_csv() -> str:
    return "wijk;categorie;jaar\n" + "".join(f"{w};Afval;2024\n" for w in sd.WIJKEN * 20)


def call(action: str, actor: dict[str, Any] | None, **data: Any) -> Any:
    from ckan.tests import helpers

    ctx = {"user": actor["name"], "ignore_auth": False} if actor else {"ignore_auth": True}
    return helpers.call_action(action, context=ctx, **data)


def run_jobs() -> None:
    """Run the queued jobs with CKAN's worker (burst), each in a forked work horse."""
    import ckan.plugins.toolkit as tk
    from ckan.lib import jobs

    # CKAN 2.11's work horse re-applies the CKAN_* environment variables to the config:
    # keep CKAN_STORAGE_PATH equal to this test's storage path (set by CKAN's pytest plugin)
    saved = os.environ.get("CKAN_STORAGE_PATH")
    os.environ["CKAN_STORAGE_PATH"] = str(tk.config["ckan.storage_path"])
    try:
        jobs.Worker([QUEUE]).work(burst=True)
    finally:
        if saved is None:
            os.environ.pop("CKAN_STORAGE_PATH", None)
        else:
            os.environ["CKAN_STORAGE_PATH"] = saved


@pytest.fixture
def scan_env(clean_db: None, clean_index: None, with_plugins: None, migrate_db_for: Any,
             ckan_config: Any,
             monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    from ckan.lib import jobs
    from ckan.tests import factories

    if "gemeente_privacy" in ckan_config["ckan.plugins"]:
        migrate_db_for("activity")
        migrate_db_for("gemeente_privacy")
    migrate_db_for("gemeente_scan")
    monkeypatch.setitem(ckan_config, "ckanext.gemeente.scan.queue", QUEUE)
    jobs.get_queue(QUEUE).empty()
    users = {
        "sysadmin": factories.Sysadmin(),
        "editor": factories.User(),
        "officer": factories.User(),
        "other": factories.User(),
    }
    org = factories.Organization(users=[{"name": users["editor"]["name"],
                                         "capacity": "editor"}])
    ds = call("package_create", users["editor"], name="meldingen", owner_org=org["id"],
              private=True, title="Meldingen")
    return {"users": users, "org": org, "ds": ds}


def upload(create_with_upload: Any, env: dict[str, Any], text: str, name: str) -> dict:
    return create_with_upload(text, name, context={"user": env["users"]["editor"]["name"]},
                              package_id=env["ds"]["id"], url=name, format="CSV", name=name)


# --- without gemeente_privacy ----------------------------------------------------------------
@pytest.mark.ckan_config("ckan.plugins", SCAN_ONLY)
def test_upload_is_scanned_by_the_job_and_stored_per_version(scan_env, create_with_upload):
    editor = scan_env["users"]["editor"]
    res = upload(create_with_upload, scan_env, bsn_csv(), "inwoners.csv")
    queued = call("gemeente_scan_show", editor, resource_id=res["id"])
    assert queued["latest"]["status"] == "queued" and queued["current"]
    run_jobs()
    shown = call("gemeente_scan_show", editor, resource_id=res["id"])
    latest = shown["latest"]
    assert latest["status"] == "done" and latest["risk"] == "hoog", latest["error"]
    col = next(c for c in latest["report"]["columns"] if c["column"] == "c01")
    assert col["findings"][0]["kind"] == "bsn" and len(latest["sha256"]) == 64
    # a new upload is a new version with its own result; the old one stays in the history
    res2 = create_with_upload(plain_csv(), "wijken.csv", context={"user": editor["name"]},
                              action="resource_update", id=res["id"], url="wijken.csv",
                              format="CSV", package_id=scan_env["ds"]["id"])
    run_jobs()
    hist = call("gemeente_scan_show", editor, resource_id=res2["id"], history=True)
    assert hist["current"] and hist["latest"]["risk"] == "geen"
    assert [h["risk"] for h in hist["history"]] == ["geen", "hoog"]
    assert len({h["version"] for h in hist["history"]}) == 2


@pytest.mark.ckan_config("ckan.plugins", SCAN_ONLY)
def test_malformed_upload_gives_an_error_finding(scan_env, create_with_upload):
    res = upload(create_with_upload, scan_env, "", "leeg.csv")
    run_jobs()
    latest = call("gemeente_scan_show", scan_env["users"]["editor"],
                  resource_id=res["id"])["latest"]
    assert latest["status"] == "done" and latest["risk"] == "fout"
    assert latest["report"]["problems"][0]["kind"] == "empty"


@pytest.mark.ckan_config("ckan.plugins", SCAN_ONLY)
def test_auth_matrix(scan_env, create_with_upload):
    import ckan.plugins.toolkit as tk

    res = upload(create_with_upload, scan_env, bsn_csv(20), "inwoners.csv")
    u = scan_env["users"]
    for action in ("gemeente_scan_show", "gemeente_scan_run"):
        for who, allowed in (("editor", True), ("sysadmin", True), ("other", False),
                             ("officer", False)):
            if allowed:
                call(action, u[who], resource_id=res["id"])
            else:
                with pytest.raises(tk.NotAuthorized):
                    call(action, u[who], resource_id=res["id"])
    with pytest.raises(tk.NotAuthorized):
        call("gemeente_pseudonymise", u["other"], resource_id=res["id"],
             operations=[{"column": "c01", "operation": "pseudonym"}])


@pytest.mark.ckan_config("ckan.plugins", SCAN_ONLY)
def test_scan_show_validation(scan_env):
    import ckan.plugins.toolkit as tk

    with pytest.raises(tk.ValidationError) as err:
        call("gemeente_scan_show", None)
    assert "resource_id" in err.value.error_dict
    with pytest.raises(tk.ObjectNotFound):
        call("gemeente_scan_show", None, resource_id="does-not-exist")


# --- resource URLs through the URL guard ---------------------------------------------------
class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *a: Any) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        if self.path.startswith("/bsn.csv"):
            body = bsn_csv().encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/csv")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif self.path.startswith("/huge.csv"):
            # a "10 GB" file made up on the fly, without Content-Length (chunked)
            self.send_response(200)
            self.send_header("Content-Type", "text/csv")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            row = b"123456782;Afval;1\n" * 4096
            try:
                for _ in range(10 * 1024 ** 3 // len(row)):
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(row), row))
            except (BrokenPipeError, ConnectionResetError):
                return
        else:
            self.send_error(404)


@pytest.fixture
def http_server() -> Iterator[str]:
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    srv.daemon_threads = True
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _url_resource(env: dict[str, Any], url: str) -> dict[str, Any]:
    return call("resource_create", env["users"]["editor"], package_id=env["ds"]["id"],
                url=url, format="CSV", name=url.rsplit("/", 1)[-1])


@pytest.mark.ckan_config("ckan.plugins", SCAN_ONLY)
@pytest.mark.ckan_config("ckanext.gemeente.scan.max_download_mb", "2")
def test_urls_through_the_guard(scan_env, http_server, ckan_config, monkeypatch):
    editor = scan_env["users"]["editor"]
    refused = _url_resource(scan_env, f"{http_server}/bsn.csv")
    run_jobs()
    row = call("gemeente_scan_show", editor, resource_id=refused["id"])["latest"]
    assert row["status"] == "error" and "mag niet" in row["error"]   # loopback refused

    monkeypatch.setitem(ckan_config, "ckanext.gemeente.scan.allow_hosts", ["127.0.0.1"])
    ok = _url_resource(scan_env, f"{http_server}/bsn.csv?x=1")
    huge = _url_resource(scan_env, f"{http_server}/huge.csv")
    gone = _url_resource(scan_env, f"http://127.0.0.1:{_free_port()}/weg.csv")
    missing = _url_resource(scan_env, f"{http_server}/404.csv")
    run_jobs()
    show = {k: call("gemeente_scan_show", editor, resource_id=r["id"])["latest"]
            for k, r in (("ok", ok), ("huge", huge), ("gone", gone), ("missing", missing))}
    assert show["ok"]["status"] == "done" and show["ok"]["risk"] == "hoog"
    assert show["huge"]["status"] == "error" and "groter dan 2 MiB" in show["huge"]["error"]
    assert show["gone"]["status"] == "error" and "niet bereikbaar" in show["gone"]["error"]
    assert show["missing"]["status"] == "error" and "404" in show["missing"]["error"]


# --- with gemeente_privacy: the review tab and the approval block ---------------------------
@pytest.mark.ckan_config("ckan.plugins", WITH_PRIVACY)
@pytest.mark.ckan_config("ckan.locale_default", "en")
def test_bsn_upload_blocks_approval_until_justified(scan_env, create_with_upload):
    import ckan.plugins.toolkit as tk

    u = scan_env["users"]
    call("gemeente_review_role_grant", u["sysadmin"], user=u["officer"]["name"],
         role="privacy_officer")
    ds = scan_env["ds"]
    res = upload(create_with_upload, scan_env, bsn_csv(), "inwoners.csv")
    before = call("gemeente_review_show", u["officer"], id=ds["id"])["findings"]
    mine = [f for f in before if f.get("source") == "scan"]
    assert mine and mine[0]["blocking"] and "scan" in mine[0]["title"]   # not scanned yet
    run_jobs()
    findings = [f for f in call("gemeente_review_show", u["officer"], id=ds["id"])["findings"]
                if f.get("source") == "scan"]
    bsn = [f for f in findings if "bsn" in f["title"]]
    assert bsn and bsn[0]["risk"] == "hoog" and bsn[0]["blocking"]
    assert bsn[0]["resource_id"] == res["id"] and "c01" in bsn[0]["title"]
    # masked examples only
    raw = bsn_csv().split("\n")[1].split(";")[0]
    assert raw not in json.dumps(findings)
    call("gemeente_review_submit", u["editor"], id=ds["id"])
    with pytest.raises(tk.ValidationError) as err:
        call("gemeente_review_decide", u["officer"], id=ds["id"], decision="approve",
             checklist=APPROVE_CHECKLIST)
    assert "justification" in err.value.error_dict
    done = call("gemeente_review_decide", u["officer"], id=ds["id"], decision="approve",
                checklist=APPROVE_CHECKLIST,
                justification="BSN's worden vóór publicatie gepseudonimiseerd (bron vervangen).")
    assert done["state"] == "privacy_goedgekeurd"


@pytest.mark.ckan_config("ckan.plugins", WITH_PRIVACY)
def test_clean_upload_does_not_block(scan_env, create_with_upload):
    u = scan_env["users"]
    upload(create_with_upload, scan_env, plain_csv(), "wijken.csv")
    run_jobs()
    findings = [f for f in call("gemeente_review_show", u["editor"],
                                id=scan_env["ds"]["id"])["findings"]
                if f.get("source") == "scan"]
    assert findings and not any(f["blocking"] for f in findings)
    assert findings[0]["risk"] == "geen"


# --- a real `ckan jobs worker` process ---------------------------------------------------------
@pytest.mark.ckan_config("ckan.plugins", SCAN_ONLY)
def test_real_ckan_jobs_worker_process(scan_env, create_with_upload, tmp_path, ckan_config):
    res = upload(create_with_upload, scan_env, bsn_csv(), "inwoners.csv")
    from scan_ini import write_ini

    ini = write_ini(tmp_path / "worker.ini", **{
        "ckan.plugins": "gemeente_scan",
        "ckan.storage_path": str(ckan_config["ckan.storage_path"]),
        "ckanext.gemeente.scan.queue": QUEUE})
    ckan = pathlib.Path(sys.executable).parent / "ckan"
    env = dict(os.environ, CKAN_STORAGE_PATH=str(ckan_config["ckan.storage_path"]))
    proc = subprocess.run([str(ckan), "-c", str(ini), "jobs", "worker", "--burst", QUEUE],
                          capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    latest = call("gemeente_scan_show", scan_env["users"]["editor"],
                  resource_id=res["id"])["latest"]
    assert latest["status"] == "done" and latest["risk"] == "hoog"


# --- gemeente_pseudonymise --------------------------------------------------------------------
@pytest.mark.ckan_config("ckan.plugins", SCAN_ONLY)
def test_pseudonymise_action_makes_a_new_resource(scan_env, create_with_upload, monkeypatch):
    import ckan.plugins.toolkit as tk

    from ckanext.gemeente.scan import jobs

    editor = scan_env["users"]["editor"]
    res = upload(create_with_upload, scan_env, bsn_csv(), "inwoners.csv")
    ops = [{"column": "c01", "operation": "pseudonym"}, {"column": "c03", "operation": "drop"}]
    monkeypatch.delenv("GEMEENTE_PSEUDONYM_KEY", raising=False)
    with pytest.raises(tk.ValidationError) as err:
        call("gemeente_pseudonymise", editor, resource_id=res["id"], operations=ops)
    assert "key" in err.value.error_dict
    with pytest.raises(tk.ValidationError) as err:
        call("gemeente_pseudonymise", editor, resource_id=res["id"],
             operations=[{"column": "c01", "operation": "raden"}])
    assert "operations" in err.value.error_dict
    key = "sleutel-van-de-gemeente-0123456789"
    monkeypatch.setenv("GEMEENTE_PSEUDONYM_KEY", key)
    out = call("gemeente_pseudonymise", editor, resource_id=res["id"], operations=ops)
    new = out["resource"]
    assert new["package_id"] == res["package_id"] and new["url_type"] == "upload"
    text = open(jobs.upload_path(new), encoding="utf-8").read()
    lines = text.splitlines()
    assert lines[0].replace('"', "") == "c01;c02"
    raw = bsn_csv().splitlines()[1].split(";")[0]
    assert raw not in text and len(lines[1].split(";")[0].strip('"')) == 32
    audit = json.loads(new["gemeente_pseudonymisation"])
    assert audit["operations"][0] == {"column": "c01", "operation": "pseudonym"}
    assert key not in json.dumps(out) and audit["key_id"]


@pytest.mark.ckan_config("ckan.plugins", SCAN_ONLY)
def test_dataset_created_with_resources_is_scanned(scan_env, http_server, ckan_config,
                                                   monkeypatch):
    """Harvesters and API clients create datasets with their resources in one call."""
    monkeypatch.setitem(ckan_config, "ckanext.gemeente.scan.allow_hosts", ["127.0.0.1"])
    editor = scan_env["users"]["editor"]
    ds = call("package_create", editor, name="geoogst", owner_org=scan_env["org"]["id"],
              resources=[{"url": f"{http_server}/bsn.csv", "format": "CSV", "name": "a"},
                         {"url": f"{http_server}/kaart.pdf", "format": "PDF", "name": "b"}])
    run_jobs()
    csv_res, pdf_res = ds["resources"]
    shown = call("gemeente_scan_show", editor, resource_id=csv_res["id"])
    assert shown["latest"]["status"] == "done" and shown["latest"]["risk"] == "hoog"
    pdf = call("gemeente_scan_show", editor, resource_id=pdf_res["id"])
    assert pdf["latest"] is None and not pdf["scannable"]
    # an unrelated metadata edit does not scan the same file again
    call("package_patch", editor, id=ds["id"], notes="Nieuwe toelichting")
    run_jobs()
    hist = call("gemeente_scan_show", editor, resource_id=csv_res["id"], history=True)
    assert len(hist["history"]) == 1
