"""``gemeente_spreadsheet``: an inventory spreadsheet (CSV or XLSX) where each row is a dataset.

Reading (:func:`read_table`) takes Dutch spreadsheets as they come: ``;``, ``,`` or tab,
UTF-8 with or without BOM, Windows-1252, Dutch dates (the mapping's ``date`` type), and in
XLSX merged header cells (a group header over several columns is prefixed to each column
below it: "Contact" over "naam" and "e-mail" gives "Contact naam" and "Contact e-mail").
A CSV that ends in the middle of a row (a truncated download) is refused as a whole, so
nothing is withdrawn because of it. The template users download from the source form is
``public/gemeente-harvest/inventaris-sjabloon.xlsx`` (and ``.csv``), written by
:func:`write_template` from :data:`TEMPLATE_COLUMNS`, whose default mapping is
:data:`DEFAULT_MAPPING`.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable
from typing import Any

from ckanext.gemeente import urlguard

from ..base import GemeenteHarvester, Record, SourceContext, SourceReadError

# (column, dataset field, spec extras, explanation for the template's second sheet)
TEMPLATE_COLUMNS: list[tuple[str, str, dict[str, Any], str]] = [
    ("ID", "", {}, "Vaste, unieke code van de dataset in dit overzicht (bijv. OR-001). "
                   "Verander deze niet: zo herkent de harvester de rij bij de volgende run."),
    ("Titel", "title", {}, "Naam van de dataset zoals gebruikers ernaar zoeken."),
    ("Omschrijving", "notes", {}, "Wat de data bevat en waarvoor ze te gebruiken is."),
    ("Afdeling", "owner_org", {}, "Naam of titel van de afdeling (CKAN-organisatie); leeg: "
                                  "de afdeling van de harvestbron."),
    ("Thema", "theme", {"type": "list"}, "Een of meer thema's, gescheiden door ';' "
                                          "(bijv. Afval; Natuur en milieu)."),
    ("Trefwoorden", "tags", {"type": "list"}, "Trefwoorden, gescheiden door ';'."),
    ("Licentie", "license_id", {}, "Licentie, bijv. CC0 1.0 of de URI ervan."),
    ("Openbaarheid", "access_rights", {}, "Publiek, Beperkt of Niet publiek."),
    ("Privacyclassificatie", "privacy_classification", {},
     "Bijv. geen-persoonsgegevens; leeg laten mag, de privacy officer vult het aan."),
    ("Contact naam", "contact_name", {}, "Team of rol (geen privégegevens)."),
    ("Contact e-mail", "contact_email", {}, "Algemeen e-mailadres van het team."),
    ("Gewijzigd", "modified", {"type": "date"}, "Datum van de laatste wijziging van de data, "
                                                "bijv. 31-12-2025."),
    ("Taal", "language", {"type": "list"}, "Taal van de data, bijv. Nederlands."),
    ("Frequentie", "frequency", {}, "Hoe vaak de data wordt bijgewerkt, bijv. maandelijks."),
    ("Data-eigenaar", "data_owner", {}, "Een rol, bijv. Hoofd Openbare Ruimte."),
    ("Bronsysteem", "source_system", {}, "Systeem waar de data vandaan komt."),
    ("Download-URL", "", {}, "Adres van het bestand of de dienst (http(s))."),
    ("Formaat", "", {}, "Bestandstype, bijv. CSV, JSON, GEOJSON."),
]

DEFAULT_MAPPING: dict[str, Any] = {
    "identifier": "ID",
    "fields": {
        field: ({"column": col, **extra} if extra else col)
        for col, field, extra, _ in TEMPLATE_COLUMNS if field
    } | {"metadata_language": {"column": "Taal", "default": "Nederlands"}},
    "resources": [{"url": "Download-URL", "format": "Formaat",
                   "name": {"template": "{Titel} ({Formaat})"}}],
}
TEMPLATE_EXAMPLE = [
    "OR-001", "Afvalinzamelpunten", "Locaties van ondergrondse containers voor restafval, papier "
    "en glas.", "Openbare Ruimte", "Afval; Natuur en milieu", "afval; containers", "CC0 1.0",
    "Publiek", "geen-persoonsgegevens", "Team Open Data", "opendata@gemeente.example.nl",
    "31-12-2025", "Nederlands", "maandelijks", "Hoofd Openbare Ruimte",
    "GBI beheer openbare ruimte", "https://data.gemeente.example.nl/afval/inzamelpunten.csv",
    "CSV",
]


class TableError(SourceReadError):
    """The spreadsheet as a whole cannot be read."""


# ------------------------------------------------------------------ reading


def decode(raw: bytes) -> str:
    """Text of a CSV file: UTF-8 (with or without BOM), else Windows-1252."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="replace")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def _delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in (";", ",", "\t")}
    return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


