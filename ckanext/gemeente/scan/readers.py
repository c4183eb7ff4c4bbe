"""Streaming readers: CSV/TSV, XLSX, JSON and GeoJSON to batches of Arrow string arrays.

Every reader yields :class:`Table` objects whose ``batches`` iterator hands out one list of
string arrays (one per column) at a time, so memory stays bounded by the batch size whatever
the file size. What could not be read is reported as a :class:`.report.Problem` (Dutch
message), never swallowed: a file that cannot be scanned is never "free of personal data".

- CSV: the format is sniffed from the first 256 KiB: encoding (UTF-8, UTF-8 with BOM,
  Windows-1252), delimiter (``;`` ``,`` tab ``|``); parsing is pyarrow's multithreaded
  streaming CSV reader with quoted newlines allowed; rows with the wrong number of fields
  are kept aside and scanned as free text.
- XLSX: openpyxl in read-only (streaming) mode after zip-bomb checks on the archive.
- JSON: a top-level array of records, or an object with one array of records (GeoJSON
  ``features``), decoded element by element; nested objects become dotted column names and
  GeoJSON point geometry a ``geometry`` column of ``"x y"`` values.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import pyarrow as pa
import pyarrow.csv as pcsv

from .report import Problem

SNIFF_BYTES = 256 * 1024
RAGGED_COLUMN = "(afwijkende rijen)"


class ScanInputError(Exception):
    """The file cannot be scanned at all (message in Dutch, no personal data)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


class EncodingRestart(Exception):
    """The CSV was not valid in the sniffed encoding: read it again in ``encoding``."""

    def __init__(self, encoding: str, message: str) -> None:
        super().__init__(message)
        self.encoding = encoding
        self.message = message


@dataclass
class Limits:
    block_size: int = 4 * 1024 * 1024          # CSV block pyarrow parses at a time
    batch_rows: int = 50_000                   # XLSX / JSON rows per batch
    xlsx_max_uncompressed: int = 1024 ** 3     # total of the archive members
    xlsx_max_ratio: int = 200                  # compression ratio of one member
    xlsx_max_shared_strings: int = 256 * 1024 ** 2   # openpyxl keeps these in memory
    xlsx_max_members: int = 10_000
    json_max_whole: int = 64 * 1024 ** 2       # objects not streamable are read whole up to this
    json_max_element: int = 16 * 1024 ** 2     # one record of a streamed array


@dataclass
class Table:
    name: str | None
    columns: list[str]
    batches: Iterator[list[pa.Array]]
    extra: list[str] = field(default_factory=list)   # texts of ragged rows, drained by the core


@dataclass
class SourceInfo:
    format: str = ""
    encoding: str | None = None
    delimiter: str | None = None
    size: int = 0
    problems: list[Problem] = field(default_factory=list)
    position: Callable[[], int] = lambda: 0      # bytes read so far (for progress)


def sniff_format(path: str, head: bytes) -> str:
    ext = os.path.splitext(path)[1].lower()
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if ext in (".json", ".geojson") or stripped[:1] in (b"{", b"["):
        return "json"
    if ext == ".tsv":
        return "tsv"
    return "csv"


def sniff_encoding(sample: bytes) -> str:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        sample.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"


def sniff_delimiter(text: str, default: str = ",") -> str:
    lines = text.splitlines()[:50]
    if not lines:
        return default
    try:
        return csv.Sniffer().sniff("\n".join(lines[:20]), delimiters=";,\t|").delimiter
    except csv.Error:
        counts = {d: lines[0].count(d) for d in ";,\t|"}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else default


def open_tables(path: str, limits: Limits, info: SourceInfo,
                encoding: str | None = None) -> Iterator[Table]:
    """The tables of the file at ``path``; problems go to ``info.problems``."""
    try:
        size = os.path.getsize(path)
    except OSError as exc:
        raise ScanInputError("unreadable", f"Het bestand kan niet gelezen worden: {exc}") from exc
    info.size = size
    if size == 0:
        raise ScanInputError("empty", "Het bestand is leeg (0 bytes): er valt niets te scannen.")
    with open(path, "rb") as f:
        head = f.read(SNIFF_BYTES)
    fmt = sniff_format(path, head)
    info.format = fmt
    if fmt == "xls":
        raise ScanInputError("format", "Oude Excel-bestanden (.xls) worden niet ondersteund; "
                             "sla het bestand op als .xlsx of .csv.")
    if fmt == "xlsx":
        yield from _xlsx_tables(path, limits, info)
    elif fmt == "json":
        yield from _json_tables(path, head, limits, info)
    else:
        yield from _csv_tables(path, head, limits, info, encoding, tab=(fmt == "tsv"))


