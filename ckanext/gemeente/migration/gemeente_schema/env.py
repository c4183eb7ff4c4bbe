"""Alembic env of gemeente_schema (version table gemeente_schema_alembic_version)."""

from ckanext.gemeente.migration import run_env

run_env(__file__)
