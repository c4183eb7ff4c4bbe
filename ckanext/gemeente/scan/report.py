"""The scan report: findings per column, risk levels and masked examples.

Nothing here ever holds a raw value: detectors hand over examples already masked with
:func:`mask`, and the report is what gets stored, logged and shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Ordered from no risk to high risk; ``fout`` (the scan failed) is outside the order.
RISKS = ("geen", "laag", "midden", "hoog")
RISK_FOUT = "fout"

RISK_LABELS_EN = {"geen": "none", "laag": "low", "midden": "medium", "hoog": "high",
                  "fout": "error"}


def max_risk(*risks: str) -> str:
    best = "geen"
    for r in risks:
        if r in RISKS and RISKS.index(r) > RISKS.index(best):
            best = r
    return best


def mask(value: str) -> str:
    """Mask a value for display: ``123456782`` -> ``12****782``, ``jan@x.nl`` -> ``ja****.nl``.

    At most 5 characters of the original survive (2 in front, 3 at the end) and only
    for values of 9 characters and longer; shorter values keep only their first character.
    """
    v = " ".join(str(value).split())
    if len(v) >= 9:
        return v[:2] + "****" + v[-3:]
    if len(v) >= 2:
        return v[:1] + "****"
    return "****"


@dataclass
class Finding:
    kind: str                 # bsn, iban, email, telefoon, postcode, adres, kenteken, ...
    confidence: float         # 0..1
    count: int                # matching values (cells) in the column
    examples: list[str] = field(default_factory=list)   # masked only
    risk: str = "midden"
    summary: str = ""         # one line, Dutch, no personal data

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "confidence": round(self.confidence, 2),
                "count": self.count, "examples": list(self.examples[:3]),
                "risk": self.risk, "summary": self.summary}


@dataclass
class ColumnReport:
    column: str
    values: int = 0           # non-empty cells seen
    findings: list[Finding] = field(default_factory=list)

    @property
    def risk(self) -> str:
        return max_risk(*(f.risk for f in self.findings))

    def to_dict(self) -> dict[str, Any]:
        return {"column": self.column, "values": self.values,
                "findings": [f.to_dict() for f in self.findings], "risk": self.risk}


@dataclass
class Problem:
    """Something that kept (part of) the file from being read as it should."""

    kind: str                 # empty, encoding, ragged_rows, zip_bomb, too_large, format, ...
    message: str              # Dutch, one line, no personal data
    fatal: bool = False       # True: the scan could not look at (all of) the data

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "message": self.message, "fatal": self.fatal}


@dataclass
class ScanReport:
    source: str = ""
    format: str = ""
    encoding: str | None = None
    delimiter: str | None = None
    rows: int = 0
    bytes: int = 0
    seconds: float = 0.0
    columns: list[ColumnReport] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not any(p.fatal for p in self.problems)

    @property
    def risk(self) -> str:
        """Highest column risk; ``fout`` when the scan was incomplete and found nothing high:
        an unreadable file is never reported as free of personal data."""
        r = max_risk(*(c.risk for c in self.columns))
        if not self.complete and r != "hoog":
            return RISK_FOUT
        return r

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source, "format": self.format, "encoding": self.encoding,
            "delimiter": self.delimiter, "rows": self.rows, "bytes": self.bytes,
            "seconds": round(self.seconds, 3), "risk": self.risk, "complete": self.complete,
            "columns": [c.to_dict() for c in self.columns],
            "problems": [p.to_dict() for p in self.problems],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ScanReport:
        rep = cls(source=d.get("source", ""), format=d.get("format", ""),
                  encoding=d.get("encoding"), delimiter=d.get("delimiter"),
                  rows=d.get("rows", 0), bytes=d.get("bytes", 0),
                  seconds=d.get("seconds", 0.0))
        for c in d.get("columns", []):
            col = ColumnReport(c["column"], c.get("values", 0))
            for f in c.get("findings", []):
                col.findings.append(Finding(f["kind"], f["confidence"], f["count"],
                                            list(f.get("examples", [])),
                                            f.get("risk", "midden"), f.get("summary", "")))
            rep.columns.append(col)
        for p in d.get("problems", []):
            rep.problems.append(Problem(p["kind"], p["message"], p.get("fatal", False)))
        return rep