# --- CSV ----------------------------------------------------------------------------------
def _csv_tables(path: str, head: bytes, limits: Limits, info: SourceInfo,
                encoding: str | None, tab: bool) -> Iterator[Table]:
    if b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ScanInputError("binary", "Dit is geen tekstbestand (CSV): het bevat binaire "
                             "gegevens. Upload CSV, XLSX, JSON of GeoJSON.")
    enc = encoding or sniff_encoding(head)
    text = head.decode(enc, errors="replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    delim = "\t" if tab else sniff_delimiter(text)
    info.encoding, info.delimiter = enc, delim
    header = next(csv.reader(io.StringIO(text), delimiter=delim), [])
    ragged: list[str] = []
    counter = {"n": 0, "expected": 0}

    def on_invalid(row: Any) -> str:
        counter["n"] += 1
        counter["expected"] = row.expected_columns
        if row.text is not None and len(ragged) < 200_000:
            ragged.append(row.text)
        return "skip"

    arrow_enc = {"utf-8-sig": "utf8", "utf-8": "utf8"}.get(enc, enc)
    f = open(path, "rb")  # noqa: SIM115 - closed in the generator's finally
    info.position = f.tell
    try:
        reader = _open_csv(f, arrow_enc, delim, limits, header, on_invalid)
        names = reader.schema.names
        if any(t != pa.string() for t in reader.schema.types):
            f.seek(0)
            reader = _open_csv(f, arrow_enc, delim, limits, names, on_invalid)
    except pa.ArrowInvalid as exc:
        f.close()
        _arrow_problem(exc, enc, info, at_start=True)
        return
    table = Table(None, list(names), iter(()), ragged)

    def batches() -> Iterator[list[pa.Array]]:
        try:
            while True:
                try:
                    batch = reader.read_next_batch()
                except StopIteration:
                    break
                except pa.ArrowInvalid as exc:
                    _arrow_problem(exc, enc, info, at_start=False)
                    break
                except UnicodeDecodeError as exc:
                    raise EncodingRestart("latin-1", str(exc)) from exc
                yield list(batch.columns)
        finally:
            f.close()
            if counter["n"]:
                info.problems.append(Problem(
                    "ragged_rows",
                    f"{counter['n']} rij(en) hebben een afwijkend aantal velden (verwacht "
                    f"{counter['expected']}); hun inhoud is als vrije tekst gescand in "
                    f"'{RAGGED_COLUMN}'.", fatal=False))

    table.batches = batches()
    yield table


def _open_csv(f: BinaryIO, enc: str, delim: str, limits: Limits, names: list[str],
              on_invalid: Callable[[Any], str]) -> pcsv.CSVStreamingReader:
    return pcsv.open_csv(
        f,
        read_options=pcsv.ReadOptions(block_size=limits.block_size, encoding=enc,
                                      use_threads=True),
        parse_options=pcsv.ParseOptions(delimiter=delim, newlines_in_values=True,
                                        invalid_row_handler=on_invalid),
        convert_options=pcsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                            strings_can_be_null=False),
    )


def _arrow_problem(exc: Exception, enc: str, info: SourceInfo, at_start: bool) -> None:
    msg = str(exc)
    if "UTF8" in msg or "utf8" in msg.lower() and "invalid" in msg.lower():
        if enc in ("utf-8", "utf-8-sig"):
            raise EncodingRestart("cp1252", msg) from exc
    if "Empty CSV file" in msg or "empty" in msg.lower() and at_start:
        info.problems.append(Problem("empty", "Het bestand bevat geen gegevens.", fatal=True))
        return
    # pyarrow's messages quote the offending row: keep only the first clause.
    short = msg.split(":")[0][:120]
    info.problems.append(Problem(
        "parse", f"Het CSV-bestand kon niet (verder) gelezen worden ({short}); "
        "de rest van het bestand is niet gescand.", fatal=True))


