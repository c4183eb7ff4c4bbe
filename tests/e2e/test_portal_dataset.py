"""Journey: the dataset page shows its DCAT-AP-DONL metadata readably, without empty rows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from portal_testdata import OWMS, PageWatch, check_page, configured, seed_city


@pytest.fixture
def city(clean_db: None, clean_index: None, migrate_db_for: Callable[..., None]
         ) -> dict[str, Any]:
    migrate_db_for("gemeente_schema")
    return seed_city()


@configured
class TestDatasetPage:
    def test_donl_metadata_in_dutch(self, live_server: str, page: Any, city: dict) -> None:
        watch = PageWatch(page)
        page.goto(live_server + "/dataset/afvalinzamelpunten")
        assert page.locator("h1").first.inner_text().strip() == "Afvalinzamelpunten"
        rows = {}
        for row in page.locator("table tr:has(th.dataset-label)").all():
            rows[row.locator("th").inner_text().strip()] = row.locator("td").inner_text().strip()
        # DONL properties with Dutch labels and value-list labels instead of URIs
        assert rows["Thema"] == "Afval"
        assert rows["Openbaarheidsniveau"] == "Publiek"
        assert rows["Taal"] == "Nederlands"
        assert rows["Registratiehouder"] == "Gemeente Zaanstad"
        assert rows["Privacyclassificatie"] == "Geen persoonsgegevens"
        assert rows["Contactpunt – e-mail"] == "opendata@zaanstad.example.nl"
        # fields the dataset leaves empty have no row
        for empty in ("Grondslag voor verwerking", "Harvestbron", "Herkomst"):
            assert empty not in rows
        assert all(rows.values()), rows
        body = page.content()
        assert "CC0" in body and "publicdomain/zero" in body  # licence label, linked
        assert "access-right/PUBLIC" not in page.locator("table").inner_text()
        check_page(page, watch, "portal_dataset")

        # the DCAT-AP-DONL record of the same dataset (ckanext-dcat, profile donl)
        import rdflib
        from rdflib.namespace import DCAT, DCTERMS

        resp = page.request.get(live_server + "/dataset/afvalinzamelpunten.ttl")
        assert resp.ok
        graph = rdflib.Graph().parse(data=resp.text(), format="turtle")
        ds = next(graph.subjects(DCTERMS.title, rdflib.Literal("Afvalinzamelpunten")))
        assert (ds, DCAT.theme, rdflib.URIRef(OWMS + "Afval_(thema)")) in graph
