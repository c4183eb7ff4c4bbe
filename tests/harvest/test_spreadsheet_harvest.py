"""The spreadsheet harvester end to end on gemeente_schema: first run, re-run, changes, errors."""

from __future__ import annotations

import json
import os
from typing import Any

import ckan.plugins.toolkit as tk
import pytest
from conftest import harvest_config
from harvest_data import row, rows, to_csv, to_xlsx
from harvest_servers import body, redirect

pytestmark = harvest_config()


def _write(root: str, name: str, data: bytes) -> str:
    path = os.path.join(root, name)
    with open(path, "wb") as fh:
        fh.write(data)
    return path


def _harvested(source_id: str) -> list[dict[str, Any]]:
    from ckan import model
    from ckanext.harvest.model import HarvestObject

    ids = [pid for (pid,) in model.Session.query(HarvestObject.package_id).filter(
        HarvestObject.harvest_source_id == source_id, HarvestObject.current.is_(True))]
    return [tk.get_action("package_show")({"ignore_auth": True}, {"id": i}) for i in ids]


def _by_ident(source_id: str) -> dict[str, dict[str, Any]]:
    from ckanext.gemeente.harvest.base import source_identifier_of

    return {source_identifier_of(p): p for p in _harvested(source_id)}


def _activities(pkg_id: str) -> int:
    from ckan import model

    return model.Session.execute(_sql(
        "select count(*) from activity where object_id = :id"), {"id": pkg_id}).scalar()


def _sql(text: str) -> Any:
    import sqlalchemy as sa

    return sa.text(text)


def _indexed(pkg_id: str) -> str:
    res = tk.get_action("package_search")({"ignore_auth": True}, {
        "q": f"id:{pkg_id}", "fl": "id,indexed_ts", "include_private": True})
    return res["results"][0]["indexed_ts"]


def test_first_harvest_maps_into_the_municipal_schema(make_source, run_harvest, file_root,
                                                      department):
    path = _write(file_root, "inventaris.csv", to_csv(rows(5)))
    source = make_source(path)
    result = run_harvest(source)
    assert (result.added, result.updated, result.unchanged, result.withdrawn) == (5, 0, 0, 0)
    assert result.errors == [] and not result.failed
    datasets = _by_ident(source["id"])
    assert sorted(datasets) == [f"OR-{i:04d}" for i in range(1, 6)]
    pkg = datasets["OR-0001"]
    assert pkg["title"] == "Afvalinzamelpunten"
    assert pkg["private"] is True
    assert pkg["owner_org"] == department["id"]
    assert pkg["theme"] == ["http://standaarden.overheid.nl/owms/terms/Afval_(thema)"]
    assert pkg["license_id"] == "http://creativecommons.org/publicdomain/zero/1.0/deed.nl"
    assert pkg["language"] == ["http://publications.europa.eu/resource/authority/language/NLD"]
    assert pkg["modified"] == "2025-01-01"  # Dutch date 01-01-2025
    assert pkg["update_method"] == "geharvest"
    assert pkg["harvest_source"].endswith(f"/harvest/{source['id']}#OR-0001")
    assert [t["name"] for t in pkg["tags"]] == ["afval", "openbare ruimte"]
    assert pkg["resources"][0]["url"] == "https://data.zaanstad.example.nl/or/afval-1.csv"
    assert pkg["resources"][0]["name"] == "Afvalinzamelpunten (CSV)"


def test_unchanged_reharvest_writes_nothing(make_source, run_harvest, file_root):
    path = _write(file_root, "inventaris.csv", to_csv(rows(4)))
    source = make_source(path)
    run_harvest(source)
    before = {k: (p["metadata_modified"], _activities(p["id"]), _indexed(p["id"]))
              for k, p in _by_ident(source["id"]).items()}
    result = run_harvest(source)
    assert (result.added, result.updated, result.unchanged, result.withdrawn) == (0, 0, 4, 0)
    after = {k: (p["metadata_modified"], _activities(p["id"]), _indexed(p["id"]))
             for k, p in _by_ident(source["id"]).items()}
    assert after == before


