"""Vectorised detectors: one :class:`ColumnStats` per column collects, batch by batch, how many
values have the shape and the check digits of each kind of personal data.

Everything runs as pyarrow compute kernels (RE2 regular expressions, arithmetic for the
check digits) on Arrow string arrays, so a batch of a million values costs a few dozen
kernel calls and no Python loop over the values. Cheap length gates decide which values a
detector looks at at all. Raw values never leave this module: only counts and masked
examples (:func:`.report.mask`) do. Judging a column from its counts is :mod:`.judge`.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence, Set
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from .names import NameLists
from .report import mask

MAX_EXAMPLES = 3
PHONE_SAMPLE_PER_BATCH = 20
PROBE_ROWS = 1024
PROBE_STABLE = 3      # probes in a row with the same answer before probing is thinned out
PROBE_EVERY = 4       # then one batch (of DETECT_BYTES in the core) in this many is probed
# A batch is scanned as its distinct values when the probe has at most this share of
# distinct values and the whole batch at most DICT_SHARE.
DICT_PROBE_SHARE = 0.9
DICT_SHARE = 0.5

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


class _Vals:
    """Values of one column batch, each standing for ``w[i]`` rows (``w`` None: one row each).

    A column with few distinct values is scanned as its distinct values with their
    multiplicities (:meth:`Detectors.observe`); every count below is a count of rows, so
    the result is the same as scanning the rows one by one.
    """

    __slots__ = ("_digits", "_numbers", "a", "w")

    def __init__(self, a: pa.Array, w: pa.Array | None = None) -> None:
        self.a = a
        self.w = w
        self._digits: pa.Array | None = None
        self._numbers: pa.Array | None = None

    def isdigit(self) -> pa.Array:
        """Which values are all digits (computed once: BSN and integer passes share it)."""
        if self._digits is None:
            self._digits = pc.utf8_is_digit(self.a)
        return self._digits

    def numbers(self) -> pa.Array:
        """The values as int64 (only for values that are all digits; computed once)."""
        if self._numbers is None:
            self._numbers = pc.cast(self.a, pa.int64())
        return self._numbers

    def __len__(self) -> int:
        return len(self.a)

    def rows(self) -> int:
        """How many rows these values stand for."""
        if self.w is None:
            return len(self.a)
        return int(pc.sum(self.w).as_py() or 0)

    def rows_where(self, m: pa.Array) -> int:
        """How many rows the values selected by the boolean array ``m`` stand for."""
        if self.w is None:
            return _count(m)
        if not _count(m):
            return 0
        return int(pc.sum(pc.filter(self.w, m)).as_py() or 0)

    def take(self, m: pa.Array) -> _Vals:
        return _Vals(pc.filter(self.a, m), None if self.w is None else pc.filter(self.w, m))

    def like(self, a: pa.Array) -> _Vals:
        """``a`` (derived value by value from these values) with the same multiplicities."""
        return _Vals(a, self.w)

    def weights(self) -> pa.Array | None:
        return self.w


def _strings(arr: pa.Array) -> pa.Array:
    """A string array without nulls."""
    if arr.type != pa.string():
        arr = pc.cast(arr, pa.string())
    if arr.null_count:
        arr = pc.drop_null(arr)
    return arr


def _trim(arr: pa.Array) -> pa.Array:
    """The values trimmed of ASCII whitespace (no kernel when there is none)."""
    data = _data(arr)
    if not any(data.find(b) >= 0 for b in (b" ", b"\t", b"\n", b"\r", b"\v", b"\f")):
        return arr
    return pc.ascii_trim_whitespace(arr)


def _concat(chunks: list[pa.Array]) -> pa.Array:
    return chunks[0] if len(chunks) == 1 else pa.concat_arrays(chunks)


def _has_byte(arr: pa.Array, byte: bytes) -> bool:
    """Whether ``byte`` may occur in a string array (a scan of its data buffer, memchr-fast).

    A slice's buffer can hold bytes outside the slice: a True is a maybe, a False is sure.
    """
    return _data(arr).find(byte) >= 0


def _data(arr: pa.Array) -> bytes:
    """The bytes of a string array's values (of the whole buffer under a slice)."""
    bufs = arr.buffers()
    data = bufs[2] if len(bufs) > 2 else None
    return b"" if data is None else data.to_pybytes()