# --- XLSX ---------------------------------------------------------------------------------
def check_zip(path: str, limits: Limits) -> None:
    """Refuse archives that would explode when unpacked (sizes from the zip directory)."""
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise ScanInputError("format", "Het XLSX-bestand is beschadigd (geen geldig "
                             "zip-archief).") from exc
    with zf:
        infos = zf.infolist()
        if len(infos) > limits.xlsx_max_members:
            raise ScanInputError("zip_bomb", f"Het XLSX-bestand bevat {len(infos)} onderdelen; "
                                 "dat is meer dan toegestaan.")
        total = sum(i.file_size for i in infos)
        if total > limits.xlsx_max_uncompressed:
            raise ScanInputError("zip_bomb", f"Het XLSX-bestand pakt uit tot {total // 2**20} "
                                 f"MiB (grens {limits.xlsx_max_uncompressed // 2**20} MiB): "
                                 "mogelijk een zip-bom; niet gescand.")
        for i in infos:
            if i.file_size > 10 * 2**20 and i.compress_size and \
                    i.file_size / i.compress_size > limits.xlsx_max_ratio:
                raise ScanInputError("zip_bomb", f"Onderdeel {i.filename[:60]} van het "
                                     "XLSX-bestand is extreem sterk gecomprimeerd: mogelijk "
                                     "een zip-bom; niet gescand.")
            if i.filename.endswith("sharedStrings.xml") and \
                    i.file_size > limits.xlsx_max_shared_strings:
                raise ScanInputError("too_large", "De tekstentabel van het XLSX-bestand is te "
                                     "groot om veilig te lezen; lever het aan als CSV.")


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if hasattr(v, "isoformat"):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _xlsx_tables(path: str, limits: Limits, info: SourceInfo) -> Iterator[Table]:
    check_zip(path, limits)
    try:
        import openpyxl

        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for broken files
        raise ScanInputError("format", f"Het XLSX-bestand kan niet geopend worden "
                             f"({type(exc).__name__}).") from exc
    info.position = lambda: 0
    try:
        for ws in wb.worksheets:
            rows = ws.iter_rows(values_only=True)
            first = next(rows, None)
            if first is None:
                continue
            cells = [_cell(v) for v in first]
            is_header = all(isinstance(v, str) and v.strip() for v in first if v is not None)
            if is_header:
                cols = [c or f"kolom_{i + 1}" for i, c in enumerate(cells)]
                pending: list[list[str]] = []
            else:
                cols = [_letters(i) for i in range(len(cells))]
                pending = [cells]
            yield Table(ws.title if len(wb.worksheets) > 1 else None, cols,
                        _row_batches(rows, pending, len(cols), limits.batch_rows))
    finally:
        wb.close()


def _letters(i: int) -> str:
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def _row_batches(rows: Iterator[Any], pending: list[list[str]], width: int, size: int
                 ) -> Iterator[list[pa.Array]]:
    buf = pending
    for row in rows:
        cells = [_cell(v) for v in row[:width]]
        if len(cells) < width:
            cells += [""] * (width - len(cells))
        buf.append(cells)
        if len(buf) >= size:
            yield _columns(buf, width)
            buf = []
    if buf:
        yield _columns(buf, width)


def _columns(rows: list[list[str]], width: int) -> list[pa.Array]:
    return [pa.array([r[i] for r in rows], pa.string()) for i in range(width)]


# --- JSON / GeoJSON -------------------------------------------------------------------------
def _flatten(obj: Any, prefix: str = "", out: dict[str, str] | None = None) -> dict[str, str]:
    out = {} if out is None else out
    if isinstance(obj, dict):
        if obj.get("type") == "Feature" and not prefix:
            geom = obj.get("geometry") or {}
            if geom.get("type") == "Point" and isinstance(geom.get("coordinates"), list):
                out["geometry"] = " ".join(str(c) for c in geom["coordinates"][:2])
            elif geom:
                out["geometry"] = str(geom.get("type"))
            _flatten(obj.get("properties") or {}, "", out)
            return out
        for k, v in obj.items():
            _flatten(v, f"{prefix}{k}." if isinstance(v, dict) else f"{prefix}{k}", out)
        return out
    key = prefix.rstrip(".") or "value"
    if isinstance(obj, list):
        out[key] = json.dumps(obj, ensure_ascii=False)[:10_000]
    else:
        out[key] = "" if obj is None else str(obj)
    return out


