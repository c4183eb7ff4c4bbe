"""Alembic environments of the suite's plugins: ``migration/<plugin>/`` per plugin with tables.

CKAN runs them with ``ckan db upgrade -p <plugin>``. Each ``env.py`` calls :func:`run_env`, so
the three environments are one piece of code; the version table is
``<plugin>_alembic_version``, named after the folder.
"""

from __future__ import annotations

import os
from logging.config import fileConfig


def run_env(env_file: str) -> None:
    """Run the migrations of the plugin whose folder holds ``env_file`` (alembic's env.py)."""
    from alembic import context
    from sqlalchemy import engine_from_config, pool

    config = context.config
    if config.config_file_name:
        fileConfig(config.config_file_name)
    name = os.path.basename(os.path.dirname(os.path.abspath(env_file)))
    version_table = f"{name}_alembic_version"

    if context.is_offline_mode():
        context.configure(
            url=config.get_main_option("sqlalchemy.url"), target_metadata=None,
            literal_binds=True, version_table=version_table,
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    connectable = engine_from_config(
        config.get_section(config.config_ini_section) or {}, prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=None,
                          version_table=version_table)
        with context.begin_transaction():
            context.run_migrations()