_NOT_LETTERS = b"0123456789-./,:;@ ()+#_%&*='\"\t\n\r\v\f"


def _byte_classes(arr: pa.Array) -> frozenset[str]:
    """Which kinds of byte occur in ``arr``'s values: "letter" (any byte that is no digit
    and none of the punctuation below, so also every non-ASCII byte), "-", ".", ",", "/".

    A regular expression that needs a kind the values lack cannot match any of them, so
    the probe skips it (the counts stay the same).
    """
    rest = _data(arr).translate(None, b"0123456789")
    out = {c for c in ("-", ".", ",", "/") if rest.find(c.encode()) >= 0}
    if rest.translate(None, _NOT_LETTERS):
        out.add("letter")
    return frozenset(out)


def _mod(x: pa.Array, n: int) -> pa.Array:
    return pc.subtract(x, pc.multiply(pc.divide(x, n), n))


# elevenproef: with P_k the number of the first k of the nine digits (P_9 the whole
# number), digit i is P_(i+1) - 10 * P_i, so the weighted sum is a sum over the P_k with
# these coefficients (w_(k-1) - 10 * w_k for the weights 9..2, -1), and P_9 counts -1.
_PREFIX_COEFFS = (-71, -62, -53, -44, -35, -26, -17, 12)


def elevenproef(digits: pa.Array, numbers: pa.Array | None = None) -> pa.Array:
    """Boolean array: which 8-9 digit strings pass the BSN 11-proef (weights 9..2, -1).

    Arithmetic on the number, not per-digit string slicing: the eight prefixes
    ``P_k = n // 10**(9-k)`` give the digits, and the weighted sum is a linear sum of them
    (:data:`_PREFIX_COEFFS`). In float64, where division is fast: every value stays an
    integer below 2**53, and ``floor(n / 10**m)`` is exact for n < 10**9. An all-zero
    number fails. ``numbers``: the digits already cast to int64, if the caller has them.
    """
    n = pc.cast(pc.cast(digits, pa.int64()) if numbers is None else numbers, pa.float64())
    total = pc.negate(n)
    for k, c in enumerate(_PREFIX_COEFFS, start=1):
        prefix = pc.floor(pc.divide(n, float(10 ** (9 - k))))
        total = pc.add(total, pc.multiply(prefix, float(c)))
    rest = pc.subtract(total, pc.multiply(pc.floor(pc.divide(total, 11.0)), 11.0))
    return pc.and_(pc.equal(rest, 0.0), pc.greater(n, 0.0))


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

    def add(self, matched: _Vals | None, n: int | None = None) -> None:
        if matched is None or not len(matched):
            return
        k = matched.rows() if n is None else n
        if k <= 0:
            return
        self.count += k
        if len(self.examples) < MAX_EXAMPLES:
            for v in matched.a.slice(0, MAX_EXAMPLES * 4).to_pylist():
                if v is None:
                    continue
                m = mask(v)
                if m not in self.examples:
                    self.examples.append(m)
                if len(self.examples) >= MAX_EXAMPLES:
                    break


@dataclass
class ProbeState:
    """How the probes of one column went (not a count of values)."""

    want: frozenset[str] | None = None   # the last probe's answer
    same: int = 0                        # probes in a row that gave that answer before it
    skipped: int = 0                     # batches since the last probe
    probes: int = 0


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
    probing: ProbeState = field(default_factory=ProbeState)

    def as_counts(self) -> dict[str, Any]:
        """Plain counts (for debugging and tests); never values."""
        out: dict[str, Any] = {}
        for k, v in self.__dict__.items():
            if isinstance(v, Hits):
                out[k] = v.count
            elif isinstance(v, (int, float)) or v is None:
                out[k] = v
        return out


