"""Journey: a sysadmin logs in and reads the coordinator dashboard (SVG charts, tables)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from portal_testdata import PageWatch, check_page, configured, login, seed_city


@pytest.fixture
def city(clean_db: None, clean_index: None, migrate_db_for: Callable[..., None]
         ) -> dict[str, Any]:
    migrate_db_for("gemeente_schema")
    return seed_city()


@configured
class TestDashboard:
    def test_dashboard_journey(self, live_server: str, page: Any, city: dict) -> None:
        resp = page.goto(live_server + "/gemeente/dashboard")
        assert resp.status == 403
        assert "Alleen coördinatoren en privacy officers" in page.content()

        watch = PageWatch(page)
        login(page, live_server)
        page.goto(live_server + "/gemeente/dashboard")
        assert page.locator("h1").first.inner_text().strip() == "Dashboard coördinator"
        charts = page.locator("svg.gemeente-chart")
        assert charts.count() >= 1
        assert charts.first.locator("title").text_content() == "Datasets per afdeling"
        table = page.locator("#dash-departments ~ table").inner_text()
        assert "Openbare Ruimte\t2" in table and "Mobiliteit\t1" in table
        assert "De privacybeoordeling (gemeente_privacy) staat niet aan." in page.content()
        assert "0 van de 3 datasets missen verplichte metadata." in page.content()
        # the department link leads to its datasets
        with page.expect_navigation():
            page.locator("#dash-departments ~ table a", has_text="Mobiliteit").click()
        assert "organization=mobiliteit" in page.url
        page.go_back()
        check_page(page, watch, "portal_dashboard")