def test_one_row_changed_updates_only_that_dataset(make_source, run_harvest, file_root):
    data = rows(4)
    path = _write(file_root, "inventaris.csv", to_csv(data))
    source = make_source(path)
    run_harvest(source)
    before = _by_ident(source["id"])
    data[2] = row(2, Omschrijving="Alle bomen in beheer van de gemeente, met boomsoort.")
    _write(file_root, "inventaris.csv", to_csv(data))
    result = run_harvest(source)
    assert (result.added, result.updated, result.unchanged, result.withdrawn) == (0, 1, 3, 0)
    after = _by_ident(source["id"])
    assert after["OR-0003"]["notes"].startswith("Alle bomen in beheer")
    assert after["OR-0003"]["metadata_modified"] > before["OR-0003"]["metadata_modified"]
    assert after["OR-0003"]["id"] == before["OR-0003"]["id"]
    for key in ("OR-0001", "OR-0002", "OR-0004"):
        assert after[key]["metadata_modified"] == before[key]["metadata_modified"]


def test_removed_row_is_withdrawn_and_comes_back(make_source, run_harvest, file_root):
    data = rows(4)
    path = _write(file_root, "inventaris.csv", to_csv(data))
    source = make_source(path)
    run_harvest(source)
    gone_id = _by_ident(source["id"])["OR-0002"]["id"]
    _write(file_root, "inventaris.csv", to_csv([data[0], data[2], data[3]]))
    result = run_harvest(source)
    assert (result.added, result.updated, result.unchanged, result.withdrawn) == (0, 0, 3, 1)
    gone = tk.get_action("package_show")({"ignore_auth": True}, {"id": gone_id})
    assert gone["state"] == "deleted"  # without gemeente_privacy: deleted
    assert "OR-0002" not in _by_ident(source["id"])
    # the row returns: the same dataset is restored, not a second one
    _write(file_root, "inventaris.csv", to_csv(data))
    result = run_harvest(source)
    assert (result.added, result.updated, result.unchanged) == (0, 1, 3)  # restored
    back = _by_ident(source["id"])["OR-0002"]
    assert back["id"] == gone_id and back["state"] == "active"


def test_bad_rows_are_reported_and_the_others_import(make_source, run_harvest, file_root):
    data = rows(5)
    data[1] = row(1, Gewijzigd="31-13-2025")
    data[3] = row(3, **{"Contact e-mail": "geen-adres", "Thema": "Onbestaand thema"})
    path = _write(file_root, "inventaris.csv", to_csv(data))
    source = make_source(path)
    result = run_harvest(source)
    assert result.added == 3
    assert set(_by_ident(source["id"])) == {"OR-0001", "OR-0003", "OR-0005"}
    text = "\n".join(result.errors)
    assert "Rij 3 (id OR-0002), field modified" in text and "31-13-2025" in text
    assert "Rij 5 (id OR-0004)" in text and "contact_email" in text and "theme" in text
    # the job report in ckanext-harvest shows the same errors
    report = tk.get_action("harvest_job_report")({"ignore_auth": True}, {"id": result.job_id})
    messages = [e["message"] for e in report["gather_errors"]] + [
        e["message"] for o in report["object_errors"].values() for e in o["errors"]]
    assert any("Rij 3" in m for m in messages) and any("Rij 5" in m for m in messages)
    # a bad row of a dataset harvested before is not withdrawn
    data[1] = row(1)
    _write(file_root, "inventaris.csv", to_csv(data))
    run_harvest(source)
    data[1] = row(1, Gewijzigd="gisteren")
    _write(file_root, "inventaris.csv", to_csv(data))
    result = run_harvest(source)
    assert result.withdrawn == 0 and "OR-0002" in _by_ident(source["id"])


