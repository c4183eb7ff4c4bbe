"""Invented inventory data of the harvest tests (realistic, Dutch, no personal data)."""

from __future__ import annotations

import csv
import io
from typing import Any

from ckanext.gemeente.harvest.sources.spreadsheet import TEMPLATE_COLUMNS

HEADER = [c[0] for c in TEMPLATE_COLUMNS]

TOPICS = [
    ("Afvalinzamelpunten", "Afval", "afval"),
    ("Speelplaatsen", "Ruimte en infrastructuur", "spelen"),
    ("Bomen in beheer", "Natuur en milieu", "bomen"),
    ("Parkeervakken", "Ruimte en infrastructuur", "parkeren"),
    ("Openbare verlichting", "Ruimte en infrastructuur", "verlichting"),
    ("Hondenuitlaatplaatsen", "Natuur en milieu", "honden"),
    ("Bankjes en afvalbakken", "Afval", "straatmeubilair"),
    ("Laadpalen", "Ruimte en infrastructuur", "laadpalen"),
]


def row(i: int, **overrides: Any) -> dict[str, str]:
    title, theme, tag = TOPICS[i % len(TOPICS)]
    suffix = f" {i // len(TOPICS) + 1}" if i >= len(TOPICS) else ""
    data = {
        "ID": f"OR-{i + 1:04d}",
        "Titel": f"{title}{suffix}",
        "Omschrijving": f"Ligging en kenmerken van {title.lower()} in de gemeente, uit het "
                        f"beheersysteem openbare ruimte.",
        "Afdeling": "Openbare Ruimte",
        "Thema": theme,
        "Trefwoorden": f"{tag}; openbare ruimte",
        "Licentie": "CC0 1.0",
        "Openbaarheid": "Publiek",
        "Privacyclassificatie": "geen-persoonsgegevens",
        "Contact naam": "Team Open Data",
        "Contact e-mail": "opendata@zaanstad.example.nl",
        "Gewijzigd": f"{(i % 28) + 1:02d}-{(i % 12) + 1:02d}-2025",
        "Taal": "Nederlands",
        "Frequentie": "Maandelijks",
        "Data-eigenaar": "Hoofd Openbare Ruimte",
        "Bronsysteem": "GBI beheer openbare ruimte",
        "Download-URL": f"https://data.zaanstad.example.nl/or/{tag}-{i + 1}.csv",
        "Formaat": "CSV",
    }
    data.update(overrides)
    return data


def rows(n: int) -> list[dict[str, str]]:
    return [row(i) for i in range(n)]


def to_csv(data: list[dict[str, str]], delimiter: str = ";", encoding: str = "utf-8",
           bom: bool = False) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(HEADER)
    for r in data:
        writer.writerow([r.get(h, "") for h in HEADER])
    raw = out.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + raw) if bom else raw


def to_xlsx(data: list[dict[str, str]], merged_contact: bool = False) -> bytes:
    """An XLSX inventory; ``merged_contact``: "Contact" merged over "naam" / "e-mail"."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Datasets"
    if merged_contact:
        top = []
        sub = []
        for h in HEADER:
            if h.startswith("Contact "):
                top.append("Contact")
                sub.append(h.split(" ", 1)[1])
            else:
                top.append(h)
                sub.append(None)
        ws.append(top)
        ws.append(sub)
        c = HEADER.index("Contact naam") + 1
        ws.merge_cells(start_row=1, start_column=c, end_row=1, end_column=c + 1)
        for col, h in enumerate(HEADER, start=1):
            if not h.startswith("Contact "):
                ws.merge_cells(start_row=1, start_column=col, end_row=2, end_column=col)
    else:
        ws.append(HEADER)
    for r in data:
        ws.append([r.get(h, "") for h in HEADER])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
