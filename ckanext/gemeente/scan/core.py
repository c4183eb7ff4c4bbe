"""Scan one file: read it in batches (:mod:`.readers`), feed each column to the detectors
(:mod:`.detectors`), judge the columns (:mod:`.judge`) and return a :class:`.report.ScanReport`.

Columns of a batch are scanned on a small thread pool: pyarrow's kernels release the GIL,
so the detectors of different columns run in parallel with each other and with the CSV
parser's own threads.
"""

from __future__ import annotations

import datetime as _dt
import queue
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from .detectors import ColumnStats, Detectors
from .judge import judge
from .names import load_names
from .readers import (
    RAGGED_COLUMN,
    EncodingRestart,
    Limits,
    ScanInputError,
    SourceInfo,
    Table,
    open_tables,
)
from .report import ColumnReport, Problem, ScanReport

Progress = Callable[[int, int], None]   # (bytes done, bytes total)
# Bytes of values the detectors get at a time: the reader's batches are gathered up to this
# size, as every kernel call has a fixed cost (a regular expression is compiled per call).
DETECT_BYTES = 32 * 1024 * 1024


@dataclass
class ScanOptions:
    small_cell_threshold: int = 5
    names_dir: str | None = None
    threads: int = 2
    limits: Limits = field(default_factory=Limits)
    today: _dt.date | None = None


def _release_memory_promptly() -> None:
    """Let pyarrow's allocator give freed batches back at once instead of keeping them
    (jemalloc's default decay keeps the peak of every batch around for a while)."""
    try:
        if pa.default_memory_pool().backend_name == "jemalloc":
            pa.jemalloc_set_decay_ms(0)
    except (NotImplementedError, AttributeError, pa.ArrowException):
        pass


def scan_file(path: str, options: ScanOptions | None = None, progress: Progress | None = None,
              source: str | None = None) -> ScanReport:
    """Scan ``path``; never raises for bad input (it becomes a problem in the report)."""
    opts = options or ScanOptions()
    _release_memory_promptly()
    t0 = time.monotonic()
    report = ScanReport(source=source or path)
    detectors = Detectors(load_names(opts.names_dir), opts.small_cell_threshold, opts.today)
    encoding: str | None = None
    notes: list[Problem] = []
    for _attempt in range(3):
        info = SourceInfo()
        try:
            columns, rows = _scan(path, opts, detectors, info, progress, encoding)
        except EncodingRestart as restart:
            notes.append(Problem(
                "encoding",
                f"Het bestand is geen geldige {_label(encoding or 'utf-8')}; opnieuw gelezen als "
                f"{_label(restart.encoding)} (letters met accenten kunnen verminkt zijn).",
                fatal=False))
            encoding = restart.encoding
            continue
        except ScanInputError as exc:
            info.problems.append(Problem(exc.kind, exc.message, fatal=True))
            columns, rows = [], 0
        except Exception as exc:  # a reader bug must not look like "no personal data"
            info.problems.append(Problem(
                "error", f"Onverwachte fout bij het lezen ({type(exc).__name__}); "
                "het bestand is niet (volledig) gescand.", fatal=True))
            columns, rows = [], 0
        break
    else:  # pragma: no cover - three restarts cannot happen (latin-1 decodes everything)
        columns, rows = [], 0
    report.format, report.encoding, report.delimiter = info.format, info.encoding, info.delimiter
    report.bytes, report.rows, report.columns = info.size, rows, columns
    report.problems = notes + info.problems
    if rows == 0 and report.complete and info.format:
        report.problems.append(Problem("no_rows", "Het bestand bevat geen gegevensrijen.",
                                       fatal=False))
    report.seconds = time.monotonic() - t0
    return report


def _observe(pool: ThreadPoolExecutor, det: Detectors, stats: list[ColumnStats],
             pending: list[list[pa.Array]]) -> None:
    """Feed the gathered batches to the detectors, one column per task."""
    if not pending:
        return
    width = max(len(arrays) for arrays in pending)
    columns = [[arrays[i] for arrays in pending if len(arrays) > i] for i in range(width)]
    list(pool.map(det.observe, stats[:width], columns))


def _drain(table: Table, det: Detectors, ragged: ColumnStats) -> None:
    """Scan the ragged rows the reader has put aside so far (it may be adding more)."""
    n = len(table.extra)
    if n:
        texts = table.extra[:n]
        del table.extra[:n]
        det.observe(ragged, pa.array(texts, pa.string()))


_DONE = object()


def _prefetch(batches: Iterator[list[pa.Array]], depth: int = 2) -> Iterator[list[pa.Array]]:
    """Read the next ``depth`` batches on a thread of their own while the detectors work.

    pyarrow's CSV parser releases the GIL, so parsing overlaps with scanning; the bounded
    queue keeps memory bounded. Errors of the reader are raised here, in order.
    """
    q: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def run() -> None:
        try:
            for item in batches:
                if not put(item):
                    return
            put(_DONE)
        except BaseException as exc:  # handed to the consumer, raised there
            put(exc)
        finally:
            close = getattr(batches, "close", None)
            if stop.is_set() and close is not None:
                close()

    worker = threading.Thread(target=run, name="scan-reader", daemon=True)
    worker.start()
    try:
        while True:
            item = q.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join()


def _label(enc: str) -> str:
    return {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "cp1252": "Windows-1252",
            "latin-1": "ISO-8859-1"}.get(enc, enc)


def _scan(path: str, opts: ScanOptions, det: Detectors, info: SourceInfo,
          progress: Progress | None, encoding: str | None) -> tuple[list[ColumnReport], int]:
    reports: list[ColumnReport] = []
    total_rows = 0
    pool = ThreadPoolExecutor(max_workers=max(1, opts.threads))
    try:
        for table in open_tables(path, opts.limits, info, encoding):
            stats = [ColumnStats(c, i) for i, c in enumerate(table.columns)]
            ragged = ColumnStats(RAGGED_COLUMN, len(stats))
            rows = 0
            last = 0.0
            pending: list[list[pa.Array]] = []
            pending_bytes = 0
            for arrays in _prefetch(table.batches):
                while len(stats) < len(arrays):
                    stats.append(ColumnStats(table.columns[len(stats)], len(stats)))
                rows += len(arrays[0]) if arrays else 0
                pending.append(arrays)
                pending_bytes += sum(a.nbytes for a in arrays)
                if pending_bytes >= DETECT_BYTES:
                    _observe(pool, det, stats, pending)
                    pending, pending_bytes = [], 0
                _drain(table, det, ragged)
                if progress is not None and time.monotonic() - last > 0.2:
                    last = time.monotonic()
                    progress(info.position(), info.size)
            _observe(pool, det, stats, pending)
            _drain(table, det, ragged)
            if ragged.values:
                stats.append(ragged)
            cols = judge(stats, rows, opts.small_cell_threshold)
            if table.name:
                for c in cols:
                    c.column = f"{table.name}/{c.column}"
            reports.extend(cols)
            total_rows += rows
    finally:
        pool.shutdown(wait=True)
    if progress is not None:
        progress(info.size, info.size)
    return reports, total_rows
