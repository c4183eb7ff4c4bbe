"""Benchmark: the personal-data scanner against pyarrow's CSV parse and a Polars peer.

    .venv/bin/python bench/scan.py                 # ~1 GB file (the issue's figure)
    .venv/bin/python bench/scan.py --sizes 50,200  # quick runs, sizes in MB
    .venv/bin/python bench/scan.py --sizes 200,1000 --polars-max-mb 200

For each size, one realistic municipal CSV (12 columns with neutral names c01..c12: id, BSN,
date, category, postcode, house number, e-mail, free-text remark that sometimes holds a
phone number or an address, amount, order number, latitude, longitude) is generated once
under .dev/bench/ (kept for later runs), read once to warm the page cache, and then timed in
the same run, each as a separate process so that peak memory (ru_maxrss) is its own:

1. ``floor``: pyarrow's streaming CSV parse alone, all columns as strings, the same parse
   options the scanner uses (the floor: no scan can be faster than reading the file);
2. ``polars``: the same detectors written as one Polars streaming query, as a data engineer
   would write it (every detector on every column: shape regexes, 11-proef and mod-97 from
   digit slices, name lists with ``is_in``, date ranges, free-text patterns);
3. ``scan-core``: ``python -m ckanext.gemeente.scan FILE --json`` (the scanner without CKAN);
4. ``ckan-scan``: ``ckan -c test.ini gemeente scan FILE --json`` as a whole process, CKAN's
   start-up included (only when ``--ckan`` is given, as it needs the test database);
5. ``pseudonymise``: ``python -m ckanext.gemeente.scan.pseudonymise`` of the BSN and e-mail
   columns, postcode generalised, MB/s of input.

Figures: seconds, MB/s, ratios scan/floor and scan/polars, peak RSS in MiB.
Targets (issue 17): scan <= polars, scan <= 3x floor, peak memory < 1 GiB; pseudonymisation
>= 50 MB/s.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / ".dev" / "bench"
PY = sys.executable

FLOOR = r"""
import sys, pyarrow as pa, pyarrow.csv as pcsv
path = sys.argv[1]
names = open(path, encoding="utf-8").readline().strip().split(";")
r = pcsv.open_csv(path, read_options=pcsv.ReadOptions(block_size=4 << 20),
    parse_options=pcsv.ParseOptions(delimiter=";", newlines_in_values=True),
    convert_options=pcsv.ConvertOptions(column_types={n: pa.string() for n in names}))
rows = 0
for b in r:
    rows += b.num_rows
print(rows)
"""

POLARS = r"""
import sys, json, datetime
import polars as pl
from ckanext.gemeente.scan.names import load_names
from ckanext.gemeente.scan import detectors as D
path = sys.argv[1]
names = load_names()
FIRST, SUR = sorted(names.first), sorted(names.surnames)
cols = open(path, encoding="utf-8").readline().strip().split(";")
lf = pl.scan_csv(path, separator=";", infer_schema=False, quote_char='"')

def elevenproef(d):
    total = None
    for i, w in enumerate([9, 8, 7, 6, 5, 4, 3, 2, -1]):
        t = d.str.slice(i, 1).cast(pl.Int64, strict=False) * w
        total = t if total is None else total + t
    return (total % 11 == 0) & (d != "000000000")

def mod97(s):
    s = s.str.slice(4) + s.str.slice(0, 4)
    for c in range(ord("A"), ord("Z") + 1):
        s = s.str.replace_all(chr(c), str(c - 55), literal=True)
    s = s.str.pad_start(72, "0")
    r = pl.lit(0, pl.Int64)
    for i in range(0, 72, 9):
        r = (r * 1_000_000_000 + s.str.slice(i, 9).cast(pl.Int64, strict=False)) % 97
    return r == 1

