"""Harvesters II end to end on gemeente_schema: ArcGIS directories and Hub feeds, DCAT feeds,
and another (real, live) CKAN portal, through the cron runner and the UI's Reharvest button.

Every source is a local HTTP server listed in ``allow_hosts`` as ``localhost``, as a
municipality lists its internal ArcGIS server. Hostile answers (HTTP 500, truncated JSON and
Turtle, billion laughs, an external entity, a redirect to 127.0.0.1, an endless body, a
stalled server) each fail the run with a message and leave the existing datasets alone.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import arcgis_site
import ckan.plugins.toolkit as tk
import dcat_feeds
import pytest
from conftest import EU, MUNICIPALITY, SCHEMA_PLUGINS, ckan_command, harvest_config
from harvest_servers import HTTPServer, body, endless, redirect, slow

REMOTE = "gemeente_arcgis_harvester gemeente_dcat_harvester gemeente_ckan_harvester"
pytestmark = harvest_config(
    plugins=f"activity {SCHEMA_PLUGINS} dcat harvest gemeente_harvest {REMOTE}")
OWMS = "http://standaarden.overheid.nl/owms/terms/"
DEFAULTS = arcgis_site.DEFAULTS


@pytest.fixture(autouse=True)
def _profiles(ckan_config: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(ckan_config, "ckanext.dcat.rdf.profiles",
                        "euro_dcat_ap_2 euro_dcat_ap_scheming donl")


def _datasets(source_id: str) -> dict[str, dict[str, Any]]:
    from ckan import model
    from ckanext.harvest.model import HarvestObject

    from ckanext.gemeente.harvest.base import source_identifier_of

    ids = [pid for (pid,) in model.Session.query(HarvestObject.package_id).filter(
        HarvestObject.harvest_source_id == source_id, HarvestObject.current.is_(True))]
    out = {}
    for pid in ids:
        pkg = tk.get_action("package_show")({"ignore_auth": True}, {"id": pid})
        if pkg["state"] == "active":
            out[source_identifier_of(pkg)] = pkg
    return out


def _stamps(datasets: dict[str, dict[str, Any]]) -> dict[str, str]:
    return {k: v["metadata_modified"] for k, v in datasets.items()}


# ------------------------------------------------------------------ ArcGIS


@pytest.fixture
def arcgis(http_server: HTTPServer) -> Iterator[tuple[HTTPServer, dict[str, Any]]]:
    pages = arcgis_site.site()
    arcgis_site.install(http_server, pages)
    yield http_server, pages


def _arcgis_source(make_source: Callable[..., Any], server: HTTPServer, **config: Any) -> Any:
    return make_source(server.url(arcgis_site.ROOT + "?f=json", host="localhost"),
                       source_type="gemeente_arcgis", name="arcgis",
                       config={"defaults": DEFAULTS, **config})


def test_arcgis_first_harvest_walks_every_folder(arcgis, make_source, run_harvest):
    server, _ = arcgis
    pages = arcgis_site.site(wide_layer=True)  # the tree layer has 2,000 fields
    arcgis_site.install(server, pages)
    source = _arcgis_source(make_source, server)
    result = run_harvest(source)
    assert not result.failed and result.errors == [], result.errors
    datasets = _datasets(source["id"])
    assert result.added == len(datasets) == arcgis_site.layer_count(pages)
    bomen = datasets["Groen/Bomen/FeatureServer/0"]
    assert bomen["title"] == "Bomen in beheer"
    assert bomen["private"] is True
    assert "iepziekte" in bomen["notes"] and "## Velden" in bomen["notes"]
    assert "| KENMERK_1999 | tekst | Kenmerk 1999 van de boom | 20 |" in bomen["notes"]
    assert bomen["notes"].count("| KENMERK_") == 1999
    assert {"ĳsvogelroute", "café-terras", "groen"} <= {t["name"] for t in bomen["tags"]}
    geom = json.loads(bomen["spatial"])
    lons = [p[0] for p in geom["coordinates"][0]]
    assert geom["type"] == "Polygon" and 4.6 < min(lons) < max(lons) < 5.0  # WGS84
    formats = {r["format"] for r in bomen["resources"]}
    assert {"REST", "GEOJSON"} <= formats and "WMS_SRVC" not in formats
    stadsdelen = datasets["Stadsdelen/MapServer/0"]
    assert {"WMS_SRVC", "WFS_SRVC"} <= {r["format"] for r in stadsdelen["resources"]}
    assert bomen["update_method"] == "geharvest"


def test_arcgis_unchanged_reharvest_writes_nothing(arcgis, make_source, run_harvest):
    server, _pages = arcgis
    source = _arcgis_source(make_source, server)
    run_harvest(source)
    before = _stamps(_datasets(source["id"]))
    result = run_harvest(source)
    assert (result.added, result.updated, result.withdrawn) == (0, 0, 0)
    assert result.unchanged == len(before)
    assert _stamps(_datasets(source["id"])) == before


def test_arcgis_changed_and_removed_layers(arcgis, make_source, run_harvest):
    server, pages = arcgis
    source = _arcgis_source(make_source, server)
    run_harvest(source)
    before = _stamps(_datasets(source["id"]))
    pages[arcgis_site.ROOT + "/Verkeer/Parkeren/FeatureServer/layers"]["layers"][1][
        "description"] = "Openbare laadpalen; nu ook snelladers."
    pages[arcgis_site.ROOT + "/Afval"]["services"] = [
        s for s in pages[arcgis_site.ROOT + "/Afval"]["services"]
        if s["name"] != "Afval/Inzamelroutes"]
    arcgis_site.install(server, pages)
    result = run_harvest(source)
    assert not result.failed, result.errors
    assert (result.updated, result.withdrawn) == (1, 2)
    after = _datasets(source["id"])
    assert "snelladers" in after["Verkeer/Parkeren/FeatureServer/1"]["notes"]
    assert "Afval/Inzamelroutes/MapServer/1" not in after
    unchanged = set(before) - {"Verkeer/Parkeren/FeatureServer/1",
                               "Afval/Inzamelroutes/MapServer/1",
                               "Afval/Inzamelroutes/MapServer/2"}
    assert {k: before[k] for k in unchanged} == {k: after[k]["metadata_modified"]
                                                for k in unchanged}


@pytest.mark.parametrize("path,answer,message", [
    ("/Groen", body("interne fout", status=500), "500"),
    ("/Groen/Bomen/FeatureServer", body('{"layers": [{"id": 0, "na',
                                        content_type="application/json"), "JSON"),
    ("/Verkeer", redirect("http://127.0.0.1:9/arcgis/rest/services/Verkeer"), "127.0.0.1"),
    ("/Afval/Containers/FeatureServer", endless(), "MB"),
])
def test_arcgis_bad_answers_fail_the_run_and_withdraw_nothing(
        arcgis, make_source, run_harvest, ckan_config, monkeypatch, path, answer, message):
    server, _pages = arcgis
    monkeypatch.setitem(ckan_config, "ckanext.gemeente.harvest.max_response_mb", "5")
    source = _arcgis_source(make_source, server)
    run_harvest(source)
    before = _stamps(_datasets(source["id"]))
    server.routes[arcgis_site.ROOT + path] = answer
    result = run_harvest(source)
    assert result.failed
    assert any(message in e for e in result.errors), result.errors
    assert _stamps(_datasets(source["id"])) == before  # nothing withdrawn, nothing changed


def test_arcgis_stalled_server_times_out(arcgis, make_source, run_harvest, ckan_config,
                                         monkeypatch):
    server, _pages = arcgis
    monkeypatch.setitem(ckan_config, "ckanext.gemeente.harvest.read_timeout", "1")
    server.routes[arcgis_site.ROOT + "/Groen"] = slow(5)
    result = run_harvest(_arcgis_source(make_source, server))
    assert result.failed and any("Groen" in e for e in result.errors), result.errors


def test_arcgis_per_service(arcgis, make_source, run_harvest):
    server, _pages = arcgis
    source = _arcgis_source(make_source, server, per="service")
    result = run_harvest(source)
    assert not result.failed, result.errors
    datasets = _datasets(source["id"])
    assert "Verkeer/Parkeren/FeatureServer" in datasets
    assert datasets["Verkeer/Parkeren/FeatureServer"]["title"] == "Parkeren"


def test_arcgis_config_is_validated(make_source, http_server):
    with pytest.raises(tk.ValidationError) as err:
        _arcgis_source(make_source, http_server, per="map")
    assert "per" in str(err.value.error_dict)


def test_hub_dcat_us_feed(http_server, make_source, run_harvest):
    feed = {"conformsTo": "https://project-open-data.cio.gov/v1.1/schema", "dataset": [
        {"identifier": f"https://data-zaanstad.hub.arcgis.com/datasets/{i}_0",
         "title": title, "description": f"{title} in Zaanstad, één bron.",
         "keyword": ["hub", "geo"], "modified": "2025-09-30T08:00:00.000Z",
         "spatial": "4.72,52.42,4.87,52.52",
         "contactPoint": {"fn": "GIS-team", "hasEmail": "mailto:gis@zaanstad.example.nl"},
         "distribution": [{"title": "GeoJSON", "format": "GeoJSON",
                           "downloadURL": f"https://data-zaanstad.hub.arcgis.com/{i}.geojson"}]}
        for i, title in enumerate(["Wijkgrenzen", "Monumenten", "Speelplekken"])]}
    http_server.routes["/api/feed/dcat-us/1.1.json"] = body(
        json.dumps(feed), content_type="application/json")
    source = make_source(http_server.url("/", host="localhost"), source_type="gemeente_arcgis",
                         name="hub", config={"defaults": DEFAULTS, "kind": "hub"})
    result = run_harvest(source)
    assert not result.failed and result.added == 3, result.errors
    ds = _datasets(source["id"])["https://data-zaanstad.hub.arcgis.com/datasets/1_0"]
    assert ds["title"] == "Monumenten" and "één" in ds["notes"]
    assert ds["resources"][0]["url"].endswith("/1.geojson")
    assert json.loads(ds["spatial"])["type"] == "Polygon"


# ------------------------------------------------------------------ DCAT feeds


def _dcat_source(make_source, server: HTTPServer, path: str = "/catalog.ttl", **config: Any):
    return make_source(server.url(path, host="localhost"), source_type="gemeente_dcat",
                       name="ggd-dcat", config=config)


class PagedServer(HTTPServer):
    """Routes that may include the query string (``/catalog.ttl?page=2``)."""

    def __init__(self) -> None:
        super().__init__()
        server = self

        def do_get(h: Any) -> None:
            server.hits.append(h.path)
            route = server.routes.get(h.path) or server.routes.get(h.path.split("?", 1)[0])
            (route or body("niet gevonden", status=404))(h)

        self._httpd.RequestHandlerClass.do_GET = do_get  # type: ignore[attr-defined]


@pytest.fixture
def feed_server(ckan_config: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[PagedServer]:
    server = PagedServer().start()
    monkeypatch.setitem(ckan_config, "ckanext.gemeente.harvest.allow_hosts", "localhost")
    yield server
    server.stop()


def _paged(server: PagedServer, n: int, per_page: int = 100, **kw: Any) -> dict[str, str]:
    pages = dcat_feeds.feed_pages(server.url("", host="localhost"), n, per_page, **kw)
    for path, text in pages.items():
        server.routes[path] = body(text, content_type="text/turtle; charset=utf-8")
    return pages


def test_dcat_paged_turtle_feed(feed_server, make_source, run_harvest, department):
    _paged(feed_server, 230, per_page=100)
    source = _dcat_source(make_source, feed_server)
    result = run_harvest(source)
    assert not result.failed and result.errors == [], result.errors[:3]
    datasets = _datasets(source["id"])
    assert result.added == len(datasets) == 230
    assert {"/catalog.ttl?page=2", "/catalog.ttl?page=3"} <= set(feed_server.hits)
    ds = datasets["https://data.ggd-zw.example.nl/dataset/ds-00007"]
    assert ds["title"] == "Gezondheidsmonitor jongeren 00007"
    assert "Café-bezoek, ĳsbaan en één coëfficiënt" in ds["notes"]
    assert ds["owner_org"] == department["id"] and ds["private"] is True
    assert ds["frequency"] == EU + "frequency/MONTHLY"
    assert ds["resources"][0]["url"].endswith("/files/ds-00007.csv")
    # unchanged re-harvest: no writes
    before = _stamps(datasets)
    again = run_harvest(source)
    assert (again.added, again.updated, again.withdrawn, again.unchanged) == (0, 0, 0, 230)
    assert _stamps(_datasets(source["id"])) == before


def test_dcat_changed_and_removed(feed_server, make_source, run_harvest):
    _paged(feed_server, 30, per_page=10)
    source = _dcat_source(make_source, feed_server)
    run_harvest(source)
    _paged(feed_server, 30, per_page=10, changed={4: " (herzien)"}, missing={5})
    result = run_harvest(source)
    assert (result.updated, result.withdrawn, result.unchanged) == (1, 1, 28), result.errors
    datasets = _datasets(source["id"])
    assert datasets["https://data.ggd-zw.example.nl/dataset/ds-00004"]["title"].endswith(
        "(herzien)")
    assert "https://data.ggd-zw.example.nl/dataset/ds-00005" not in datasets


def test_dcat_unchanged_datasets_are_not_parsed_again(feed_server, make_source, run_harvest,
                                                     department):
    """A dataset whose own triples and whose configuration are as in the last harvest is
    recognised by the digest kept on its harvest object (RAW_KEY): the profiles do not parse
    it, nothing is written. A changed dataset is parsed; a changed context (here a new
    organization, which could change how a department name maps) parses every dataset again,
    writes nothing when the mapped datasets are the same, and stores the new keys."""
    from ckan.tests import factories

    _paged(feed_server, 30, per_page=10)
    source = _dcat_source(make_source, feed_server)
    first = run_harvest(source)
    assert (first.added, first.skipped) == (30, 0), first.errors[:3]
    before = _stamps(_datasets(source["id"]))

    again = run_harvest(source)
    assert (again.added, again.updated, again.unchanged, again.skipped) == (0, 0, 30, 30)
    assert _stamps(_datasets(source["id"])) == before

    _paged(feed_server, 30, per_page=10, changed={4: " (herzien)"})
    changed = run_harvest(source)
    assert (changed.updated, changed.unchanged, changed.skipped) == (1, 29, 29), changed.errors
    ds4 = "https://data.ggd-zw.example.nl/dataset/ds-00004"
    after_change = _stamps(_datasets(source["id"]))
    assert after_change[ds4] != before[ds4]
    assert {k: v for k, v in after_change.items() if k != ds4} == \
        {k: v for k, v in before.items() if k != ds4}

    # the edited dataset's new text is remembered too: the next run skips all 30
    assert run_harvest(source).skipped == 30

    factories.Organization(name="ggd-zaanstreek", title="GGD Zaanstreek-Waterland")
    recontext = run_harvest(source)
    assert (recontext.updated, recontext.unchanged, recontext.skipped) == (0, 30, 0)
    assert _stamps(_datasets(source["id"])) == after_change
    assert run_harvest(source).skipped == 30  # the new keys were stored without a write

    # the same statements in another syntax (new blank-node labels, other order): same keys
    pages = dcat_feeds.feed_pages(feed_server.url("", host="localhost"), 30, per_page=10,
                                  changed={4: " (herzien)"})
    for path, text in pages.items():
        feed_server.routes[path] = body(dcat_feeds.as_format(text, "xml"),
                                        content_type="application/rdf+xml")
    as_xml = run_harvest(source)
    assert (as_xml.unchanged, as_xml.skipped) == (30, 30), as_xml.errors


def test_dcat_dry_run_skips_known_datasets_and_writes_no_keys(feed_server, make_source,
                                                              run_harvest):
    from ckan import model
    from ckanext.harvest.model import HarvestObjectExtra

    from ckanext.gemeente.harvest.base import RAW_KEY

    _paged(feed_server, 12, per_page=5)
    source = _dcat_source(make_source, feed_server)
    run_harvest(source)
    keys = model.Session.query(HarvestObjectExtra).filter_by(key=RAW_KEY)
    assert keys.count() == 12
    keys.delete(synchronize_session=False)  # as after an upgrade from a version without them
    model.Session.commit()
    dry = run_harvest(source, dry_run=True)
    assert (dry.unchanged, dry.skipped) == (12, 0)
    assert model.Session.query(HarvestObjectExtra).filter_by(key=RAW_KEY).count() == 0
    real = run_harvest(source)
    assert (real.unchanged, real.skipped, real.updated) == (12, 0, 0)
    assert model.Session.query(HarvestObjectExtra).filter_by(key=RAW_KEY).count() == 12
    assert run_harvest(source, dry_run=True).skipped == 12


@pytest.mark.parametrize("fmt,content_type", [("xml", "application/rdf+xml"),
                                              ("json-ld", "application/ld+json")])
def test_dcat_rdfxml_and_jsonld(feed_server, make_source, run_harvest, fmt, content_type):
    pages = dcat_feeds.feed_pages(feed_server.url("", host="localhost"), 12, per_page=100)
    feed_server.routes["/catalog"] = body(dcat_feeds.as_format(pages["/catalog.ttl"], fmt),
                                          content_type=content_type)
    source = _dcat_source(make_source, feed_server, path="/catalog")
    result = run_harvest(source)
    assert not result.failed and result.added == 12, result.errors[:3]
    ds = _datasets(source["id"])["https://data.ggd-zw.example.nl/dataset/ds-00002"]
    assert "ĳsbaan en één" in ds["notes"]


def test_dcat_declared_charset_is_honoured(feed_server, make_source, run_harvest):
    pages = dcat_feeds.feed_pages(feed_server.url("", host="localhost"), 3)
    text = pages["/catalog.ttl"].replace("ĳsbaan", "ijsbaan")  # ĳ is not in Latin-1
    feed_server.routes["/latin1.ttl"] = body(text.encode("iso-8859-1"),
                                             content_type="text/turtle; charset=ISO-8859-1")
    source = _dcat_source(make_source, feed_server, path="/latin1.ttl")
    result = run_harvest(source)
    assert not result.failed and result.added == 3, result.errors
    notes = [d["notes"] for d in _datasets(source["id"]).values()]
    assert len(notes) == 3 and all("één coëfficiënt" in n for n in notes)


@pytest.mark.parametrize("hostile,message", [
    (dcat_feeds.BILLION_LAUGHS, "DOCTYPE"),
    (dcat_feeds.EXTERNAL_ENTITY, "DOCTYPE"),
])
def test_dcat_hostile_xml_is_refused(feed_server, make_source, run_harvest, hostile, message):
    feed_server.routes["/catalog.rdf"] = body(hostile, content_type="application/rdf+xml")
    result = run_harvest(_dcat_source(make_source, feed_server, path="/catalog.rdf"))
    assert result.failed and any(message in e for e in result.errors), result.errors
    assert not any("root:" in e for e in result.errors)  # /etc/passwd never read


def test_dcat_truncated_page_withdraws_nothing(feed_server, make_source, run_harvest):
    pages = _paged(feed_server, 25, per_page=10)
    source = _dcat_source(make_source, feed_server)
    run_harvest(source)
    before = _stamps(_datasets(source["id"]))
    feed_server.routes["/catalog.ttl?page=2"] = body(
        dcat_feeds.truncated(pages["/catalog.ttl?page=2"]), content_type="text/turtle")
    result = run_harvest(source)
    assert result.failed and any("pagina 2" in e for e in result.errors), result.errors
    assert _stamps(_datasets(source["id"])) == before


# ------------------------------------------------------------------ another CKAN portal


@pytest.fixture
def remote_ckan(make_app: Callable[[], Any], ckan_config: Any,
                monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """This test's own CKAN, served on a free port: a real portal to harvest from."""
    import socket

    from werkzeug.serving import make_server

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://localhost:{port}"
    monkeypatch.setitem(ckan_config, "ckanext.gemeente.harvest.allow_hosts", "localhost")
    server = make_server("127.0.0.1", port, make_app().app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield url
    server.shutdown()


def _remote_dataset(i: int, org: str, **extra: Any) -> dict[str, Any]:
    from ckan.tests import factories

    data = {"name": f"ggd-meting-{i}", "title": f"GGD-meting {i}: luchtkwaliteit",
            "notes": f"Meetreeks {i} van de GGD, één keer per uur.", "owner_org": org,
            "privacy_classification": "geen-persoonsgegevens",
            "resources": [{"url": f"https://data.ggd-zw.example.nl/files/meting-{i}.csv",
                           "name": "Metingen", "format": "CSV"}],
            "tags": [{"name": "lucht"}], "update_method": "handmatig", **DEFAULTS, **extra}
    return factories.Dataset(**data)


def test_ckan_portal_harvest_and_withdrawal(remote_ckan, make_source, run_harvest,
                                            department, sysadmin):
    from ckan.tests import factories

    ggd = factories.Organization(name="ggd", title="GGD Zaanstreek-Waterland",
                                 municipality_uri=MUNICIPALITY,
                                 municipality_name="Gemeente Zaanstad")
    public = [_remote_dataset(i, ggd["id"], private=False) for i in range(3)]
    _remote_dataset(10, ggd["id"], private=True)  # private at the source: skipped
    gone = _remote_dataset(11, ggd["id"], private=False)
    tk.get_action("package_delete")({"user": sysadmin["name"]}, {"id": gone["id"]})
    source = make_source(remote_ckan, source_type="gemeente_ckan", name="ggd-portal",
                         config={"organizations": {"ggd": "openbare-ruimte"},
                                 "skip_unmapped": True})
    result = run_harvest(source)
    assert not result.failed and result.errors == [], result.errors
    datasets = _datasets(source["id"])
    assert sorted(datasets) == sorted(d["id"] for d in public)
    local = datasets[public[1]["id"]]
    assert local["title"] == "GGD-meting 1: luchtkwaliteit" and "één keer" in local["notes"]
    assert local["owner_org"] == department["id"] and local["private"] is True
    assert local["resources"][0]["url"].endswith("/meting-1.csv")
    # removed at the source: withdrawn here (ckanext-harvest#542)
    tk.get_action("package_delete")({"user": sysadmin["name"]}, {"id": public[0]["id"]})
    again = run_harvest(source)
    assert (again.withdrawn, again.unchanged) == (1, 2), again.errors
    assert public[0]["id"] not in _datasets(source["id"])


def test_ckan_portal_unreachable_withdraws_nothing(make_source, run_harvest, http_server):
    http_server.routes["/api/3/action/package_search"] = body("kapot", status=500)
    result = run_harvest(make_source(http_server.url("/", host="localhost"),
                                     source_type="gemeente_ckan", name="kapot"))
    assert result.failed and any("500" in e for e in result.errors), result.errors


# ------------------------------------------------------------------ the UI's Reharvest button


@pytest.mark.parametrize("kind", ["arcgis", "dcat", "ckan"])
def test_reharvest_button_then_cron(kind, arcgis, feed_server, remote_ckan, make_source, app,
                                    sysadmin):
    from ckanext.gemeente.harvest import runner

    server, _pages = arcgis
    if kind == "arcgis":
        source = _arcgis_source(make_source, server)
    elif kind == "dcat":
        _paged(feed_server, 12, per_page=5)
        source = _dcat_source(make_source, feed_server)
    else:
        from ckan.tests import factories

        ggd = factories.Organization(name="ggd", municipality_uri=MUNICIPALITY,
                                     municipality_name="Gemeente Zaanstad")
        for i in range(3):
            _remote_dataset(i, ggd["id"], private=False)
        source = make_source(remote_ckan, source_type="gemeente_ckan", name="ggd-portal",
                             config={"organizations": {"ggd": "openbare-ruimte"},
                                     "skip_unmapped": True})
    token = tk.get_action("api_token_create")({"user": sysadmin["name"]}, {
        "user": sysadmin["name"], "name": "test"})["token"]
    resp = app.get(tk.url_for("harvester.refresh", id=source["id"]),
                   headers={"Authorization": token}, follow_redirects=False)
    assert resp.status_code in (200, 302)
    results = runner.run()  # cron: the job queued by the button is due
    assert [r.added for r in results] == [len(_datasets(source["id"]))]
    assert results[0].added > 0


# ------------------------------------------------------------------ as cron runs them


def test_each_source_type_through_the_cron_cli(arcgis, feed_server, remote_ckan, make_source,
                                               cli_ini, ckan_config):
    import subprocess

    from ckan.tests import factories

    server, _pages = arcgis
    _arcgis_source(make_source, server)
    ggd = factories.Organization(name="ggd", municipality_uri=MUNICIPALITY,
                                 municipality_name="Gemeente Zaanstad")
    for i in range(4):
        _remote_dataset(i, ggd["id"], private=False)
    make_source(remote_ckan, source_type="gemeente_ckan", name="ggd-portal",
                config={"organizations": {"ggd": "openbare-ruimte"}, "skip_unmapped": True})
    _paged(feed_server, 15, per_page=10)
    _dcat_source(make_source, feed_server)
    server.routes["/hub/api/feed/dcat-us/1.1.json"] = body(
        "{\"dataset\": [", content_type="application/json")  # a truncated Hub feed
    make_source(server.url("/hub", host="localhost"), source_type="gemeente_arcgis",
                name="hub-kapot", config={"defaults": DEFAULTS, "kind": "hub"})
    ini = cli_ini(**{"ckanext.dcat.rdf.profiles": ckan_config["ckanext.dcat.rdf.profiles"]})

    def run(*names: str) -> subprocess.CompletedProcess[str]:
        args = [a for n in names for a in ("--source", n)]
        return subprocess.run([ckan_command(), "-c", ini, "gemeente", "harvest", "run", *args],
                              capture_output=True, text=True, timeout=600,
                              stdin=subprocess.DEVNULL)

    good = run("arcgis", "ggd-dcat", "ggd-portal")
    assert good.returncode == 0, good.stdout + good.stderr
    lines = {line.split(":", 1)[0]: line for line in good.stdout.splitlines() if ":" in line}
    assert "toegevoegd=15" in lines["ggd-dcat"] and "fouten=0" in lines["ggd-dcat"]
    assert "toegevoegd=4" in lines["ggd-portal"] and "fouten=0" in lines["ggd-portal"]
    assert "toegevoegd=0" not in lines["arcgis"] and "fouten=0" in lines["arcgis"]
    again = run("arcgis", "ggd-dcat")
    assert again.returncode == 0 and "ongewijzigd=15" in again.stdout, again.stdout
    bad = run("hub-kapot")
    assert bad.returncode == 1 and "MISLUKT" in bad.stdout, bad.stdout + bad.stderr
