"""Every plugin's alembic migrations run up from the first revision and down again.

The plugins are discovered: every folder under ``ckanext/gemeente/migration/`` (CKAN looks
there for ``ckan db upgrade -p <plugin>``). For each, through the real ``ckan`` command:
``db upgrade -p <plugin> -v <rev>`` one revision at a time from the first to the head, the
version table checked after each step, then ``db downgrade`` one step at a time back to
``base``, after which the database has exactly the tables it had before. Finally the plugin
is upgraded to its head again (the state an upgraded portal is in). CKAN runs a plugin's
migrations only when the plugin is enabled, so each run uses an ini (on top of the test ini)
whose ``ckan.plugins`` is that plugin alone: each plugin stands alone. The runs use a
database of their own (``<test database>_migrations``, emptied and given CKAN's tables by
``ckan db init`` first), so what other tests did to the shared database does not count.
"""

from __future__ import annotations

import os
import pathlib
import runpy
import subprocess
import sys
from typing import Any

import pytest
import sqlalchemy as sa

ROOT = pathlib.Path(__file__).resolve().parent.parent
MIGRATIONS = ROOT / "ckanext" / "gemeente" / "migration"
CKAN = str(pathlib.Path(sys.executable).parent / "ckan")
# CKAN 2.11's CLI reads the logging sections from the ini it is given (not from its parent)
LOGGING = runpy.run_path(str(ROOT / "tests" / "search" / "ckan_ini.py"))["LOGGING"]


def plugins_with_migrations() -> list[str]:
    return sorted(
        d.name for d in MIGRATIONS.iterdir() if d.is_dir() and (d / "versions").is_dir()
        and (d / "env.py").is_file()
    )


def revisions(plugin: str) -> list[tuple[str, str | None]]:
    """(revision, down_revision) from the first to the head (a single line of history)."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(MIGRATIONS / plugin))
    heads = script.get_heads()
    assert len(heads) == 1, f"{plugin}: {len(heads)} heads {heads}: merge them"
    chain = [(r.revision, r.down_revision) for r in script.walk_revisions()]
    chain.reverse()
    assert chain and chain[0][1] is None, f"{plugin}: no first revision"
    for (rev, _down), (_next, next_down) in zip(chain, chain[1:], strict=False):
        assert next_down == rev, f"{plugin}: history is not linear at {rev}"
    return [(rev, down if isinstance(down, str) or down is None else down[0])
            for rev, down in chain]


def ckan_db(ini: str, *args: str) -> None:
    proc = subprocess.run(
        [CKAN, "-c", ini, "db", *args], capture_output=True, text=True, timeout=300,
        env=dict(os.environ),
    )
    assert proc.returncode == 0, f"ckan db {' '.join(args)}:\n{proc.stdout}\n{proc.stderr}"


def tables(engine: sa.engine.Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names())


def version_of(engine: sa.engine.Engine, plugin: str) -> str | None:
    table = f"{plugin}_alembic_version"
    if table not in tables(engine):
        return None
    with engine.connect() as conn:
        rows = conn.execute(sa.text(f"SELECT version_num FROM {table}")).scalars().all()
    assert len(rows) <= 1, rows
    return rows[0] if rows else None


def test_every_migration_folder_is_found() -> None:
    found = plugins_with_migrations()
    assert "gemeente_schema" in found
    # every folder CKAN would look in is a complete alembic environment
    for d in MIGRATIONS.iterdir():
        if d.is_dir() and d.name != "__pycache__":
            assert d.name in found, f"{d} lacks versions/ or env.py"


def migration_database(url: str) -> str:
    """A database of its own for the migration runs, emptied: ``<test database>_migrations``.

    The shared test database cannot serve: other tests have run the plugins' migrations on
    it, and CKAN's ``clean_db`` drops the tables of CKAN's metadata but not a plugin's
    ``<plugin>_alembic_version``. scripts/devstack.sh creates the database.
    """
    base = sa.engine.make_url(url)
    target = base.set(database=f"{base.database}_migrations")
    engine = sa.create_engine(target)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
    except sa.exc.OperationalError as e:
        pytest.fail(
            f"database {target.database} is missing: scripts/devstack.sh setup creates it ({e})"
        )
    finally:
        engine.dispose()
    return target.render_as_string(hide_password=False)


@pytest.mark.parametrize("plugin", plugins_with_migrations())
def test_migrations_up_and_down(
    plugin: str, ckan_config: dict[str, Any], tmp_path: pathlib.Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = migration_database(ckan_config["sqlalchemy.url"])
    # the environment wins over the ini in CKAN: point both at the migration database
    monkeypatch.setenv("CKAN_SQLALCHEMY_URL", url)
    ini = str(tmp_path / f"{plugin}.ini")
    pathlib.Path(ini).write_text(
        f"[app:main]\nuse = config:{ckan_config['__file__']}\nckan.plugins = {plugin}\n"
        f"sqlalchemy.url = {url}\n" + LOGGING
    )
    engine = sa.create_engine(url)
    try:
        ckan_db(ini, "init")  # CKAN's own tables: the plugins' tables refer to them
        if version_of(engine, plugin) is not None:  # `db init` ran the plugin's migrations too
            ckan_db(ini, "downgrade", "-p", plugin, "-v", "base")
        chain = revisions(plugin)
        before = tables(engine) - {f"{plugin}_alembic_version"}
        assert version_of(engine, plugin) is None

        for rev, _down in chain:
            ckan_db(ini, "upgrade", "-p", plugin, "-v", rev)
            assert version_of(engine, plugin) == rev
        created = tables(engine) - before - {f"{plugin}_alembic_version"}

        for rev, down in reversed(chain):
            assert version_of(engine, plugin) == rev
            ckan_db(ini, "downgrade", "-p", plugin, "-v", down or "base")
        assert version_of(engine, plugin) is None
        assert tables(engine) - {f"{plugin}_alembic_version"} == before, (
            f"{plugin}: downgrade to base left {sorted(tables(engine) - before)}"
        )

        ckan_db(ini, "upgrade", "-p", plugin)
        assert version_of(engine, plugin) == chain[-1][0]
        assert created <= tables(engine)
    finally:
        engine.dispose()
