"""Invented Dutch municipal data for tests, benchmarks and demos (never real personal data).

BSNs and IBANs are generated to pass (or, on purpose, to fail) their check digits; names come
from the scanner's own name lists, combined at random.
"""

from __future__ import annotations

import csv
import datetime as _dt
import random

from .names import load_names

BANKS = ["ABNA", "INGB", "RABO", "SNSB", "TRIO", "ASNB", "KNAB", "BUNQ"]
STREETS = ["Kerkstraat", "Dorpsstraat", "Stationsweg", "Molenlaan", "Schoolstraat",
           "Marktplein", "Julianalaan", "Beatrixstraat", "Wilhelminapark", "Nieuwe Gracht",
           "Havenkade", "Dijkweg", "Lindenlaan", "Eikenhof", "Zuidsingel"]
CATEGORIES = ["Afval", "Straatverlichting", "Groen", "Verkeer", "Riolering", "Speelplaats",
              "Overlast", "Parkeren", "Bestrating", "Zwerfvuil"]
TUSSEN = ["", "", "", "de ", "van ", "van der ", "van den ", "ter "]
WIJKEN = ["Centrum", "Noord", "Oost", "Zuid", "West", "Binnenstad", "Buitenwijk", "Haven"]
_L = "BDFGHJKLNPRSTVXZ"


def bsn(rng: random.Random, valid: bool = True) -> str:
    while True:
        digits = [rng.randint(0, 9) for _ in range(8)]
        if digits[0] == 0:
            digits[0] = rng.randint(1, 9)
        s = sum(d * w for d, w in zip(digits, range(9, 1, -1), strict=True))
        last = s % 11
        if valid:
            if last <= 9:
                return "".join(map(str, digits)) + str(last)
        else:
            bad = [d for d in range(10) if (s - d) % 11 != 0]
            return "".join(map(str, digits)) + str(rng.choice(bad))


def iban(rng: random.Random, valid: bool = True) -> str:
    bank = rng.choice(BANKS)
    acct = "".join(str(rng.randint(0, 9)) for _ in range(10))
    num = "".join(str(int(c, 36)) for c in bank + acct + "NL00")
    check = 98 - int(num) % 97
    if not valid:
        check = (check + rng.randint(1, 90)) % 97 or 2
    return f"NL{check:02d}{bank}{acct}"


def iban_spaced(value: str) -> str:
    return " ".join(value[i:i + 4] for i in range(0, len(value), 4))


def phone(rng: random.Random) -> str:
    kind = rng.randrange(6)
    if kind in (0, 1):
        rest = "".join(str(rng.randint(0, 9)) for _ in range(8))
        return ["06" + rest, "06-" + rest, "+31 6 " + rest, "+316" + rest][rng.randrange(4)]
    area = rng.choice(["010", "020", "030", "040", "050", "070", "0111", "0115", "0513"])
    rest = "".join(str(rng.randint(0, 9)) for _ in range(10 - len(area)))
    return [area + "-" + rest, area + " " + rest, "+31 " + area[1:] + " " + rest,
            "+31(0)" + area[1:] + "-" + rest][rng.randrange(4)]


SIDECODES = ["LL-DD-DD", "DD-DD-LL", "DD-LL-DD", "LL-DD-LL", "LL-LL-DD", "DD-LL-LL",
             "DD-LLL-D", "D-LLL-DD", "LL-DDD-L", "L-DDD-LL", "LLL-DD-L", "L-DD-LLL",
             "D-LL-DDD", "DDD-LL-D"]


def kenteken(rng: random.Random, sidecode: int | None = None, dashes: bool = True) -> str:
    code = SIDECODES[(sidecode or rng.randint(1, 14)) - 1]
    out = "".join(rng.choice(_L) if c == "L" else str(rng.randint(0, 9)) if c == "D" else c
                  for c in code)
    return out if dashes else out.replace("-", "")


def postcode(rng: random.Random, space: bool | None = None) -> str:
    letters = rng.choice(_L + "ACEMUWY") + rng.choice(_L + "AEU")
    if letters[0] == "S" and letters[1] in "ADS":
        letters = "SB"
    sp = rng.random() < 0.5 if space is None else space
    return f"{rng.randint(1000, 9999)}{' ' if sp else ''}{letters}"


def housenumber(rng: random.Random) -> str:
    n = str(rng.randint(1, 250))
    r = rng.random()
    return n + ("" if r < 0.8 else rng.choice(["a", "b", "-1", " bis", "A"]))


def first_name(rng: random.Random) -> str:
    return rng.choice(_FIRST).capitalize()


def surname(rng: random.Random) -> str:
    s = rng.choice(_SUR)
    return rng.choice(TUSSEN) + s.capitalize()


