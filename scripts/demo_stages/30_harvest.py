"""Demo stage: a spreadsheet inventory and a departmental database, harvested once.

Both sources are files under ``.dev/demo-sources/share``, the demo's file root
(``ckanext.gemeente.harvest.file_roots`` in the demo ini), as a municipality's share:

- ``inventaris-openbare-ruimte.xlsx``: the department's inventory in the downloadable
  template (a dozen invented datasets, Dutch dates, "Contact" merged over two columns);
- ``beheer-openbare-ruimte.sqlite``: the department's management database (invented
  tables and a view; SQLite keeps no comments, so titles come from the table names), one
  dataset per table with its data dictionary and a CSV export.

The sources are harvested once with ``ckan gemeente harvest run --source ...``, so that
``ckan -c .dev/demo.ini gemeente harvest run`` on the running demo works as cron would and
a second run changes nothing (the files are only written when absent).
"""

from __future__ import annotations

import json
import pathlib
import sqlite3
import sys
from typing import Any

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from _harvest import create_and_harvest  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
SHARE = ROOT / ".dev" / "demo-sources" / "share"
XLSX = SHARE / "inventaris-openbare-ruimte.xlsx"
SQLITE = SHARE / "beheer-openbare-ruimte.sqlite"
DB_DEFAULTS = {
    "contact_name": "Team Data Openbare Ruimte", "contact_email": "data-or@zaanstad.example.nl",
    "license_id": "CC0 1.0", "access_rights": "Publiek", "language": ["Nederlands"],
    "metadata_language": "Nederlands",
    "theme": ["http://standaarden.overheid.nl/owms/terms/Ruimte_en_infrastructuur"],
}


def _write_sources() -> None:
    SHARE.mkdir(parents=True, exist_ok=True)
    if not XLSX.exists():
        sys.path.insert(0, str(ROOT / "tests" / "harvest"))
        import harvest_data

        XLSX.write_bytes(harvest_data.to_xlsx(harvest_data.rows(12), merged_contact=True))
    if not SQLITE.exists():
        conn = sqlite3.connect(SQLITE)
        conn.executescript("""
            CREATE TABLE afvalbakken (id INTEGER PRIMARY KEY, wijk TEXT NOT NULL,
                soort TEXT, inhoud_liter INTEGER, geplaatst DATE);
            INSERT INTO afvalbakken (wijk, soort, inhoud_liter, geplaatst) VALUES
                ('WK047901', 'rest', 60, '2021-04-12'), ('WK047902', 'papier', 120,
                '2022-09-01'), ('WK047903', 'glas', 1500, NULL);
            CREATE TABLE speeltoestellen (id INTEGER PRIMARY KEY, locatie TEXT,
                toestel TEXT, laatste_keuring DATE);
            INSERT INTO speeltoestellen (locatie, toestel, laatste_keuring) VALUES
                ('Westerpark', 'schommel', '2025-03-01'), ('Darwinpark', 'glijbaan',
                '2025-02-11');
            CREATE TABLE strooiroutes (route TEXT PRIMARY KEY, lengte_km REAL,
                prioriteit INTEGER);
            INSERT INTO strooiroutes VALUES ('R1 Centrum', 18.4, 1), ('R2 Noord', 22.9, 2);
            CREATE VIEW afvalbakken_per_wijk AS
                SELECT wijk, count(*) AS aantal FROM afvalbakken GROUP BY wijk;
        """)
        conn.commit()
        conn.close()


def seed(api: Any, venv: pathlib.Path, ckan: Any, data: dict[str, Any], ini: pathlib.Path
         ) -> dict[str, int]:
    plugins = ini.read_text()
    if "gemeente_spreadsheet_harvester" not in plugins or \
            "gemeente_sql_harvester" not in plugins:
        return {"skipped (harvesters not enabled)": 0}
    _write_sources()
    orgs = [o["name"] for o in data["organizations"]]
    org = next((o for o in orgs if "openbare-ruimte" in o), orgs[0])
    wanted = [
        {"name": "inventaris-openbare-ruimte", "title": "Inventaris Openbare Ruimte (demo)",
         "url": str(XLSX), "source_type": "gemeente_spreadsheet", "owner_org": org,
         "frequency": "DAILY",
         "config": json.dumps({"review_state": "ingediend", "notify": "errors",
                               "contacts": ["informatiebeheer@zaanstad.example.nl"]})},
        {"name": "beheerdatabase-openbare-ruimte",
         "title": "Beheerdatabase Openbare Ruimte (demo)",
         "url": f"sqlite:///{SQLITE}", "source_type": "gemeente_sql", "owner_org": org,
         "frequency": "DAILY",
         "config": json.dumps({"defaults": DB_DEFAULTS, "export_csv": True})},
    ]
    return create_and_harvest(api, ckan, wanted)
