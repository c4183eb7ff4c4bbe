"""Fixtures of the gemeente_schema tests.

The value lists in ``data/vocabularies`` play the files a municipality provides: small,
realistic and deliberately *below* the completeness floors of ``lists.json``, so they are
loaded with ``allow_incomplete=True`` (tests also prove that without it they are refused).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from schema_testdata import MUNICIPALITY, VOCAB_DIR


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogue() -> None:
    """Compile the Dutch catalogue when its .mo is missing or stale (a fresh checkout)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    base = os.path.join(
        os.path.dirname(__file__), "..", "..", "ckanext", "gemeente", "i18n", "nl", "LC_MESSAGES"
    )
    po, mo = (os.path.join(base, f"ckanext-gemeente.{ext}") for ext in ("po", "mo"))
    if os.path.exists(po) and (
        not os.path.exists(mo) or os.path.getmtime(mo) < os.path.getmtime(po)
    ):
        with open(po, "rb") as fh:
            catalog = read_po(fh, locale="nl")
        with open(mo, "wb") as fh:
            write_mo(fh, catalog)


@pytest.fixture
def vocab_db(
    clean_db: None, clean_index: None, migrate_db_for: Callable[..., None]
) -> Iterator[None]:
    """Clean database with the plugin's tables and the test value lists loaded."""
    from ckanext.gemeente.schema import vocabularies

    migrate_db_for("gemeente_schema")
    vocabularies.invalidate_cache()
    report = vocabularies.update(VOCAB_DIR, allow_incomplete=True)
    bad = [line for line in report if not line.ok and line.name != "IANA:Mediatype"]
    assert not bad, bad
    yield
    vocabularies.invalidate_cache()


@pytest.fixture
def department(vocab_db: None) -> dict[str, Any]:
    from ckan.tests import factories

    return factories.Organization(
        name="openbare-ruimte",
        title="Openbare Ruimte",
        municipality_uri=MUNICIPALITY,
        municipality_name="Gemeente Zaanstad",
    )