def full_name(rng: random.Random) -> str:
    return f"{first_name(rng)} {surname(rng)}"


def birth_date(rng: random.Random, nl: bool = False) -> str:
    d = _dt.date(1935, 1, 1) + _dt.timedelta(days=rng.randint(0, 365 * 85))
    return d.strftime("%d-%m-%Y") if nl else d.isoformat()


def event_date(rng: random.Random) -> str:
    d = _dt.date(2021, 1, 1) + _dt.timedelta(days=rng.randint(0, 365 * 4))
    return d.isoformat()


def coordinate(rng: random.Random, decimals: int = 6) -> tuple[str, str]:
    lat = 52.0 + rng.random() * 0.2
    lon = 5.0 + rng.random() * 0.3
    return f"{lat:.{decimals}f}", f"{lon:.{decimals}f}"


def order_number(rng: random.Random) -> str:
    """A 9-digit number that fails the 11-proef (an order number, not a BSN)."""
    return bsn(rng, valid=False)


def product_code(rng: random.Random) -> str:
    return rng.choice([
        f"PRD-{rng.randint(0, 99999):05d}", f"ART{rng.randint(10000, 99999)}",
        f"SKU {rng.randint(1000, 9999)}-{rng.choice('ABCEXY')}",
        f"{rng.randint(100, 999)}-{rng.choice(['AE', 'OU', 'IA'])}-{rng.randint(1, 9)}"])


def free_text(rng: random.Random, personal: bool) -> str:
    base = rng.choice([
        "Melding over een kapotte lantaarnpaal bij de speeltuin, graag snel oplossen",
        "Container is vol en er ligt afval naast, dit is al de derde keer deze maand",
        "Boomwortels drukken de stoeptegels omhoog, gevaarlijk voor ouderen met rollator",
        "Veel overlast van hangjongeren in het park na tien uur 's avonds",
    ])
    if not personal:
        return base
    extra = rng.choice([
        f"; melder bereikbaar op {phone(rng)}",
        f"; mail naar {email(rng)}",
        f"; woont op {rng.choice(STREETS)} {housenumber(rng)}",
        f"; contact met mevrouw {surname(rng)} opgenomen",
    ])
    return base + extra


def email(rng: random.Random) -> str:
    import unicodedata

    dom = rng.choice(["example.nl", "voorbeeld.nl", "mail.example.com", "provider.test"])
    local = f"{first_name(rng).lower()}.{rng.choice(_SUR).replace(' ', '')}"
    return unicodedata.normalize("NFKD", local).encode("ascii", "ignore").decode() + "@" + dom


_names = load_names()
_FIRST = sorted(_names.first)
_SUR = sorted(_names.surnames)

# --- the benchmark's municipal table -------------------------------------------------------
MUNICIPAL_COLUMNS = ["c01", "c02", "c03", "c04", "c05", "c06", "c07", "c08", "c09", "c10",
                     "c11", "c12"]


def municipal_row(rng: random.Random, i: int) -> list[str]:
    """One row of an invented 'meldingen openbare ruimte' export with neutral column names:
    id, BSN, date, category, postcode, house number, e-mail (sometimes), remark (free text,
    sometimes with personal data), amount, order number, latitude, longitude."""
    lat, lon = coordinate(rng, 5)
    return [str(i), bsn(rng), event_date(rng), rng.choice(CATEGORIES), postcode(rng),
            housenumber(rng), email(rng) if rng.random() < 0.3 else "",
            free_text(rng, rng.random() < 0.2), f"{rng.randint(0, 5000)},{rng.randint(0, 99):02d}",
            order_number(rng), lat, lon]


def write_municipal_csv(path: str, target_bytes: int, seed: int = 17, delimiter: str = ";"
                        ) -> int:
    """Write rows until the file has about ``target_bytes``; returns the number of rows."""
    rng = random.Random(seed)
    # Pre-generate a pool of rows and cycle through it with fresh ids: fast for 1 GB.
    pool = [municipal_row(rng, 0) for _ in range(20_000)]
    rows = 0
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, delimiter=delimiter)
        w.writerow(MUNICIPAL_COLUMNS)
        written = 0
        while written < target_bytes:
            chunk = []
            for _ in range(10_000):
                r = pool[rows % len(pool)]
                rows += 1
                chunk.append([str(rows)] + r[1:])
            buf = _rows_text(chunk, delimiter)
            f.write(buf)
            written += len(buf.encode("utf-8"))
    return rows


def _rows_text(rows: list[list[str]], delimiter: str) -> str:
    import io

    s = io.StringIO()
    csv.writer(s, delimiter=delimiter).writerows(rows)
    return s.getvalue()
