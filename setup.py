"""setup.py kept for CKAN's tooling; metadata and entry points live in pyproject.toml."""

from setuptools import setup

setup()