@pytest.mark.parametrize("variant", ["comma-bom", "cp1252", "xlsx", "xlsx-merged"])
def test_dutch_spreadsheets_as_they_come(variant, make_source, run_harvest, file_root):
    data = rows(3)
    data[0] = row(0, Titel="Privéterreinen en ĳsbanen", Omschrijving="Overzicht van "
                  "terreinen; één per rij, met coördinaten.")
    if variant == "comma-bom":
        raw, name = to_csv(data, delimiter=",", bom=True), "inventaris.csv"
    elif variant == "cp1252":
        data[0]["Titel"] = "Privéterreinen en ijsbanen"
        raw, name = to_csv(data, encoding="cp1252"), "inventaris.csv"
    elif variant == "xlsx":
        raw, name = to_xlsx(data), "inventaris.xlsx"
    else:
        raw, name = to_xlsx(data, merged_contact=True), "inventaris.xlsx"
    source = make_source(_write(file_root, name, raw))
    result = run_harvest(source)
    assert result.errors == [] and result.added == 3
    pkg = _by_ident(source["id"])["OR-0001"]
    assert pkg["title"] == data[0]["Titel"]
    assert pkg["contact_email"] == "opendata@zaanstad.example.nl"
    assert pkg["contact_name"] == "Team Open Data"
    assert pkg["modified"] == "2025-01-01"


def test_truncated_or_empty_source_withdraws_nothing(make_source, run_harvest, file_root):
    data = rows(6)
    path = _write(file_root, "inventaris.csv", to_csv(data))
    source = make_source(path)
    run_harvest(source)
    full = to_csv(data)
    _write(file_root, "inventaris.csv", full[: int(len(full) * 0.6)])  # download cut off
    result = run_harvest(source)
    assert result.failed and result.withdrawn == 0
    assert "afgebroken" in result.errors[0]
    _write(file_root, "inventaris.csv", to_csv([]))
    result = run_harvest(source)
    assert result.failed and result.withdrawn == 0
    _write(file_root, "inventaris.csv", to_csv(data[:2]))  # 4 of 6 gone: suspicious
    result = run_harvest(source)
    assert result.withdrawn == 0 and "none was withdrawn" in result.errors[0]
    assert len(_by_ident(source["id"])) == 6


def test_source_over_http(make_source, run_harvest, http_server):
    http_server.routes["/inventaris.csv"] = body(to_csv(rows(2)), content_type="text/csv")
    source = make_source(http_server.url("/inventaris.csv", host="localhost"))
    result = run_harvest(source)
    assert result.added == 2 and not result.errors


def test_unreachable_source_withdraws_nothing(make_source, run_harvest, http_server):
    http_server.routes["/inventaris.csv"] = body(to_csv(rows(3)), content_type="text/csv")
    source = make_source(http_server.url("/inventaris.csv", host="localhost"))
    run_harvest(source)
    http_server.routes["/inventaris.csv"] = body("storing", status=503)
    result = run_harvest(source)
    assert result.failed and result.withdrawn == 0 and "503" in result.errors[0]
    http_server.stop()
    result = run_harvest(source)
    assert result.failed and result.withdrawn == 0
    assert len(_by_ident(source["id"])) == 3


@pytest.mark.parametrize("where", ["loopback", "private", "redirect", "outside-root"])
def test_forbidden_url_is_refused(where, make_source, run_harvest, http_server, file_root,
                                  tmp_path):
    http_server.routes["/secret"] = body(to_csv(rows(2)), content_type="text/csv")
    if where == "loopback":
        url = http_server.url("/secret")  # 127.0.0.1 is not in allow_hosts
    elif where == "private":
        url = "http://192.168.20.7/inventaris.csv"
    elif where == "redirect":
        http_server.routes["/start"] = redirect(http_server.url("/secret"))
        url = http_server.url("/start", host="localhost")
    else:
        url = _write(str(tmp_path), "elders.csv", to_csv(rows(2)))
    source = make_source(url)
    result = run_harvest(source)
    assert result.failed and result.added == 0
    assert "geweigerd" in result.errors[0] or "buiten" in result.errors[0]
    assert "/secret" not in http_server.hits


