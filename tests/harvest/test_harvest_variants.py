"""The harvester on CKAN's default schema, and together with the privacy review."""

from __future__ import annotations

import json
import os

import ckan.plugins.toolkit as tk
from conftest import HARVEST_PLUGINS, SCHEMA_PLUGINS, harvest_config
from harvest_data import row, rows, to_csv


def _write(root: str, data: bytes) -> str:
    path = os.path.join(root, "inventaris.csv")
    with open(path, "wb") as fh:
        fh.write(data)
    return path


def _datasets(source_id: str) -> dict[str, dict]:
    from ckan import model
    from ckanext.harvest.model import HarvestObject

    from ckanext.gemeente.harvest.base import source_identifier_of

    out = {}
    for (pid,) in model.Session.query(HarvestObject.package_id).filter(
            HarvestObject.harvest_source_id == source_id, HarvestObject.current.is_(True)):
        pkg = tk.get_action("package_show")({"ignore_auth": True}, {"id": pid})
        out[source_identifier_of(pkg)] = pkg
    return out


class TestDefaultSchema:
    pytestmark = harvest_config(f"activity {HARVEST_PLUGINS}", schema=False)

    def test_valid_core_datasets(self, make_source, run_harvest, file_root, department):
        source = make_source(_write(file_root, to_csv(rows(3))))
        result = run_harvest(source)
        assert result.errors == [] and result.added == 3
        pkg = _datasets(source["id"])["OR-0001"]
        extras = {e["key"]: e["value"] for e in pkg["extras"]}
        assert pkg["title"] == "Afvalinzamelpunten" and pkg["private"] is True
        assert pkg["maintainer_email"] == "opendata@zaanstad.example.nl"
        assert pkg["owner_org"] == department["id"]
        assert extras["gemeente_source_identifier"] == "OR-0001"
        assert extras["gemeente_harvest_source"].endswith("/harvest/" + source["id"])
        assert json.loads(extras["theme"]) == ["Afval"]
        assert extras["modified"] == "2025-01-01"
        assert [r["url"] for r in pkg["resources"]] == [
            "https://data.zaanstad.example.nl/or/afval-1.csv"]
        # unchanged and changed work the same way on the core schema
        result = run_harvest(source)
        assert (result.added, result.updated, result.unchanged) == (0, 0, 3)
        _write(file_root, to_csv([row(0, Titel="Afvalinzamelpunten 2025"), *rows(3)[1:]]))
        result = run_harvest(source)
        assert (result.updated, result.unchanged) == (1, 2)
        assert _datasets(source["id"])["OR-0001"]["title"] == "Afvalinzamelpunten 2025"

    def test_publicly_shared_dataset_stays_public_on_update(self, make_source, run_harvest,
                                                            file_root, sysadmin):
        source = make_source(_write(file_root, to_csv(rows(2))))
        run_harvest(source)
        pkg = _datasets(source["id"])["OR-0001"]
        tk.get_action("package_patch")({"user": sysadmin["name"]},
                                       {"id": pkg["id"], "private": False})
        _write(file_root, to_csv([row(0, Omschrijving="Nieuwe omschrijving."), row(1)]))
        run_harvest(source)
        pkg = _datasets(source["id"])["OR-0001"]
        assert pkg["notes"] == "Nieuwe omschrijving." and pkg["private"] is False


class TestWithPrivacyReview:
    pytestmark = harvest_config(
        f"activity {SCHEMA_PLUGINS} gemeente_privacy {HARVEST_PLUGINS}")

    def _review(self, pkg_id: str) -> dict:
        return tk.get_action("gemeente_review_show")({"ignore_auth": True}, {"id": pkg_id})

    def test_new_datasets_start_concept_or_ingediend(self, make_source, run_harvest,
                                                     file_root):
        path = _write(file_root, to_csv(rows(2)))
        concept = make_source(path, name="concept-bron")
        result = run_harvest(concept)
        assert result.errors == [], result.errors
        for pkg in _datasets(concept["id"]).values():
            assert pkg["private"] is True
            assert self._review(pkg["id"])["state"] == "concept"
        other = os.path.join(file_root, "tweede.csv")
        with open(other, "wb") as fh:
            fh.write(to_csv([row(i, ID=f"SB-{i}") for i in range(2)]))
        submitted = make_source(other, name="ingediend-bron", config={"review_state": "ingediend"})
        result = run_harvest(submitted)
        assert result.errors == [], result.errors
        for pkg in _datasets(submitted["id"]).values():
            review = self._review(pkg["id"])
            assert review["state"] == "ingediend"
            assert any("ingediend-bron" in (h.get("comment") or "")
                       for h in review["history"])

    def test_gone_published_dataset_becomes_ingetrokken(self, make_source, run_harvest,
                                                        file_root, sysadmin):
        data = rows(4)
        source = make_source(_write(file_root, to_csv(data)))
        run_harvest(source)
        published = _datasets(source["id"])["OR-0002"]["id"]
        tk.get_action("gemeente_review_override")(
            {"user": sysadmin["name"]},
            {"id": published, "to_state": "gepubliceerd", "reason": "test: gepubliceerd"})
        concept = _datasets(source["id"])["OR-0003"]["id"]
        _write(file_root, to_csv([data[0], data[3]]))
        result = run_harvest(source)
        assert result.withdrawn == 2, result.errors
        assert self._review(published)["state"] == "ingetrokken"
        assert tk.get_action("package_show")({"ignore_auth": True},
                                             {"id": published})["state"] == "active"
        # never published: withdrawn from the review as well (and private)
        assert self._review(concept)["state"] == "ingetrokken"
        assert tk.get_action("package_show")({"ignore_auth": True},
                                             {"id": concept})["private"] is True
        # back in the source: the same dataset, not a second one
        _write(file_root, to_csv(data))
        result = run_harvest(source)
        assert result.errors == [] and result.added == 0
        assert _datasets(source["id"])["OR-0002"]["id"] == published

    def test_material_change_of_published_dataset_goes_back_to_review(
            self, make_source, run_harvest, file_root, sysadmin):
        data = rows(2)
        source = make_source(_write(file_root, to_csv(data)))
        run_harvest(source)
        pkg_id = _datasets(source["id"])["OR-0001"]["id"]
        tk.get_action("gemeente_review_override")(
            {"user": sysadmin["name"]},
            {"id": pkg_id, "to_state": "gepubliceerd", "reason": "test: gepubliceerd"})
        data[0] = row(0, **{"Download-URL": "https://data.zaanstad.example.nl/or/v2.csv"})
        _write(file_root, to_csv(data))
        result = run_harvest(source)
        assert result.updated == 1 and result.errors == [], result.errors
        review = self._review(pkg_id)
        assert review["pending"] is not None or review["state"] != "gepubliceerd"
