"""Alembic env of gemeente_scan (version table gemeente_scan_alembic_version)."""

from ckanext.gemeente.migration import run_env

run_env(__file__)
