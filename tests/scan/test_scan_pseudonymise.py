"""Pseudonymisation: keyed HMAC-SHA256, generalisation, small-cell suppression, the key's
sources and its absence from everything written; the CLI commands of gemeente_scan."""

from __future__ import annotations

import csv
import datetime as dt
import hmac
import json
import random

import pyarrow as pa
import pytest

from ckanext.gemeente.scan import sampledata as sd
from ckanext.gemeente.scan.pseudonymise import (
    Operation,
    PseudonymiseError,
    _Hmac,
    load_key,
    pseudonymise_file,
    pseudonyms,
)

KEY = b"een-geheime-sleutel-van-de-gemeente"
OTHER = b"een-andere-sleutel-van-een-ander"


@pytest.fixture
def source(tmp_path):
    rng = random.Random(5)
    path = tmp_path / "in.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, delimiter=";")
        w.writerow(["bsn", "postcode", "geboren", "aantal", "opmerking"])
        for _ in range(500):
            w.writerow([sd.bsn(rng), sd.postcode(rng), sd.birth_date(rng),
                        rng.choice(["1", "3", "4", "5", "12", "0"]), "vrije tekst"])
    return path


def read(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f, delimiter=";"))


OPS = [Operation("bsn", "pseudonym"), Operation("postcode", "postcode4"),
       Operation("geboren", "age_band"), Operation("aantal", "suppress"),
       Operation("opmerking", "drop")]


def test_hmac_matches_the_standard_library():
    mac = _Hmac(KEY)
    for v in (b"", b"123456782", "Ünïcode".encode(), b"x" * 500):
        assert mac(v) == hmac.digest(KEY, v, "sha256")
    long_key = b"k" * 100
    assert _Hmac(long_key)(b"abc") == hmac.digest(long_key, b"abc", "sha256")


def test_pseudonymise_is_deterministic_and_keyed(source, tmp_path):
    ref = dt.date(2026, 1, 1)
    a = pseudonymise_file(str(source), str(tmp_path / "a.csv"), OPS, KEY, reference_date=ref)
    pseudonymise_file(str(source), str(tmp_path / "b.csv"), OPS, KEY, reference_date=ref)
    pseudonymise_file(str(source), str(tmp_path / "c.csv"), OPS, OTHER, reference_date=ref)
    ra, rb, rc = read(tmp_path / "a.csv"), read(tmp_path / "b.csv"), read(tmp_path / "c.csv")
    orig = read(source)
    assert ra == rb                                  # same input + key = same output
    assert ra[0] == ["bsn", "postcode", "geboren", "aantal"]   # opmerking dropped
    col = [r[0] for r in ra[1:]]
    assert not set(col) & {r[0] for r in rc[1:]}     # other key: nothing in common
    assert all(len(p) == 32 for p in col) and not set(col) & {r[0] for r in orig[1:]}
    assert col[0] == hmac.digest(KEY, orig[1][0].encode(), "sha256")[:16].hex()
    assert all(len(r[1]) == 4 and r[1] == o[1][:4] for r, o in zip(ra[1:], orig[1:],
                                                                     strict=True))
    assert all(r[2].endswith("9") and "-" in r[2] for r in ra[1:])
    assert {r[3] for r in ra[1:]} <= {"<5", "5", "12", "0"}
    assert a["suppressed_cells"] == sum(1 for o in orig[1:] if o[3] in ("1", "3", "4"))
    assert a["rows"] == 500 and a["key_id"] and len(a["key_id"]) == 12


def test_age_band_and_year():
    from ckanext.gemeente.scan.pseudonymise import _age_band, _year

    arr = pa.array(["1990-06-15", "15-06-1990", "2000-01-01", "geen datum"])
    ref = dt.date(2026, 6, 14)
    assert _age_band(arr, ref).to_pylist() == ["30-39", "30-39", "20-29", ""]
    assert _year(arr).to_pylist() == ["1990", "1990", "2000", ""]


def test_the_key_is_never_written(source, tmp_path):
    audit = pseudonymise_file(str(source), str(tmp_path / "a.csv"), OPS, KEY)
    text = json.dumps(audit) + (tmp_path / "a.csv").read_text()
    assert KEY.decode() not in text and KEY.hex() not in text


def test_key_sources(tmp_path, monkeypatch):
    monkeypatch.setenv("GEMEENTE_PSEUDONYM_KEY", KEY.decode())
    assert load_key() == KEY
    kf = tmp_path / "key"
    kf.write_bytes(OTHER + b"\n")
    assert load_key(str(kf)) == OTHER
    monkeypatch.setenv("GEMEENTE_PSEUDONYM_KEY", "kort")
    with pytest.raises(PseudonymiseError) as err:
        load_key()
    assert "kort" not in str(err.value)


