"""``gemeente_sql``: a departmental database; each selected table or view becomes a dataset.

The source URL is an SQLAlchemy URL (``postgresql://``, ``mysql+pymysql://`` for MariaDB and
MySQL, ``sqlite:///`` for a file under a file root, ``mssql+pyodbc://`` where a driver is
installed). Its password is never written in the URL itself: ``${GIS_DB_PASSWORD}`` in its
place names an environment variable of the CKAN process (a literal password is refused when
the source is saved), so credentials appear nowhere in the UI, harvest objects, logs or
errors. The database host passes the same address rules as URLs (``allow_hosts``).

Configuration keys: ``schemas`` (list; default the database's default schema), ``tables``
(glob patterns; default all), ``exclude`` (glob patterns), ``views`` (include views,
default true), ``export_csv`` (add a streamed CSV export of the table as a resource,
default false). A record describes a table: its columns with the database's own types and
comments become the dataset's data dictionary (a table in the description, and the
column list of the CSV resource).
"""

from __future__ import annotations

import csv
import fnmatch
import io
import os
import re
import tempfile
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from ckanext.gemeente import urlguard

from ..base import GemeenteHarvester, Record, SourceContext, SourceReadError

_ENV = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")

DEFAULT_MAPPING: dict[str, Any] = {
    "identifier": "qualified_name",
    "fields": {
        "title": "title",
        "notes": "description",
        "source_system": "database",
    },
}


def connect_url(url: str, policy: urlguard.GuardPolicy) -> sa.engine.URL:
    """The SQLAlchemy URL with the password taken from its environment variable, checked."""
    try:
        parsed = make_url(url)
    except Exception as exc:  # sqlalchemy.exc.ArgumentError and parse errors
        raise SourceReadError(f"geen geldige database-URL: {urlguard.redact_url(url)}") from exc
    password = parsed.password
    if password is not None:
        m = _ENV.match(str(password))
        if not m:
            raise SourceReadError(
                "het wachtwoord staat letterlijk in de database-URL; zet het in een "
                "omgevingsvariabele en schrijf ${NAAM} op die plaats")
        value = os.environ.get(m.group(1))
        if value is None:
            raise SourceReadError(f"omgevingsvariabele {m.group(1)} is niet gezet")
        parsed = parsed.set(password=value)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        path = parsed.database or ""
        if not path or path == ":memory:":
            raise SourceReadError("een SQLite-bron moet een bestand zijn")
        urlguard.resolve_local(path, policy)
        if not os.path.isfile(path):
            raise SourceReadError(f"SQLite-bestand niet gevonden: {path}")
    elif parsed.host:
        default_ports = {"postgresql": 5432, "mysql": 3306, "mariadb": 3306, "mssql": 1433}
        urlguard.check_host(parsed.host, parsed.port or default_ports.get(backend, 0), policy)
    return parsed


def literal_password(url: str) -> bool:
    """Whether ``url`` carries a password that is not a ``${VARIABLE}`` reference."""
    try:
        parsed = make_url(url)
    except Exception:
        return False
    return parsed.password is not None and not _ENV.match(str(parsed.password))


def engine_for(url: str, policy: urlguard.GuardPolicy) -> sa.engine.Engine:
    parsed = connect_url(url, policy)
    backend = parsed.get_backend_name()
    args: dict[str, Any] = {}
    timeout = int(policy.connect_timeout)
    if backend == "postgresql":
        args["connect_timeout"] = timeout
    elif backend in ("mysql", "mariadb"):
        args["connect_timeout"] = timeout
        args["read_timeout"] = int(policy.read_timeout)
    elif backend == "sqlite":
        args["timeout"] = timeout
    return sa.create_engine(parsed, poolclass=NullPool, connect_args=args,
                            hide_parameters=True)


def _match(name: str, patterns: list[str] | None) -> bool:
    return not patterns or any(fnmatch.fnmatchcase(name, p) for p in patterns)


def _title(name: str, comment: str | None) -> str:
    if comment and comment.strip():
        first = comment.strip().splitlines()[0].strip()
        if len(first) <= 120:
            return first
    return name.replace("_", " ").strip().capitalize()


def data_dictionary(columns: list[dict[str, Any]]) -> str:
    lines = ["| Kolom | Type | Leeg toegestaan | Omschrijving |", "|---|---|---|---|"]
    for col in columns:
        comment = (col.get("comment") or "").replace("|", "\\|").replace("\n", " ")
        lines.append(f"| {col['name']} | {col['type']} | {'ja' if col['nullable'] else 'nee'} "
                     f"| {comment} |")
    return "\n".join(lines)


