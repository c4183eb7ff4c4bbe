"""The detectors on generated Dutch data: every kind is found on values alone (meaningless
column names), and look-alikes raise no alarm. Pure core: no CKAN needed."""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
import re

import pyarrow as pa
import pytest
from stdnum import iban as std_iban
from stdnum.nl import bsn as std_bsn

from ckanext.gemeente.scan import ScanOptions, scan_file
from ckanext.gemeente.scan import sampledata as sd
from ckanext.gemeente.scan.detectors import elevenproef, iban_mod97


def write(tmp_path, columns: dict[str, list[str]], name: str = "t.csv", delimiter: str = ";"
          ) -> str:
    path = tmp_path / name
    names = list(columns)
    n = max(len(v) for v in columns.values())
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, delimiter=delimiter)
        w.writerow(names)
        for i in range(n):
            w.writerow([columns[c][i] if i < len(columns[c]) else "" for c in names])
    return str(path)


def kinds(report, column: str) -> dict[str, dict]:
    for c in report.to_dict()["columns"]:
        if c["column"] == column:
            return {f["kind"]: f for f in c["findings"]}
    raise AssertionError(f"no column {column}")


def risk(report, column: str) -> str:
    return next(c["risk"] for c in report.to_dict()["columns"] if c["column"] == column)


@pytest.fixture
def rng() -> random.Random:
    return random.Random(1717)


# --- check digits: the vectorised versions agree with python-stdnum -----------------------
def test_elevenproef_agrees_with_stdnum(rng):
    values = [f"{rng.randint(0, 999_999_999):09d}" for _ in range(20_000)]
    values += [sd.bsn(rng) for _ in range(2_000)]
    got = elevenproef(pa.array(values)).to_pylist()
    want = [std_bsn.is_valid(v) for v in values]
    assert got == want
    assert sum(got) > 2_000    # valid ones and ~1/11 of the random ones


def test_iban_mod97_agrees_with_stdnum(rng):
    values = [sd.iban(rng) for _ in range(2_000)] + [sd.iban(rng, False) for _ in range(2_000)]
    values += ["DE89370400440532013000", "GB29NWBK60161331926819", "BE71096123456769"]
    got = iban_mod97(pa.array(values)).to_pylist()
    assert got == [std_iban.is_valid(v) for v in values]
    assert sum(got) == 2_003


# --- every detector, on values alone ---------------------------------------------------------
def test_bsn_column_found_with_meaningless_name(tmp_path, rng):
    rep = scan_file(write(tmp_path, {"c01": [sd.bsn(rng) for _ in range(500)]}))
    f = kinds(rep, "c01")["bsn"]
    assert f["count"] == 500 and f["confidence"] >= 0.9 and risk(rep, "c01") == "hoog"
    assert all(re.fullmatch(r"\d{2}\*{4}\d{3}", e) for e in f["examples"])


def test_bsn_with_dots_and_dropped_leading_zero(tmp_path, rng):
    vals = []
    for _ in range(300):
        b = sd.bsn(rng)
        vals.append(f"{b[:4]}.{b[4:6]}.{b[6:]}")
    zero = [b for b in (sd.bsn(rng) for _ in range(5000)) if b.startswith("0")]
    rep = scan_file(write(tmp_path, {"veld_7": vals, "veld_8": [z[1:] for z in zero] or
                                     ["12345672"]}))
    assert "bsn" in kinds(rep, "veld_7")


def test_order_numbers_failing_the_11proef_are_not_bsns(tmp_path, rng):
    invalid = [sd.order_number(rng) for _ in range(500)]
    random9 = [str(rng.randint(100_000_000, 999_999_999)) for _ in range(2_000)]
    rep = scan_file(write(tmp_path, {"c01": invalid, "c02": random9}))
    assert kinds(rep, "c01") == {} and kinds(rep, "c02") == {}
    assert rep.risk == "geen"


def test_a_few_lucky_hits_do_not_make_a_bsn_column(tmp_path, rng):
    # 9% of random numbers pass: judged on the column, not on single hits
    rep = scan_file(write(tmp_path, {"bestelnummer": [str(rng.randint(10**8, 10**9 - 1))
                                                      for _ in range(300)]}))
    assert "bsn" not in kinds(rep, "bestelnummer")


