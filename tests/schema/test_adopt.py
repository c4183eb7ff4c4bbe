"""Adopting the suite on a portal whose datasets were made in CKAN's default schema.

The datasets are created through ``package_create`` while no schema plugin is loaded (as on
the municipality's old portal); then the suite is switched on (scheming + gemeente_schema,
the value lists loaded) and ``ckan gemeente adopt check`` / ``adopt migrate`` run as the
administrator would run them.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
from collections.abc import Callable
from typing import Any

import adopt_seed
import pytest
import sqlalchemy as sa
from ckan import model
from ckan.tests import helpers
from cli_runner import split_runner
from schema_testdata import EU, MUNICIPALITY, OWMS, VOCAB_DIR, schema_config

from ckanext.gemeente.cli import gemeente as gemeente_cli
from ckanext.gemeente.schema import vocabularies
from ckanext.gemeente.schema.adopt import derive

LANG = EU + "language/"
ACCESS = EU + "access-right/"
CC_BY = "http://creativecommons.org/licenses/by/4.0/deed.nl"
CC0 = "http://creativecommons.org/publicdomain/zero/1.0/deed.nl"
UNKNOWN_LICENCE = "http://standaarden.overheid.nl/owms/terms/licentieonbekend"
# the test portal's DONL:License list (a small provided file, see conftest.py)
with open(os.path.join(VOCAB_DIR, "donl_license.json"), encoding="utf-8") as _fh:
    LISTED_LICENCES = frozenset(json.load(_fh))
NO_MDR_FORMAT = {"Esri REST"}

DEFAULTS = {
    "defaults": {
        "theme": [OWMS + "Bestuur"],
        "privacy_classification": "geen-persoonsgegevens",
        "contact_name": "Team Open Data",
        "contact_email": "opendata@gemeente-voorbeeld.example.nl",
    },
    "organizations": {
        "openbare-ruimte": {"theme": [OWMS + "Ruimte_en_infrastructuur"]},
    },
}


def _suite(migrate_db_for: Callable[..., None], *, lists: bool = True) -> None:
    migrate_db_for("gemeente_schema")
    vocabularies.invalidate_cache()
    if lists:
        report = vocabularies.update(VOCAB_DIR, allow_incomplete=True)
        assert not [r for r in report if not r.ok and r.name != "IANA:Mediatype"], report


def fingerprint() -> str:
    """A hash of everything adopt may write: datasets, their extras and resources.

    (CKAN 2.12 keeps extras in a column of ``package``, CKAN 2.11 in ``package_extra``.)
    """
    bind = model.Session.get_bind()
    tables = ["package", "resource"]
    if sa.inspect(bind).has_table("package_extra"):
        tables.append("package_extra")
    with bind.connect() as conn:
        rows = [conn.execute(sa.text(f"SELECT * FROM {t} ORDER BY id")).fetchall()
                for t in tables]
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def adopt(ckan_config: dict, *args: str) -> tuple[int, list[dict[str, Any]], str]:
    result = split_runner(ckan_config).invoke(gemeente_cli, ["adopt", *args, "--json"])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    return result.exit_code, lines, result.stderr


def expected_remaining(given: dict[str, Any]) -> set[str]:
    """What a person must still supply for a seeded dataset, with DEFAULTS applied."""
    out = set()
    # a licence without a DONL equivalent on this portal: a person (or `licenses:`) decides
    if derive.LICENCE_MAP.get(given.get("license_id") or "notspecified") not in LISTED_LICENCES:
        out.add("license_id")
    if not given.get("notes"):
        out.add("notes")
    for i, res in enumerate(given["resources"]):
        if res["format"] in NO_MDR_FORMAT:
            out.add(f"resources[{i}].format")
    return out


# ---------------------------------------------------------------- the 500-dataset portal


@schema_config(locale="nl")
@pytest.mark.ckan_config("ckanext.gemeente.municipality_uri", MUNICIPALITY)
def test_a_portal_of_500_datasets_moves_onto_the_schema(
    clean_db: None, clean_index: None, ckan_config: dict, tmp_path: Any,
    with_plugins_after_seed: Callable[[int], list[dict[str, Any]]],
) -> None:
    given = {d["name"]: d for d in with_plugins_after_seed(500)}
    defaults = tmp_path / "antwoorden.json"
    defaults.write_text(json.dumps(DEFAULTS))

    # before: the schema refuses every one of them
    before = fingerprint()
    code, dry, _err = adopt(ckan_config, "migrate", "--dry-run", "--defaults", str(defaults))
    assert code == 1
    assert len(dry) == 500
    assert not [d for d in dry if d["state"] == "valid"]
    assert fingerprint() == before, "a dry run changed the database"

    # the real run: the same decisions, saved
    sample = sorted(given)[::10]
    shown = {n: helpers.call_action("package_show", id=n) for n in sample}
    code, real, _err = adopt(ckan_config, "migrate", "--defaults", str(defaults))
    assert code == 1  # some datasets still need a person
    assert [(d["name"], d["changes"]) for d in real] == [(d["name"], d["changes"]) for d in dry]
    states = {d["name"]: d["state"] for d in real}
    for d in real:
        want = expected_remaining(given[d["name"]])
        assert set(d["remaining"]) == want, (d["name"], d["remaining"])
        assert d["state"] == ("needs a person" if want else "changed"), d
    changed = [n for n, s in states.items() if s == "changed"]
    assert len(changed) > 250  # the seed's mix: most datasets need nobody
    assert len(changed) < 500

    # a saved dataset differs from before only in the fields the run reported
    reported = {d["name"]: {c["field"]: c["new"] for c in d["changes"]} for d in real}
    # computed by package_show from what was saved
    ignore = {"metadata_modified", "license_title", "license_url", "isopen", "num_tags",
              "num_resources"}
    for name, old in shown.items():
        new = helpers.call_action("package_show", id=name)
        if states[name] != "changed":
            assert new["metadata_modified"] == old["metadata_modified"], name
            continue
        diff = {k for k in (set(old) | set(new)) - ignore
                if _value(old.get(k)) != _value(new.get(k))}
        # the reported top-level fields whose value changed (emptied ones too, e.g. extras
        # moved into schema fields)
        top = {f for f, v in reported[name].items()
               if "[" not in f and _value(v) != _value(old.get(f))}
        res_fields = {f for f in reported[name] if f.startswith("resources[")}
        assert diff - {"resources"} == top, (name, diff, top)
        if "resources" in diff:
            # every resource value that changed was reported (CKAN's own stamps aside)
            changed = {f"resources[{i}].{k}" for i, (o, n) in enumerate(
                zip(old["resources"], new["resources"], strict=True))
                for k in set(o) | set(n) if k not in ("metadata_modified", "position")
                and _value(o.get(k)) != _value(n.get(k))}
            assert changed <= res_fields, (name, changed - res_fields)
        for field, value in reported[name].items():
            if "[" not in field:  # empty is empty (2.11 drops an emptied extras list)
                assert _value(new.get(field)) == _value(value), (name, field)

    # every dataset is valid now or listed with the reason; a second run changes nothing
    after = fingerprint()
    code, again, _err = adopt(ckan_config, "migrate", "--defaults", str(defaults))
    assert fingerprint() == after, "the second run changed something"
    assert {d["name"]: d["state"] for d in again} == {
        n: ("valid" if s == "changed" else s) for n, s in states.items()
    }
    for d in again:
        assert d["changes"] == [] or d["state"] == "needs a person", d
        if d["state"] == "needs a person":
            assert d["remaining"], d
            assert set(d["remaining"]) == expected_remaining(given[d["name"]])


def _value(value: Any) -> Any:
    """Empty is empty: an absent key, None, "" and [] (CKAN versions differ in which), also
    inside a list of resources (CKAN 2.11 adds keys with empty values on update)."""
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return [{k: _value(v) for k, v in item.items() if _value(v) is not None}
                for item in value]
    return None if value in (None, "", []) else value


@pytest.fixture
def with_plugins_after_seed(
    ckan_config: dict, migrate_db_for: Callable[..., None], request: pytest.FixtureRequest
) -> Callable[[int], list[dict[str, Any]]]:
    """Seed ``n`` datasets in CKAN's default schema, then switch the suite on."""

    def seed(n: int, *, lists: bool = True, index: bool = False) -> list[dict[str, Any]]:
        assert not model.Session.query(model.Package).count()
        created = adopt_seed.seed(n, index=index)
        request.getfixturevalue("with_plugins")
        _suite(migrate_db_for, lists=lists)
        return created

    return seed