year = datetime.date.today().year
exprs = []
for c in cols:
    v = pl.col(c).str.strip_chars()
    ne = v.str.len_bytes() > 0
    digits = v.str.replace_all(r"[ .]", "")
    bsn_shape = v.str.contains(D.BSN_SHAPE)
    iban_norm = v.str.replace_all(" ", "").str.to_uppercase()
    iban_shape = v.str.contains(D.IBAN_SHAPE)
    dy = v.str.extract(D.DATE_ISO, 1).cast(pl.Int64, strict=False)
    iv = v.cast(pl.Int64, strict=False)
    fv = v.str.replace(",", ".").cast(pl.Float64, strict=False)
    precise = v.str.contains(D.FLOAT_PRECISE)
    low = v.str.to_lowercase()
    first = low.str.extract(r"^([a-z\x{00E0}-\x{017F}'-]+)", 1)
    last = low.str.extract(r"([a-z\x{00E0}-\x{017F}'-]+)[\s.,]*$", 1)
    text = (v.str.len_bytes() >= 20) & (v.str.count_matches(" ") >= 2)
    tb = v.str.extract(D.T_BSN, 1).str.replace_all(".", "", literal=True)
    exprs += [
        ne.sum().alias(f"{c}|values"),
        bsn_shape.sum().alias(f"{c}|bsn_shape"),
        elevenproef(digits.filter(bsn_shape).str.pad_start(9, "0")).sum().alias(f"{c}|bsn"),
        iban_shape.sum().alias(f"{c}|iban_shape"),
        mod97(iban_norm.filter(iban_shape)).sum().alias(f"{c}|iban"),
        v.str.contains(D.EMAIL_SHAPE).sum().alias(f"{c}|email"),
        v.str.contains(D.PHONE_SHAPE).sum().alias(f"{c}|phone"),
        v.str.contains(D.POSTCODE6).sum().alias(f"{c}|postcode6"),
        v.str.contains(D.POSTCODE_NUMBER).sum().alias(f"{c}|address"),
        v.str.contains(D.STREET_NUMBER).sum().alias(f"{c}|street_number"),
        v.str.contains(D.HOUSENR).sum().alias(f"{c}|housenr"),
        v.str.to_uppercase().str.contains(D.KENTEKEN).sum().alias(f"{c}|kenteken"),
        dy.is_not_null().sum().alias(f"{c}|dates"),
        dy.min().alias(f"{c}|year_min"), dy.max().alias(f"{c}|year_max"),
        dy.std().alias(f"{c}|year_std"), (dy > year).sum().alias(f"{c}|date_future"),
        iv.is_not_null().sum().alias(f"{c}|ints"),
        ((iv >= 1) & (iv < 5)).sum().alias(f"{c}|int_small"),
        ((iv >= 1900) & (iv <= 2100)).sum().alias(f"{c}|int_years"),
        (precise & fv.is_between(50.7, 53.7)).sum().alias(f"{c}|lat_precise"),
        (precise & fv.is_between(3.2, 7.3)).sum().alias(f"{c}|lon_precise"),
        (first.is_in(FIRST) & last.is_in(SUR)).sum().alias(f"{c}|full_names"),
        first.is_in(FIRST).sum().alias(f"{c}|first_names"),
        last.is_in(SUR).sum().alias(f"{c}|surnames"),
        text.sum().alias(f"{c}|text"),
        (text & v.str.contains(D.T_EMAIL)).sum().alias(f"{c}|t_email"),
        (text & v.str.contains(D.T_PHONE)).sum().alias(f"{c}|t_phone"),
        (text & v.str.contains(D.T_POSTCODE)).sum().alias(f"{c}|t_postcode"),
        (text & v.str.contains(D.T_SALUTATION)).sum().alias(f"{c}|t_name"),
        elevenproef(tb.filter(text & tb.is_not_null())).sum().alias(f"{c}|t_bsn"),
    ]
out = lf.select(exprs).collect(engine="streaming")
res = {}
for k, val in out.row(0, named=True).items():
    c, f = k.split("|")
    res.setdefault(c, {})[f] = val
print(json.dumps(res))
"""

MEASURE = r"""
import json, resource, subprocess, sys, time
t = time.perf_counter()
p = subprocess.run(sys.argv[1:], capture_output=True, text=True)
dt = time.perf_counter() - t
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"seconds": dt, "rss_mib": ru.ru_maxrss / 1024, "rc": p.returncode,
                  "cpu": ru.ru_utime + ru.ru_stime, "stdout": p.stdout[-20000:],
                  "stderr": p.stderr[-3000:]}))