def test_column_name_only_adds_confidence(tmp_path, rng):
    few = [sd.bsn(rng), sd.bsn(rng)]
    rep = scan_file(write(tmp_path, {"bsn": few, "c01": few}))
    assert "bsn" in kinds(rep, "bsn")          # two values: the name tips it
    assert "bsn" not in kinds(rep, "c01")      # two lucky values alone do not
    many = [sd.bsn(rng) for _ in range(20)]
    rep = scan_file(write(tmp_path, {"burgerservicenummer": many, "c01": many}))
    assert kinds(rep, "burgerservicenummer")["bsn"]["confidence"] >= \
        kinds(rep, "c01")["bsn"]["confidence"]


def test_iban(tmp_path, rng):
    ok = [sd.iban(rng) for _ in range(200)]
    spaced = [sd.iban_spaced(v) for v in ok]
    bad = [sd.iban(rng, valid=False) for _ in range(200)]
    rep = scan_file(write(tmp_path, {"c01": ok, "c02": spaced, "c03": bad}))
    assert kinds(rep, "c01")["iban"]["count"] == 200
    assert kinds(rep, "c02")["iban"]["count"] == 200
    assert "iban" not in kinds(rep, "c03")


def test_email_personal_and_functional(tmp_path, rng):
    rep = scan_file(write(tmp_path, {
        "c01": [sd.email(rng) for _ in range(100)],
        "c02": [rng.choice(["info@gemeente.test", "post@gemeente.test"]) for _ in range(50)],
    }))
    assert kinds(rep, "c01")["email"]["count"] == 100 and risk(rep, "c01") == "hoog"
    assert set(kinds(rep, "c02")) == {"email_functioneel"} and risk(rep, "c02") == "laag"


def test_phone_formats(tmp_path, rng):
    vals = [sd.phone(rng) for _ in range(300)]
    rep = scan_file(write(tmp_path, {"c01": vals,
                                     "c02": [str(rng.randint(10**9, 10**10 - 1))
                                             for _ in range(300)]}))
    assert kinds(rep, "c01")["telefoon"]["count"] == 300
    assert "telefoon" not in kinds(rep, "c02")


@pytest.mark.parametrize("sidecode", range(1, 15))
def test_kenteken_every_sidecode(tmp_path, rng, sidecode):
    # side code 2 without dashes (1234BD) is a postcode first: only with dashes there
    vals = [sd.kenteken(rng, sidecode, dashes=sidecode == 2 or rng.random() < 0.7)
            for _ in range(60)]
    rep = scan_file(write(tmp_path, {"c01": vals}))
    assert kinds(rep, "c01")["kenteken"]["count"] >= 50


def test_product_codes_and_postcodes_are_not_kentekens(tmp_path, rng):
    rep = scan_file(write(tmp_path, {
        "c01": [sd.product_code(rng) for _ in range(300)],
        "c02": [sd.postcode(rng, space=False) for _ in range(300)],
    }))
    assert kinds(rep, "c01") == {}
    assert "kenteken" not in kinds(rep, "c02") and "postcode" in kinds(rep, "c02")


def test_postcode_with_house_number_is_an_address(tmp_path, rng):
    rep = scan_file(write(tmp_path, {
        "c05": [sd.postcode(rng) for _ in range(300)],
        "c06": [sd.housenumber(rng) for _ in range(300)],
    }))
    assert "adres" in kinds(rep, "c05") and risk(rep, "c05") == "hoog"
    one = scan_file(write(tmp_path, {"c01": [f"{sd.postcode(rng)} {sd.housenumber(rng)}"
                                             for _ in range(100)]}, "one.csv"))
    assert "adres" in kinds(one, "c01")
    street = scan_file(write(tmp_path, {"c01": [f"{rng.choice(sd.STREETS)} {rng.randint(1, 99)}"
                                                for _ in range(100)]}, "street.csv"))
    assert "adres" in kinds(street, "c01")