# The detectors _run can switch off, and the kinds of byte (:func:`_byte_classes`) one of
# which a value needs to match them (None: no such rule).
_NEEDS: dict[str, frozenset[str] | None] = {
    "bsn": None, "phone": None, "housenr": None, "ints": None, "email": None, "text": None,
    "iban": frozenset({"letter"}), "postcode6": frozenset({"letter"}),
    "kenteken": frozenset({"letter"}), "dates": frozenset({"-", "/", "."}),
    "floats": frozenset({".", ","}), "region": frozenset({"letter"}),
    "address": frozenset({"letter"}), "coord_pair": frozenset({"."}),
    "street": frozenset({"letter"}), "names": frozenset({"letter"}),
}


# What every batch goes through in full, whatever its probe shows.
ALWAYS = frozenset({"ints", "email", "text"})
# Detectors that need no regular expression for plain digits (e-mail and free text do
# nothing without an "@" or long values).
ARITHMETIC = frozenset({"bsn", "ints", "email", "text"})


class Detectors:
    """Runs every detector over Arrow string arrays; holds the name lists and settings."""

    def __init__(self, names: NameLists, small_cell_threshold: int = 5,
                 today: _dt.date | None = None, dictionary: bool = True) -> None:
        self.names = names
        self.threshold = small_cell_threshold
        self.today = today or _dt.date.today()
        self.dictionary = dictionary
        self._first = pa.array(sorted(names.first), pa.string())
        self._sur = pa.array(sorted(names.surnames), pa.string())

    # The one entry point: feed a batch of one column.
    def observe(self, st: ColumnStats, arr: pa.Array | Sequence[pa.Array]) -> None:
        """Add one batch of a column to ``st`` (an array, or the arrays of several batches).

        A probe runs every detector on a sample of the batch (the first
        :data:`PROBE_ROWS` values of each array given; see :meth:`_probe` for when it is
        skipped); the whole batch then goes only through the detectors whose shape occurred
        in the probe. The judging rules need a
        large share of a column, which a sample of a thousand values always shows; e-mail
        (an ``@``), free text and integers are always looked at in full. The probe looks at
        the distinct values of its sample (which detectors fire does not depend on how often
        a value occurs).

        A batch with few distinct values (at most :data:`DICT_SHARE` of its rows; the probe
        says when to count them) is scanned as its distinct values, each weighted by the
        number of rows holding it: every count stays a count of rows, exactly as if each
        row had been scanned, but each distinct value costs the detectors once.
        """
        chunks = [_strings(c) for c in ([arr] if isinstance(arr, pa.Array) else arr)]
        rows = sum(len(c) for c in chunks)
        if rows <= 2 * PROBE_ROWS:
            self._run(st, _Vals(_trim(_concat(chunks))), None)
            return
        sample = [c.slice(0, PROBE_ROWS) for c in chunks]
        # (trimming after taking the distinct values can leave a few equal ones: harmless)
        distinct = pc.unique(_concat(sample))
        head = _trim(distinct)
        want = self._probe(st, head)
        # Counting the distinct values pays for the regular expressions it saves; digits
        # alone (BSN, integers: arithmetic) cost less than counting them.
        costly = bool(want - ARITHMETIC) or _has_byte(head, b"@") or \
            (len(head) > 0 and (pc.max(pc.binary_length(head)).as_py() or 0) >= 20)
        self._run(st, self._distinct(chunks, len(distinct), sum(len(c) for c in sample),
                                     costly), want)

    def _probe(self, st: ColumnStats, head: pa.Array) -> frozenset[str]:
        """The detectors this batch of ``st`` goes through: those whose shape occurs in the
        probe sample ``head``, plus :data:`ALWAYS`.

        Once :data:`PROBE_STABLE` probes in a row of a column gave the same answer, only
        one batch in :data:`PROBE_EVERY` is probed; the others go through the detectors of
        the last probe (so a column once flagged keeps being counted in full). A shape that
        first turns up in a batch that was not probed is counted from the next probe on.
        """
        state = st.probing
        if state.want is not None and state.same >= PROBE_STABLE and \
                state.skipped < PROBE_EVERY - 1:
            state.skipped += 1
            return state.want
        probe = ColumnStats(st.name, st.index)
        self._run(probe, _Vals(head), None, probe=True)
        want = set(ALWAYS)
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
        result = frozenset(want)
        state.same = state.same + 1 if result == state.want else 0
        state.want, state.skipped = result, 0
        state.probes += 1
        return result

    def _distinct(self, chunks: list[pa.Array], head_distinct: int, head_rows: int,
                  costly: bool = True) -> _Vals:
        """The (trimmed) values of ``chunks`` as distinct values with row counts when that
        saves work (``costly``: the detectors to run use regular expressions), else as they
        are."""
        if self.dictionary and costly and head_distinct <= DICT_PROBE_SHARE * head_rows:
            vc = pc.value_counts(chunks[0] if len(chunks) == 1 else pa.chunked_array(chunks))
            if len(vc) <= DICT_SHARE * sum(len(c) for c in chunks):
                return _Vals(_trim(vc.field(0)), vc.field(1))
        return _Vals(_trim(_concat(chunks)))

    def _run(self, st: ColumnStats, v: _Vals, want: Set[str] | None,
             probe: bool = False) -> None:
        """The detectors in ``want`` (None: all) over ``v``. A ``probe`` only needs to know
        which shapes occur, so it leaves out what every batch gets anyway (e-mail, free
        text, integers), whose counts it would throw away."""
        a = v.a
        if not len(a):
            return
        ln = pc.binary_length(a)
        lmin, lmax = (x.as_py() for x in pc.min_max(ln).values())
        if lmax == 0:
            return
        if lmin > 0:
            st.values += v.rows()
        else:   # empty values are no values
            nonempty = pc.greater(ln, 0)
            st.values += v.rows_where(nonempty)
            lmin = pc.min(pc.filter(ln, nonempty)).as_py()

        if want is None:   # the probe (or a small batch): all detectors the bytes allow
            cls = _byte_classes(a)
            want = {key for key, need in _NEEDS.items() if need is None or need & cls}
            if probe:
                want -= ALWAYS

        def on(key: str) -> bool:
            return key in want

        def gate(lo: int, hi: int) -> _Vals | None:
            if lmax < lo or lmin > hi:
                return None
            if lmin >= lo and lmax <= hi:
                return v
            m = pc.and_(pc.greater_equal(ln, lo), pc.less_equal(ln, hi))
            return v.take(m) if _count(m) else None

        if on("bsn") and (c := gate(8, 13)) is not None:
            self._bsn(st, c)
        if on("phone") and (c := gate(10, 20)) is not None:
            self._phone(st, c)
        if on("iban") and (c := gate(15, 42)) is not None:
            self._iban(st, c)
        if on("email") and lmax >= 5 and _has_byte(a, b"@"):
            m = pc.match_substring_regex(a, "@")   # RE2 beats the literal search on long text
            if _count(m):
                self._email(st, v.take(m))
        pc6_of: tuple[_Vals, pa.Array] | None = None
        if (on("postcode6") or on("kenteken")) and (c := gate(6, 8)) is not None:
            pc6 = pc.match_substring_regex(c.a, POSTCODE6)
            pc6_of = (c, pc6)
            if on("postcode6") and _count(pc6):
                st.postcode6.add(c.take(pc6))
            if on("kenteken"):
                # "1234BD" is a postcode before it is a side-code-2 plate without dashes
                k = pc.and_(pc.match_substring_regex(pc.ascii_upper(c.a), KENTEKEN),
                            pc.invert(pc6))
                if _count(k):
                    st.kenteken.add(c.take(k))
        if on("dates") and (c := gate(8, 30)) is not None:
            self._dates(st, c)
        if (c := gate(1, 9)) is not None:
            if on("ints"):
                self._ints(st, c)
            if on("housenr"):
                st.housenr += self._housenr(c, pc6_of)
        if (on("floats") or on("region")) and (c := gate(4, 20)) is not None:
            if on("floats"):
                self._floats(st, c)
            if on("region"):
                st.region_codes += c.rows_where(pc.match_substring_regex(c.a, REGION_CODE))
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
        if on("text") and lmax >= 20:
            m = pc.and_(pc.greater_equal(ln, 20), pc.match_substring(a, " "))
            if _count(m):
                self._free_text(st, v.take(m))

    # --- the detectors ---------------------------------------------------------------------
    @staticmethod
    def _housenr(c: _Vals, pc6_of: tuple[_Vals, pa.Array] | None) -> int:
        # A 6-character postcode ("1234 AB") also has the shape of a house number with a
        # suffix: when the postcode pass saw these very values, only the rest need HOUSENR.
        if pc6_of is not None and pc6_of[0] is c and _count(pc6_of[1]):
            pc6 = pc6_of[1]
            rest = c.take(pc.invert(pc6))
            k = c.rows_where(pc6)
            if len(rest):
                k += rest.rows_where(pc.match_substring_regex(rest.a, HOUSENR))
            return k
        return c.rows_where(pc.match_substring_regex(c.a, HOUSENR))

    def _bsn(self, st: ColumnStats, c: _Vals) -> None:
        # Plain 8-9 digit values need no regular expression; the dotted forms do.
        ln = pc.binary_length(c.a)
        isdig = c.isdigit()
        plain = pc.and_(isdig, pc.less_equal(ln, 9))
        k = _count(plain)
        if k:
            cand = c if k == len(c) else c.take(plain)
            st.bsn_shape += cand.rows()
            if pc.min(pc.binary_length(cand.a)).as_py() < 9:
                ok = elevenproef(pc.utf8_lpad(cand.a, 9, "0"))
            else:
                ok = elevenproef(cand.a, cand.numbers())
            st.bsn.add(cand.take(ok))
        if k == len(c):
            return
        rest = c.take(pc.invert(isdig))
        m = pc.match_substring_regex(rest.a, BSN_SHAPE)
        if not _count(m):
            return
        cand = rest.take(m)
        st.bsn_shape += cand.rows()
        digits = pc.utf8_lpad(pc.replace_substring_regex(cand.a, r"[ .]", ""), 9, "0")
        st.bsn.add(cand.take(elevenproef(digits)))

    def _phone(self, st: ColumnStats, c: _Vals) -> None:
        hits = _matches(c, PHONE_SHAPE)
        if hits is None:
            return
        st.phone.add(hits)
        import phonenumbers

        # libphonenumber checks a sample of PHONE_SAMPLE_PER_BATCH rows per batch (of
        # distinct values: the first ones, each for the rows it stands for)
        sample = hits.a.slice(0, PHONE_SAMPLE_PER_BATCH).to_pylist()
        w = hits.weights()
        weights = [1] * len(sample) if w is None else w.slice(0, len(sample)).to_pylist()
        left = PHONE_SAMPLE_PER_BATCH
        for v, rows in zip(sample, weights, strict=True):
            if left <= 0:
                break
            k = min(rows, left)
            left -= k
            st.phone_checked += k
            try:
                num = phonenumbers.parse(v, "NL")
                if phonenumbers.is_valid_number(num):
                    st.phone_valid += k
            except phonenumbers.NumberParseException:
                pass

    def _iban(self, st: ColumnStats, c: _Vals) -> None:
        cand = _matches(c, IBAN_SHAPE)
        if cand is None:
            return
        st.iban_shape += cand.rows()
        norm = pc.utf8_upper(pc.replace_substring(cand.a, " ", ""))
        st.iban.add(cand.take(iban_mod97(norm)))

    def _email(self, st: ColumnStats, c: _Vals) -> None:
        hits = _matches(c, EMAIL_SHAPE)
        if hits is None:
            return
        role = pc.match_substring_regex(hits.a, EMAIL_ROLE)
        st.email_role.add(hits.take(role))
        st.email.add(hits.take(pc.invert(role)))

    def _dates(self, st: ColumnStats, c: _Vals) -> None:
        for pattern, yi, mi, di in ((DATE_ISO, 0, 1, 2), (DATE_NL, 2, 1, 0)):
            m = pc.match_substring_regex(c.a, pattern)
            if not _count(m):
                continue
            cand = c.take(m)
            parts = pc.extract_regex(cand.a, _named(pattern))
            y = pc.cast(pc.struct_field(parts, [yi]), pa.int64())
            mo = pc.cast(pc.struct_field(parts, [mi]), pa.int64())
            d = pc.cast(pc.struct_field(parts, [di]), pa.int64())
            ok = pc.and_(pc.and_(pc.greater_equal(mo, 1), pc.less_equal(mo, 12)),
                         pc.and_(pc.greater_equal(d, 1), pc.less_equal(d, 31)))
            ok = pc.and_(ok, pc.and_(pc.greater_equal(y, 1800), pc.less_equal(y, 2200)))
            if not _count(ok):
                continue
            good = cand.take(ok)
            k = good.rows()
            st.dates.add(good, k)
            y = pc.filter(y, ok)
            ymin, ymax = (x.as_py() for x in pc.min_max(y).values())
            st.year_min = ymin if st.year_min is None else min(st.year_min, ymin)
            st.year_max = ymax if st.year_max is None else max(st.year_max, ymax)
            yo = pc.subtract(y, 1900)
            w = good.weights()
            yw = yo if w is None else pc.multiply(yo, w)
            st.year_sum += int(pc.sum(yw).as_py() or 0)
            st.year_sq += int(pc.sum(pc.multiply(yo, yw)).as_py() or 0)
            st.date_future += good.rows_where(pc.greater(y, self.today.year))

    def _ints(self, st: ColumnStats, c: _Vals) -> None:
        m = c.isdigit()
        k = _count(m)
        if not k:
            return
        cand = c if k == len(c) else c.take(m)
        st.ints += cand.rows()
        v = cand.numbers()
        vmin, vmax = (x.as_py() for x in pc.min_max(v).values())
        st.int_min = vmin if st.int_min is None else min(st.int_min, vmin)
        st.int_max = vmax if st.int_max is None else max(st.int_max, vmax)
        everything: int | None = None

        def between(lo: int, hi: int) -> int:
            nonlocal everything
            # ranges the batch cannot reach cost no kernel
            if vmax < lo or vmin > hi:
                return 0
            if vmin >= lo and vmax <= hi:
                if everything is None:
                    everything = cand.rows()
                return everything
            return cand.rows_where(pc.and_(pc.greater_equal(v, lo), pc.less_equal(v, hi)))

        st.int_small.count += between(1, self.threshold - 1)
        st.int_years += between(1900, 2100)
        st.rd_x += between(7000, 300000)
        st.rd_y += between(289000, 629000)

    def _floats(self, st: ColumnStats, c: _Vals) -> None:
        m = pc.match_substring_regex(c.a, FLOAT)
        if not _count(m):
            return
        cand = c.take(m)
        st.floats += cand.rows()
        comma = _has_byte(cand.a, b",")
        # FLOAT allows one separator: the decimals are what follows it (FLOAT_PRECISE)
        sep = pc.find_substring(cand.a, ".")
        if comma:
            sep = pc.max_element_wise(sep, pc.find_substring(cand.a, ","))
        decimals = pc.subtract(pc.subtract(pc.binary_length(cand.a), sep), 1)
        precise = pc.greater_equal(decimals, 4)
        f = pc.cast(pc.replace_substring(cand.a, ",", ".") if comma else cand.a, pa.float64())
        lat = pc.and_(precise, pc.and_(pc.greater_equal(f, 50.7), pc.less_equal(f, 53.7)))
        lon = pc.and_(precise, pc.and_(pc.greater_equal(f, 3.2), pc.less_equal(f, 7.3)))
        st.lat_precise.add(cand.take(lat))
        st.lon_precise.add(cand.take(lon))
        # RD coordinates with decimals
        st.rd_x += cand.rows_where(pc.and_(pc.greater_equal(f, 7000), pc.less_equal(f, 300000)))
        st.rd_y += cand.rows_where(pc.and_(pc.greater_equal(f, 289000),
                                           pc.less_equal(f, 629000)))

    def _coord_pairs(self, c: _Vals) -> _Vals | None:
        m = pc.match_substring_regex(c.a, COORD_PAIR)
        if not _count(m):
            return None
        cand = c.take(m)
        parts = pc.extract_regex(cand.a,
                                 r"(?P<a>-?\d{1,3}\.\d{4,})\s*[ ,;]\s*(?P<b>-?\d{1,3}\.\d+)")
        a = pc.cast(pc.struct_field(parts, [0]), pa.float64())
        b = pc.cast(pc.struct_field(parts, [1]), pa.float64())

        def inside(lat: pa.Array, lon: pa.Array) -> pa.Array:
            return pc.and_(pc.and_(pc.greater_equal(lat, 50.7), pc.less_equal(lat, 53.7)),
                           pc.and_(pc.greater_equal(lon, 3.2), pc.less_equal(lon, 7.3)))

        return cand.take(pc.or_(inside(a, b), inside(b, a)))

    def _names(self, st: ColumnStats, c: _Vals) -> None:
        m = pc.match_substring_regex(c.a, NAME_SHAPE)
        if not _count(m):
            return
        orig = c.take(m)
        st.alpha += orig.rows()
        low = pc.utf8_lower(orig.a)
        first = pc.struct_field(pc.extract_regex(low, FIRST_TOKEN), [0])
        last = pc.struct_field(pc.extract_regex(low, LAST_TOKEN), [0])
        single = pc.equal(first, low)
        st.single_token += orig.rows_where(single)
        f_first = pc.fill_null(pc.is_in(first, value_set=self._first), False)
        l_sur = pc.fill_null(pc.is_in(last, value_set=self._sur), False)
        f_sur = pc.fill_null(pc.is_in(first, value_set=self._sur), False)
        full = pc.and_(pc.and_(f_first, l_sur), pc.invert(single))
        st.full_names.add(orig.take(full))
        st.first_names.add(orig.take(pc.and_(single, f_first)))
        sur = pc.or_(pc.and_(l_sur, pc.invert(full)), pc.and_(f_sur, pc.invert(f_first)))
        st.surnames.add(orig.take(sur))
        if len(st.distinct_names) < 50:
            matched = pc.filter(low, pc.or_(pc.or_(full, f_first), sur))
            for v in pc.unique(matched.slice(0, 5000)).to_pylist()[:50]:
                # only a one-way digest of the value is kept, to count distinct names
                st.distinct_names.add(str(hash(v)))

    def _free_text(self, st: ColumnStats, t: _Vals) -> None:
        st.text += t.rows()
        # One pass of a combined pattern picks the texts worth the individual patterns; those
        # are split once more so that each pattern only sees texts it can match.
        m = pc.match_substring_regex(t.a, T_ANY)
        if not _count(m):
            return
        t = t.take(m)
        if _has_byte(t.a, b"@"):
            at = pc.match_substring_regex(t.a, "@")
            if _count(at):
                st.t_email.add(_extract(t.take(at), T_EMAIL))
        st.t_name.add(_extract(t, T_SALUTATION))
        dig = pc.match_substring_regex(t.a, r"\d")
        if not _count(dig):
            return
        t = t.take(dig)
        st.t_phone.add(_extract(t, T_PHONE))
        st.t_postcode.add(_extract(t, T_POSTCODE))
        st.t_address.add(_extract(t, STREET_NUMBER))
        m = pc.match_substring_regex(t.a, T_BSN)
        if _count(m):
            cand = t.take(m)
            st.t_bsn_cand += cand.rows()
            d = cand.like(pc.struct_field(pc.extract_regex(cand.a, T_BSN), [0]))
            st.t_bsn.add(d.take(elevenproef(pc.replace_substring(d.a, ".", ""))))
        m = pc.match_substring_regex(t.a, T_IBAN)
        if _count(m):
            cand = t.take(m)
            d = cand.like(pc.replace_substring(
                pc.struct_field(pc.extract_regex(cand.a, T_IBAN), [0]), " ", ""))
            st.t_iban.add(d.take(iban_mod97(d.a)))


def _extract(v: _Vals, pattern: str) -> _Vals | None:
    """The first match of ``pattern`` in each value that has one (for masked examples)."""
    m = pc.match_substring_regex(v.a, pattern)
    if not _count(m):
        return None
    flags = ""
    if pattern.startswith("(?i)"):
        flags, pattern = "(?i)", pattern[4:]
    hit = v.take(m)
    return hit.like(pc.struct_field(pc.extract_regex(hit.a, f"{flags}(?P<m>{pattern})"), [0]))


def _matches(v: _Vals, pattern: str) -> _Vals | None:
    m = pc.match_substring_regex(v.a, pattern)
    return v.take(m) if _count(m) else None


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
