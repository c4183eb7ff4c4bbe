"""Journey: a resident finds datasets from the home page and narrows them with facets."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from portal_testdata import PageWatch, check_page, configured, seed_city


@pytest.fixture
def city(clean_db: None, clean_index: None, migrate_db_for: Callable[..., None]
         ) -> dict[str, Any]:
    migrate_db_for("gemeente_schema")
    return seed_city()


@configured
class TestSearch:
    def test_home_search_and_facets(self, live_server: str, page: Any, city: dict) -> None:
        watch = PageWatch(page)
        page.goto(live_server + "/")
        assert page.locator("h1").first.inner_text() == "Open data van Gemeente Zaanstad"
        assert "Welkom bij CKAN" not in page.content()
        check_page(page, watch, "portal_home")

        page.fill("#gemeente-home-search", "laadpalen")
        with page.expect_navigation():
            page.locator(".gemeente-hero__search button[type=submit]").click()
        assert "/dataset/" in page.url and "q=laadpalen" in page.url
        results = page.locator(".dataset-list .dataset-item")
        assert results.count() == 1
        assert "Openbare laadpalen" in results.first.inner_text()

        page.goto(live_server + "/dataset/")
        assert page.locator(".dataset-list .dataset-item").count() == 3
        body = page.content()
        assert "Afdelingen" in body and "Thema" in body
        facet = page.locator("a[href*='organization=openbare-ruimte']").first
        with page.expect_navigation():
            facet.click()
        titles = page.locator(".dataset-list .dataset-item .dataset-heading").all_inner_texts()
        assert sorted(t.strip() for t in titles) == ["Afvalinzamelpunten", "Speelplekken"]
        theme = page.locator("a[href*='vocab_theme=']", has_text="Afval").first
        with page.expect_navigation():
            theme.click()
        titles = page.locator(".dataset-list .dataset-item .dataset-heading").all_inner_texts()
        assert [t.strip() for t in titles] == ["Afvalinzamelpunten"]
        check_page(page, watch, "portal_search_facets")