def test_postcode_areas_years_and_counts_are_not_personal(tmp_path, rng):
    rep = scan_file(write(tmp_path, {
        "c01": [str(rng.randint(1000, 9999)) for _ in range(300)],    # 4-digit PC areas
        "c02": [str(rng.randint(1990, 2025)) for _ in range(300)],    # years
        "c03": [str(rng.randint(5, 400)) for _ in range(300)],        # counts >= threshold
        "c04": [rng.choice(sd.CATEGORIES) for _ in range(300)],
    }))
    assert rep.risk == "geen", rep.to_dict()


def test_names(tmp_path, rng):
    rep = scan_file(write(tmp_path, {
        "c01": [sd.full_name(rng) for _ in range(300)],
        "c02": [sd.first_name(rng) for _ in range(300)],
        "c03": [sd.surname(rng) for _ in range(300)],
        "c04": [rng.choice(["Groen", "Rood", "Blauw"]) for _ in range(300)],
        "c05": [rng.choice(sd.WIJKEN) for _ in range(300)],
    }))
    assert "naam" in kinds(rep, "c01") and risk(rep, "c01") == "hoog"
    assert "voornaam" in kinds(rep, "c02")
    assert "achternaam" in kinds(rep, "c03")
    assert kinds(rep, "c04") == {} and kinds(rep, "c05") == {}


def test_dates_of_birth(tmp_path, rng):
    births = [sd.birth_date(rng, nl=rng.random() < 0.5) for _ in range(400)]
    rep = scan_file(write(tmp_path, {
        "veld_3": births, "geboortedatum": births,
        "c04": [sd.event_date(rng) for _ in range(400)],
    }))
    anon, named = kinds(rep, "veld_3"), kinds(rep, "geboortedatum")
    assert "geboortedatum" in anon and named["geboortedatum"]["risk"] == "hoog"
    assert named["geboortedatum"]["confidence"] > anon["geboortedatum"]["confidence"]
    assert kinds(rep, "c04") == {}


def test_future_dates_are_not_births(tmp_path, rng):
    future = [(dt.date.today() + dt.timedelta(days=rng.randint(1, 900))).isoformat()
              for _ in range(100)]
    rep = scan_file(write(tmp_path, {"geboortedatum": future}))
    assert kinds(rep, "geboortedatum") == {}


def test_coordinates_at_address_precision(tmp_path, rng):
    pts = [sd.coordinate(rng, 6) for _ in range(200)]
    rough = [sd.coordinate(rng, 2) for _ in range(200)]
    rep = scan_file(write(tmp_path, {"c11": [p[0] for p in pts], "c12": [p[1] for p in pts],
                                     "c13": [p[0] for p in rough],
                                     "c14": [p[1] for p in rough]}))
    assert "coordinaten" in kinds(rep, "c11") and "coordinaten" in kinds(rep, "c12")
    assert kinds(rep, "c13") == {} and kinds(rep, "c14") == {}
    pair = scan_file(write(tmp_path, {"c01": [f"POINT ({p[1]} {p[0]})" for p in pts]}, "p.csv"))
    assert "coordinaten" in kinds(pair, "c01")


def test_free_text(tmp_path, rng):
    texts = [sd.free_text(rng, personal=True) for _ in range(300)]
    b = sd.bsn(rng)
    texts += [f"Aanvraag van burger met BSN {sd.bsn(rng)} is in behandeling genomen"
              for _ in range(30)] + [f"Bijgewerkt, zie {b}"]
    plain = [sd.free_text(rng, personal=False) for _ in range(300)]
    rep = scan_file(write(tmp_path, {"c08": texts, "c09": plain}))
    found = kinds(rep, "c08")
    for k in ("vrije_tekst:email", "vrije_tekst:telefoon", "vrije_tekst:adres",
              "vrije_tekst:bsn"):
        assert k in found, found.keys()
    assert kinds(rep, "c09") == {}


