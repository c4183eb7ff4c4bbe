"""The command line and the migration, run as a sysadmin would: ``ckan -c INI ...`` in a
subprocess against the test database.

``ckan db upgrade -p gemeente_privacy`` creates the tables, ``db downgrade`` removes them;
``ckan gemeente review roles grant|revoke|list``, ``review adopt`` (datasets that were public
before the plugin: recorded as published, or sent to review), ``audit verify`` (exit 0 on an
intact or empty trail, 1 naming the first broken row) and ``audit export``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import pathlib
import subprocess
import sys
from typing import Any

import pytest
import sqlalchemy as sa
from ckan import model
from privacy_testdata import DEFAULT_PLUGINS, Town, call

from ckanext.gemeente.privacy import model as pmodel

ROOT = pathlib.Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("ckan_ini_for_privacy",
                                               ROOT / "tests" / "search" / "ckan_ini.py")
assert _spec and _spec.loader
_ckan_ini = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_ckan_ini)
CKAN = pathlib.Path(sys.executable).with_name("ckan")

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", DEFAULT_PLUGINS),
    pytest.mark.ckan_config("ckan.locale_default", "en"),
    pytest.mark.usefixtures("with_plugins"),
]


def _ini(tmp_path: pathlib.Path, ckan_config: dict[str, Any], **extra: str) -> pathlib.Path:
    lines = ["[app:main]", f"use = config:{ROOT / 'test.ini'}",
             f"ckan.plugins = {DEFAULT_PLUGINS}",
             f"sqlalchemy.url = {ckan_config['sqlalchemy.url']}",
             f"ckan.storage_path = {ckan_config['ckan.storage_path']}"]
    lines += [f"{k} = {v}" for k, v in extra.items()]
    path = tmp_path / "cli.ini"
    path.write_text("\n".join(lines) + "\n" + _ckan_ini.LOGGING)
    return path


def ckan(ini: pathlib.Path, *args: str) -> subprocess.CompletedProcess:
    model.Session.remove()  # let the subprocess see committed data, hold no locks
    return subprocess.run([str(CKAN), "-c", str(ini), *args], capture_output=True, text=True,
                          timeout=300, env=dict(os.environ))


def _tables() -> set[str]:
    model.Session.remove()
    return set(sa.inspect(model.Session.get_bind()).get_table_names())


def test_upgrade_and_downgrade(town: Town, tmp_path: pathlib.Path, ckan_config: dict) -> None:
    ini = _ini(tmp_path, ckan_config)
    assert set(pmodel.TABLES) <= _tables()
    out = ckan(ini, "db", "downgrade", "-p", "gemeente_privacy")
    assert out.returncode == 0, out.stderr
    assert not set(pmodel.TABLES) & _tables()
    out = ckan(ini, "db", "upgrade", "-p", "gemeente_privacy")
    assert out.returncode == 0, out.stderr
    assert set(pmodel.TABLES) <= _tables()
    indexes = {i["name"] for i in sa.inspect(model.Session.get_bind()).get_indexes(
        "gemeente_privacy_review")}
    assert "idx_gemeente_privacy_review_state" in indexes


def test_roles_commands(town: Town, tmp_path: pathlib.Path, ckan_config: dict) -> None:
    ini = _ini(tmp_path, ckan_config)
    out = ckan(ini, "gemeente", "review", "roles", "grant", "inwoner", "coordinator",
               "--organization", "openbare-ruimte")
    assert out.returncode == 0, out.stderr
    assert "granted coordinator to inwoner for openbare-ruimte" in out.stdout
    out = ckan(ini, "gemeente", "review", "roles", "list", "--role", "coordinator")
    assert "inwoner" in out.stdout and "openbare-ruimte" in out.stdout
    assert "coordinator" in out.stdout and "(all)" in out.stdout
    out = ckan(ini, "gemeente", "review", "roles", "revoke", "inwoner", "coordinator",
               "--organization", "openbare-ruimte")
    assert out.returncode == 0, out.stderr
    assert not call("gemeente_review_role_list", town["sysadmin"], user="inwoner")
    out = ckan(ini, "gemeente", "review", "roles", "grant", "niemand", "coordinator")
    assert out.returncode == 2 and "user" in out.stderr


def test_audit_verify_and_export(town: Town, tmp_path: pathlib.Path, ckan_config: dict) -> None:
    ini = _ini(tmp_path, ckan_config)
    out = ckan(ini, "gemeente", "audit", "verify")
    assert out.returncode == 0 and "0 rows" in out.stdout, out.stderr
    ds = town.published()
    out = ckan(ini, "gemeente", "audit", "verify")
    assert out.returncode == 0 and "intact: 3 rows" in out.stdout
    day = ds["metadata_modified"][:10]
    target = tmp_path / "export.json"
    out = ckan(ini, "gemeente", "audit", "export", "--from", day, "--to", day,
               "--format", "json", "-O", str(target))
    assert out.returncode == 0, out.stderr
    rows = json.loads(target.read_text())
    assert [r["to_state"] for r in rows] == ["ingediend", "privacy_goedgekeurd", "gepubliceerd"]
    out = ckan(ini, "gemeente", "audit", "export", "--from", day, "--to", day, "--format",
               "csv")
    assert out.stdout.count("\n") == 4 and out.stdout.startswith("seq,")
    out = ckan(ini, "gemeente", "audit", "export", "--from", "morgen", "--to", day)
    assert out.returncode == 2 and "from" in out.stderr
    model.Session.execute(sa.text(
        "UPDATE gemeente_privacy_audit SET actor = 'iemand-anders' WHERE seq = 2"))
    model.Session.commit()
    out = ckan(ini, "gemeente", "audit", "verify")
    assert out.returncode == 1
    assert "BROKEN at row 2" in out.stderr


def _legacy_public(name: str, org: dict[str, Any]) -> dict[str, Any]:
    """A dataset made public before gemeente_privacy was enabled (no review record)."""
    from ckan.tests import helpers

    from ckanext.gemeente.privacy.logic import core

    return helpers.call_action("package_create", context={core.ALLOW: True, "user": "beheerder"},
                               name=name, owner_org=org["id"], private=False,
                               title=f"Bestaand: {name}")


@pytest.mark.parametrize("mode, state, private", [("publish", "gepubliceerd", False),
                                                  ("review", "ingediend", True)])
def test_adopt_existing_public_datasets(town: Town, tmp_path: pathlib.Path, ckan_config: dict,
                                        mode: str, state: str, private: bool) -> None:
    old = _legacy_public("parkeerautomaten", town.org)
    concept = _legacy_public("oude-concept", town.org)
    model.Session.execute(sa.text("UPDATE package SET private = true WHERE id = :i"),
                          {"i": concept["id"]})
    model.Session.commit()
    assert pmodel.get_review(old["id"]) is None
    ini = _ini(tmp_path, ckan_config, **{"ckanext.gemeente.privacy.existing_public": mode})
    out = ckan(ini, "gemeente", "review", "adopt")
    assert out.returncode == 0, out.stderr
    assert f"{state}: 1" in out.stdout and "concept: 1" in out.stdout
    review = call("gemeente_review_show", town["sysadmin"], id=old["id"])
    assert review["state"] == state
    assert review["history"][0]["step"] == "adopt"
    assert "Bestaande openbare dataset" in review["history"][0]["comment"]
    assert call("package_show", None, id=old["id"])["private"] is private
    assert call("gemeente_review_show", town["sysadmin"], id=concept["id"])["state"] == "concept"
    out = ckan(ini, "gemeente", "review", "adopt")
    assert "adopted 0 datasets" in out.stdout
    assert ckan(ini, "gemeente", "audit", "verify").returncode == 0


@pytest.mark.ckan_config("ckanext.gemeente.privacy.existing_public", "publish")
def test_adopt_on_first_sight(town: Town) -> None:
    old = _legacy_public("speelplaatsen", town.org)
    call("package_patch", town["editor"], id=old["id"], notes="Bijgewerkt")
    review = call("gemeente_review_show", town["sysadmin"], id=old["id"])
    assert review["state"] == "gepubliceerd" and review["history"][0]["step"] == "adopt"
    assert call("package_show", None, id=old["id"])["private"] is False


def test_adoption_seen_by_review_show_is_kept(town: Town) -> None:
    """Looking at a dataset from before the plugin records it for good: the queue lists it."""
    old = _legacy_public("afvalbakken", town.org)
    model.Session.execute(sa.text("UPDATE package SET private = true WHERE id = :i"),
                          {"i": old["id"]})
    model.Session.commit()
    assert pmodel.get_review(old["id"]) is None
    assert call("gemeente_review_show", town["sysadmin"], id=old["id"])["state"] == "concept"
    model.Session.remove()  # what the request left uncommitted is gone now
    kept = pmodel.get_review(old["id"])
    assert kept is not None and kept.state == "concept"
    again = call("gemeente_review_show", town["sysadmin"], id=old["id"])
    assert again["state"] == "concept" and again["state_changed"]

