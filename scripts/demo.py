"""Start and seed the demo portal (run through `make demo`, not directly).

Starts, when not already running: the embedded search server (persistent index in
.dev/search) and CKAN on http://127.0.0.1:5000, both in the background with their logs in
.dev/. Then makes sure the demo municipality exists (departments, users in each role,
datasets, a harvest source) through the real CKAN action API. Every step looks before it
creates, so a second run changes nothing and finishes faster.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import pathlib
import re
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parent.parent
DEV = ROOT / ".dev"
INI = DEV / "demo.ini"
SEARCH_PORT = 8983
SEARCH_URL = f"http://127.0.0.1:{SEARCH_PORT}/solr/ckan"
CKAN_URL = "http://127.0.0.1:5000"
DATA_FILE = ROOT / "scripts" / "demo_data.json"
# The demo municipality provides its value lists as files (as a portal without internet
# access would); these are the small lists the schema tests use.
VOCAB_DIR = ROOT / "tests" / "schema" / "data" / "vocabularies"

# Every plugin of the suite that exists, plus what they build on.
PLUGINS = [
    "activity",
    # before scheming: its dataset form offers no "Public" (plugins listed first win templates)
    "gemeente_privacy",
    "scheming_datasets",
    "scheming_organizations",
    "dcat",
    # before harvest: their source-form help extends harvest's template
    "gemeente_harvest",
    "gemeente_spreadsheet_harvester",
    "gemeente_sql_harvester",
    "harvest",
    "dcat_rdf_harvester",
    "gemeente_schema",
    "gemeente_search",
    "gemeente_scan",
    "gemeente_arcgis_harvester",
    "gemeente_dcat_harvester",
    "gemeente_ckan_harvester",
    "gemeente_dashboard",
    "gemeente_theme",
]


def log(msg: str) -> None:
    print(f"[gemeente] {msg}", file=sys.stderr, flush=True)


def http_ok(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status == 200
    except (OSError, urllib.error.URLError):
        return False


def wait_for(url: str, what: str, logfile: pathlib.Path, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if http_ok(url):
            return
        time.sleep(0.3)
    tail = logfile.read_text(errors="replace").splitlines()[-20:] if logfile.exists() else []
    sys.exit(f"[gemeente] ERROR: {what} did not come up on {url}; last log lines:\n"
             + "\n".join(tail))


def start_background(name: str, argv: list[str]) -> None:
    logfile = DEV / f"{name}.log"
    with logfile.open("ab") as out:
        proc = subprocess.Popen(
            argv, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    (DEV / f"{name}.pid").write_text(str(proc.pid))


def stop_background(name: str) -> None:
    pidfile = DEV / f"{name}.pid"
    if not pidfile.exists():
        return
    try:
        pid = int(pidfile.read_text())
        os.killpg(pid, signal.SIGTERM)
        for _ in range(50):
            os.kill(pid, 0)
            time.sleep(0.1)
    except (ProcessLookupError, ValueError, PermissionError):
        pass
    pidfile.unlink(missing_ok=True)


def write_ini(venv: pathlib.Path, pg_port: int, redis_port: int) -> None:
    secret_file = DEV / "demo-secret"
    if not secret_file.exists():
        secret_file.write_text(secrets.token_urlsafe(32))
    available = set(entry_point_names(venv))
    plugins = [p for p in PLUGINS if p in available]
    extra = ""
    if "gemeente_schema" in plugins:
        extra = (
            "scheming.dataset_schemas = ckanext.gemeente.schema:schemas/gemeente_dataset.yaml\n"
            "scheming.organization_schemas = "
            "ckanext.gemeente.schema:schemas/gemeente_organization.yaml\n"
            "scheming.presets = ckanext.scheming:presets.json "
            "ckanext.gemeente.schema:presets.json\n"
            "ckanext.dcat.rdf.profiles = euro_dcat_ap_2 euro_dcat_ap_scheming donl\n"
            "ckanext.gemeente.municipality_uri = "
            "https://identifier.overheid.nl/tooi/id/gemeente/gm0479\n"
            f"ckanext.gemeente.vocabulary_dir = {VOCAB_DIR}\n"
        )
    text = (ROOT / "scripts" / "demo.ini.in").read_text()
    for key, value in {
        "@SECRET@": secret_file.read_text().strip(),
        "@PGPORT@": str(pg_port),
        "@REDISPORT@": str(redis_port),
        "@DEV@": str(DEV),
        "@PLUGINS@": " ".join(plugins),
        "@EXTRA@": extra,
    }.items():
        text = text.replace(key, value)
    changed = not INI.exists() or INI.read_text() != text
    if changed:
        INI.write_text(text)
    log(f"demo config {INI.relative_to(ROOT)} ({'changed' if changed else 'same'}); "
        f"plugins: {' '.join(plugins)}")


def entry_point_names(venv: pathlib.Path) -> list[str]:
    out = subprocess.run(
        [str(venv / "bin" / "python"), "-c",
         "from importlib.metadata import entry_points;"
         "print(' '.join(e.name for e in entry_points(group='ckan.plugins')))"],
        check=True, capture_output=True, text=True,
    )
    return out.stdout.split()


def ckan(venv: pathlib.Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [str(venv / "bin" / "ckan"), "-c", str(INI), *args],
        cwd=ROOT, capture_output=True, text=True,
    )
    if check and proc.returncode != 0:
        sys.exit(f"[gemeente] ERROR: ckan {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc


class Api:
    """The CKAN action API over HTTP, with the demo sysadmin's token."""

    def __init__(self, token: str) -> None:
        self.token = token

    def call(self, action: str, **data: object) -> object:
        req = urllib.request.Request(
            f"{CKAN_URL}/api/3/action/{action}", data=json.dumps(data).encode(),
            headers={"Content-Type": "application/json", "Authorization": self.token},
        )
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                return json.load(resp)["result"]
        except urllib.error.HTTPError as err:
            body = json.loads(err.read() or b"{}")
            raise ApiError(err.code, body.get("error", {})) from None

    def exists(self, action: str, **data: object) -> bool:
        try:
            self.call(action, **data)
            return True
        except ApiError as err:
            if err.code == 404:
                return False
            raise