"""


def measure(cmd: list[str], env: dict[str, str] | None = None) -> dict:
    """Run ``cmd`` in a fresh process; wall time, CPU time and peak RSS of that process only."""
    p = subprocess.run([PY, "-c", MEASURE, *cmd], capture_output=True, text=True,
                       env=env or os.environ.copy(), cwd=ROOT)
    res = json.loads(p.stdout)
    if res["rc"] != 0:
        raise SystemExit(f"{cmd[:4]} failed:\n{res['stderr']}")
    return res


def make_file(mb: int) -> pathlib.Path:
    from ckanext.gemeente.scan.sampledata import write_municipal_csv

    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    path = BENCH_DIR / f"scan-{mb}mb.csv"
    if not path.exists() or path.stat().st_size < mb * 1_000_000:
        tmp = path.with_suffix(".tmp")
        t = time.perf_counter()
        rows = write_municipal_csv(str(tmp), mb * 1_000_000)
        tmp.rename(path)
        print(f"  generated {path.name}: {rows:,} rows in {time.perf_counter() - t:.0f} s",
              flush=True)
    return path


def warm(path: pathlib.Path) -> None:
    with open(path, "rb") as f:
        while f.read(16 << 20):
            pass


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="1000", help="file sizes in MB, comma separated")
    ap.add_argument("--ckan", action="store_true",
                    help="also time `ckan gemeente scan --json` (needs test.ini's database)")
    ap.add_argument("--no-polars", action="store_true")
    ap.add_argument("--polars-max-mb", type=int, default=100_000,
                    help="run the (slow) Polars peer only on files up to this size")
    args = ap.parse_args()
    key_env = dict(os.environ, GEMEENTE_PSEUDONYM_KEY="bench-key-" + "x" * 32)
    results = []
    for mb in [int(s) for s in args.sizes.split(",")]:
        path = make_file(mb)
        size = path.stat().st_size
        warm(path)
        load = os.getloadavg()[0]
        print(f"\n{path.name}: {size / 1e6:.0f} MB (load average {load:.2f})", flush=True)
        r: dict[str, dict] = {}
        r["floor"] = measure([PY, "-c", FLOOR, str(path)])
        if not args.no_polars and mb <= args.polars_max_mb:
            r["polars"] = measure([PY, "-c", POLARS, str(path)])
        r["scan-core"] = measure([PY, "-m", "ckanext.gemeente.scan", str(path), "--json"])
        if args.ckan:
            ckan = str(pathlib.Path(PY).parent / "ckan")
            r["ckan-scan"] = measure([ckan, "-c", str(ROOT / "test.ini"), "gemeente", "scan",
                                      str(path), "--json"])
        out = BENCH_DIR / f"scan-{mb}mb.pseudo.csv"
        r["pseudonymise"] = measure(
            [PY, "-m", "ckanext.gemeente.scan.pseudonymise", str(path), "-o", str(out),
             "--pseudonym", "c02", "--pseudonym", "c07", "--generalise", "c05=postcode4"],
            env=key_env)
        out.unlink(missing_ok=True)
        report = json.loads(r["scan-core"]["stdout"])
        flagged = sorted(c["column"] for c in report["columns"] if c["risk"] != "geen")
        print(f"  {'step':14s} {'seconds':>8s} {'MB/s':>7s} {'cpu s':>7s} {'peak MiB':>9s}")
        for name, m in r.items():
            print(f"  {name:14s} {m['seconds']:8.2f} {size / 1e6 / m['seconds']:7.0f} "
                  f"{m['cpu']:7.2f} {m['rss_mib']:9.0f}")
        floor = r["floor"]["seconds"]
        scan = r["scan-core"]["seconds"]
        line = f"  scan/floor = {scan / floor:.2f} (target <= 3)"
        if "polars" in r:
            line += f"; scan/polars = {scan / r['polars']['seconds']:.2f} (target <= 1)"
        if "ckan-scan" in r:
            line += f"; ckan-scan/floor = {r['ckan-scan']['seconds'] / floor:.2f}"
        print(line)
        print(f"  pseudonymise: {size / 1e6 / r['pseudonymise']['seconds']:.0f} MB/s "
              "(target >= 50)")
        print(f"  scanner flagged: {', '.join(flagged)}")
        print(f"  load average after: {os.getloadavg()[0]:.2f}")
        results.append({"mb": mb, "bytes": size, **{k: {kk: vv for kk, vv in v.items()
                                                          if kk not in ("stdout", "stderr")}
                                                      for k, v in r.items()}})
    (BENCH_DIR / "scan-results.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