def test_bad_requests(source, tmp_path):
    with pytest.raises(PseudonymiseError, match="niet gevonden"):
        pseudonymise_file(str(source), str(tmp_path / "x.csv"), [Operation("nope", "drop")],
                          KEY)
    with pytest.raises(PseudonymiseError, match="Onbekende"):
        pseudonymise_file(str(source), str(tmp_path / "x.csv"), [Operation("bsn", "x")], KEY)
    with pytest.raises(PseudonymiseError, match="sleutel"):
        pseudonymise_file(str(source), str(tmp_path / "x.csv"),
                          [Operation("bsn", "pseudonym")], None)
    empty = tmp_path / "leeg.csv"
    empty.write_bytes(b"")
    with pytest.raises(PseudonymiseError, match="leeg"):
        pseudonymise_file(str(empty), str(tmp_path / "x.csv"), [Operation("a", "drop")], KEY)
    assert not (tmp_path / "x.csv").exists()


def test_xlsx_source(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["bsn", "n"])
    rng = random.Random(3)
    for _ in range(50):
        ws.append([sd.bsn(rng), 2])
    wb.save(tmp_path / "in.xlsx")
    pseudonymise_file(str(tmp_path / "in.xlsx"), str(tmp_path / "out.csv"),
                      [Operation("bsn", "pseudonym"), Operation("n", "suppress")], KEY)
    rows = list(csv.reader(open(tmp_path / "out.csv", encoding="utf-8")))
    assert len(rows) == 51 and all(len(r[0]) == 32 and r[1] == "<5" for r in rows[1:])


def test_pseudonyms_leave_empty_cells_empty():
    assert pseudonyms(pa.array(["", " 123 "]), KEY).to_pylist()[0] == ""
    assert pseudonyms(pa.array(["123"]), KEY).to_pylist() == \
        pseudonyms(pa.array([" 123 "]), KEY).to_pylist()


# --- the CLI, as whole `ckan` processes -------------------------------------------------------
@pytest.fixture
def ckan_cli(tmp_path):
    """Run ``ckan -c <ini with gemeente_scan> ARGS`` (the session's DB/Redis from the env)."""
    import os
    import pathlib
    import subprocess
    import sys

    from scan_ini import write_ini

    ini = write_ini(tmp_path / "cli.ini", **{"ckan.plugins": "gemeente_scan"})
    exe = pathlib.Path(sys.executable).parent / "ckan"

    def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([str(exe), "-c", str(ini), *args], capture_output=True,
                              text=True, timeout=300, env=env or os.environ.copy())
    return run


def test_cli_scan_json(ckan_cli, tmp_path):
    rng = random.Random(8)
    p = tmp_path / "x.csv"
    p.write_text("veld_7;c02\n" + "".join(f"{sd.bsn(rng)};{sd.email(rng)}\n"
                                          for _ in range(100)))
    res = ckan_cli("gemeente", "scan", str(p), "--json")
    assert res.returncode == 0, res.stderr[-2000:]
    report = json.loads(res.stdout)
    cols = {c["column"]: c for c in report["columns"]}
    f = cols["veld_7"]["findings"][0]
    assert set(f) >= {"kind", "confidence", "count", "examples"}
    assert f["kind"] == "bsn" and cols["veld_7"]["risk"] == "hoog"
    assert cols["c02"]["findings"][0]["kind"] == "email"
    text = ckan_cli("gemeente", "scan", str(p))
    assert "kolom veld_7 [hoog]" in text.stdout
    empty = tmp_path / "e.csv"
    empty.write_bytes(b"")
    bad = ckan_cli("gemeente", "scan", str(empty), "--json")
    assert bad.returncode == 2 and json.loads(bad.stdout)["risk"] == "fout"


def test_cli_pseudonymise(ckan_cli, source, tmp_path):
    import os

    env = dict(os.environ, GEMEENTE_PSEUDONYM_KEY=KEY.decode())
    out = tmp_path / "out.csv"
    res = ckan_cli("gemeente", "pseudonymise", str(source), "-o", str(out), "--pseudonym",
                   "bsn", "--generalise", "postcode=postcode4", "--suppress", "aantal",
                   "--drop", "opmerking", env=env)
    assert res.returncode == 0, res.stderr[-2000:]
    audit = json.loads(res.stdout.strip().splitlines()[-1])
    assert audit["rows"] == 500
    assert KEY.decode() not in res.stdout + res.stderr
    assert read(out)[0] == ["bsn", "postcode", "geboren", "aantal"]
    env.pop("GEMEENTE_PSEUDONYM_KEY")
    res = ckan_cli("gemeente", "pseudonymise", str(source), "-o", str(out), "--pseudonym",
                   "bsn", env=env)
    assert res.returncode != 0 and "GEMEENTE_PSEUDONYM_KEY" in res.stderr