class ApiError(Exception):
    def __init__(self, code: int, error: dict) -> None:
        super().__init__(f"HTTP {code}: {error}")
        self.code = code
        self.error = error


def sysadmin_token(venv: pathlib.Path, admin: dict) -> str:
    token_file = DEV / "demo-token"
    if token_file.exists():
        token = token_file.read_text().strip()
        try:
            Api(token).call("status_show")
            Api(token).call("user_show", id=admin["name"])
            return token
        except ApiError:
            pass
    # --create: CKAN makes the user when it does not exist yet, else only promotes it
    ckan(venv, "sysadmin", "add", admin["name"], "--create", f"email={admin['email']}",
         f"password={admin['password']}", f"fullname={admin['fullname']}")
    out = ckan(venv, "user", "token", "add", admin["name"], "demo-seed").stdout
    token = out.strip().splitlines()[-1].strip()
    token_file.write_text(token)
    return token


def seed(api: Api, data: dict) -> dict[str, int]:
    created = {"users": 0, "organizations": 0, "datasets": 0, "harvest_sources": 0}
    for user in data["users"]:
        if not api.exists("user_show", id=user["name"]):
            api.call("user_create", **user)
            created["users"] += 1
    for org in data["organizations"]:
        members = org.pop("members", [])
        if not api.exists("organization_show", id=org["name"]):
            api.call("organization_create", **org)
            created["organizations"] += 1
        for member in members:
            api.call("organization_member_create", id=org["name"], **member)
        org["members"] = members
    for dataset in data["datasets"]:
        if not api.exists("package_show", id=dataset["name"]):
            api.call("package_create", **dataset)
            created["datasets"] += 1
    for source in data.get("harvest_sources", []):
        if not api.exists("harvest_source_show", id=source["name"]):
            api.call("harvest_source_create", **source)
            created["harvest_sources"] += 1
    return created


