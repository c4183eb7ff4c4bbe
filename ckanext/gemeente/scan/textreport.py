"""A scan report as text for a terminal (``ckan gemeente scan FILE`` without ``--json``)."""

from __future__ import annotations

from .report import ScanReport


def render_text(report: ScanReport) -> str:
    lines = [f"{report.source}: {report.format or '?'}, {report.rows:,} rijen, "
             f"{report.bytes / 1e6:.1f} MB, {report.seconds:.1f} s — risico: {report.risk}"]
    if report.encoding:
        lines.append(f"  codering {report.encoding}, scheidingsteken {report.delimiter!r}")
    for p in report.problems:
        lines.append(f"  {'FOUT' if p.fatal else 'LET OP'}: {p.message}")
    for c in report.columns:
        if not c.findings:
            continue
        lines.append(f"  kolom {c.column} [{c.risk}]")
        for f in c.findings:
            ex = f" bijv. {', '.join(f.examples)}" if f.examples else ""
            lines.append(f"    - {f.kind} ({f.confidence:.0%}, {f.count:,}x): {f.summary}{ex}")
    if not any(c.findings for c in report.columns) and report.complete:
        lines.append("  geen persoonsgegevens gevonden")
    return "\n".join(lines) + "\n"
