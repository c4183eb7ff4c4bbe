"""From stored scan results to the findings the privacy review shows (``IGemeenteReview``).

Pure Python: takes the package dict and the latest result (as a dict) per resource. A
resource that was not (yet) scanned, whose scan failed or whose scan belongs to an older
version of the resource blocks approval just like a ``hoog`` finding: the review never reads
"no personal data" into a scan that did not happen.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .report import RISKS

BLOCKING = ("hoog", "fout")


def _resource_label(res: Mapping[str, Any]) -> str:
    return str(res.get("name") or res.get("url") or res.get("id"))[:80]


def review_findings(package: Mapping[str, Any], results: Mapping[str, dict[str, Any] | None],
                    versions: Mapping[str, str], scannable: Mapping[str, bool]
                    ) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for res in package.get("resources") or []:
        rid = res["id"]
        label = _resource_label(res)

        def add(title: str, risk: str, summary: str, details: list | None = None,
                blocking: bool | None = None, rid: str = rid) -> None:
            out.append({"source": "scan", "resource_id": rid, "title": title, "risk": risk,
                        "summary": summary, "details": details or [],
                        "blocking": risk in BLOCKING if blocking is None else blocking})

        if not scannable.get(rid, True):
            add(f"{label}: niet gescand", "laag",
                "Dit formaat scant de suite niet; beoordeel de inhoud zelf.", blocking=False)
            continue
        row = results.get(rid)
        if row is None:
            add(f"{label}: nog niet gescand", "fout",
                "Er is nog geen scan van deze bron; wacht op de scan of start hem opnieuw.")
            continue
        if row.get("version") != versions.get(rid):
            add(f"{label}: scan hoort bij een oudere versie", "fout",
                "De bron is gewijzigd na de laatste scan; de nieuwe scan is nog niet klaar.")
            continue
        if row["status"] in ("queued", "running"):
            add(f"{label}: scan loopt nog", "fout", "De scan staat in de wachtrij of loopt.")
            continue
        if row["status"] == "error":
            add(f"{label}: scan mislukt", "fout", row.get("error") or "De scan is mislukt.")
            continue
        report = row.get("report") or {}
        for p in report.get("problems", []):
            add(f"{label}: {'bestand niet (volledig) leesbaar' if p.get('fatal') else 'let op'}",
                "fout" if p.get("fatal") else "laag", p.get("message", ""),
                blocking=bool(p.get("fatal")))
        found = False
        for col in report.get("columns", []):
            if col.get("risk") not in RISKS[1:]:
                continue
            found = True
            kinds = ", ".join(sorted({f["kind"] for f in col.get("findings", [])}))
            details = [{"kind": f["kind"], "confidence": f["confidence"], "count": f["count"],
                        "examples": f.get("examples", []), "summary": f.get("summary", "")}
                       for f in col.get("findings", [])]
            add(f"{label}, kolom {col['column']}: {kinds}", col["risk"],
                "; ".join(f.get("summary", "") for f in col.get("findings", [])), details)
        if not found and not report.get("problems"):
            add(f"{label}: geen persoonsgegevens gevonden", "geen",
                f"{report.get('rows', 0)} rijen gescand.", blocking=False)
    return out