def demo_stages() -> list:
    """The capability stages of the demo: ``scripts/demo_stages/<nn>_<capability>.py``.

    Each module has ``seed(api, venv, ckan, data, ini) -> dict[str, int]`` (what it created,
    for the log line) and, like :func:`seed`, looks before it creates. Stages run in file
    name order after the base seed, so each capability adds its part of the demo city in its
    own file.
    """
    stages = []
    for path in sorted((ROOT / "scripts" / "demo_stages").glob("[0-9]*.py")):
        spec = importlib.util.spec_from_file_location(f"demo_{path.stem}", path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        stages.append(module)
    return stages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--venv", type=pathlib.Path, default=ROOT / ".venv")
    parser.add_argument("--pg-port", type=int, default=5432)
    parser.add_argument("--redis-port", type=int, default=6379)
    parser.add_argument("--stop", action="store_true", help="stop the demo portal")
    args = parser.parse_args()
    DEV.mkdir(exist_ok=True)
    if args.stop:
        for name in ("worker", "ckan", "search", "sources"):
            stop_background(name)
        log("demo stopped")
        return
    venv = args.venv.resolve()
    started = time.monotonic()
    write_ini(venv, args.pg_port, args.redis_port)

    if http_ok(f"{SEARCH_URL}/admin/ping"):
        log(f"search server already running on :{SEARCH_PORT}")
    else:
        log(f"starting the embedded search server on :{SEARCH_PORT} (index in .dev/search)")
        start_background("search", [
            str(venv / "bin" / "python"), "-m", "ckanext.gemeente.search",
            "--host", "127.0.0.1", "--port", str(SEARCH_PORT), "--data", str(DEV / "search"),
        ])
        wait_for(f"{SEARCH_URL}/admin/ping", "the search server", DEV / "search.log")

    ckan(venv, "db", "upgrade")
    ckan(venv, "db", "upgrade", "-p", "harvest")
    # every suite plugin that is enabled and has migrations (ckanext/gemeente/migration/<plugin>)
    for mig in sorted((ROOT / "ckanext" / "gemeente" / "migration").iterdir()):
        if mig.is_dir() and re.search(rf"\b{mig.name}\b", INI.read_text()):
            ckan(venv, "db", "upgrade", "-p", mig.name)
    if "gemeente_schema" in INI.read_text():
        vocab = ckan(venv, "gemeente", "vocabularies", "update", "--from", str(VOCAB_DIR),
                     "--allow-incomplete", check=False)
        if vocab.returncode != 0:
            log("some value lists are missing or incomplete in the demo set (the demo "
                "loads them with --allow-incomplete; see docs/schema.md)")

    # Restart CKAN when the config changed since it started, else reuse it.
    ini_mtime = str(INI.stat().st_mtime)
    stamp = DEV / "ckan.ini-mtime"
    running = http_ok(f"{CKAN_URL}/api/3/action/status_show")
    if running and stamp.exists() and stamp.read_text() == ini_mtime:
        log("CKAN already running on :5000")
    else:
        stop_background("ckan")
        log("starting CKAN on http://127.0.0.1:5000")
        start_background("ckan", [str(venv / "bin" / "ckan"), "-c", str(INI), "run",
                                  "--host", "127.0.0.1", "--port", "5000", "--disable-reloader"])
        wait_for(f"{CKAN_URL}/api/3/action/status_show", "CKAN", DEV / "ckan.log", 180)
        stamp.write_text(ini_mtime)
    if "gemeente_scan" in INI.read_text():
        # the personal-data scans of new resources run as background jobs (docs/cron.md)
        stop_background("worker")
        start_background("worker", [str(venv / "bin" / "ckan"), "-c", str(INI), "jobs",
                                    "worker"])

    data = json.loads(DATA_FILE.read_text())
    token = sysadmin_token(venv, data["sysadmin"])
    api = Api(token)
    created = seed(api, data)
    log("seeded: " + ", ".join(f"{n} new {k}" for k, n in created.items()))
    for stage in demo_stages():
        done = stage.seed(api=api, venv=venv, ckan=lambda *a, **kw: ckan(venv, *a, **kw),
                          data=data, ini=INI)
        log(f"{stage.__name__}: " + ", ".join(f"{n} {k}" for k, n in (done or {}).items()))

    print(f"\nDemo portal: {CKAN_URL}  (ready in {time.monotonic() - started:.0f} s)")
    print("Logins (user / password / role):")
    admin = data["sysadmin"]
    print(f"  {admin['name']:<22} {admin['password']:<22} sysadmin")
    for user in data["users"]:
        print(f"  {user['name']:<22} {user['password']:<22} {user.get('about', '')}")
    print("Stop it with: scripts/devstack.sh stop")


if __name__ == "__main__":
    main()
