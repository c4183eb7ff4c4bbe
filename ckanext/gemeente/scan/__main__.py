"""``python -m ckanext.gemeente.scan FILE [--json]``: the scanner without CKAN.

The same report as ``ckan gemeente scan``; for machines without a CKAN configuration and for
the benchmark. Exit code 0 when the scan completed, 2 when the file could not be scanned.
"""

from __future__ import annotations

import argparse
import json
import sys

from .core import ScanOptions, scan_file
from .textreport import render_text


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m ckanext.gemeente.scan")
    ap.add_argument("file")
    ap.add_argument("--json", action="store_true", help="print the JSON report to stdout")
    ap.add_argument("--threshold", type=int, default=5, help="small-cell threshold")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    report = scan_file(args.file, ScanOptions(small_cell_threshold=args.threshold,
                                              threads=args.threads))
    if args.json:
        json.dump(report.to_dict(), sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(render_text(report))
    return 0 if report.complete else 2


if __name__ == "__main__":
    sys.exit(main())