def read_csv(raw: bytes, delimiter: str | None = None) -> list[tuple[int, dict[str, Any]]]:
    """(row number, {header: value}) of a CSV inventory (row numbers as in a spreadsheet)."""
    text = decode(raw)
    first = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter or _delimiter(first))
    rows = list(reader)
    return _records(rows, truncated=bool(text) and not text.endswith(("\n", "\r")))


def _records(rows: list[list[Any]], truncated: bool = False,
             header_rows: int = 1, header: list[str] | None = None,
             first_data: int | None = None) -> list[tuple[int, dict[str, Any]]]:
    start = 0
    while start < len(rows) and not any(_filled(c) for c in rows[start]):
        start += 1
    if start >= len(rows):
        return []
    if header is None:
        header = [str(c).strip() if _filled(c) else "" for c in rows[start]]
        data_from = start + header_rows
    else:
        data_from = first_data if first_data is not None else start + header_rows
    out = []
    for index in range(data_from, len(rows)):
        row = rows[index]
        if not any(_filled(c) for c in row):
            continue
        if truncated and index == len(rows) - 1 and len(row) < len([h for h in header if h]):
            raise TableError(
                f"het bestand houdt op midden in rij {index + 1}: afgebroken download?")
        out.append((index + 1, {h: row[i] if i < len(row) else None
                                for i, h in enumerate(header) if h}))
    return out


def _filled(cell: Any) -> bool:
    return cell is not None and not (isinstance(cell, str) and not cell.strip())


def read_xlsx(raw: bytes, sheet: str | None = None) -> list[tuple[int, dict[str, Any]]]:
    """(row number, {header: value}) of an XLSX inventory, merged header cells resolved."""
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        wb = openpyxl.load_workbook(io.BytesIO(raw), data_only=True)
    except (InvalidFileException, OSError, KeyError, ValueError) as exc:
        raise TableError(f"geen leesbaar XLSX-bestand ({type(exc).__name__})") from exc
    if sheet:
        if sheet not in wb.sheetnames:
            raise TableError(f"werkblad {sheet!r} bestaat niet")
        ws = wb[sheet]
    else:
        ws = wb.worksheets[0]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    start = 0
    while start < len(rows) and not any(_filled(c) for c in rows[start]):
        start += 1
    if start >= len(rows):
        return []
    header_top = start + 1  # 1-based
    merged = [m for m in ws.merged_cells.ranges if m.min_row == header_top]
    if not merged:
        return _records(rows)
    # fill merged header cells with their top-left value; a range spanning columns in the
    # first header row is a group header over a second header row
    filled = [list(rows[start]), list(rows[start + 1]) if start + 1 < len(rows) else []]
    group_cols: set[int] = set()
    for rng in ws.merged_cells.ranges:
        if rng.min_row > header_top + 1 or rng.max_row < header_top:
            continue
        value = ws.cell(rng.min_row, rng.min_col).value
        for r in range(max(rng.min_row, header_top), min(rng.max_row, header_top + 1) + 1):
            line = filled[r - header_top]
            while len(line) < rng.max_col:
                line.append(None)
            for c in range(rng.min_col, rng.max_col + 1):
                line[c - 1] = value
        if rng.min_row == header_top and rng.max_col > rng.min_col and rng.max_row == header_top:
            group_cols.update(range(rng.min_col - 1, rng.max_col))
    if not group_cols:
        return _records(rows)
    width = max(len(filled[0]), len(filled[1]))
    header = []
    for c in range(width):
        top = filled[0][c] if c < len(filled[0]) else None
        sub = filled[1][c] if c < len(filled[1]) else None
        parts = [str(p).strip() for p in (top, sub) if _filled(p)]
        if len(parts) == 2 and parts[0] == parts[1]:
            parts = parts[:1]
        if c not in group_cols and _filled(top):
            parts = [str(top).strip()]
        header.append(" ".join(parts))
    return _records(rows, header=header, first_data=start + 2)


