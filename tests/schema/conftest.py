"""Fixtures of the gemeente_schema tests.

The value lists in ``data/vocabularies`` play the files a municipality provides: small,
realistic and deliberately *below* the completeness floors of ``lists.json``, so they are
loaded with ``allow_incomplete=True`` (tests also prove that without it they are refused).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from schema_testdata import MUNICIPALITY, VOCAB_DIR


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
