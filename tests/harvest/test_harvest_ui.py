"""The harvest UI in a real browser (Debian's Chromium): the source form's help and template
download, a harvested source with its job report (row errors with row number and field).

With ``GEMEENTE_SCREENSHOT_DIR`` set, the pages are also saved there as the screenshots of
docs/harvesting.md (``GEMEENTE_SCREENSHOT_DIR=docs/img``).
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from conftest import HARVEST_PLUGINS, SCHEMA_PLUGINS, harvest_config
from harvest_data import row, rows, to_xlsx

PASSWORD = "Zaanstad-Open-Data-2024"
SHOTS = os.environ.get("GEMEENTE_SCREENSHOT_DIR")

pytestmark = [
    *harvest_config(f"activity {SCHEMA_PLUGINS} {HARVEST_PLUGINS}"),
    pytest.mark.ckan_config("ckan.locale_default", "nl"),
]


def _shot(page: Any, name: str) -> None:
    if SHOTS:
        os.makedirs(SHOTS, exist_ok=True)
        page.screenshot(path=os.path.join(SHOTS, name), full_page=True)


def _login(page: Any, base: str) -> None:
    page.goto(f"{base}/user/login")
    page.fill("#field-login", "coordinator")
    page.fill("#field-password", PASSWORD)
    with page.expect_navigation():
        page.locator("form button.btn-primary[type=submit]").first.click()
    assert "/user/login" not in page.url, "login failed"


def test_source_form_job_report_and_template(live_server, page, make_source, run_harvest,
                                             file_root, department):
    from ckan.tests import factories

    factories.Sysadmin(name="coordinator", password=PASSWORD)
    data = rows(6)
    data[2] = row(2, Gewijzigd="31-13-2025")
    path = os.path.join(file_root, "inventaris-openbare-ruimte.xlsx")
    with open(path, "wb") as fh:
        fh.write(to_xlsx(data, merged_contact=True))
    source = make_source(path, name="inventaris-openbare-ruimte", frequency="DAILY",
                         config={"review_state": "concept",
                                 "contacts": ["informatiebeheer@zaanstad.example.nl"]})
    result = run_harvest(source)
    assert result.added == 5 and len(result.errors) == 1
    _login(page, live_server)

    page.goto(f"{live_server}/harvest/new")
    help_block = page.locator("#gemeente-harvest-help")
    assert help_block.is_visible()
    page.locator("input[name=source_type][value=gemeente_spreadsheet]").check()
    page.fill("#field-url", "/srv/shares/openbare-ruimte/inventaris.xlsx")
    page.fill("#field-title", "Inventaris Openbare Ruimte")
    _shot(page, "harvest-source-form.png")
    with page.expect_download() as download:
        help_block.locator("a", has_text="XLSX").click()
    assert download.value.suggested_filename == "inventaris-sjabloon.xlsx"

    # an invalid mapping: the form shows the field-level message
    page.fill("#field-title", "Inventaris met fout")  # the name follows the title
    page.fill("#field-config", '{"mapping": {"fields": {"titel": "Titel"}}}')
    page.locator("#save").click()
    page.wait_for_load_state()
    assert "mapping.fields.titel" in page.content()

    page.goto(f"{live_server}/harvest/inventaris-openbare-ruimte")
    _shot(page, "harvest-source-page.png")
    page.goto(f"{live_server}/harvest/inventaris-openbare-ruimte/job/{result.job_id}")
    _shot(page, "harvest-job-report.png")
    text = page.inner_text("body")
    assert "Rij 5 (id OR-0003)" in text and "modified" in text, text[:3000]
