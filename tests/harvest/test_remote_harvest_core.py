"""Harvesters II on CKAN's default dataset schema, without gemeente_schema (each plugin stands
alone): ArcGIS layers and a DCAT feed become valid core datasets, extras carry the rest."""

from __future__ import annotations

import json
from typing import Any

import arcgis_site
import ckan.plugins.toolkit as tk
import dcat_feeds
import pytest
from conftest import harvest_config
from harvest_servers import body

pytestmark = harvest_config(
    plugins="harvest gemeente_arcgis_harvester gemeente_dcat_harvester", schema=False)


@pytest.fixture(autouse=True)
def _profiles(ckan_config: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(ckan_config, "ckanext.dcat.rdf.profiles", "euro_dcat_ap_2")


def _datasets(source_id: str) -> dict[str, dict[str, Any]]:
    from ckan import model
    from ckanext.harvest.model import HarvestObject

    from ckanext.gemeente.harvest.base import source_identifier_of

    ids = [pid for (pid,) in model.Session.query(HarvestObject.package_id).filter(
        HarvestObject.harvest_source_id == source_id, HarvestObject.current.is_(True))]
    pkgs = [tk.get_action("package_show")({"ignore_auth": True}, {"id": i}) for i in ids]
    return {source_identifier_of(p): p for p in pkgs if p["state"] == "active"}


def test_arcgis_on_the_default_schema(http_server, make_source, run_harvest):
    pages = arcgis_site.site()
    arcgis_site.install(http_server, pages)
    source = make_source(http_server.url(arcgis_site.ROOT, host="localhost"),
                         source_type="gemeente_arcgis", name="arcgis")
    result = run_harvest(source)
    assert not result.failed and result.errors == [], result.errors
    datasets = _datasets(source["id"])
    assert len(datasets) == arcgis_site.layer_count(pages)
    bomen = datasets["Groen/Bomen/FeatureServer/0"]
    extras = {e["key"]: e["value"] for e in bomen["extras"]}
    assert json.loads(extras["spatial"])["type"] == "Polygon"  # ckanext-spatial's extra
    assert bomen["private"] is True and "## Velden" in bomen["notes"]
    again = run_harvest(source)
    assert (again.added, again.updated, again.unchanged) == (0, 0, len(datasets))


def test_dcat_on_the_default_schema(http_server, make_source, run_harvest):
    pages = dcat_feeds.feed_pages(http_server.url("", host="localhost"), 8, per_page=100)
    http_server.routes["/catalog.ttl"] = body(pages["/catalog.ttl"],
                                              content_type="text/turtle; charset=utf-8")
    source = make_source(http_server.url("/catalog.ttl", host="localhost"),
                         source_type="gemeente_dcat", name="dcat")
    result = run_harvest(source)
    assert not result.failed and result.added == 8, result.errors
    ds = _datasets(source["id"])["https://data.ggd-zw.example.nl/dataset/ds-00003"]
    assert ds["title"] == "Legionellapreventie 00003" and "één" in ds["notes"]
    assert ds["resources"][0]["url"].endswith("/files/ds-00003.csv")
