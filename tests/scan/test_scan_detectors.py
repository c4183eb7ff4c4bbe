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