def test_small_cells_in_an_aggregated_table(tmp_path, rng):
    buurten = [f"BU0363{i:04d}" for i in range(200)]
    small = scan_file(write(tmp_path, {"c01": buurten, "c02": ["2024"] * 200,
                                       "c03": [str(rng.choice([1, 2, 3, 4, 12, 40]))
                                               for _ in range(200)]}))
    f = kinds(small, "c03")["kleine_aantallen"]
    assert f["count"] > 0 and f["risk"] == "midden"
    big = scan_file(write(tmp_path, {"c01": buurten, "c02": ["2024"] * 200,
                                     "c03": [str(rng.randint(5, 900)) for _ in range(200)]},
                          "big.csv"))
    assert big.risk == "geen"
    # the threshold is configurable
    strict = scan_file(write(tmp_path, {"c01": buurten, "c03": ["7"] * 200}, "s.csv"),
                       ScanOptions(small_cell_threshold=10))
    assert "kleine_aantallen" in kinds(strict, "c03")


def test_values_are_never_in_the_report_or_the_logs(tmp_path, rng, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    raw = [sd.bsn(rng) for _ in range(50)] + [sd.iban(rng) for _ in range(50)]
    emails = [sd.email(rng) for _ in range(100)]
    path = write(tmp_path, {"c01": raw, "c02": emails})
    rep = scan_file(path)
    text = json.dumps(rep.to_dict()) + caplog.text
    assert "bsn" in kinds(rep, "c01") or "iban" in kinds(rep, "c01")
    for v in raw + emails:
        assert v not in text


# --- the fast paths count exactly what scanning every row counts ---------------------------
def _column_kinds(rng: random.Random) -> dict[str, object]:
    """Value makers for one column each: every detector, with look-alikes among them."""
    def street(r: random.Random) -> str:
        return f"{r.choice(sd.STREETS)} {sd.housenumber(r)}"

    return {
        "bsn": lambda r: r.choice([sd.bsn(r), sd.bsn(r, False), sd.order_number(r),
                                   f"{sd.bsn(r)[:4]}.{sd.bsn(r)[4:6]}.{sd.bsn(r)[6:]}"]),
        "iban": lambda r: r.choice([sd.iban(r), sd.iban_spaced(sd.iban(r)),
                                    sd.iban(r, False)]),
        "phone": sd.phone, "email": sd.email,
        "postcode": lambda r: r.choice([sd.postcode(r), f"{sd.postcode(r)} {r.randint(1, 99)}",
                                        str(r.randint(1000, 9999))]),
        "house": sd.housenumber, "kenteken": sd.kenteken, "street": street,
        "date": lambda r: r.choice([sd.birth_date(r), sd.birth_date(r, nl=True),
                                    sd.event_date(r)]),
        "coord": lambda r: r.choice(list(sd.coordinate(r)) + [sd.coordinate(r, 2)[0]]),
        "amount": lambda r: r.choice([f"{r.randint(0, 999)},{r.randint(0, 99):02d}",
                                      str(r.randint(1, 4)), str(r.randint(1900, 2100)),
                                      f"BU0363{r.randint(0, 99):04d}"]),
        "name": lambda r: r.choice([sd.full_name(r), sd.first_name(r), sd.surname(r),
                                    sd.product_code(r)]),
        "text": lambda r: sd.free_text(r, personal=r.random() < 0.5),
    }


@pytest.mark.parametrize("kind", list(_column_kinds(random.Random(0))))
def test_distinct_values_count_like_every_row(rng, kind):
    """A column with few distinct values is scanned as those values with row counts: every
    count and the judgement are those of scanning each row (dictionary=False)."""
    from ckanext.gemeente.scan.detectors import ColumnStats, Detectors
    from ckanext.gemeente.scan.judge import judge
    from ckanext.gemeente.scan.names import load_names

    make = _column_kinds(rng)[kind]
    pool = [make(rng) for _ in range(300)] + [""]
    values = [rng.choice(pool) for _ in range(12_000)]
    chunks = [pa.array(values[:5_000]), pa.array(values[5_000:])]
    names = load_names()
    fast, slow = Detectors(names), Detectors(names, dictionary=False)
    distinct = fast._distinct(chunks, len(set(values[:1024])), 1024)
    assert distinct.w is not None and len(distinct) <= 301    # the fast path is taken
    got, want = ColumnStats("c01", 0), ColumnStats("c01", 0)
    fast.observe(got, chunks)
    slow.observe(want, chunks)
    g, w = got.as_counts(), want.as_counts()   # phone_checked: 20 rows a batch either way
    assert g == w
    assert got.distinct_names == want.distinct_names
    assert [(c.risk, [(f.kind, f.count, f.confidence) for f in c.findings])
            for c in judge([got], len(values))] == \
        [(c.risk, [(f.kind, f.count, f.confidence) for f in c.findings])
         for c in judge([want], len(values))]


def test_probe_skips_only_patterns_the_bytes_rule_out(rng, monkeypatch):
    """The probe leaves out a pattern only when the values lack a kind of byte it needs:
    with that rule switched off the counts are the same."""
    from ckanext.gemeente.scan import detectors as det
    from ckanext.gemeente.scan.names import load_names

    makers = _column_kinds(rng)
    columns = [[makers[k](rng) for _ in range(1_500)] for k in makers]
    columns += [[str(rng.randint(0, 10**9)) for _ in range(1_500)],      # digits only
                [f"{rng.randint(1, 9999)}.{rng.randint(0, 99999)}" for _ in range(1_500)]]
    names = load_names()
    gated = []
    for col in columns:
        st = det.ColumnStats("c01", 0)
        det.Detectors(names).observe(st, pa.array(col))
        gated.append(st.as_counts())
    monkeypatch.setattr(det, "_NEEDS", dict.fromkeys(det._NEEDS))
    for col, counts in zip(columns, gated, strict=True):
        st = det.ColumnStats("c01", 0)
        det.Detectors(names).observe(st, pa.array(col))
        assert st.as_counts() == counts


def test_probe_samples_every_gathered_batch(rng):
    """Batches gathered for the detectors are each probed: BSNs that start in the second
    batch are found and counted, though the first batch has none."""
    from ckanext.gemeente.scan.detectors import ColumnStats, Detectors
    from ckanext.gemeente.scan.names import load_names

    first = pa.array([str(rng.randint(10_000, 999_999)) for _ in range(5_000)])
    bsns = [sd.bsn(rng) for _ in range(5_000)]
    st = ColumnStats("c01", 0)
    Detectors(load_names()).observe(st, [first, pa.array(bsns)])
    assert st.bsn.count == 5_000 and st.bsn_shape == 5_000
    assert st.values == 10_000


def test_probe_is_thinned_out_for_a_stable_column_but_counts_stay_full(rng):
    """After PROBE_STABLE probes with the same answer only one batch in PROBE_EVERY is
    probed; the others go through the same detectors, so every BSN is still counted."""
    from ckanext.gemeente.scan.detectors import ColumnStats, Detectors
    from ckanext.gemeente.scan.names import load_names

    det, st = Detectors(load_names()), ColumnStats("c01", 0)
    for _ in range(10):
        det.observe(st, pa.array([sd.bsn(rng) for _ in range(3_000)]))
    assert st.bsn.count == st.bsn_shape == st.values == 30_000
    assert st.probing.probes == 5          # batches 1-4 and 8


def test_a_shape_that_turns_up_later_is_found_at_the_next_probe(rng):
    """A column that was stable without BSNs and then holds them: the BSNs are found and
    counted from the next probe on (the batches in between were not probed)."""
    from ckanext.gemeente.scan.detectors import ColumnStats, Detectors
    from ckanext.gemeente.scan.names import load_names

    det, st = Detectors(load_names()), ColumnStats("c01", 0)
    for _ in range(8):                      # probes at 1-4 and 8
        det.observe(st, pa.array([sd.product_code(rng) for _ in range(3_000)]))
    assert st.bsn_shape == 0
    for _ in range(6):                      # 9-11 not probed, 12 probed: BSNs from there on
        det.observe(st, pa.array([sd.bsn(rng) for _ in range(3_000)]))
    assert st.bsn.count == st.bsn_shape == 9_000
    assert st.probing.probes == 8           # the changed answer: every batch probed again