# ---------------------------------------------------------------- a small portal


@schema_config
@pytest.mark.ckan_config("ckanext.gemeente.municipality_uri", MUNICIPALITY)
class TestSmallPortal:
    def test_check_lists_what_is_lacking_and_changes_nothing(
        self, clean_db: None, clean_index: None, ckan_config: dict,
        with_plugins_after_seed: Callable[..., list[dict[str, Any]]],
    ) -> None:
        given = with_plugins_after_seed(8, index=True)
        before = fingerprint()
        result = split_runner(ckan_config).invoke(gemeente_cli, ["adopt", "check"])
        assert result.exit_code == 1
        assert fingerprint() == before
        out = result.stdout
        for d in given:
            assert f"{d['name']} [" in out
        assert "lacks/refuses  theme: Choose at least one value" in out
        assert "lacks/refuses  privacy_classification: Missing value" in out
        licences = {d.get("license_id") for d in given} - {"", None}
        assert any(f"lacks/refuses  license_id: Unknown value {lid}:" in out for lid in licences)
        assert re.search(r"fill +license_id = http\S+  \(CKAN licence [a-z-]+\)", out)
        assert "NEEDS PERSON   theme" in out
        assert "8 datasets: 0 valid, 0 fixable by migrate, 8 need a person" in out

    def test_missing_value_lists_are_named_once_for_the_portal(
        self, clean_db: None, clean_index: None, ckan_config: dict,
        with_plugins_after_seed: Callable[..., list[dict[str, Any]]],
    ) -> None:
        with_plugins_after_seed(3, lists=False)
        code, lines, err = adopt(ckan_config, "check")
        assert code == 1
        assert err.count("value list DONL:Organization is not loaded") == 1
        assert all("license_id" in d["remaining"] for d in lines)

    def test_derived_values_are_saved(
        self, clean_db: None, clean_index: None, ckan_config: dict, tmp_path: Any,
        with_plugins_after_seed: Callable[..., list[dict[str, Any]]],
    ) -> None:
        given = with_plugins_after_seed(30)
        defaults = tmp_path / "antwoorden.yaml"
        defaults.write_text(
            "defaults:\n"
            f"  theme: [{OWMS}Bestuur]\n"
            "  privacy_classification: geen-persoonsgegevens\n"
            "  contact_name: Team Open Data\n"
            "  contact_email: opendata@gemeente-voorbeeld.example.nl\n"
            "licenses:\n"
            f"  other-open: {CC_BY}\n"
            f"  odc-odbl: {CC_BY}\n"
        )
        code, lines, _err = adopt(ckan_config, "migrate", "--defaults", str(defaults))
        by_name = {d["name"]: d for d in lines}
        for data in given:
            state = by_name[data["name"]]["state"]
            if state != "changed":
                assert by_name[data["name"]]["remaining"], by_name[data["name"]]["error"]
                continue
            pkg = helpers.call_action("package_show", id=data["name"])
            licence = data.get("license_id") or "notspecified"
            assert pkg["license_id"] == {
                "cc-by": CC_BY, "cc-zero": CC0, "notspecified": UNKNOWN_LICENCE,
                "other-open": CC_BY, "odc-odbl": CC_BY,
            }.get(licence, pkg["license_id"])
            assert pkg["access_rights"] == ACCESS + (
                "NON_PUBLIC" if data["private"] else "PUBLIC"
            )
            assert pkg["authority"] == pkg["publisher_uri"] == MUNICIPALITY
            assert pkg["update_method"] == "handmatig"
            assert pkg["modified"] == pkg["metadata_modified"][:10] or pkg["modified"] <= \
                pkg["metadata_modified"][:10]
            assert pkg["issued"] == pkg["metadata_created"][:10]
            # the dataset's own language extra, else ckan.locale_default (en in this test)
            assert pkg["language"] == [LANG + ("NLD" if data.get("extras") else "ENG")]
            if data.get("maintainer_email"):
                assert pkg["contact_email"] == data["maintainer_email"]
            elif data.get("author_email"):
                assert pkg["contact_email"] == data["author_email"]
            else:
                assert pkg["contact_email"] == "opendata@gemeente-voorbeeld.example.nl"
            # refused spellings were replaced by the code; accepted ones (csv, .xlsx) are kept
            formats = [r["format"].upper().lstrip(".") for r in pkg["resources"]]
            assert set(formats) <= {"CSV", "XLSX", "JSON", "GEOJSON", "SHP", "PDF", "WMS_SRVC",
                                    "ZIP"}, formats
        assert code == (1 if any(d["state"] != "changed" for d in lines) else 0)

    def test_language_extra_and_per_dataset_answers(
        self, clean_db: None, clean_index: None, ckan_config: dict, tmp_path: Any,
        with_plugins_after_seed: Callable[..., list[dict[str, Any]]],
    ) -> None:
        given = with_plugins_after_seed(40)
        with_lang = next(d for d in given if d.get("extras"))
        person = next(d for d in given if d is not with_lang)
        answers = {
            **DEFAULTS,
            "datasets": {
                person["name"]: {"theme": [OWMS + "Cultuur_en_recreatie"], "license_id": CC0,
                                 "notes": "Door een medewerker aangevuld."},
                with_lang["name"]: {"theme": [OWMS + "Cultuur_en_recreatie"], "license_id": CC0,
                                    "notes": "Aangevuld."},
            },
        }
        defaults = tmp_path / "antwoorden.json"
        defaults.write_text(json.dumps(answers))
        _code, lines, _err = adopt(ckan_config, "migrate", "--defaults", str(defaults))
        by_name = {d["name"]: d for d in lines}
        for d in (with_lang, person):
            assert not [r for r in by_name[d["name"]]["remaining"] if "[" not in r], by_name
        shown = helpers.call_action("package_show", id=person["name"])
        if by_name[person["name"]]["state"] == "changed":
            assert shown["theme"] == [OWMS + "Cultuur_en_recreatie"]  # the dataset's answer wins
            assert shown["license_id"] == CC0
        changes = {c["field"]: c for c in by_name[with_lang["name"]]["changes"]}
        assert changes["language"]["new"] == [LANG + "NLD"]
        assert changes["language"]["why"] == "the dataset's language codes"

    @pytest.mark.parametrize(
        ("content", "message"),
        [
            ("{not json", "antwoorden.json"),
            ('{"defaults": {"owner_org": "x"}}', "owner_org cannot be set"),
            ('{"defaults": [1]}', "defaults: expected a mapping"),
            ('{"themas": {}}', "unknown section(s) themas"),
            ('{"licenses": {"other-open": 4}}', "licenses: map CKAN licence ids"),
        ],
    )
    def test_a_bad_defaults_file_is_refused_before_anything_changes(
        self, clean_db: None, clean_index: None, ckan_config: dict, tmp_path: Any,
        with_plugins_after_seed: Callable[..., list[dict[str, Any]]], content: str,
        message: str,
    ) -> None:
        with_plugins_after_seed(2)
        defaults = tmp_path / "antwoorden.json"
        defaults.write_text(content)
        before = fingerprint()
        result = split_runner(ckan_config).invoke(
            gemeente_cli, ["adopt", "migrate", "--defaults", str(defaults)]
        )
        assert result.exit_code == 2
        assert message in result.stderr
        assert fingerprint() == before


