"""Alembic env of gemeente_privacy (version table gemeente_privacy_alembic_version)."""

from ckanext.gemeente.migration import run_env

run_env(__file__)