def test_dry_run_writes_nothing(make_source, run_harvest, file_root):
    path = _write(file_root, "inventaris.csv", to_csv(rows(3)))
    source = make_source(path)
    result = run_harvest(source, dry_run=True)
    assert (result.added, result.dry_run) == (3, True)
    assert _harvested(source["id"]) == []
    from ckanext.harvest.model import HarvestJob

    assert HarvestJob.filter(source_id=source["id"]).count() == 0


def test_mapping_is_validated_on_save(make_source, file_root):
    path = _write(file_root, "inventaris.csv", to_csv(rows(1)))
    bad = {"mapping": {"fields": {"titel": "Titel", "modified": {"column": "Gewijzigd",
                                                                  "type": "datum"}}},
           "review_state": "gepubliceerd", "contacts": "beheer"}
    with pytest.raises(tk.ValidationError) as info:
        make_source(path, config=bad)
    message = json.dumps(info.value.error_dict)
    assert "mapping.fields.titel: unknown dataset field" in message
    assert "mapping.fields.modified.type" in message
    assert "review_state" in message and "contacts" in message
    with pytest.raises(tk.ValidationError, match="not valid JSON"):
        from ckan.tests.helpers import call_action

        call_action("harvest_source_create", name="kapot", title="Kapot", url=path + "?x",
                    source_type="gemeente_spreadsheet", config="{mapping: ")


def test_custom_mapping(make_source, run_harvest, file_root):
    raw = (b"Code;Naam;Toelichting;Datum\n"
           b"A1;Marktkramen;Standplaatsen op de weekmarkt;15-03-2025\n")
    path = _write(file_root, "markt.csv", raw)
    config = {"mapping": {"identifier": "Code", "fields": {
        "title": "Naam", "notes": "Toelichting",
        "modified": {"column": "Datum", "type": "date"},
        "theme": {"value": ["http://standaarden.overheid.nl/owms/terms/Bestuur"]},
        "contact_name": {"value": "Team Markten"},
        "contact_email": {"value": "markten@zaanstad.example.nl"},
        "license_id": {"value": "CC0 1.0"}, "access_rights": {"value": "Publiek"},
        "language": {"value": ["Nederlands"]}, "metadata_language": {"value": "Nederlands"},
    }, "resources": []}}
    source = make_source(path, config=config)
    result = run_harvest(source)
    assert result.errors == [], result.errors
    pkg = _by_ident(source["id"])["A1"]
    assert (pkg["title"], pkg["modified"]) == ("Marktkramen", "2025-03-15")


def test_template_download_and_form_help(app, sysadmin):
    from ckanext.gemeente.harvest.sources import spreadsheet

    resp = app.get("/gemeente-harvest/inventaris-sjabloon.xlsx")
    assert resp.status_code == 200
    rows_ = spreadsheet.read_table(resp.data, "sjabloon.xlsx")
    assert list(rows_[0][1]) == [c[0] for c in spreadsheet.TEMPLATE_COLUMNS]
    csv_resp = app.get("/gemeente-harvest/inventaris-sjabloon.csv")
    assert spreadsheet.read_table(csv_resp.data, "x.csv") == rows_
    page = app.get("/harvest/new", headers={"Authorization": _token(sysadmin)})
    assert "inventaris-sjabloon.xlsx" in page.body
    assert "mapping-help.html" in page.body
    assert app.get("/gemeente-harvest/mapping-help.html").status_code == 200


def _token(user: dict[str, Any]) -> str:
    from ckan.tests import factories

    return factories.APIToken(user=user["name"])["token"]