# ---------------------------------------------------------------- the derivations alone


def facts(**lists: frozenset[str] | None) -> derive.PortalFacts:
    known = {
        "DONL:License": frozenset({CC_BY, CC0, UNKNOWN_LICENCE}),
        "DONL:Language": frozenset({LANG + "NLD", LANG + "ENG"}),
        "DONL:Organization": frozenset({MUNICIPALITY}),
        "Overheid:Openbaarheidsniveau": frozenset({ACCESS + "PUBLIC", ACCESS + "NON_PUBLIC"}),
        "MDR:Filetype": frozenset({derive.MDR_FILE_TYPE + "CSV", derive.MDR_FILE_TYPE + "SHP"}),
    }
    known.update(lists)
    return derive.PortalFacts(
        municipality_uri="", locale_default="nl", site_url="https://data.gemeente.example.nl",
        organizations={"org-1": ("openbare-ruimte", MUNICIPALITY)}, lists=known,
    )


def test_only_listed_targets_are_used() -> None:
    pkg = {"name": "bomen", "owner_org": "org-1", "license_id": "cc-by-sa", "private": True}
    problems = {"license_id": ["x"], "access_rights": ["x"], "authority": ["x"]}
    changes = {c.path: c for c in derive.derive(pkg, problems, facts())}
    assert "license_id" not in changes  # CC-BY-SA 4.0 is not in this portal's list
    assert changes["access_rights"].new == ACCESS + "NON_PUBLIC"
    assert changes["authority"].why == "municipality of department openbare-ruimte"
    no_org = derive.derive(pkg, problems, facts(**{"DONL:Organization": None}))
    assert "authority" not in {c.path for c in no_org}