def read_table(raw: bytes, name: str = "", config: dict[str, Any] | None = None
               ) -> list[tuple[int, dict[str, Any]]]:
    config = config or {}
    kind = config.get("format") or ("xlsx" if raw[:4] == b"PK\x03\x04" or
                                    name.lower().endswith((".xlsx", ".xlsm")) else "csv")
    if kind == "xlsx":
        return read_xlsx(raw, config.get("sheet"))
    return read_csv(raw, config.get("delimiter"))


# ------------------------------------------------------------------ template


def write_template(directory: str) -> list[str]:
    """Write ``inventaris-sjabloon.xlsx`` and ``.csv`` into ``directory``; their paths."""
    import openpyxl
    from openpyxl.styles import Alignment, Font

    os.makedirs(directory, exist_ok=True)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Inventaris"
    ws.append([c[0] for c in TEMPLATE_COLUMNS])
    ws.append(TEMPLATE_EXAMPLE)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for i, (col, *_rest) in enumerate(TEMPLATE_COLUMNS, start=1):
        ws.column_dimensions[openpyxl.utils.get_column_letter(i)].width = max(14, len(col) + 4)
    ws.freeze_panes = "A2"
    help_ws = wb.create_sheet("Toelichting")
    help_ws.append(["Kolom", "Veld in het portaal", "Toelichting"])
    for cell in help_ws[1]:
        cell.font = Font(bold=True)
    for col, field, _extra, text in TEMPLATE_COLUMNS:
        help_ws.append([col, field or ("identificatie" if col == "ID" else "bron (resource)"),
                        text])
    help_ws.column_dimensions["A"].width = 22
    help_ws.column_dimensions["B"].width = 24
    help_ws.column_dimensions["C"].width = 90
    for row in help_ws.iter_rows(min_row=2):
        row[2].alignment = Alignment(wrap_text=True)
    xlsx = os.path.join(directory, "inventaris-sjabloon.xlsx")
    wb.save(xlsx)
    # fixed timestamps would be nicer, but openpyxl writes the creation time: the test
    # compares the sheets' content, not the bytes
    csv_path = os.path.join(directory, "inventaris-sjabloon.csv")
    with open(csv_path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, delimiter=";")
        writer.writerow([c[0] for c in TEMPLATE_COLUMNS])
        writer.writerow(TEMPLATE_EXAMPLE)
    return [xlsx, csv_path]


TEMPLATE_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "public",
                            "gemeente-harvest")


# ------------------------------------------------------------------ harvester


class SpreadsheetHarvester(GemeenteHarvester):
    """Harvester of an inventory spreadsheet on a share (file root) or a web server."""

    source_type = "gemeente_spreadsheet"
    title = "Inventaris-spreadsheet (CSV/XLSX)"
    description = ("Een overzicht in CSV of XLSX waarin elke rij een dataset beschrijft "
                   "(pad onder een toegestane map, of een URL).")
    config_keys = {"sheet", "delimiter", "format"}
    record_word = "Rij"

    def default_mapping(self, config: dict[str, Any]) -> dict[str, Any]:
        return DEFAULT_MAPPING

    def validate_source_config(self, config: dict[str, Any]) -> list[tuple[str, str]]:
        errors = []
        if config.get("format", "csv") not in ("csv", "xlsx"):
            errors.append(("format", "must be csv or xlsx"))
        if "delimiter" in config and config["delimiter"] not in (";", ",", "\t", "|"):
            errors.append(("delimiter", "must be one of ; , | or a tab"))
        return errors

    def read_records(self, source: SourceContext) -> Iterable[Record]:
        with urlguard.open_source(source.url, source.policy) as fh:
            raw = fh.read()
        rows = read_table(raw, source.url, source.config)
        return [Record(identifier=None, data=data, ref=f"Rij {number}")
                for number, data in rows]
