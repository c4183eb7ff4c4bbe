"""``ckan gemeente harvest run`` as cron runs it: summary lines, exit codes, lock, kill -9, mail."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import time
from email.utils import parseaddr

import ckan.plugins.toolkit as tk
import pytest
from conftest import ckan_command, harvest_config
from harvest_data import row, rows, to_csv

pytestmark = harvest_config()


def _write(root: str, data: bytes, name: str = "inventaris.csv") -> str:
    path = os.path.join(root, name)
    with open(path, "wb") as fh:
        fh.write(data)
    return path


def _ckan(ini: str, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([ckan_command(), "-c", ini, "gemeente", "harvest", "run", *args],
                          capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def _lines(out: str, name: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith(name + ":")]


def _counts(source_id: str) -> tuple[int, int]:
    """(packages of the source, current harvest objects of the source)."""
    from ckan import model
    from ckanext.harvest.model import HarvestObject

    model.Session.remove()
    current = model.Session.query(HarvestObject).filter(
        HarvestObject.harvest_source_id == source_id, HarvestObject.current.is_(True)).count()
    pkgs = model.Session.query(model.Package).filter(
        model.Package.type == "dataset", model.Package.state == "active").count()
    return pkgs, current


def test_summary_line_per_source_and_exit_status(make_source, file_root, cli_ini):
    good = make_source(_write(file_root, to_csv(rows(3))), name="inventaris-or",
                       frequency="DAILY")
    bad_rows = [row(0, ID="SB-1"), row(1, ID="SB-2", Gewijzigd="32-01-2025")]
    make_source(_write(file_root, to_csv(bad_rows), "stadsbeheer.csv"), name="inventaris-sb",
                frequency="DAILY")
    make_source("http://10.0.0.8/inventaris.csv", name="verboden", frequency="MANUAL")
    ini = cli_ini()
    first = _ckan(ini)
    assert first.returncode == 1, first.stderr  # inventaris-sb has a bad row
    assert len(_lines(first.stdout, "inventaris-or")) == 1, first.stdout + first.stderr
    (line,) = _lines(first.stdout, "inventaris-or")
    assert line == ("inventaris-or: ok toegevoegd=3 bijgewerkt=0 ongewijzigd=0 "
                    "ingetrokken=0 fouten=0")
    (line,) = _lines(first.stdout, "inventaris-sb")
    assert "toegevoegd=1" in line and "fouten=1" in line
    assert _lines(first.stdout, "verboden") == []  # MANUAL: not due
    # run again at once: nothing is due any more (daily sources ran a moment ago)
    second = _ckan(ini)
    assert second.returncode == 0 and "No harvest source is due" in second.stdout
    forced = _ckan(ini, "--source", "inventaris-or")
    assert forced.returncode == 0, forced.stdout + forced.stderr
    (line,) = _lines(forced.stdout, "inventaris-or")
    assert "ongewijzigd=3" in line and "toegevoegd=0" in line and "bijgewerkt=0" in line
    refused = _ckan(ini, "--source", "verboden")
    assert refused.returncode == 1
    assert "MISLUKT" in _lines(refused.stdout, "verboden")[0]
    unknown = _ckan(ini, "--source", "bestaat-niet")
    assert unknown.returncode == 2 and "bestaat-niet" in unknown.stderr
    dry = _ckan(ini, "--source", "inventaris-or", "--dry-run")
    assert dry.returncode == 0 and "PROEF" in dry.stdout
    assert good["id"]


def test_progress_bar_on_a_terminal(make_source, file_root, cli_ini):
    make_source(_write(file_root, to_csv(rows(4))), name="inventaris")
    master, slave = pty.openpty()
    proc = subprocess.Popen([ckan_command(), "-c", cli_ini(), "gemeente", "harvest", "run",
                             "--source", "inventaris"], stdout=slave, stderr=slave,
                            stdin=subprocess.DEVNULL)
    os.close(slave)
    out = b""
    while True:
        ready, _, _ = select.select([master], [], [], 120)
        if not ready:
            break
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    proc.wait(timeout=120)
    os.close(master)
    text = out.decode("utf-8", "replace")
    assert "inventaris [" in text and "4/4" in text and "#" * 30 in text
    assert "toegevoegd=4" in text


def test_concurrent_cron_runs_never_overlap(make_source, file_root, cli_ini):
    from ckanext.gemeente.harvest import runner

    source = make_source(_write(file_root, to_csv(rows(60))), name="inventaris",
                         frequency="DAILY")
    ini = cli_ini()
    # a run holding the lock: the second cron run does nothing and says so
    with runner.run_lock():
        blocked = _ckan(ini)
    assert blocked.returncode == 0
    assert "Another harvest run is active" in blocked.stderr
    assert _counts(source["id"]) == (0, 0)
    # two cron runs started together: one harvests, the other steps aside
    procs = [subprocess.Popen([ckan_command(), "-c", ini, "gemeente", "harvest", "run"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              stdin=subprocess.DEVNULL) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert sorted(p.returncode for p in procs) == [0, 0]
    summaries = [o for o, _e in outs if "inventaris:" in o]
    assert len(summaries) == 1 and "toegevoegd=60" in summaries[0]
    assert _counts(source["id"]) == (60, 60)
    from ckanext.harvest.model import HarvestJob

    assert HarvestJob.filter(source_id=source["id"]).count() == 1


def test_kill_9_mid_harvest_loses_nothing(make_source, file_root, cli_ini):
    from ckan import model
    from ckanext.harvest.model import HarvestJob, HarvestObject

    n = 150
    source = make_source(_write(file_root, to_csv(rows(n))), name="inventaris")
    ini = cli_ini()
    proc = subprocess.Popen([ckan_command(), "-c", ini, "gemeente", "harvest", "run",
                             "--source", "inventaris"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 240
    done = 0
    while time.monotonic() < deadline and proc.poll() is None:
        model.Session.remove()
        done = model.Session.query(HarvestObject).filter(
            HarvestObject.harvest_source_id == source["id"],
            HarvestObject.state == "COMPLETE").count()
        if done >= 20:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the harvest finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    pkgs, current = _counts(source["id"])
    assert 20 <= pkgs < n
    assert pkgs == current  # every dataset has its harvest object, none half-written
    for pkg_id in [p for (p,) in model.Session.query(model.Package.id).filter(
            model.Package.type == "dataset")]:
        pkg = tk.get_action("package_show")({"ignore_auth": True}, {"id": pkg_id})
        assert pkg["title"] and len(pkg["resources"]) == 1
    model.Session.remove()
    (job,) = HarvestJob.filter(source_id=source["id"]).all()
    assert job.status == "Running"
    # the next cron run finishes the same job
    again = _ckan(ini, "--source", "inventaris")
    assert again.returncode == 0, again.stdout + again.stderr
    model.Session.remove()
    assert _counts(source["id"]) == (n, n)
    jobs = HarvestJob.filter(source_id=source["id"]).all()
    assert [j.status for j in jobs] == ["Finished"]
    final = _ckan(ini, "--source", "inventaris")
    assert f"ongewijzigd={n}" in final.stdout and "toegevoegd=0" in final.stdout


def test_mail_with_the_full_error_list(make_source, file_root, smtp):
    from ckanext.gemeente.harvest import runner

    data = [row(i, Gewijzigd="2025-13-01" if i % 2 else row(i)["Gewijzigd"])
            for i in range(60)]  # 30 bad rows: more than the 20 ckanext-harvest mails
    make_source(_write(file_root, to_csv(data)), name="inventaris",
                config={"contacts": ["informatiebeheer@zaanstad.example.nl",
                                     "or-data@zaanstad.example.nl"]})
    (result,) = runner.run(["inventaris"])
    assert len(result.errors) == 30 and result.added == 30
    assert sorted(parseaddr(str(m["To"]).strip())[1] for m in smtp.messages) == [
        "informatiebeheer@zaanstad.example.nl", "or-data@zaanstad.example.nl"]
    msg = smtp.messages[0]
    assert "30" in msg["Subject"]
    attachments = [p for p in msg.walk() if p.get_filename() == "harvest-fouten.txt"]
    text = attachments[0].get_payload(decode=True).decode("utf-8")
    assert len(text.strip().splitlines()) == 30
    for i in range(1, 60, 2):
        assert f"(id OR-{i + 1:04d})" in text


@pytest.mark.parametrize("notify, expected", [("errors", 0), ("always", 1), ("never", 0)])
def test_mail_on_clean_runs_is_configurable(notify, expected, make_source, file_root, smtp):
    from ckanext.gemeente.harvest import runner

    make_source(_write(file_root, to_csv(rows(2))), name="inventaris",
                config={"contacts": ["informatiebeheer@zaanstad.example.nl"],
                        "notify": notify})
    runner.run(["inventaris"])
    assert len(smtp.messages) == expected
    if expected:
        (body,) = [p.get_payload(decode=True).decode() for p in smtp.messages[0].walk()
                   if p.get_content_type() == "text/plain" and not p.get_filename()]
        assert "toegevoegd=2" in body
