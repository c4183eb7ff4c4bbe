"""gemeente_dashboard: who may see it, and the figures against the datasets behind them.

On CKAN's defaults (the plugin alone: review and harvest sections say they are off), with
gemeente_schema (completeness against the DCAT-AP-DONL schema) and with gemeente_privacy and
ckanext-harvest (review states, lead times, harvest health).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from ckan.plugins import toolkit as tk
from ckan.tests import helpers


def call(action: str, actor: dict[str, Any] | None, **data: Any) -> Any:
    context = {"user": actor["name"], "ignore_auth": False} if actor else {"ignore_auth": True}
    return helpers.call_action(action, context=context, **data)


def dataset(org: dict[str, Any], name: str, **extra: Any) -> dict[str, Any]:
    data = {"name": name, "title": name.replace("-", " ").capitalize(), "owner_org": org["id"],
            "notes": "Verzonnen gegevens van de gemeente.", "license_id": "cc-zero"}
    data.update(extra)
    return call("package_create", None, **data)


@pytest.mark.ckan_config("ckan.plugins", "gemeente_dashboard")
@pytest.mark.ckan_config("ckan.locale_default", "en")
@pytest.mark.usefixtures("with_plugins")
class TestAlone:
    def test_figures_count_every_dataset_with_facets(self, city: dict[str, Any]) -> None:
        ruimte, wonen = city["orgs"]["ruimte"], city["orgs"]["wonen"]
        dataset(ruimte, "bomenregister")
        dataset(ruimte, "speelplekken", private=True)
        dataset(ruimte, "meldingen", notes="", license_id="")
        dataset(wonen, "woningbouwprojecten", notes="")
        data = call("gemeente_dashboard_show", city["users"]["sysadmin"])
        assert data["datasets"] == {"total": 4, "public": 3, "private": 1}
        assert data["departments"] == [
            {"name": "openbare-ruimte", "title": "Openbare Ruimte", "count": 3},
            {"name": "wonen", "title": "Wonen", "count": 1},
        ]
        comp = data["completeness"]
        assert comp["incomplete"] == 2 and comp["complete"] == 2
        missing = {f["field"]: f["missing"] for f in comp["required_fields"]}
        assert missing == {"title": 0, "notes": 2, "license_id": 1, "owner_org": 0}
        listed = {d["name"]: [m["field"] for m in d["missing"]] for d in comp["datasets"]}
        assert listed == {"meldingen": ["notes", "license_id"],
                          "woningbouwprojecten": ["notes"]}
        assert data["review"]["enabled"] is False and "gemeente_privacy" in data["review"]["note"]
        assert data["harvest"]["enabled"] is False

    def test_fixing_a_dataset_takes_it_off_the_list(self, city: dict[str, Any]) -> None:
        ds = dataset(city["orgs"]["ruimte"], "meldingen", notes="")
        admin = city["users"]["sysadmin"]
        assert call("gemeente_dashboard_show", admin)["completeness"]["incomplete"] == 1
        call("package_patch", None, id=ds["id"], notes="Meldingen per buurt.")
        assert call("gemeente_dashboard_show", admin)["completeness"]["incomplete"] == 0

    @pytest.mark.ckan_config("ckanext.gemeente.dashboard.required_fields",
                             "title notes url")
    def test_required_fields_from_configuration(self, city: dict[str, Any]) -> None:
        dataset(city["orgs"]["ruimte"], "bomenregister", url="")
        data = call("gemeente_dashboard_show", city["users"]["sysadmin"])
        assert [f["field"] for f in data["completeness"]["required_fields"]] == \
            ["title", "notes", "url"]
        assert data["completeness"]["required_fields"][2]["missing"] == 1

    @pytest.mark.parametrize("role", ["editor", "org_admin", "officer", "coordinator", "user"])
    def test_without_privacy_only_sysadmins(self, city: dict[str, Any], role: str) -> None:
        with pytest.raises(tk.NotAuthorized):
            call("gemeente_dashboard_show", city["users"][role])

    def test_anonymous_refused(self, city: dict[str, Any]) -> None:
        with pytest.raises(tk.NotAuthorized):
            helpers.call_action("gemeente_dashboard_show",
                                context={"user": "", "ignore_auth": False})

    def test_page_renders_charts_for_sysadmin_and_403_for_others(
        self, app: Any, city: dict[str, Any]
    ) -> None:
        dataset(city["orgs"]["ruimte"], "bomenregister")
        dataset(city["orgs"]["wonen"], "woningbouwprojecten", notes="")
        admin, resident = city["users"]["sysadmin"], city["users"]["user"]
        resp = app.get("/gemeente/dashboard", headers={"Authorization": admin["token"]})
        assert resp.status_code == 200
        body = resp.body
        assert body.count("<svg class=\"gemeente-chart\"") == 2  # departments, completeness
        assert "Openbare Ruimte" in body and "Woningbouwprojecten" in body
        assert "The privacy review (gemeente_privacy) is not enabled." in body
        assert app.get("/gemeente/dashboard", headers={"Authorization": resident["token"]},
                       status=403)
        assert app.get("/gemeente/dashboard", status=403)

    def test_page_in_dutch(self, app: Any, city: dict[str, Any]) -> None:
        body = app.get("/nl/gemeente/dashboard",
                       headers={"Authorization": city["users"]["sysadmin"]["token"]}).body
        assert "Dashboard coördinator" in body
        assert "Volledigheid van de metadata (DCAT-AP-DONL)" in body
        assert "De privacybeoordeling (gemeente_privacy) staat niet aan." in body


SCHEMA = {
    "ckan.plugins": "scheming_datasets scheming_organizations gemeente_schema dcat "
                    "gemeente_dashboard",
    "scheming.dataset_schemas": "ckanext.gemeente.schema:schemas/gemeente_dataset.yaml",
    "scheming.organization_schemas": "ckanext.gemeente.schema:schemas/gemeente_organization.yaml",
    "scheming.presets": "ckanext.scheming:presets.json ckanext.gemeente.schema:presets.json",
    "ckanext.gemeente.municipality_uri": "https://identifier.overheid.nl/tooi/id/gemeente/gm0479",
    "ckan.locale_default": "nl",
}


def schema_config(cls: Any) -> Any:
    for key, value in SCHEMA.items():
        cls = pytest.mark.ckan_config(key, value)(cls)
    return cls


@schema_config
@pytest.mark.usefixtures("with_plugins")
class TestWithSchema:
    def test_required_fields_are_the_schema_s(self, app: Any, city: dict[str, Any]) -> None:
        resp = app.post("/api/3/action/gemeente_dashboard_show", json={},
                        headers={"Authorization": city["users"]["sysadmin"]["token"]})
        data = resp.json["result"]
        fields = {f["field"]: f["label"] for f in data["completeness"]["required_fields"]}
        # DCAT-AP-DONL mandatory properties as the schema marks them, with Dutch labels
        for name, label in [("title", "Titel"), ("theme", "Thema"),
                            ("contact_email", "Contactpunt – e-mail"),
                            ("privacy_classification", "Privacyclassificatie"),
                            ("license_id", "Licentie")]:
            assert fields.get(name) == label, (name, fields)
        assert "name" not in fields


PRIVACY_PLUGINS = "activity dcat harvest dcat_rdf_harvester gemeente_privacy gemeente_dashboard"
APPROVE_CHECKLIST = {
    "personal_data": False, "personal_data_categories": [], "bsn": False,
    "legal_basis": "", "measure": "niet_nodig", "dpia": "niet_nodig", "retention": "",
}


@pytest.mark.ckan_config("ckan.plugins", PRIVACY_PLUGINS)
@pytest.mark.ckan_config("ckan.locale_default", "en")
@pytest.mark.ckan_config("ckanext.gemeente.dashboard.cache_seconds", "0")
@pytest.mark.usefixtures("with_plugins")
class TestWithPrivacyAndHarvest:
    @pytest.fixture
    def town(self, city: dict[str, Any]) -> dict[str, Any]:
        u = city["users"]
        call("gemeente_review_role_grant", u["sysadmin"], user="privacy-officer",
             role="privacy_officer")
        call("gemeente_review_role_grant", u["sysadmin"], user="coordinator", role="coordinator")
        return city

    @pytest.mark.parametrize("role,allowed", [
        ("sysadmin", True), ("officer", True), ("coordinator", True),
        ("editor", False), ("org_admin", False), ("user", False),
    ])
    def test_roles(self, town: dict[str, Any], role: str, allowed: bool) -> None:
        user = town["users"][role]
        if allowed:
            assert call("gemeente_dashboard_show", user)["review"]["enabled"] is True
        else:
            with pytest.raises(tk.NotAuthorized):
                call("gemeente_dashboard_show", user)

    def test_review_states_and_lead_times(self, town: dict[str, Any]) -> None:
        u, ruimte = town["users"], town["orgs"]["ruimte"]
        ids = [call("package_create", u["editor"], name=n, title=n, owner_org=ruimte["id"],
                    notes="Verzonnen.")["id"] for n in ("a-set", "b-set", "c-set")]
        for pid in ids[:2]:
            call("gemeente_review_submit", u["editor"], id=pid)
        call("gemeente_review_decide", u["officer"], id=ids[0], decision="approve",
             checklist=APPROVE_CHECKLIST)
        call("gemeente_review_publish", u["coordinator"], id=ids[0])
        data = call("gemeente_dashboard_show", u["coordinator"])
        states = {s["state"]: s["count"] for s in data["review"]["states"]}
        assert states["concept"] == 1 and states["ingediend"] == 1
        assert states["gepubliceerd"] == 1 and states["afgewezen"] == 0
        lead = data["review"]["lead_times"]
        assert lead["review"]["count"] == 1 and lead["publication"]["count"] == 1
        assert 0 <= lead["review"]["median_days"] < 0.1  # decided within the test run
        # private concept/submitted datasets count per department too
        assert data["departments"][0] == {"name": "openbare-ruimte",
                                          "title": "Openbare Ruimte", "count": 3}

    def test_review_states_are_the_search_facet_s(self, town: dict[str, Any]) -> None:
        """Datasets per review state are the search page's Privacy status facet: a published
        dataset whose change waits for review still counts as published."""
        u, ruimte = town["users"], town["orgs"]["ruimte"]
        ids = [call("package_create", u["editor"], name=n, title=n, owner_org=ruimte["id"],
                    notes="Verzonnen.")["id"] for n in ("a-set", "b-set", "c-set")]
        for pid in ids[:2]:
            call("gemeente_review_submit", u["editor"], id=pid)
        call("gemeente_review_decide", u["officer"], id=ids[0], decision="approve",
             checklist=APPROVE_CHECKLIST)
        call("gemeente_review_publish", u["coordinator"], id=ids[0])
        call("resource_create", u["editor"], package_id=ids[0], name="Nieuwe tabel",
             url="https://example.org/tabel.csv", format="CSV")
        assert call("gemeente_review_show", u["coordinator"], id=ids[0])["pending"]
        data = call("gemeente_dashboard_show", u["coordinator"])
        states = {s["state"]: s["count"] for s in data["review"]["states"] if s["count"]}
        assert states == {"concept": 1, "ingediend": 1, "gepubliceerd": 1}
        facet = call("package_search", None, include_private=True, rows=0,
                     **{"facet.field": ["review_state"]})["search_facets"]["review_state"]
        assert states == {i["name"]: i["count"] for i in facet["items"]}
        assert "unindexed" not in data["review"]

    def test_harvest_source_health(self, town: dict[str, Any]) -> None:
        from ckan import model
        from ckanext.harvest.model import (
            HarvestJob,
            HarvestObject,
            HarvestObjectError,
            HarvestSource,
        )

        ruimte = town["orgs"]["ruimte"]
        now = dt.datetime.utcnow()

        def source(name: str, title: str) -> HarvestSource:
            pkg = call("harvest_source_create", town["users"]["sysadmin"], name=name, title=title,
                       url=f"http://127.0.0.1:9/{name}.ttl", source_type="dcat_rdf",
                       owner_org=ruimte["id"])
            return HarvestSource.get(pkg["id"])

        good, broken = source("bron-ok", "Inventaris"), source("bron-fout", "ArcGIS")
        source("bron-nieuw", "DCAT-feed")
        for src, statuses, errors in ((good, ["added"] * 3 + ["updated", "deleted"], 0),
                                      (broken, ["added", "errored"], 2)):
            job = HarvestJob(source=src, status="Finished", gather_started=now,
                             gather_finished=now, finished=now)
            model.Session.add(job)
            model.Session.flush()
            for status in statuses:
                obj = HarvestObject(job=job, source=src, report_status=status,
                                    guid=f"{src.id}-{status}-{id(object())}")
                model.Session.add(obj)
                model.Session.flush()
                if status == "errored":
                    for i in range(errors):
                        model.Session.add(HarvestObjectError(object=obj, message=f"fout {i}",
                                                             stage="Import"))
        model.Session.commit()
        data = call("gemeente_dashboard_show", town["users"]["coordinator"])
        harvest = {s["name"]: s for s in data["harvest"]["sources"]}
        assert harvest["bron-ok"]["health"] == "ok"
        assert (harvest["bron-ok"]["added"], harvest["bron-ok"]["updated"],
                harvest["bron-ok"]["withdrawn"], harvest["bron-ok"]["errors"]) == (3, 1, 1, 0)
        assert harvest["bron-ok"]["last_run"]
        assert harvest["bron-fout"]["health"] == "error" and harvest["bron-fout"]["errors"] == 1
        assert harvest["bron-nieuw"]["health"] == "never"
        assert data["harvest"]["with_errors"] == 1
        assert data["harvest"]["sources"][0]["name"] == "bron-fout"  # errors first
        # the same figures as ckanext-harvest's own status report of each source
        for name, figures in harvest.items():
            status = call("harvest_source_show_status", None, id=figures["id"])
            last = status["last_job"] or {}
            stats = last.get("stats") or {}
            assert (figures["added"], figures["updated"], figures["errors"]) == (
                stats.get("added", 0), stats.get("updated", 0), stats.get("errored", 0)), name
            assert figures["withdrawn"] == stats.get("deleted", 0), name
            assert figures["status"] == last.get("status"), name
