"""No leak while under review: anonymous visitors and logged-in non-members see nothing of
a dataset in review (its page, the API, search, its resources and uploaded file, the
DataStore with search, SQL and dump, DCAT, the activity stream, organization and group
pages, the feeds). The same dataset, once published, shows up on the same paths (so the
checks can fail).

The DataStore runs on the real PostgreSQL: ``ckan.datastore.write_url`` / ``read_url``
come from ``CKAN_DATASTORE_WRITE_URL`` / ``CKAN_DATASTORE_READ_URL``, or default to the
database ``datastore_test_<major>_<minor>`` of the running CKAN series and the role
``datastore_ro`` that scripts/devstack.sh creates next to ``ckan_test``; the fixture applies
CKAN's read-only permissions to it. One database per series, as on a real portal: CKAN 2.11's
set_permissions.sql puts its full-text trigger on every table of the database, also on the
``_table_stats`` table of CKAN 2.12, which then can no longer record a row count (the
officer's ``datastore_search`` answered 409 in a database shared by both series).
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from privacy_testdata import Town, call

PLUGINS = "activity datastore dcat gemeente_privacy"
SECRET = "Wijkteam-casuïstiek Poelenburg"  # the title that must not leak
FILE_BODY = b"buurt,meldingen\nPoelenburg,17\nPeldersveld,9\n"


def _derive(url: str, db: str, credentials: str) -> str:
    parsed = sa.engine.make_url(url)
    return str(parsed.set(database=db, username=credentials.split(":")[0],
                          password=credentials.split(":")[1]).render_as_string(
        hide_password=False))


@pytest.fixture
def datastore_config(ckan_config: dict[str, Any], monkeypatch: pytest.MonkeyPatch
                     ) -> Iterator[None]:
    import ckan
    import ckanext.datastore as ds_pkg

    main = ckan_config["sqlalchemy.url"]
    db = "datastore_test_" + "_".join(ckan.__version__.split(".")[:2])
    write = os.environ.get("CKAN_DATASTORE_WRITE_URL") or _derive(
        main, db, "ckan_default:pass")
    read = os.environ.get("CKAN_DATASTORE_READ_URL") or _derive(
        main, db, "datastore_ro:pass")

    template = open(os.path.join(os.path.dirname(ds_pkg.__file__), "set_permissions.sql"),
                    encoding="utf-8").read()
    w, r, m = sa.engine.make_url(write), sa.engine.make_url(read), sa.engine.make_url(main)
    sql = template.format(mainuser=m.username, writeuser=w.username, readuser=r.username,
                          maindb=m.database, datastoredb=w.database)
    sql = "\n".join(line for line in sql.splitlines() if not line.startswith("\\connect"))
    engine = sa.create_engine(write, poolclass=sa.pool.NullPool)
    raw = engine.raw_connection()
    try:
        raw.cursor().execute(sql)  # no parameters: the script holds literal % signs
        raw.commit()
    finally:
        raw.close()
    engine.dispose()
    monkeypatch.setitem(ckan_config, "ckan.datastore.write_url", write)
    monkeypatch.setitem(ckan_config, "ckan.datastore.read_url", read)
    yield


@pytest.fixture
def leak_env(datastore_config: None, with_plugins: None) -> None:
    """datastore_config before with_plugins: the datastore plugin checks its URLs on load."""


def _under_review(town: Town) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    from werkzeug.datastructures import FileStorage

    group = call("group_create", town["sysadmin"], name="zorg-en-welzijn",
                 title="Zorg en welzijn")
    call("member_create", None, id=group["id"], object=town["editor"]["name"],
         object_type="user", capacity="member")
    ds = town.dataset("wijkteam-meldingen", title=SECRET, resources=[],
                      groups=[{"name": group["name"]}])
    res = call("resource_create", town["editor"], package_id=ds["id"],
               name=f"{SECRET} (CSV)", format="CSV",
               upload=FileStorage(io.BytesIO(FILE_BODY), "meldingen-poelenburg.csv"))
    call("datastore_create", town["sysadmin"], resource_id=res["id"], force=True,
         fields=[{"id": "buurt", "type": "text"}, {"id": "meldingen", "type": "int"}],
         records=[{"buurt": "Poelenburg", "meldingen": 17},
                  {"buurt": "Peldersveld", "meldingen": 9}])
    town.submit(ds, comment=SECRET)
    call("package_patch", town["editor"], id=ds["id"], notes=f"Bijgewerkt: {SECRET}")
    return call("package_show", None, id=ds["id"]), res, group


def _paths(ds: dict[str, Any], res: dict[str, Any], org: dict[str, Any],
           group: dict[str, Any]) -> dict[str, str]:
    rid = res["id"]
    sql = f'SELECT * FROM "{rid}"'
    return {
        "page": f"/dataset/{ds['name']}",
        "page_id": f"/dataset/{ds['id']}",
        "resource_page": f"/dataset/{ds['name']}/resource/{rid}",
        "download": f"/dataset/{ds['id']}/resource/{rid}/download/meldingen-poelenburg.csv",
        "package_show": f"/api/3/action/package_show?id={ds['id']}",
        "resource_show": f"/api/3/action/resource_show?id={rid}",
        "search": "/api/3/action/package_search?q=Poelenburg&include_private=true",
        "search_page": "/dataset/?q=Poelenburg",
        "datastore_search": f"/api/3/action/datastore_search?resource_id={rid}",
        "datastore_search_sql": f"/api/3/action/datastore_search_sql?sql={sql}",
        "datastore_dump": f"/datastore/dump/{rid}",
        "catalog": "/catalog.ttl",
        "rdf": f"/dataset/{ds['name']}.rdf",
        "ttl": f"/dataset/{ds['name']}.ttl",
        "jsonld": f"/dataset/{ds['name']}.jsonld",
        "activity_page": f"/dataset/activity/{ds['name']}",
        "activity_api": f"/api/3/action/package_activity_list?id={ds['id']}",
        "recent_activity": "/api/3/action/recently_changed_packages_activity_list",
        "org_activity": f"/api/3/action/organization_activity_list?id={org['id']}",
        "user_activity": "/api/3/action/user_activity_list?id=redacteur",
        "user_page": "/user/activity/redacteur",
        "org_page": f"/organization/{org['name']}",
        "group_page": f"/group/{group['name']}",
        "group_show": f"/api/3/action/group_show?id={group['id']}&include_datasets=true",
        "org_show": f"/api/3/action/organization_show?id={org['id']}&include_datasets=true",
        "feed": "/feeds/dataset.atom",
        "feed_org": f"/feeds/organization/{org['name']}.atom",
        "feed_group": f"/feeds/group/{group['name']}.atom",
        "feed_custom": "/feeds/custom.atom?q=Poelenburg",
    }


def _visible(app: Any, path: str, headers: dict[str, str]) -> tuple[int, bool]:
    resp = app.get(path, headers=headers)
    body = resp.get_data()
    leaked = (SECRET.encode() in body or SECRET.encode("ascii", "xmlcharrefreplace") in body
              or json.dumps(SECRET)[1:-1].encode() in body or b"&#239;stiek Poelenburg" in body
              or b"Peldersveld" in body)  # a value only in the file and the DataStore table
    assert resp.status_code < 500, (path, resp.status_code, body[:300])
    return resp.status_code, leaked


@pytest.mark.ckan_config("ckan.plugins", PLUGINS)
@pytest.mark.ckan_config("ckan.locale_default", "en")
@pytest.mark.ckan_config("ckan.auth.public_activity_stream_detail", "true")
@pytest.mark.ckan_config("ckan.datastore.sqlsearch.enabled", "true")
@pytest.mark.usefixtures("leak_env")
def test_nothing_leaks_while_under_review_and_all_shows_once_published(
        town: Town, app: Any) -> None:
    ds, res, group = _under_review(town)
    assert ds["private"] is True
    paths = _paths(ds, res, town.org, group)
    for who, headers in (("anonymous", {}),
                         ("plain user", {"Authorization": town["user"]["token"]})):
        leaks = {name: path for name, path in paths.items() if _visible(app, path, headers)[1]}
        assert not leaks, f"{who} sees the dataset under review through {leaks}"
    # members and reviewers do see it (the labels work both ways)
    officer = {"Authorization": town["officer"]["token"]}
    assert _visible(app, paths["package_show"], officer) == (200, True)
    found = app.get(paths["datastore_search"], headers=officer)
    assert b"Peldersveld" in found.get_data(), (found.status_code, found.get_data()[:500])

    town.approve(ds)
    town.publish(ds)
    anonymous_sees = {name for name, path in paths.items() if _visible(app, path, {})[1]}
    expected = {"page", "page_id", "resource_page", "package_show", "resource_show", "search",
                "search_page", "datastore_search", "datastore_search_sql", "datastore_dump",
                "catalog", "rdf", "ttl", "jsonld", "org_page", "group_page", "feed",
                "feed_org", "feed_custom", "org_show", "group_show"}
    assert expected <= anonymous_sees, expected - anonymous_sees
    resp = app.get(paths["download"])
    assert resp.status_code == 200 and resp.get_data() == FILE_BODY
