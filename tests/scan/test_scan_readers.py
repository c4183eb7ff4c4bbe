"""Readers and malformed input: encodings, delimiters, quoted newlines, ragged rows, XLSX
(and a zip bomb), JSON, GeoJSON, empty and binary files; bounded memory in a subprocess."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import zipfile

import pytest

from ckanext.gemeente.scan import sampledata as sd
from ckanext.gemeente.scan import scan_file
from ckanext.gemeente.scan.core import ScanOptions
from ckanext.gemeente.scan.readers import Limits


@pytest.fixture
def rng() -> random.Random:
    return random.Random(4242)


def kinds(report, column):
    for c in report.columns:
        if c.column == column:
            return {f.kind for f in c.findings}
    raise AssertionError(f"no column {column} in {[c.column for c in report.columns]}")


def rows_text(rng, n=120, delimiter=";"):
    lines = [delimiter.join(["veld_1", "veld_2", "veld_3"])]
    for _ in range(n):
        lines.append(delimiter.join([sd.bsn(rng), sd.surname(rng) + " é", "12"]))
    return "\r\n".join(lines) + "\r\n"


@pytest.mark.parametrize("encoding,delimiter", [
    ("utf-8", ";"), ("utf-8-sig", ";"), ("cp1252", ";"), ("utf-8", ","), ("cp1252", ","),
])
def test_encodings_and_delimiters(tmp_path, rng, encoding, delimiter):
    p = tmp_path / "x.csv"
    p.write_bytes(rows_text(rng, delimiter=delimiter).encode(encoding))
    rep = scan_file(str(p))
    assert rep.complete and rep.delimiter == delimiter
    assert rep.encoding == {"utf-8-sig": "utf-8-sig", "utf-8": "utf-8",
                            "cp1252": "cp1252"}[encoding]
    assert [c.column for c in rep.columns] == ["veld_1", "veld_2", "veld_3"]
    assert "bsn" in kinds(rep, "veld_1") and rep.rows == 120


def test_tsv(tmp_path, rng):
    p = tmp_path / "x.tsv"
    p.write_text(rows_text(rng, delimiter="\t"))
    rep = scan_file(str(p))
    assert rep.delimiter == "\t" and "bsn" in kinds(rep, "veld_1")


def test_quoted_newlines(tmp_path, rng):
    lines = ["id;opmerking;c03"]
    for i in range(200):
        lines.append(f'{i};"Melding over de lantaarnpaal bij de school\nmelder: '
                     f'{sd.email(rng)} belt terug";{sd.postcode(rng)}')
    p = tmp_path / "x.csv"
    p.write_text("\n".join(lines) + "\n")
    rep = scan_file(str(p))
    assert rep.rows == 200 and rep.complete
    assert "vrije_tekst:email" in kinds(rep, "opmerking")
    assert "postcode" in kinds(rep, "c03")


def test_ragged_rows_are_reported_and_still_scanned(tmp_path, rng):
    lines = ["a;b;c"] + [f"{i};x;y" for i in range(100)]
    lines += [f"{i};{sd.email(rng)};extra;velden;hier;met {sd.phone(rng)} erbij" for i in range(5)]
    p = tmp_path / "x.csv"
    p.write_text("\n".join(lines) + "\n")
    rep = scan_file(str(p))
    prob = [x for x in rep.problems if x.kind == "ragged_rows"]
    assert prob and "5 rij(en)" in prob[0].message
    assert kinds(rep, "(afwijkende rijen)") & {"vrije_tekst:email", "vrije_tekst:telefoon"}


def test_invalid_utf8_midway_is_read_again_and_said(tmp_path, rng):
    good = rows_text(rng, n=15000).encode("utf-8")   # beyond the 256 KiB sniffed
    bad = "\r\n".join(f"{sd.bsn(rng)};Caf\xe9 M\xfcller;1" for _ in range(50)).encode("latin-1")
    p = tmp_path / "x.csv"
    p.write_bytes(good + bad + b"\r\n")
    rep = scan_file(str(p))
    assert any(x.kind == "encoding" for x in rep.problems)
    assert rep.complete and rep.rows == 15050 and "bsn" in kinds(rep, "veld_1")


def test_empty_file_is_an_error_not_a_clean_bill(tmp_path):
    p = tmp_path / "leeg.csv"
    p.write_bytes(b"")
    rep = scan_file(str(p))
    assert rep.risk == "fout" and not rep.complete
    assert rep.problems[0].kind == "empty" and "leeg" in rep.problems[0].message


def test_header_only(tmp_path):
    p = tmp_path / "h.csv"
    p.write_text("a;b;c\n")
    rep = scan_file(str(p))
    assert rep.rows == 0 and any(x.kind == "no_rows" for x in rep.problems)


def test_binary_file(tmp_path):
    p = tmp_path / "x.csv"
    p.write_bytes(b"%PDF-1.4\x00\x01\x02" * 100)
    rep = scan_file(str(p))
    assert rep.risk == "fout" and rep.problems[0].kind == "binary"


def test_unterminated_quote_is_reported(tmp_path, rng):
    p = tmp_path / "x.csv"
    p.write_text("a;b\n1;2\n" + '3;"open quote\n' + "4;5\n" * 10)
    rep = scan_file(str(p))
    # either pyarrow reads it as one long value or refuses: never silent and clean
    assert rep.problems or rep.rows >= 1


def _xlsx(path, rows):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Blad1"
    for r in rows:
        ws.append(r)
    wb.save(path)


def test_xlsx(tmp_path, rng):
    p = tmp_path / "x.xlsx"
    _xlsx(p, [["c01", "c02", "c03"]] +
          [[sd.bsn(rng), sd.email(rng), rng.randint(1, 1000)] for _ in range(300)])
    rep = scan_file(str(p))
    assert rep.format == "xlsx" and rep.rows == 300
    assert "bsn" in kinds(rep, "c01") and "email" in kinds(rep, "c02")


def test_xlsx_zip_bomb_is_refused(tmp_path):
    p = tmp_path / "bom.xlsx"
    with zipfile.ZipFile(p, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        # 64 MiB of zeros compress to ~64 KiB: a ratio of ~1000
        z.writestr("xl/worksheets/sheet1.xml", b"\0" * (64 * 2**20))
    rep = scan_file(str(p))
    assert rep.risk == "fout" and rep.problems[0].kind == "zip_bomb"
    total = scan_file(str(p), ScanOptions(limits=Limits(xlsx_max_uncompressed=2**20)))
    assert total.problems[0].kind == "zip_bomb" and "MiB" in total.problems[0].message


def test_broken_xlsx(tmp_path):
    p = tmp_path / "x.xlsx"
    p.write_bytes(b"PK\x03\x04" + b"rubbish" * 50)
    rep = scan_file(str(p))
    assert rep.risk == "fout" and rep.problems[0].kind == "format"


def test_json_records(tmp_path, rng):
    p = tmp_path / "x.json"
    p.write_text(json.dumps([{"c01": sd.bsn(rng), "contact": {"mail": sd.email(rng)}}
                             for _ in range(200)]))
    rep = scan_file(str(p))
    assert rep.format == "json" and rep.rows == 200
    assert "bsn" in kinds(rep, "c01") and "email" in kinds(rep, "contact.mail")


def test_json_streamed_in_elements(tmp_path, rng):
    p = tmp_path / "x.json"
    recs = [{"c01": sd.bsn(rng), "n": i} for i in range(120_000)]
    p.write_text(json.dumps(recs))
    rep = scan_file(str(p), ScanOptions(limits=Limits(batch_rows=10_000)))
    assert rep.rows == 120_000 and "bsn" in kinds(rep, "c01")


def test_geojson_points(tmp_path, rng):
    feats = []
    for _ in range(150):
        lat, lon = sd.coordinate(rng, 6)
        feats.append({"type": "Feature", "geometry": {"type": "Point",
                                                      "coordinates": [float(lon), float(lat)]},
                      "properties": {"naam_melder": sd.full_name(rng)}})
    p = tmp_path / "x.geojson"
    p.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    rep = scan_file(str(p))
    assert rep.format == "geojson"
    assert "coordinaten" in kinds(rep, "geometry")
    assert "naam" in kinds(rep, "naam_melder")


def test_broken_json(tmp_path):
    p = tmp_path / "x.json"
    p.write_text('{"a": [1, 2,')
    rep = scan_file(str(p))
    assert rep.risk == "fout" and rep.problems[0].kind == "format"


RSS = r"""
import resource, sys
from ckanext.gemeente.scan import scan_file
rep = scan_file(sys.argv[1])
assert rep.complete, rep.problems
print(rep.rows, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def test_memory_is_bounded(tmp_path):
    """Peak RSS of scanning an 80 MB file is not that of a 20 MB file plus 60 MB."""
    peaks = {}
    for mb in (20, 80):
        p = tmp_path / f"m{mb}.csv"
        sd.write_municipal_csv(str(p), mb * 1_000_000)
        out = subprocess.run([sys.executable, "-c", RSS, str(p)], capture_output=True,
                             text=True, check=True).stdout.split()
        peaks[mb] = int(out[1]) / 1024
        p.unlink()
    assert peaks[80] < peaks[20] + 40, peaks