def _bulk_reflection(inspector: Any, schema: str | None) -> tuple[Any, Any]:
    """Columns and comments of every table and view of ``schema`` in a few queries
    (SQLAlchemy 2.0's ``get_multi_*``); (None, None) where unavailable (SQLAlchemy 1.4)."""
    if not hasattr(inspector, "get_multi_columns"):
        return None, None
    from sqlalchemy.engine.reflection import ObjectKind

    columns = inspector.get_multi_columns(schema=schema, kind=ObjectKind.ANY)
    try:
        comments = inspector.get_multi_table_comment(schema=schema, kind=ObjectKind.ANY)
    except NotImplementedError:
        comments = {}
    return columns, comments


COUNT_BATCH = 100


def row_counts(conn: Any, tables: list[tuple[str | None, str]]) -> list[int]:
    """The row count of each (schema, table), in the order given: one ``UNION ALL`` query per
    :data:`COUNT_BATCH` tables instead of a round trip per table.

    The query text is put together from the dialect's quoted identifiers (the names come
    from the database's own catalogue) rather than compiled from SQLAlchemy constructs:
    compiling a union of 100 selects cost more than running it."""
    prepare = conn.dialect.identifier_preparer
    counts: list[int] = []
    for start in range(0, len(tables), COUNT_BATCH):
        batch = tables[start:start + COUNT_BATCH]
        query = " UNION ALL ".join(
            f"SELECT {i} AS i, count(*) AS n FROM "
            + (f"{prepare.quote_schema(schema)}." if schema else "") + prepare.quote(name)
            for i, (schema, name) in enumerate(batch))
        # the preparer doubles a % in a name for drivers that interpolate (psycopg2,
        # PyMySQL), which turn it back into one: no_parameters must not be set here
        found = {int(i): int(n) for i, n in conn.exec_driver_sql(query)}
        counts.extend(found[i] for i in range(len(batch)))
    return counts


def describe(engine: sa.engine.Engine, config: dict[str, Any]) -> list[dict[str, Any]]:
    """The selected tables and views with their columns, comments and row counts."""
    schemas = config.get("schemas") or [None]
    patterns = config.get("tables")
    exclude = config.get("exclude") or []
    views = config.get("views", True)
    database = engine.url.database or ""
    out = []
    with engine.connect() as conn:
        inspector = sa.inspect(conn)  # one connection for every catalogue query
        for schema in schemas:
            names = [(n, "tabel") for n in inspector.get_table_names(schema=schema)]
            if views:
                names += [(n, "view") for n in inspector.get_view_names(schema=schema)]
            bulk_columns, bulk_comments = _bulk_reflection(inspector, schema)
            for name, kind in sorted(names):
                if not _match(name, patterns) or (exclude and _match(name, exclude)):
                    continue
                if bulk_columns is not None and (schema, name) in bulk_columns:
                    raw_columns = bulk_columns[(schema, name)]
                    comment = (bulk_comments or {}).get((schema, name), {}).get("text")
                else:
                    try:
                        comment = inspector.get_table_comment(name, schema=schema).get("text")
                    except NotImplementedError:
                        comment = None
                    raw_columns = inspector.get_columns(name, schema=schema)
                columns = [
                    {"name": c["name"], "type": str(c["type"]), "nullable": bool(c["nullable"]),
                     "comment": c.get("comment") or ""}
                    for c in raw_columns
                ]
                qualified = f"{schema}.{name}" if schema else name
                out.append({
                    "name": name, "schema": schema or "", "qualified_name": qualified,
                    "kind": kind, "comment": comment or "", "columns": columns, "rows": 0,
                    "database": database,
                })
        counts = row_counts(conn, [(info["schema"] or None, info["name"]) for info in out])
        for info, rows in zip(out, counts, strict=True):
            info["rows"] = rows
    return out


def _description(info: dict[str, Any]) -> str:
    kind = "View" if info["kind"] == "view" else "Tabel"
    head = info["comment"].strip() or f"{kind} {info['qualified_name']}."
    return (f"{head}\n\n{kind} `{info['qualified_name']}` uit database `{info['database']}`, "
            f"{info['rows']} rijen, {len(info['columns'])} kolommen.\n\n"
            f"## Datawoordenboek\n\n{data_dictionary(info['columns'])}")


