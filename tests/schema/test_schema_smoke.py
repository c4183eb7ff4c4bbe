"""The plugin loads and the schema is served by scheming."""

from __future__ import annotations

import pytest
from ckan.tests import helpers
from schema_testdata import schema_config


@schema_config
@pytest.mark.usefixtures("with_plugins", "vocab_db")
def test_schema_is_served() -> None:
    schema = helpers.call_action("scheming_dataset_schema_show", type="dataset")
    names = [f["field_name"] for f in schema["dataset_fields"]]
    assert "privacy_classification" in names
    assert "theme" in names
