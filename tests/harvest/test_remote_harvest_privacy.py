"""Harvesters II together with the privacy review: harvested layers and feed datasets enter
the review in the state the source asks for, private until the coordinator publishes."""

from __future__ import annotations

from typing import Any

import arcgis_site
import ckan.plugins.toolkit as tk
import dcat_feeds
from conftest import SCHEMA_PLUGINS, harvest_config
from harvest_servers import body

pytestmark = harvest_config(
    f"activity {SCHEMA_PLUGINS} gemeente_privacy dcat harvest gemeente_harvest "
    "gemeente_arcgis_harvester gemeente_dcat_harvester")


def _review(pkg_id: str) -> dict[str, Any]:
    return tk.get_action("gemeente_review_show")({"ignore_auth": True}, {"id": pkg_id})


def _package_ids(source_id: str) -> list[str]:
    from ckan import model
    from ckanext.harvest.model import HarvestObject

    return [pid for (pid,) in model.Session.query(HarvestObject.package_id).filter(
        HarvestObject.harvest_source_id == source_id, HarvestObject.current.is_(True))]


def test_harvested_layers_and_feed_datasets_enter_the_review(
        http_server, make_source, run_harvest, ckan_config, monkeypatch):
    monkeypatch.setitem(ckan_config, "ckanext.dcat.rdf.profiles",
                        "euro_dcat_ap_2 euro_dcat_ap_scheming donl")
    arcgis_site.install(http_server, arcgis_site.site())
    pages = dcat_feeds.feed_pages(http_server.url("", host="localhost"), 4)
    http_server.routes["/catalog.ttl"] = body(pages["/catalog.ttl"], content_type="text/turtle")
    arcgis = make_source(http_server.url(arcgis_site.ROOT, host="localhost"),
                         source_type="gemeente_arcgis", name="arcgis",
                         config={"defaults": arcgis_site.DEFAULTS, "review_state": "ingediend"})
    feed = make_source(http_server.url("/catalog.ttl", host="localhost"),
                       source_type="gemeente_dcat", name="ggd")
    for source, state in ((arcgis, "ingediend"), (feed, "concept")):
        result = run_harvest(source)
        assert not result.failed and result.errors == [], result.errors
        ids = _package_ids(source["id"])
        assert ids
        for pkg_id in ids:
            pkg = tk.get_action("package_show")({"ignore_auth": True}, {"id": pkg_id})
            assert pkg["private"] is True
            assert _review(pkg_id)["state"] == state