def export_csv(engine: sa.engine.Engine, schema: str | None, name: str, fh: Any,
               limit: int = 0) -> int:
    """Stream the rows of ``schema.name`` as UTF-8 CSV into the binary file ``fh``."""
    text = io.TextIOWrapper(fh, encoding="utf-8", newline="", write_through=True)
    writer = csv.writer(text)
    count = 0
    table = sa.table(name, schema=schema)
    with engine.connect() as conn:
        query = sa.select(sa.text("*")).select_from(table)
        if limit:
            query = query.limit(limit)
        result = conn.execution_options(stream_results=True, yield_per=1000).execute(query)
        writer.writerow(list(result.keys()))
        for row in result:
            writer.writerow(["" if v is None else v for v in row])
            count += 1
    text.detach()
    return count


class SqlHarvester(GemeenteHarvester):
    """Harvester of a departmental database (see the module docstring)."""

    source_type = "gemeente_sql"
    title = "Afdelingsdatabase (SQL)"
    description = ("Tabellen en views van een database (PostgreSQL, MariaDB/MySQL, SQLite): "
                   "een dataset per tabel met datawoordenboek.")
    config_keys = {"schemas", "tables", "exclude", "views", "export_csv"}
    record_word = "Tabel"

    def default_mapping(self, config: dict[str, Any]) -> dict[str, Any]:
        return DEFAULT_MAPPING

    def validate_source_config(self, config: dict[str, Any]) -> list[tuple[str, str]]:
        errors = []
        for key in ("schemas", "tables", "exclude"):
            value = config.get(key)
            if value is not None and not (isinstance(value, list) and
                                          all(isinstance(v, str) for v in value)):
                errors.append((key, "must be a list of names"))
        for key in ("views", "export_csv"):
            if key in config and not isinstance(config[key], bool):
                errors.append((key, "must be true or false"))
        return errors

    def read_records(self, source: SourceContext) -> Iterable[Record]:
        engine = engine_for(source.url, source.policy)
        try:
            tables = describe(engine, source.config)
        finally:
            engine.dispose()
        records = []
        for info in tables:
            data = {
                "qualified_name": info["qualified_name"], "title": _title(info["name"],
                                                                          info["comment"]),
                "description": _description(info), "database": info["database"],
                "table": info["name"], "schema": info["schema"], "kind": info["kind"],
                "comment": info["comment"], "rows": info["rows"],
                "columns": info["columns"],
            }
            records.append(Record(identifier=info["qualified_name"], data=data,
                                  ref=f"Tabel {info['qualified_name']}"))
        return records

    def fill_at_import(self, schema: dict[str, Any] | None) -> dict[str, str]:
        # a table has no "last modified" of its own: the day its description changed
        if schema is not None and any(f["field_name"] == "modified"
                                      for f in schema.get("dataset_fields", [])):
            return {"modified": "today"}
        return {}

    def after_import(self, source: SourceContext, record_ref: str, pkg: dict[str, Any],
                     content: dict[str, Any]) -> None:
        if not source.config.get("export_csv"):
            return
        import ckan.plugins.toolkit as tk
        from werkzeug.datastructures import FileStorage

        table = record_ref.split(" ", 1)[1] if " " in record_ref else record_ref
        schema_name, _, name = table.rpartition(".")
        limit = int(tk.config.get("ckanext.gemeente.harvest.sql_row_limit") or 0)
        engine = engine_for(source.url, source.policy)
        user = tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]
        try:
            with tempfile.TemporaryFile() as fh:
                rows = export_csv(engine, schema_name or None, name, fh, limit)
                fh.seek(0)
                existing = [r for r in pkg.get("resources") or []
                            if r.get("gemeente_export") == "csv" or
                            r.get("name") == f"{name}.csv"]
                data = {
                    "package_id": pkg["id"], "name": f"{name}.csv", "format": "CSV",
                    "mimetype": "text/csv",
                    "description": f"Export van {table} ({rows} rijen).",
                    "upload": FileStorage(stream=fh, filename=f"{name}.csv",
                                          content_type="text/csv"),
                    "url": f"{name}.csv",
                }
                ctx = {"user": user, "ignore_auth": True}
                if existing:
                    tk.get_action("resource_patch")(ctx, {**data, "id": existing[0]["id"]})
                else:
                    tk.get_action("resource_create")(ctx, data)
        finally:
            engine.dispose()
