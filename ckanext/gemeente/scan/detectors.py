"""Vectorised detectors: one :class:`ColumnStats` per column collects, batch by batch, how many
values have the shape and the check digits of each kind of personal data.

Everything runs as pyarrow compute kernels (RE2 regular expressions, integer arithmetic for
the check digits) on Arrow string arrays, so a batch of a million values costs a few dozen
kernel calls and no Python loop over the values. Cheap length gates decide which values a
detector looks at at all. Raw values never leave this module: only counts and masked
examples (:func:`.report.mask`) do. Judging a column from its counts is :mod:`.judge`.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from .names import NameLists
from .report import mask

MAX_EXAMPLES = 3
PHONE_SAMPLE_PER_BATCH = 20
PROBE_ROWS = 1024

# --- regular expressions (RE2 syntax) -------------------------------------------------------
BSN_SHAPE = r"^(?:\d{8,9}|\d{4}[. ]\d{2}[. ]\d{3}|\d{3}[. ]\d{3}[. ]\d{3})$"
PHONE_SHAPE = r"^(?:\+31|0031|0)(?:\s*\(0\))?[\s.-]?[1-9](?:[\s.-]?\d){8}$"
IBAN_SHAPE = r"^[A-Za-z]{2}\d{2}(?:\s?[A-Za-z0-9]){11,30}$"
EMAIL_SHAPE = r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$"
EMAIL_ROLE = (r"^(?i:info|post|contact|servicedesk|helpdesk|noreply|no-reply|admin|"
              r"secretariaat|klantcontact|gemeente|mail|support|office|receptie|balie|"
              r"webmaster|privacy|communicatie|pers|vragen|team|opendata|data)@")
# Dutch postcodes: 1000-9999 + two letters, never SA, SD or SS.
POSTCODE6 = r"^[1-9]\d{3} ?(?:[A-RT-Za-rt-z][A-Za-z]|[Ss][BCE-RT-Zbce-rt-z])$"
POSTCODE_NUMBER = r"^[1-9]\d{3} ?[A-Za-z]{2}[\s,-]+\d{1,5}(?:\s?[A-Za-z]{1,2}|-\d{1,4})?\b"
STREET_SUFFIX = (r"(?:straat|weg|laan|plein|gracht|kade|dijk|singel|hof|pad|steeg|dreef|"
                 r"park|markt|baan|wal|burg|erf|veld|ring|allee|boulevard|dam|haven|"
                 r"straatje|hoven|plantsoen|oord|kwartier|donk|akker|zijde|wijk)")
STREET_NUMBER = (r"(?i)\b[a-z\x{00C0}-\x{017F}'.-]{2,}" + STREET_SUFFIX +
                 r"\s+\d{1,5}(?:\s?[a-z]{1,2}\b|-\d{1,4})?")
STREET_ONLY = r"(?i)^[a-z\x{00C0}-\x{017F}'. -]{2,}" + STREET_SUFFIX + r"$"
HOUSENR = r"^\d{1,5}(?:\s?-?\s?[A-Za-z]{1,3}|-\d{1,4}|\s?(?:bis|hs|[IVX]{1,3}))?$"
# Kentekens: the 14 RDW side codes, letters without vowels (and without C, Q).
_L, _D = "[BDFGHJKLMNPRSTVWXZ]", r"\d"
_SIDECODES = ["LL-DD-DD", "DD-DD-LL", "DD-LL-DD", "LL-DD-LL", "LL-LL-DD", "DD-LL-LL",
              "DD-LLL-D", "D-LLL-DD", "LL-DDD-L", "L-DDD-LL", "LLL-DD-L", "L-DD-LLL",
              "D-LL-DDD", "DDD-LL-D"]


def _sidecode_re(code: str, dash: bool) -> str:
    parts = ["".join({"L": _L, "D": _D}[ch] for ch in part) for part in code.split("-")]
    return ("-" if dash else "").join(parts)


KENTEKEN = "^(?:" + "|".join(
    [_sidecode_re(c, True) for c in _SIDECODES] + [_sidecode_re(c, False) for c in _SIDECODES]
) + ")$"
DATE_ISO = r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$"
DATE_NL = r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$"
FLOAT = r"^-?\d{1,3}[.,]\d+$"
FLOAT_PRECISE = r"[.,]\d{4,}$"
COORD_PAIR = (r"^(?i:POINT\s*\()?\s*(-?\d{1,3}\.\d{4,})\s*[ ,;]\s*(-?\d{1,3}\.\d{4,})\s*\)?$")
REGION_CODE = r"^(?:GM|WK|BU|PV|CR|LD|RE|GG|JZ|GGD)\d{2,8}$"
NAME_SHAPE = r"^[A-Za-z\x{00C0}-\x{017F}][A-Za-z\x{00C0}-\x{017F}'. ,-]{1,59}$"
FIRST_TOKEN = r"^(?P<t>[a-z\x{00E0}-\x{017F}'-]+)"
LAST_TOKEN = r"(?P<t>[a-z\x{00E0}-\x{017F}'-]+)[\s.,]*$"
# Free text (unanchored).
T_EMAIL = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+\.[A-Za-z]{2,}"
T_PHONE = r"(?:\+31|\b0)(?:\s*\(0\))?[\s.-]?[1-9](?:[\s.-]?\d){8}\b"
T_BSN = r"(?:^|[^\d.])(?P<t>\d{9}|\d{4}\.\d{2}\.\d{3})(?:$|[^\d.])"
T_IBAN = r"\b(?P<t>[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?)\b"
T_POSTCODE = r"\b[1-9]\d{3} ?(?:[A-RT-Z][A-Z]|S[BCE-RT-Z])\b"
T_ANY = (r"@|\d[\d .-]{7,}\d|\b[1-9]\d{3} ?[A-Z]{2}\b|"
         r"(?i:mevr|meneer|dhr|mw\.|heer|mr\.|dr\.)|(?i:" + STREET_SUFFIX[3:-1] + r")\s+\d")
T_SALUTATION = (r"\b(?:mevrouw|mevr\.|meneer|dhr\.|mw\.|de heer|mr\.|dr\.)\s+(?:[A-Z]\.\s*)*"
                r"(?:(?:van|de|der|den|ter|ten)\s+)*[A-Z][a-z]")


def _count(mask_arr: pa.Array) -> int:
    v = pc.sum(mask_arr).as_py()
    return int(v or 0)


def _filter(arr: pa.Array, m: pa.Array) -> pa.Array:
    return pc.filter(arr, m)


def _mod(x: pa.Array, n: int) -> pa.Array:
    return pc.subtract(x, pc.multiply(pc.divide(x, n), n))


def elevenproef(digits: pa.Array) -> pa.Array:
    """Boolean array: which 8-9 digit strings pass the BSN 11-proef (weights 9..2, -1).

    The digits are read with integer arithmetic on the int64 value (no per-digit string
    slicing): digit i of the 9 is ``(n // 10**(8-i)) % 10``. An all-zero number fails.
    """
    n = pc.cast(digits, pa.int64())
    total = pc.multiply(_mod(n, 10), -1)          # last digit, weight -1
    q = pc.divide(n, 10)
    for w in range(2, 10):                          # then weights 2..9 from the right
        total = pc.add(total, pc.multiply(_mod(q, 10), w))
        q = pc.divide(q, 10)
    return pc.and_(pc.equal(_mod(total, 11), 0), pc.greater(n, 0))


_LETTER_VALUES = [(chr(c), str(c - 55)) for c in range(ord("A"), ord("Z") + 1)]


def iban_mod97(ibans: pa.Array) -> pa.Array:
    """Boolean array: which (upper-case, space-free) IBANs pass ISO 13616 mod-97.

    The four first characters go to the end, letters become 10..35, the digit string is
    left-padded with zeros (which keeps its value) to 72 digits and reduced nine digits at a
    time: ``r = (r * 10**9 + chunk) % 97``, all in int64.
    """
    s = pc.binary_join_element_wise(pc.utf8_slice_codeunits(ibans, 4, 40),
                                    pc.utf8_slice_codeunits(ibans, 0, 4), "")
    for letter, value in _LETTER_VALUES:
        s = pc.replace_substring(s, letter, value)
    s = pc.utf8_lpad(s, 72, "0")
    r = None
    for i in range(0, 72, 9):
        chunk = pc.cast(pc.utf8_slice_codeunits(s, i, i + 9), pa.int64())
        r = chunk if r is None else pc.add(pc.multiply(r, 1_000_000_000), chunk)
        r = _mod(r, 97)
    assert r is not None
    return pc.equal(r, 1)


@dataclass
class Hits:
    """A count of matching values plus at most three masked examples."""

    count: int = 0
    examples: list[str] = field(default_factory=list)

    def add(self, matched: pa.Array | None, n: int | None = None) -> None:
        if matched is None:
            return
        k = len(matched) if n is None else n
        if k <= 0:
            return
        self.count += k
        if len(self.examples) < MAX_EXAMPLES:
            for v in matched.slice(0, MAX_EXAMPLES * 4).to_pylist():
                if v is None:
                    continue
                m = mask(v)
                if m not in self.examples:
                    self.examples.append(m)
                if len(self.examples) >= MAX_EXAMPLES:
                    break


@dataclass
class ColumnStats:
    """What the detectors saw in one column so far (counts only)."""

    name: str
    index: int
    values: int = 0
    bsn_shape: int = 0
    bsn: Hits = field(default_factory=Hits)
    phone: Hits = field(default_factory=Hits)
    phone_checked: int = 0
    phone_valid: int = 0
    iban_shape: int = 0
    iban: Hits = field(default_factory=Hits)
    email: Hits = field(default_factory=Hits)
    email_role: Hits = field(default_factory=Hits)
    postcode6: Hits = field(default_factory=Hits)
    address: Hits = field(default_factory=Hits)
    street: Hits = field(default_factory=Hits)
    housenr: int = 0
    kenteken: Hits = field(default_factory=Hits)
    dates: Hits = field(default_factory=Hits)
    date_future: int = 0
    year_min: int | None = None
    year_max: int | None = None
    year_sum: int = 0
    year_sq: int = 0
    floats: int = 0
    lat_precise: Hits = field(default_factory=Hits)
    lon_precise: Hits = field(default_factory=Hits)
    coord_pair: Hits = field(default_factory=Hits)
    ints: int = 0
    int_min: int | None = None
    int_max: int | None = None
    int_small: Hits = field(default_factory=Hits)
    int_years: int = 0
    rd_x: int = 0
    rd_y: int = 0
    region_codes: int = 0
    alpha: int = 0
    first_names: Hits = field(default_factory=Hits)
    surnames: Hits = field(default_factory=Hits)
    full_names: Hits = field(default_factory=Hits)
    single_token: int = 0
    distinct_names: set[str] = field(default_factory=set)
    text: int = 0
    t_email: Hits = field(default_factory=Hits)
    t_phone: Hits = field(default_factory=Hits)
    t_bsn_cand: int = 0
    t_bsn: Hits = field(default_factory=Hits)
    t_iban: Hits = field(default_factory=Hits)
    t_postcode: Hits = field(default_factory=Hits)
    t_address: Hits = field(default_factory=Hits)
    t_name: Hits = field(default_factory=Hits)

    def as_counts(self) -> dict[str, Any]:
        """Plain counts (for debugging and tests); never values."""
        out: dict[str, Any] = {}
        for k, v in self.__dict__.items():
            if isinstance(v, Hits):
                out[k] = v.count
            elif isinstance(v, (int, float)) or v is None:
                out[k] = v
        return out


class Detectors:
    """Runs every detector over Arrow string arrays; holds the name lists and settings."""

    def __init__(self, names: NameLists, small_cell_threshold: int = 5,
                 today: _dt.date | None = None) -> None:
        self.names = names
        self.threshold = small_cell_threshold
        self.today = today or _dt.date.today()
        self._first = pa.array(sorted(names.first), pa.string())
        self._sur = pa.array(sorted(names.surnames), pa.string())

    # The one entry point: feed a batch of one column.
    def observe(self, st: ColumnStats, arr: pa.Array) -> None:
        """Add one batch of a column to ``st``.

        A probe runs every detector on a sample of the batch (the first
        :data:`PROBE_ROWS` values); the whole batch then goes only through the detectors
        whose shape occurred in the probe. The judging rules need a large share of a
        column, which a sample of a thousand values always shows; e-mail (an ``@``), free
        text and integers are always looked at in full.
        """
        if arr.type != pa.string():
            arr = pc.cast(arr, pa.string())
        if arr.null_count:
            arr = pc.drop_null(arr)
        a = pc.ascii_trim_whitespace(arr)
        if len(a) <= 2 * PROBE_ROWS:
            self._run(st, a, None)
            return
        probe = ColumnStats(st.name, st.index)
        self._run(probe, a.slice(0, PROBE_ROWS), None)
        want = {"ints", "email", "text"}
        for key, hit in (
            ("bsn", probe.bsn_shape), ("phone", probe.phone.count),
            ("iban", probe.iban_shape), ("postcode6", probe.postcode6.count),
            ("kenteken", probe.kenteken.count), ("dates", probe.dates.count),
            ("housenr", probe.housenr), ("floats", probe.floats),
            ("region", probe.region_codes), ("address", probe.address.count),
            ("coord_pair", probe.coord_pair.count), ("street", probe.street.count),
            ("names", len(probe.distinct_names) >= 2),
        ):
            if hit:
                want.add(key)
        self._run(st, a, want)

    def _run(self, st: ColumnStats, a: pa.Array, want: set[str] | None) -> None:
        ln = pc.binary_length(a)
        nonempty = pc.greater(ln, 0)
        n = _count(nonempty)
        if n == 0:
            return
        st.values += n
        lmin, lmax = (x.as_py() for x in pc.min_max(pc.filter(ln, nonempty)).values())

        def on(key: str) -> bool:
            return want is None or key in want

        def gate(lo: int, hi: int) -> pa.Array | None:
            if lmax < lo or lmin > hi:
                return None
            if lmin >= lo and lmax <= hi:
                return a
            m = pc.and_(pc.greater_equal(ln, lo), pc.less_equal(ln, hi))
            return pc.filter(a, m) if _count(m) else None

        if on("bsn") and (c := gate(8, 13)) is not None:
            self._bsn(st, c)
        if on("phone") and (c := gate(10, 20)) is not None:
            self._phone(st, c)
        if on("iban") and (c := gate(15, 42)) is not None:
            self._iban(st, c)
        if lmax >= 5:
            m = pc.match_substring_regex(a, "@")
            if _count(m):
                self._email(st, pc.filter(a, m))
        if (on("postcode6") or on("kenteken")) and (c := gate(6, 8)) is not None:
            pc6 = pc.match_substring_regex(c, POSTCODE6)
            if on("postcode6") and _count(pc6):
                st.postcode6.add(pc.filter(c, pc6))
            if on("kenteken"):
                # "1234BD" is a postcode before it is a side-code-2 plate without dashes
                k = pc.and_(pc.match_substring_regex(pc.ascii_upper(c), KENTEKEN),
                            pc.invert(pc6))
                if _count(k):
                    st.kenteken.add(pc.filter(c, k))
        if on("dates") and (c := gate(8, 30)) is not None:
            self._dates(st, c)
        if (c := gate(1, 9)) is not None:
            self._ints(st, c)
            if on("housenr"):
                st.housenr += _count(pc.match_substring_regex(c, HOUSENR))
        if (on("floats") or on("region")) and (c := gate(4, 20)) is not None:
            if on("floats"):
                self._floats(st, c)
            if on("region"):
                st.region_codes += _count(pc.match_substring_regex(c, REGION_CODE))
        if (on("address") or on("coord_pair")) and (c := gate(8, 120)) is not None:
            if on("address"):
                st.address.add(_matches(c, POSTCODE_NUMBER))
                st.address.add(_matches(c, STREET_NUMBER))
            if on("coord_pair"):
                st.coord_pair.add(self._coord_pairs(c))
        if on("street") and (c := gate(4, 60)) is not None:
            st.street.add(_matches(c, STREET_ONLY))
        if on("names") and (c := gate(2, 60)) is not None:
            self._names(st, c)
        if lmax >= 20:
            m = pc.and_(pc.greater_equal(ln, 20), pc.match_substring_regex(a, " "))
            if _count(m):
                self._free_text(st, pc.filter(a, m))

    # --- the detectors ---------------------------------------------------------------------
    def _bsn(self, st: ColumnStats, c: pa.Array) -> None:
        # Plain 8-9 digit values need no regular expression; the dotted forms do.
        ln = pc.binary_length(c)
        isdig = pc.utf8_is_digit(c)
        plain = pc.and_(isdig, pc.less_equal(ln, 9))
        k = _count(plain)
        if k:
            cand = c if k == len(c) else pc.filter(c, plain)
            st.bsn_shape += k
            st.bsn.add(pc.filter(cand, elevenproef(pc.utf8_lpad(cand, 9, "0"))))
        if k == len(c):
            return
        rest = pc.filter(c, pc.invert(isdig))
        m = pc.match_substring_regex(rest, BSN_SHAPE)
        k = _count(m)
        if not k:
            return
        cand = pc.filter(rest, m)
        st.bsn_shape += k
        digits = pc.utf8_lpad(pc.replace_substring_regex(cand, r"[ .]", ""), 9, "0")
        st.bsn.add(pc.filter(cand, elevenproef(digits)))

    def _phone(self, st: ColumnStats, c: pa.Array) -> None:
        hits = _matches(c, PHONE_SHAPE)
        if hits is None:
            return
        st.phone.add(hits)
        import phonenumbers

        for v in hits.slice(0, PHONE_SAMPLE_PER_BATCH).to_pylist():
            st.phone_checked += 1
            try:
                num = phonenumbers.parse(v, "NL")
                if phonenumbers.is_valid_number(num):
                    st.phone_valid += 1
            except phonenumbers.NumberParseException:
                pass

    def _iban(self, st: ColumnStats, c: pa.Array) -> None:
        cand = _matches(c, IBAN_SHAPE)
        if cand is None:
            return
        st.iban_shape += len(cand)
        norm = pc.utf8_upper(pc.replace_substring(cand, " ", ""))
        ok = iban_mod97(norm)
        st.iban.add(pc.filter(cand, ok))

    def _email(self, st: ColumnStats, c: pa.Array) -> None:
        hits = _matches(c, EMAIL_SHAPE)
        if hits is None:
            return
        role = pc.match_substring_regex(hits, EMAIL_ROLE)
        st.email_role.add(pc.filter(hits, role))
        st.email.add(pc.filter(hits, pc.invert(role)))

    def _dates(self, st: ColumnStats, c: pa.Array) -> None:
        for pattern, yi, mi, di in ((DATE_ISO, 0, 1, 2), (DATE_NL, 2, 1, 0)):
            m = pc.match_substring_regex(c, pattern)
            if not _count(m):
                continue
            cand = pc.filter(c, m)
            parts = pc.extract_regex(cand, _named(pattern))
            y = pc.cast(pc.struct_field(parts, [yi]), pa.int64())
            mo = pc.cast(pc.struct_field(parts, [mi]), pa.int64())
            d = pc.cast(pc.struct_field(parts, [di]), pa.int64())
            ok = pc.and_(pc.and_(pc.greater_equal(mo, 1), pc.less_equal(mo, 12)),
                         pc.and_(pc.greater_equal(d, 1), pc.less_equal(d, 31)))
            ok = pc.and_(ok, pc.and_(pc.greater_equal(y, 1800), pc.less_equal(y, 2200)))
            k = _count(ok)
            if not k:
                continue
            st.dates.add(pc.filter(cand, ok), k)
            y = pc.filter(y, ok)
            ymin, ymax = (x.as_py() for x in pc.min_max(y).values())
            st.year_min = ymin if st.year_min is None else min(st.year_min, ymin)
            st.year_max = ymax if st.year_max is None else max(st.year_max, ymax)
            yo = pc.subtract(y, 1900)
            st.year_sum += int(pc.sum(yo).as_py() or 0)
            st.year_sq += int(pc.sum(pc.multiply(yo, yo)).as_py() or 0)
            st.date_future += _count(pc.greater(y, self.today.year))

    def _ints(self, st: ColumnStats, c: pa.Array) -> None:
        m = pc.utf8_is_digit(c)
        k = _count(m)
        if not k:
            return
        st.ints += k
        v = pc.cast(c if k == len(c) else pc.filter(c, m), pa.int64())
        vmin, vmax = (x.as_py() for x in pc.min_max(v).values())
        st.int_min = vmin if st.int_min is None else min(st.int_min, vmin)
        st.int_max = vmax if st.int_max is None else max(st.int_max, vmax)

        def between(lo: int, hi: int) -> int:
            # ranges the batch cannot reach cost no kernel
            if vmax < lo or vmin > hi:
                return 0
            if vmin >= lo and vmax <= hi:
                return len(v)
            return _count(pc.and_(pc.greater_equal(v, lo), pc.less_equal(v, hi)))

        st.int_small.count += between(1, self.threshold - 1)
        st.int_years += between(1900, 2100)
        st.rd_x += between(7000, 300000)
        st.rd_y += between(289000, 629000)

    def _floats(self, st: ColumnStats, c: pa.Array) -> None:
        m = pc.match_substring_regex(c, FLOAT)
        k = _count(m)
        if not k:
            return
        st.floats += k
        cand = pc.filter(c, m)
        precise = pc.match_substring_regex(cand, FLOAT_PRECISE)
        v = pc.cast(pc.replace_substring(cand, ",", "."), pa.float64())
        lat = pc.and_(precise, pc.and_(pc.greater_equal(v, 50.7), pc.less_equal(v, 53.7)))
        lon = pc.and_(precise, pc.and_(pc.greater_equal(v, 3.2), pc.less_equal(v, 7.3)))
        st.lat_precise.add(pc.filter(cand, lat))
        st.lon_precise.add(pc.filter(cand, lon))
        # RD coordinates with decimals
        st.rd_x += _count(pc.and_(pc.greater_equal(v, 7000), pc.less_equal(v, 300000)))
        st.rd_y += _count(pc.and_(pc.greater_equal(v, 289000), pc.less_equal(v, 629000)))

    def _coord_pairs(self, c: pa.Array) -> pa.Array | None:
        m = pc.match_substring_regex(c, COORD_PAIR)
        if not _count(m):
            return None
        cand = pc.filter(c, m)
        parts = pc.extract_regex(cand, r"(?P<a>-?\d{1,3}\.\d{4,})\s*[ ,;]\s*(?P<b>-?\d{1,3}\.\d+)")
        a = pc.cast(pc.struct_field(parts, [0]), pa.float64())
        b = pc.cast(pc.struct_field(parts, [1]), pa.float64())

        def inside(lat: pa.Array, lon: pa.Array) -> pa.Array:
            return pc.and_(pc.and_(pc.greater_equal(lat, 50.7), pc.less_equal(lat, 53.7)),
                           pc.and_(pc.greater_equal(lon, 3.2), pc.less_equal(lon, 7.3)))

        ok = pc.or_(inside(a, b), inside(b, a))
        return pc.filter(cand, ok)

    def _names(self, st: ColumnStats, c: pa.Array) -> None:
        m = pc.match_substring_regex(c, NAME_SHAPE)
        k = _count(m)
        if not k:
            return
        st.alpha += k
        low = pc.utf8_lower(pc.filter(c, m))
        orig = pc.filter(c, m)
        first = pc.struct_field(pc.extract_regex(low, FIRST_TOKEN), [0])
        last = pc.struct_field(pc.extract_regex(low, LAST_TOKEN), [0])
        single = pc.equal(first, low)
        st.single_token += _count(single)
        f_first = pc.fill_null(pc.is_in(first, value_set=self._first), False)
        l_sur = pc.fill_null(pc.is_in(last, value_set=self._sur), False)
        f_sur = pc.fill_null(pc.is_in(first, value_set=self._sur), False)
        full = pc.and_(pc.and_(f_first, l_sur), pc.invert(single))
        st.full_names.add(pc.filter(orig, full))
        st.first_names.add(pc.filter(orig, pc.and_(single, f_first)))
        sur = pc.or_(pc.and_(l_sur, pc.invert(full)), pc.and_(f_sur, pc.invert(f_first)))
        st.surnames.add(pc.filter(orig, sur))
        if len(st.distinct_names) < 50:
            matched = pc.filter(low, pc.or_(pc.or_(full, f_first), sur))
            for v in pc.unique(matched.slice(0, 5000)).to_pylist()[:50]:
                # only a one-way digest of the value is kept, to count distinct names
                st.distinct_names.add(str(hash(v)))

    def _free_text(self, st: ColumnStats, t: pa.Array) -> None:
        st.text += len(t)
        # One pass of a combined pattern picks the texts worth the individual patterns; those
        # are split once more so that each pattern only sees texts it can match.
        m = pc.match_substring_regex(t, T_ANY)
        if not _count(m):
            return
        t = pc.filter(t, m)
        at = pc.match_substring_regex(t, "@")
        if _count(at):
            st.t_email.add(_extract(pc.filter(t, at), T_EMAIL))
        st.t_name.add(_extract(t, T_SALUTATION))
        dig = pc.match_substring_regex(t, r"\d")
        if not _count(dig):
            return
        t = pc.filter(t, dig)
        st.t_phone.add(_extract(t, T_PHONE))
        st.t_postcode.add(_extract(t, T_POSTCODE))
        st.t_address.add(_extract(t, STREET_NUMBER))
        m = pc.match_substring_regex(t, T_BSN)
        if _count(m):
            cand = pc.filter(t, m)
            st.t_bsn_cand += len(cand)
            d = pc.struct_field(pc.extract_regex(cand, T_BSN), [0])
            ok = elevenproef(pc.replace_substring(d, ".", ""))
            st.t_bsn.add(pc.filter(d, ok))
        m = pc.match_substring_regex(t, T_IBAN)
        if _count(m):
            cand = pc.filter(t, m)
            d = pc.struct_field(pc.extract_regex(cand, T_IBAN), [0])
            d = pc.replace_substring(d, " ", "")
            ok = iban_mod97(d)
            st.t_iban.add(pc.filter(d, ok))


def _extract(arr: pa.Array, pattern: str) -> pa.Array | None:
    """The first match of ``pattern`` in each value that has one (for masked examples)."""
    m = pc.match_substring_regex(arr, pattern)
    if not _count(m):
        return None
    flags = ""
    if pattern.startswith("(?i)"):
        flags, pattern = "(?i)", pattern[4:]
    return pc.struct_field(pc.extract_regex(pc.filter(arr, m), f"{flags}(?P<m>{pattern})"), [0])


def _matches(arr: pa.Array, pattern: str) -> pa.Array | None:
    m = pc.match_substring_regex(arr, pattern)
    return pc.filter(arr, m) if _count(m) else None


def _named(pattern: str) -> str:
    """Give the anonymous groups of ``pattern`` names (extract_regex needs named groups)."""
    out, i, n = [], 0, 0
    while i < len(pattern):
        if pattern[i] == "\\":
            out.append(pattern[i:i + 2])
            i += 2
            continue
        if pattern[i] == "(" and not pattern.startswith("(?", i):
            out.append(f"(?P<g{n}>")
            n += 1
        else:
            out.append(pattern[i])
        i += 1
    return "".join(out)
