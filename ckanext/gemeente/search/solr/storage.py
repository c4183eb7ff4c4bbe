"""Persistence of a core's committed documents: one SQLite file per core.

A commit writes the documents it changed in one transaction (WAL, ``synchronous=NORMAL``),
so that after ``kill -9`` the file holds the index of before or after that commit. At
start the documents are read back in index order and analysed again (:mod:`.core`).
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from typing import Any

from .ops import Doc


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        from .datemath import format_solr_date

        return format_solr_date(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


class CoreStore:
    """The SQLite file of one core: ``docs(seq, key, doc)`` in index order."""

    def __init__(self, path: str) -> None:
        self.path = path
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute(
            "CREATE TABLE IF NOT EXISTS docs ("
            " seq INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT UNIQUE NOT NULL, doc TEXT NOT NULL)"
        )
        self._db: sqlite3.Connection | None = db

    def load(self, schema: Any) -> Iterator[tuple[str, Doc]]:
        """The stored documents in index order, date values converted back."""
        assert self._db is not None
        date_fields: dict[str, Any] = {}
        for key, raw in self._db.execute("SELECT key, doc FROM docs ORDER BY seq"):
            doc = json.loads(raw)
            for name, values in doc.items():
                fld = date_fields.get(name, False)
                if fld is False:
                    f = schema.field(name)
                    fld = f if f is not None and getattr(f.type, "kind", "") == "date" else None
                    date_fields[name] = fld
                if fld is not None:
                    doc[name] = [fld.type.convert(name, v) if isinstance(v, str) else v
                                 for v in values]
            yield key, doc

    def persist(self, changed: Mapping[str, Doc | None]) -> None:
        """Write one commit's changes (``None``: deleted) in one transaction."""
        assert self._db is not None
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            deletes = [(k,) for k, v in changed.items() if v is None]
            if deletes:
                db.executemany("DELETE FROM docs WHERE key = ?", deletes)
            upserts = [
                (k, json.dumps(v, default=_json_default, ensure_ascii=False))
                for k, v in changed.items()
                if v is not None
            ]
            if upserts:
                # delete + insert gives the document a new sequence number, so that a
                # reload keeps Lucene's index order (updated documents go last)
                db.executemany("DELETE FROM docs WHERE key = ?", [(k,) for k, _ in upserts])
                db.executemany("INSERT INTO docs (key, doc) VALUES (?, ?)", upserts)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