def _iter_array(f: io.TextIOBase, limits: Limits) -> Iterator[Any]:
    """Decode the elements of a JSON array one by one; ``f`` is positioned after ``[``."""
    dec = json.JSONDecoder()
    buf = ""
    eof = False
    while True:
        i = 0
        while True:
            while i < len(buf) and buf[i] in " \t\r\n,":
                i += 1
            if i < len(buf) and buf[i] == "]":
                return
            if i >= len(buf) and eof:
                raise ValueError("onverwacht einde van het JSON-bestand")
            try:
                if i >= len(buf):
                    raise ValueError
                obj, end = dec.raw_decode(buf, i)
            except ValueError:
                break
            if end >= len(buf) and not eof:
                break     # a number may continue in the next chunk
            yield obj
            i = end
        buf = buf[i:]
        if len(buf) > limits.json_max_element:
            raise ValueError("een JSON-record is groter dan de grens")
        chunk = f.read(1024 * 1024)
        if not chunk:
            if eof:
                if buf.strip():
                    obj, end = dec.raw_decode(buf.strip())
                    yield obj
                return
            eof = True
        buf += chunk


def _json_tables(path: str, head: bytes, limits: Limits, info: SourceInfo) -> Iterator[Table]:
    enc = sniff_encoding(head)
    info.encoding = enc
    f = open(path, encoding=enc, errors="replace")  # noqa: SIM115 - closed below
    raw = f.buffer
    info.position = raw.tell
    start = f.read(1)
    while start and start.isspace():
        start = f.read(1)
    records: Iterator[Any]
    if start == "[":
        records = _iter_array(f, limits)
        info.format = "json"
    else:
        # An object: GeoJSON FeatureCollection or {"data": [...]}: find the array of records.
        f.close()
        if info.size > limits.json_max_whole:
            f = open(path, encoding=enc, errors="replace")  # noqa: SIM115
            text = f.read(SNIFF_BYTES)
            key = '"features"' if '"features"' in text else None
            if key is None:
                f.close()
                raise ScanInputError("too_large", "Dit JSON-object is te groot om in zijn geheel "
                                     "te lezen en bevat geen lijst 'features'.")
            f.seek(0)
            pos = text.index(key) + len(key)
            f.read(pos)
            c = f.read(1)
            while c and c in " \t\r\n:":
                c = f.read(1)
            if c != "[":
                f.close()
                raise ScanInputError("format", "GeoJSON zonder lijst 'features'.")
            records = _iter_array(f, limits)
            info.format = "geojson"
        else:
            with open(path, encoding=enc, errors="replace") as g:
                try:
                    doc = json.load(g)
                except ValueError as exc:
                    raise ScanInputError("format", f"Ongeldige JSON ({exc.msg}, regel "
                                         f"{exc.lineno}).") from exc
            arr = None
            if isinstance(doc, dict):
                if isinstance(doc.get("features"), list):
                    arr, info.format = doc["features"], "geojson"
                else:
                    for v in doc.values():
                        if isinstance(v, list) and v and isinstance(v[0], dict):
                            arr, info.format = v, "json"
                            break
                    if arr is None:
                        arr, info.format = [doc], "json"
            else:
                arr, info.format = [doc], "json"
            records = iter(arr)
            f = io.StringIO()
    yield from _json_records(records, f, limits, info)


def _json_records(records: Iterator[Any], f: io.TextIOBase, limits: Limits, info: SourceInfo
                  ) -> Iterator[Table]:
    # The column set comes from the first batch; later new keys get their own columns in the
    # batches after (the core adds columns by name).
    first: list[dict[str, str]] = []
    try:
        for rec in records:
            first.append(_flatten(rec))
            if len(first) >= limits.batch_rows:
                break
    except ValueError as exc:
        f.close()
        raise ScanInputError("format", f"Ongeldige JSON: {exc}") from exc
    cols: list[str] = []
    for r in first:
        for k in r:
            if k not in cols:
                cols.append(k)

    def batches() -> Iterator[list[pa.Array]]:
        buf = first
        try:
            while buf:
                yield [pa.array([r.get(c, "") for r in buf], pa.string()) for c in cols]
                buf = []
                try:
                    for rec in records:
                        flat = _flatten(rec)
                        for k in flat:
                            if k not in cols:
                                cols.append(k)
                        buf.append(flat)
                        if len(buf) >= limits.batch_rows:
                            break
                except ValueError as exc:
                    info.problems.append(Problem("parse", f"Het JSON-bestand is niet volledig "
                                                 f"leesbaar: {exc}.", fatal=True))
                    if buf:
                        yield [pa.array([r.get(c, "") for r in buf], pa.string())
                               for c in cols]
                    return
        finally:
            f.close()

    table = Table(None, cols, batches())
    yield table
