"""Pseudonymisation of a CSV/XLSX file into a new CSV, streamed batch by batch.

Operations per column:

- ``pseudonym``: HMAC-SHA256 with a secret key over the trimmed value, the first 128 bits
  as 32 hex characters. Same value + same key = same pseudonym (files stay linkable for whoever
  holds the key); another key gives unrelated pseudonyms. Empty cells stay empty.
- ``postcode4``: ``1234 AB`` -> ``1234`` (not a postcode: emptied).
- ``year``: a date -> its year; ``age_band``: a date of birth -> a 10-year age band at the
  reference date (``30-39``); not a date: emptied.
- ``suppress``: counts from 1 to threshold - 1 become ``<threshold`` (small cells).
- ``drop``: the column is left out.

The key comes from an environment variable (:data:`KEY_ENV`) or a key file, never from the
database or CKAN's configuration, and is never written anywhere: the audit record holds a
*key id* (an HMAC of a fixed label, 12 hex characters) so that a later run can be shown to
have used the same key without revealing it.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import hashlib
import hmac
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from .detectors import DATE_ISO, DATE_NL, POSTCODE6, _named
from .readers import Limits, ScanInputError, SourceInfo, open_tables

KEY_ENV = "GEMEENTE_PSEUDONYM_KEY"
MIN_KEY_BYTES = 16
OPERATIONS = ("pseudonym", "postcode4", "year", "age_band", "suppress", "drop")


class PseudonymiseError(ValueError):
    """Bad request (unknown column or operation, no key): message in Dutch."""


@dataclass(frozen=True)
class Operation:
    column: str
    operation: str


def load_key(key_file: str | None = None, env: str = KEY_ENV) -> bytes:
    """The key from ``key_file`` (when given) or the environment variable ``env``."""
    if key_file:
        try:
            with open(key_file, "rb") as f:
                key = f.read().strip()
        except OSError as exc:
            raise PseudonymiseError(f"Het sleutelbestand kan niet gelezen worden "
                                    f"({exc.strerror}).") from exc
    else:
        raw = os.environ.get(env, "")
        key = raw.strip().encode("utf-8")
    if len(key) < MIN_KEY_BYTES:
        raise PseudonymiseError(
            f"Geen (voldoende lange) sleutel: zet de omgevingsvariabele {env} of geef een "
            f"sleutelbestand, minstens {MIN_KEY_BYTES} tekens.")
    return key


def key_id(key: bytes) -> str:
    return hmac.new(key, b"ckanext-gemeente key id", "sha256").hexdigest()[:12]


class _Hmac:
    """HMAC-SHA256 (RFC 2104) with the padded key's inner and outer hash states computed once:
    per value only two ``copy()``/``update()`` pairs, about twice as fast as ``hmac.digest``
    for short values (checked against :mod:`hmac` in the tests)."""

    def __init__(self, key: bytes) -> None:
        if len(key) > 64:
            key = hashlib.sha256(key).digest()
        k = key.ljust(64, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in k))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in k))

    def __call__(self, msg: bytes) -> bytes:
        i = self._inner.copy()
        i.update(msg)
        o = self._outer.copy()
        o.update(i.digest())
        return o.digest()


def pseudonyms(arr: pa.Array, key: bytes | _Hmac) -> pa.Array:
    """HMAC-SHA256 pseudonyms (32 hex characters) of the values of ``arr``."""
    mac = key if isinstance(key, _Hmac) else _Hmac(key)
    vals = pc.ascii_trim_whitespace(arr).to_pylist()
    out = [mac(v.encode("utf-8"))[:16].hex() if v else v for v in vals]
    return pa.array(out, pa.string())


def _postcode4(arr: pa.Array) -> pa.Array:
    a = pc.ascii_trim_whitespace(arr)
    return pc.if_else(pc.match_substring_regex(a, POSTCODE6), pc.utf8_slice_codeunits(a, 0, 4),
                      "")


def _date_parts(arr: pa.Array) -> tuple[pa.Array, pa.Array, pa.Array, pa.Array]:
    a = pc.ascii_trim_whitespace(arr)
    iso = pc.extract_regex(a, _named(DATE_ISO))
    nl = pc.extract_regex(a, _named(DATE_NL))
    is_iso = pc.is_valid(iso)
    y = pc.if_else(is_iso, pc.struct_field(iso, [0]), pc.struct_field(nl, [2]))
    m = pc.if_else(is_iso, pc.struct_field(iso, [1]), pc.struct_field(nl, [1]))
    d = pc.if_else(is_iso, pc.struct_field(iso, [2]), pc.struct_field(nl, [0]))
    ok = pc.or_(is_iso, pc.is_valid(nl))
    return (pc.cast(y, pa.int64()), pc.cast(m, pa.int64()), pc.cast(d, pa.int64()),
            pc.fill_null(ok, False))


def _year(arr: pa.Array) -> pa.Array:
    y, _m, _d, ok = _date_parts(arr)
    return pc.fill_null(pc.if_else(ok, pc.cast(y, pa.string()), ""), "")


def _age_band(arr: pa.Array, ref: _dt.date) -> pa.Array:
    y, m, d, ok = _date_parts(arr)
    later = pc.greater(pc.add(pc.multiply(m, 100), d), ref.month * 100 + ref.day)
    age = pc.subtract(pc.subtract(ref.year, y), pc.cast(later, pa.int64()))
    low = pc.multiply(pc.divide(age, 10), 10)
    band = pc.binary_join_element_wise(pc.cast(low, pa.string()),
                                       pc.cast(pc.add(low, 9), pa.string()), "-")
    return pc.fill_null(pc.if_else(pc.and_(ok, pc.greater_equal(age, 0)), band, ""), "")


def _suppress(arr: pa.Array, threshold: int) -> tuple[pa.Array, int]:
    a = pc.ascii_trim_whitespace(arr)
    digits = pc.and_(pc.utf8_is_digit(a), pc.less_equal(pc.binary_length(a), 12))
    v = pc.cast(pc.if_else(digits, a, "0"), pa.int64())
    small = pc.and_(digits, pc.and_(pc.greater_equal(v, 1), pc.less(v, threshold)))
    k = int(pc.sum(small).as_py() or 0)
    return pc.if_else(small, f"<{threshold}", arr), k


def pseudonymise_file(src: str, dst: str, operations: list[Operation], key: bytes | None, *,
                      threshold: int = 5, reference_date: _dt.date | None = None,
                      progress: Callable[[int, int], None] | None = None) -> dict:
    """Write ``dst`` (CSV, same delimiter as a CSV source) and return the audit record."""
    ops = {}
    for op in operations:
        if op.operation not in OPERATIONS:
            raise PseudonymiseError(f"Onbekende bewerking '{op.operation}' (kies uit "
                                    f"{', '.join(OPERATIONS)}).")
        ops[op.column] = op.operation
    if "pseudonym" in ops.values() and not key:
        raise PseudonymiseError("Voor pseudoniemen is een sleutel nodig.")
    ref = reference_date or _dt.date.today()
    t0 = time.monotonic()
    info = SourceInfo()
    rows = 0
    suppressed = 0
    mac = _Hmac(key) if key else None
    tables = open_tables(src, Limits(block_size=4 << 20), info)
    try:
        table = next(tables)
    except ScanInputError as exc:
        raise PseudonymiseError(exc.message) from exc
    except StopIteration as exc:
        raise PseudonymiseError("Het bestand bevat geen tabel.") from exc
    missing = [c for c in ops if c not in table.columns]
    if missing:
        raise PseudonymiseError(f"Kolom(men) niet gevonden: {', '.join(missing)}.")
    keep = [i for i, c in enumerate(table.columns) if ops.get(c) != "drop"]
    out_names = [table.columns[i] for i in keep]
    schema = pa.schema([(n, pa.string()) for n in out_names])
    delim = info.delimiter or ","
    tmp = dst + ".part"
    try:
        with pcsv.CSVWriter(tmp, schema, write_options=pcsv.WriteOptions(
                delimiter=delim, quoting_style="needed")) as writer:
            for arrays in _batches(table.batches):
                cols = []
                for i in keep:
                    arr, op = arrays[i], ops.get(table.columns[i])
                    if op == "pseudonym":
                        assert mac is not None
                        arr = pseudonyms(arr, mac)
                    elif op == "postcode4":
                        arr = _postcode4(arr)
                    elif op == "year":
                        arr = _year(arr)
                    elif op == "age_band":
                        arr = _age_band(arr, ref)
                    elif op == "suppress":
                        arr, k = _suppress(arr, threshold)
                        suppressed += k
                    cols.append(arr)
                rows += len(arrays[0]) if arrays else 0
                writer.write_batch(pa.record_batch(cols, schema=schema))
                if progress:
                    progress(info.position(), info.size)
        if any(p.fatal for p in info.problems):
            raise PseudonymiseError("; ".join(p.message for p in info.problems if p.fatal))
        os.replace(tmp, dst)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return {
        "tool": "ckanext-gemeente pseudonymise", "source": os.path.basename(src),
        "output": os.path.basename(dst), "rows": rows, "columns": out_names,
        "operations": [{"column": c, "operation": o} for c, o in ops.items()],
        "algorithm": "HMAC-SHA256, 128 bits, hex" if "pseudonym" in ops.values() else None,
        "key_id": key_id(key) if key and "pseudonym" in ops.values() else None,
        "small_cell_threshold": threshold if "suppress" in ops.values() else None,
        "suppressed_cells": suppressed, "reference_date": ref.isoformat(),
        "seconds": round(time.monotonic() - t0, 3),
        "problems": [p.to_dict() for p in info.problems],
    }


def _batches(it: Iterator[list[pa.Array]]) -> Iterator[list[pa.Array]]:
    for arrays in it:
        yield [a if a.type == pa.string() else pc.cast(a, pa.string()) for a in arrays]


def parse_operations(pseudonym: list[str], generalise: list[str], suppress: list[str],
                     drop: list[str]) -> list[Operation]:
    ops = [Operation(c, "pseudonym") for c in pseudonym]
    for g in generalise:
        col, _, how = g.partition("=")
        if how not in ("postcode4", "year", "age_band"):
            raise PseudonymiseError(f"Generalisatie '{g}': gebruik KOLOM=postcode4, "
                                    "KOLOM=year of KOLOM=age_band.")
        ops.append(Operation(col, how))
    ops += [Operation(c, "suppress") for c in suppress]
    ops += [Operation(c, "drop") for c in drop]
    return ops


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m ckanext.gemeente.scan.pseudonymise")
    ap.add_argument("file")
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--pseudonym", action="append", default=[], metavar="COLUMN")
    ap.add_argument("--generalise", action="append", default=[], metavar="COLUMN=HOW")
    ap.add_argument("--suppress", action="append", default=[], metavar="COLUMN")
    ap.add_argument("--drop", action="append", default=[], metavar="COLUMN")
    ap.add_argument("--threshold", type=int, default=5)
    ap.add_argument("--key-file")
    args = ap.parse_args(argv)
    try:
        ops = parse_operations(args.pseudonym, args.generalise, args.suppress, args.drop)
        key = load_key(args.key_file) if args.pseudonym else None
        audit = pseudonymise_file(args.file, args.output, ops, key, threshold=args.threshold)
    except PseudonymiseError as exc:
        print(f"Fout: {exc}", file=sys.stderr)
        return 2
    json.dump(audit, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
