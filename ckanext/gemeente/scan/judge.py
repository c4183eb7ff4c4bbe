"""Column judging: from the counts of :mod:`.detectors` to findings with a confidence and a risk.

Every rule looks at a whole column (a share of its values), never at single lucky hits:
random 9-digit numbers pass the 11-proef one time in eleven, so a column of order numbers has
~9% "valid BSNs" and is not a BSN column. Column names only add confidence (or lower a
threshold); values alone are enough. Some rules look at the table: postcode + house number in
neighbouring columns is an address, a latitude column next to a longitude column is a
coordinate pair, and small counts matter only in a table that looks aggregated.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from .detectors import ColumnStats, Hits
from .report import ColumnReport, Finding

NAME_HINTS: dict[str, str] = {
    "bsn": r"bsn|burgerservice|sofi|a_?nummer",
    "iban": r"iban|rekening|bankrek|rekeningnummer|bank",
    "email": r"e-?mail|mail",
    "telefoon": r"tel|telefoon|phone|mobiel|gsm",
    "postcode": r"postcode|pc6|zip",
    "huisnummer": r"huis_?n(umme)?r|huisnr|hnr|^nr$|nummer|toevoeging|house_?number",
    "straat": r"straat|adres|street|address",
    "kenteken": r"kenteken|licen[sc]e|plate|voertuig",
    "geboortedatum": r"geboorte|geb_?dat|gebdat|dob|birth|geboren",
    "naam": r"naam|name|voornaam|achternaam|initialen|tussenvoegsel|contactpersoon|aanvrager|"
            r"melder|behandelaar|eigenaar|bewoner|persoon|klant|client|cli\u00ebnt|medewerker",
    "coordinaten": r"lat|lon|lng|coord|geom|^x$|^y$|rd_?x|rd_?y|locatie|wgs|punt",
    "aantal": r"aantal|count|^n$|totaal|freq|personen|inwoners|huishoudens|leerlingen|"
              r"cli\u00ebnten|clienten|uitkeringen|meldingen|aanvragen|aantallen",
    "id": r"(^|_)id$|^id|volgnummer|ordernummer|order|artikel|product|code|jaar|year|periode",
}


def hinted(column: str, kind: str) -> bool:
    return re.search(NAME_HINTS[kind], column.lower()) is not None


def _conf(share: float, n: int, hint: bool) -> float:
    """Confidence from the share of matching values, damped for tiny columns."""
    damp = 1 - math.exp(-n / 5)
    c = share * damp
    if hint:
        c = min(1.0, c + 0.15)
    return max(0.05, min(0.99, c))


def _f(kind: str, hits: Hits, share: float, n: int, hint: bool, risk: str, summary: str,
       confidence: float | None = None) -> Finding:
    return Finding(kind, confidence if confidence is not None else _conf(share, n, hint),
                   hits.count, list(hits.examples), risk, summary)


def _pct(k: int, n: int) -> str:
    return f"{k:,} van {n:,}".replace(",", ".")


def judge(stats: Sequence[ColumnStats], rows: int, small_cell_threshold: int = 5
          ) -> list[ColumnReport]:
    reports = [ColumnReport(st.name, st.values) for st in stats]
    for st, rep in zip(stats, reports, strict=True):
        rep.findings.extend(_column_findings(st))
    _table_rules(stats, reports, rows, small_cell_threshold)
    # coordinates are personal data only in a table about persons
    personal = any(f.kind not in ("coordinaten", "kleine_aantallen", "email_functioneel")
                   and f.risk in ("hoog", "midden") for r in reports for f in r.findings)
    for r in reports:
        for f in r.findings:
            if f.kind == "coordinaten" and personal:
                f.risk = "midden"
                f.summary += "; in een tabel met andere persoonsgegevens"
    return reports


def _column_findings(st: ColumnStats) -> list[Finding]:
    out: list[Finding] = []
    n = st.values
    if n == 0:
        return out
    name = st.name

    # BSN: among the values shaped like a BSN, the share passing the 11-proef.
    if st.bsn.count:
        share = st.bsn.count / max(st.bsn_shape, 1)
        hint = hinted(name, "bsn")
        cover = st.bsn_shape / n
        if (share >= 0.9 and cover >= 0.5 and st.bsn.count >= 3) or \
                (hint and share >= 0.5 and st.bsn.count >= 1):
            out.append(_f("bsn", st.bsn, share * cover, st.bsn.count, hint, "hoog",
                          f"{_pct(st.bsn.count, n)} waarden zijn geldige BSN's (11-proef)"))
    if st.iban.count:
        share = st.iban.count / max(st.iban_shape, 1)
        if share >= 0.8 and (st.iban.count >= 3 or hinted(name, "iban")):
            out.append(_f("iban", st.iban, share * st.iban.count / n, st.iban.count,
                          hinted(name, "iban"), "hoog",
                          f"{_pct(st.iban.count, n)} waarden zijn geldige IBAN's (mod-97)"))
    if st.email.count and (st.email.count / n >= 0.3 or st.email.count >= 3):
        out.append(_f("email", st.email, st.email.count / n, st.email.count,
                      hinted(name, "email"), "hoog",
                      f"{_pct(st.email.count, n)} waarden zijn persoonlijke e-mailadressen"))
    elif st.email_role.count and st.email_role.count / n >= 0.3:
        out.append(_f("email_functioneel", st.email_role, st.email_role.count / n,
                      st.email_role.count, hinted(name, "email"), "laag",
                      "functionele e-mailadressen (info@, post@ ...)"))
    if st.phone.count:
        valid = st.phone_valid / max(st.phone_checked, 1)
        share = st.phone.count / n
        if valid >= 0.7 and (share >= 0.3 or st.phone.count >= 3):
            out.append(_f("telefoon", st.phone, share * valid, st.phone.count,
                          hinted(name, "telefoon"), "hoog",
                          f"{_pct(st.phone.count, n)} waarden zijn Nederlandse "
                          "telefoonnummers"))
    if st.address.count and st.address.count / n >= 0.3:
        out.append(_f("adres", st.address, st.address.count / n, st.address.count,
                      hinted(name, "straat") or hinted(name, "postcode"), "hoog",
                      f"{_pct(st.address.count, n)} waarden zijn adressen "
                      "(postcode of straat met huisnummer)"))
    if st.postcode6.count and st.postcode6.count / n >= 0.5:
        out.append(_f("postcode", st.postcode6, st.postcode6.count / n, st.postcode6.count,
                      hinted(name, "postcode"), "midden",
                      f"{_pct(st.postcode6.count, n)} waarden zijn volledige postcodes "
                      "(6 tekens)"))
    if st.kenteken.count and st.kenteken.count / n >= 0.5:
        out.append(_f("kenteken", st.kenteken, st.kenteken.count / n, st.kenteken.count,
                      hinted(name, "kenteken"), "midden",
                      f"{_pct(st.kenteken.count, n)} waarden zijn kentekens (RDW-sidecodes)"))
    f = _birth_dates(st)
    if f:
        out.append(f)
    f = _names(st)
    if f:
        out.append(f)
    if st.lat_precise.count + st.lon_precise.count == 0 and st.coord_pair.count / n >= 0.5:
        out.append(_f("coordinaten", st.coord_pair, st.coord_pair.count / n,
                      st.coord_pair.count, hinted(name, "coordinaten"), "laag",
                      "coördinaten op adresniveau (4 of meer decimalen)"))
    out.extend(_free_text(st))
    return out


def _birth_dates(st: ColumnStats) -> Finding | None:
    k = st.dates.count
    if not k or k / st.values < 0.8 or st.year_min is None or st.year_max is None:
        return None
    hint = hinted(st.name, "geboortedatum")
    mean = st.year_sum / k + 1900
    var = max(st.year_sq / k - (st.year_sum / k) ** 2, 0.0)
    std = math.sqrt(var)
    plausible = st.year_min >= 1890 and st.date_future == 0
    if hint and plausible:
        return _f("geboortedatum", st.dates, k / st.values, k, True, "hoog",
                  f"{_pct(k, st.values)} waarden zijn geboortedatums "
                  f"({st.year_min}-{st.year_max})")
    # Without a name: a spread over generations, like the ages of a population.
    if plausible and st.year_max - st.year_min >= 50 and std >= 12 and 1930 <= mean <= 2010:
        return _f("geboortedatum", st.dates, k / st.values, k, False, "midden",
                  f"datums verspreid over {st.year_max - st.year_min} jaar "
                  f"({st.year_min}-{st.year_max}): mogelijk geboortedatums",
                  confidence=0.5)
    return None


def _names(st: ColumnStats) -> Finding | None:
    if st.alpha == 0:
        return None
    hint = hinted(st.name, "naam")
    distinct = len(st.distinct_names)
    if distinct < 5 and not (hint and distinct >= 1):
        return None
    n = st.values
    threshold = 0.1 if hint else 0.3
    best: tuple[float, str, Hits, str] | None = None
    for share, kind, hits, label in (
        (st.full_names.count / n, "naam", st.full_names, "volledige namen"),
        (st.first_names.count / n, "voornaam", st.first_names, "voornamen"),
        (st.surnames.count / n, "achternaam", st.surnames, "achternamen"),
    ):
        if share >= threshold and (best is None or share > best[0]):
            best = (share, kind, hits, label)
    if best is None:
        # a mix of first names and surnames (e.g. "J. de Vries" and "Anna")
        total = st.full_names.count + st.first_names.count + st.surnames.count
        if total / n >= (0.2 if hint else 0.5):
            merged = Hits(total, (st.full_names.examples + st.surnames.examples +
                                  st.first_names.examples)[:3])
            best = (total / n, "naam", merged, "namen")
        else:
            return None
    share, kind, hits, label = best
    # A list of frequent names matches a share of real names: scale up towards 1.
    conf = _conf(min(1.0, share * 1.6), hits.count, hint)
    return Finding(kind, conf, hits.count, list(hits.examples), "hoog",
                   f"{_pct(hits.count, n)} waarden zijn {label} (Nederlandse naamlijsten)")


def _free_text(st: ColumnStats) -> list[Finding]:
    out: list[Finding] = []
    t = st.text
    if t == 0 or t / st.values < 0.3:
        return out
    lab = "vrije tekst met"
    if st.t_bsn.count and (st.t_bsn.count / max(st.t_bsn_cand, 1) >= 0.5):
        out.append(_f("bsn", st.t_bsn, st.t_bsn.count / t, st.t_bsn.count, False, "hoog",
                      f"{lab} BSN's in {_pct(st.t_bsn.count, t)} teksten"))
    if st.t_iban.count:
        out.append(_f("iban", st.t_iban, st.t_iban.count / t, st.t_iban.count, False, "hoog",
                      f"{lab} IBAN's in {_pct(st.t_iban.count, t)} teksten"))
    for kind, hits, risk, label in (
        ("email", st.t_email, "hoog", "e-mailadressen"),
        ("telefoon", st.t_phone, "hoog", "telefoonnummers"),
        ("adres", st.t_address, "hoog", "adressen (straat en huisnummer)"),
        ("postcode", st.t_postcode, "midden", "postcodes"),
        ("naam", st.t_name, "midden", "namen na een aanhef (mevrouw, dhr. ...)"),
    ):
        if hits.count:
            out.append(_f(kind, hits, hits.count / t, hits.count, False, risk,
                          f"{lab} {label} in {_pct(hits.count, t)} teksten"))
    for f in out:
        f.kind = f"vrije_tekst:{f.kind}"
    return out


def _table_rules(stats: Sequence[ColumnStats], reports: list[ColumnReport], rows: int,
                 threshold: int) -> None:
    kinds = [{f.kind for f in r.findings} for r in reports]
    cols = list(zip(stats, reports, kinds, strict=True))
    # Address: full postcode or a street name, with a house-number column beside it.
    for i, (st, rep, ks) in enumerate(cols):
        if not ("postcode" in ks or (st.street.count and st.street.count / max(st.values, 1)
                                     >= 0.5)):
            continue
        for j in (i + 1, i - 1, i + 2):
            if not 0 <= j < len(cols) or j == i:
                continue
            o = cols[j][0]
            if o.values and o.housenr / o.values >= 0.9 and not hinted(o.name, "aantal") and \
                    (hinted(o.name, "huisnummer") or (o.int_max or 0) < 100000):
                other = stats[j].name
                rep.findings.append(Finding(
                    "adres", 0.9 if hinted(o.name, "huisnummer") else 0.75,
                    min(st.values, o.values), [], "hoog",
                    f"{'postcode' if 'postcode' in ks else 'straat'} met huisnummer in kolom "
                    f"{other}: adresniveau"))
                for f in rep.findings:
                    if f.kind == "postcode":
                        f.risk = "hoog"
                break
    # Coordinates: a precise latitude column with a precise longitude column.
    lat = [(s, r) for s, r, _ in cols if s.values and s.lat_precise.count / s.values >= 0.9]
    lon = [(s, r) for s, r, _ in cols if s.values and s.lon_precise.count / s.values >= 0.9]
    if lat and lon:
        for s, r in lat + lon:
            hits = s.lat_precise if (s, r) in lat else s.lon_precise
            r.findings.append(_f("coordinaten", hits, hits.count / s.values, hits.count,
                                 hinted(s.name, "coordinaten"), "laag",
                                 "coördinaten op adresniveau (4 of meer decimalen, WGS84)"))
    # RD coordinates (metres): an x column next to a y column.
    for i in range(len(cols) - 1):
        a, b = stats[i], stats[i + 1]
        num_a, num_b = a.ints + a.floats, b.ints + b.floats
        if not (a.values and b.values and num_a / a.values >= 0.95 and num_b / b.values >= 0.95):
            continue
        if a.rd_x / a.values >= 0.99 and b.rd_y / b.values >= 0.99 and \
                a.rd_y / a.values < 0.5 and \
                (hinted(a.name, "coordinaten") or hinted(b.name, "coordinaten")):
            for s, r in ((a, reports[i]), (b, reports[i + 1])):
                r.findings.append(Finding("coordinaten", 0.8, s.values, [], "laag",
                                          "RD-coördinaten in meters: adresniveau"))
    # Small cells in aggregated tables.
    region = any(s.values and s.region_codes / s.values >= 0.9 for s in stats)
    years = any(s.values and s.int_years / s.values >= 0.95 and s.ints / s.values >= 0.95
                and (s.int_max or 0) - (s.int_min or 0) < 100 for s in stats)
    text_dims = any(s.values and s.alpha / s.values >= 0.9 for s in stats)
    for st, rep, _ in cols:
        if not st.values or st.ints / st.values < 0.95 or hinted(st.name, "id") or \
                hinted(st.name, "huisnummer"):
            continue
        if st.int_years / st.values >= 0.5:
            continue
        # a running number 1..N is an identifier, not a count
        if (st.int_min or 0) <= 1 and (st.int_max or 0) >= st.values - 1 and st.values >= 20:
            continue
        count_like = hinted(st.name, "aantal") or region or (years and text_dims) or \
            (rows <= 100_000 and text_dims and (st.int_max or 0) < 1_000_000
             and rep.findings == [])
        if not count_like or rep.findings:
            continue
        if st.int_small.count:
            rep.findings.append(Finding(
                "kleine_aantallen", 0.8 if hinted(st.name, "aantal") or region else 0.6,
                st.int_small.count, [], "midden",
                f"{_pct(st.int_small.count, st.values)} aantallen zijn kleiner dan "
                f"{threshold} (kleine celwaarden)"))