def test_valid_fields_are_left_alone_and_formats_are_normalised() -> None:
    pkg = {"name": "bomen", "owner_org": "org-1", "license_id": "cc-by",
           "resources": [{"format": "Shapefile"}, {"format": "text/csv"}, {"format": "Esri"}]}
    problems = {"resources[0].format": ["x"], "resources[1].format": ["x"],
                "resources[2].format": ["x"]}
    changes = derive.derive(pkg, problems, facts())
    paths = {c.path: c.new for c in changes}
    assert paths["resources[0].format"] == "SHP"
    assert paths["resources[1].format"] == "CSV"
    assert "resources[2].format" not in paths
    assert "license_id" not in paths  # valid: not in problems
    # saving runs the schema's defaults: they are stated as changes too
    assert paths["identifier"] == "https://data.gemeente.example.nl/dataset/bomen"
    assert derive.derive(pkg, {}, facts()) == []


def test_contact_comes_from_maintainer_then_author() -> None:
    rng = random.Random(1)
    for maintainer in (True, False):
        pkg = {"name": f"d{rng.random()}", "author": "Team GIS",
               "author_email": "gis@gemeente.example.nl"}
        if maintainer:
            pkg.update(maintainer="Team Data", maintainer_email="data@gemeente.example.nl")
        got = {c.path: c for c in derive.derive(
            pkg, {"contact_name": ["x"], "contact_email": ["x"]}, facts())}
        assert got["contact_email"].new == (
            "data@gemeente.example.nl" if maintainer else "gis@gemeente.example.nl"
        )
        assert got["contact_name"].why.startswith(
            "the dataset's maintainer" if maintainer else "the dataset's author"
        )
