"""Value lists: format, shipped data, loading, refresh from URL/file, completeness reporting."""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from ckan.tests import helpers
from schema_testdata import OWMS, VOCAB_DIR, schema_config

from ckanext.gemeente.cli import gemeente as gemeente_cli
from ckanext.gemeente.schema import vocabularies

# ---------------------------------------------------------------- pure parsing (no CKAN)


def test_official_format_is_parsed() -> None:
    raw = json.dumps({OWMS + "Bestuur": {"labels": {"nl-NL": "Bestuur", "en-US": "Governance"}}})
    terms = vocabularies.parse_value_list(raw, "x")
    assert terms[OWMS + "Bestuur"].label("nl") == "Bestuur"
    assert terms[OWMS + "Bestuur"].label("en") == "Governance"


def test_raw_service_format_is_parsed() -> None:
    raw = json.dumps(
        [{"identifier": OWMS + "Bestuur", "label_nl": "Bestuur", "label_en": "Governance"}]
    )
    assert vocabularies.parse_value_list(raw)[OWMS + "Bestuur"].label_en == "Governance"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "empty"),
        ('{"http://a": {"labels": {"nl-NL": "A"}}, "http://b": {"lab', "truncated"),
        ("{}", "no terms"),
        ('{"http://a": {"label": "A"}}', "labels"),
        ('{"http://a": {"labels": {}}}', "label"),
        ("42", "JSON"),
    ],
)
def test_bad_files_are_refused(raw: str, message: str) -> None:
    with pytest.raises(vocabularies.VocabularyError, match=message):
        vocabularies.parse_value_list(raw, "Test:Lijst")


def test_shipped_lists_are_complete_and_exactly_counted() -> None:
    for name, spec in vocabularies.registry().items():
        path = os.path.join(vocabularies.DATA_DIR, spec["target"])
        if spec.get("shipped"):
            with open(path, "rb") as fh:
                terms = vocabularies.parse_value_list(fh.read(), name)
            assert len(terms) == spec["count"], name
        else:
            # lists that cannot be shipped complete are not shipped at all
            assert not os.path.exists(path), f"{name} must not be shipped (incomplete)"
            assert spec["min_terms"] >= 1


def test_access_rights_and_privacy_lists() -> None:
    with open(os.path.join(vocabularies.DATA_DIR, "overheid_openbaarheidsniveau.json")) as fh:
        rights = vocabularies.parse_value_list(fh.read())
    assert sorted(t.label_nl for t in rights.values()) == [
        "Beperkt openbaar",
        "Niet openbaar",
        "Publiek",
    ]
    with open(os.path.join(vocabularies.DATA_DIR, "gemeente_privacyclassificatie.json")) as fh:
        privacy = vocabularies.parse_value_list(fh.read())
    assert set(privacy) == {
        "geen-persoonsgegevens",
        "geanonimiseerd",
        "gepseudonimiseerd",
        "geaggregeerd",
        "bevat-persoonsgegevens",
    }


# ---------------------------------------------------------------- loading into CKAN


@pytest.fixture
def empty_vocab_db(clean_db: None, migrate_db_for: Callable[..., None]) -> Iterator[None]:
    migrate_db_for("gemeente_schema")
    vocabularies.invalidate_cache()
    yield
    vocabularies.invalidate_cache()


@pytest.fixture
def served_dir(
    tmp_path: Any, ckan_config: dict, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, str]]:
    """A local http.server serving a copy of the test value lists (tests never go online).

    Plain http on loopback is refused unless allowed, as a municipality allows an internal
    server: the fixture puts 127.0.0.1 on ``ckanext.gemeente.vocabulary_allow_hosts``.
    """
    monkeypatch.setitem(ckan_config, "ckanext.gemeente.vocabulary_allow_hosts", "127.0.0.1")
    root = tmp_path / "waardelijsten"
    shutil.copytree(VOCAB_DIR, root)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", str(root)
    finally:
        server.shutdown()
        server.server_close()


def by_name(report: list[vocabularies.ReportLine]) -> dict[str, vocabularies.ReportLine]:
    return {line.name: line for line in report}


@schema_config
@pytest.mark.usefixtures("with_plugins", "empty_vocab_db")
class TestLoading:
    def test_without_sources_shipped_lists_load_and_the_rest_is_reported(self) -> None:
        report = by_name(vocabularies.update())
        assert report["Overheid:Openbaarheidsniveau"].status == "loaded"
        assert report["Gemeente:Privacyclassificatie"].count == 5
        missing = report["Overheid:TaxonomieBeleidsagenda"]
        assert missing.status == "missing"
        assert "overheid_taxonomiebeleidsagenda.json" in missing.message
        assert vocabularies.terms("Overheid:TaxonomieBeleidsagenda") is None
        status = {row["name"]: row for row in vocabularies.status()}
        assert status["Overheid:TaxonomieBeleidsagenda"]["loaded"] is False
        assert status["Gemeente:Basisregistratie"]["complete"] is True

    def test_small_provided_list_is_reported_incomplete_not_loaded(self) -> None:
        report = by_name(vocabularies.update(VOCAB_DIR))
        line = report["Overheid:TaxonomieBeleidsagenda"]
        assert line.status == "incomplete"
        assert "only 12 terms (at least 100 expected)" in line.message
        assert vocabularies.terms("Overheid:TaxonomieBeleidsagenda") is None

    def test_allow_incomplete_loads_and_marks_it(self) -> None:
        report = by_name(vocabularies.update(VOCAB_DIR, allow_incomplete=True))
        assert report["Overheid:TaxonomieBeleidsagenda"].status == "loaded"
        status = {row["name"]: row for row in vocabularies.status()}
        assert status["Overheid:TaxonomieBeleidsagenda"]["complete"] is False
        assert status["Overheid:TaxonomieBeleidsagenda"]["count"] == 12
        assert vocabularies.label("Overheid:TaxonomieBeleidsagenda", OWMS + "Bestuur") == "Bestuur"
        assert (
            vocabularies.label("Overheid:TaxonomieBeleidsagenda", OWMS + "Bestuur", "en")
            == "Governance"
        )

    def test_truncated_shipped_list_is_refused(self, tmp_path: Any, monkeypatch: Any) -> None:
        data = tmp_path / "data"
        shutil.copytree(vocabularies.DATA_DIR, data)
        target = data / "gemeente_basisregistratie.json"
        terms = json.loads(target.read_text())
        terms.pop("WOZ")
        target.write_text(json.dumps(terms))
        monkeypatch.setattr(vocabularies, "DATA_DIR", str(data))
        line = by_name(vocabularies.update(names=["Gemeente:Basisregistratie"]))[
            "Gemeente:Basisregistratie"
        ]
        assert line.status == "incomplete"
        assert "10 terms, expected 11" in line.message
        assert vocabularies.terms("Gemeente:Basisregistratie") is None

    def test_refresh_from_url_replaces_and_keeps(self, served_dir: tuple[str, str]) -> None:
        url, root = served_dir
        first = by_name(vocabularies.update(url, allow_incomplete=True))
        assert first["DONL:Language"].status == "loaded"
        assert first["DONL:Language"].source == url + "donl_language.json"
        # the list changes upstream: the refresh replaces it as a whole
        path = os.path.join(root, "donl_language.json")
        with open(path) as fh:
            langs = json.load(fh)
        langs.pop("http://publications.europa.eu/resource/authority/language/DEU")
        with open(path, "w") as fh:
            json.dump(langs, fh)
        second = by_name(vocabularies.update(url, allow_incomplete=True))
        assert second["DONL:Language"].count == 3
        assert second["Overheid:Frequency"].status == "unchanged"
        assert len(vocabularies.terms("DONL:Language") or {}) == 3
        # a broken download (truncated JSON) keeps the previous version
        with open(path, "w") as fh:
            fh.write('{"http://publications.europa.eu/resource/authority/language/NLD": {"lab')
        third = by_name(vocabularies.update(url, allow_incomplete=True))
        assert third["DONL:Language"].status == "kept"
        assert "truncated" in third["DONL:Language"].message
        assert len(vocabularies.terms("DONL:Language") or {}) == 3
        # and a list that disappeared upstream too
        os.remove(os.path.join(root, "overheid_frequency.json"))
        fourth = by_name(vocabularies.update(url, allow_incomplete=True))
        assert fourth["Overheid:Frequency"].status == "kept"
        assert vocabularies.is_loaded("Overheid:Frequency")

    def test_single_file(self) -> None:
        path = os.path.join(VOCAB_DIR, "overheid_dataset_status.json")
        report = vocabularies.update(path, names=["Overheid:DatasetStatus"])
        assert report[0].ok, report
        assert len(vocabularies.terms("Overheid:DatasetStatus") or {}) == 4

    def test_municipality_vocabulary_dir(self, ckan_config: dict, monkeypatch: Any) -> None:
        monkeypatch.setitem(ckan_config, "ckanext.gemeente.vocabulary_dir", VOCAB_DIR)
        report = by_name(vocabularies.update(allow_incomplete=True))
        assert report["DONL:Organization"].status == "loaded"
        assert report["DONL:Organization"].source.startswith(VOCAB_DIR)
        assert report["IANA:Mediatype"].status == "missing"

    def test_choices_follow_the_loaded_list(self) -> None:
        vocabularies.update(VOCAB_DIR, allow_incomplete=True)
        schema = helpers.call_action("scheming_dataset_schema_show", type="dataset")
        field = next(f for f in schema["dataset_fields"] if f["field_name"] == "access_rights")
        from ckanext.gemeente.schema.helpers import gemeente_vocabulary_choices

        labels = [c["label"]["nl"] for c in gemeente_vocabulary_choices(field)]
        assert labels == ["Publiek", "Beperkt openbaar", "Niet openbaar"]
        # PostgreSQL returns rows in no fixed order: an updated row moves to the end of the
        # table. The choices keep the list's own order all the same.
        from ckan import model

        model.Session.execute(
            sa.text("UPDATE gemeente_vocabulary_term SET label_en = label_en "
                    "WHERE vocabulary = 'Overheid:Openbaarheidsniveau' AND label_nl = 'Publiek'"))
        model.Session.commit()
        vocabularies.invalidate_cache()
        labels = [c["label"]["nl"] for c in gemeente_vocabulary_choices(field)]
        assert labels == ["Publiek", "Beperkt openbaar", "Niet openbaar"]


@schema_config
@pytest.mark.usefixtures("with_plugins", "empty_vocab_db")
class TestCommand:
    def test_update_from_url_and_status(self, cli: Any, served_dir: tuple[str, str]) -> None:
        url, _root = served_dir
        result = cli.invoke(
            gemeente_cli, ["vocabularies", "update", "--from", url, "--allow-incomplete"]
        )
        assert "loaded" in result.output
        # IANA:Mediatype is not served (and was never loaded): reported, but no failure
        assert result.exit_code == 0, result.output
        assert "IANA:Mediatype" in result.output
        status = cli.invoke(gemeente_cli, ["vocabularies", "status"])
        assert status.exit_code == 0, status.output
        assert "INCOMPLETE Overheid:TaxonomieBeleidsagenda" in status.output
        assert "MISSING    IANA:Mediatype" in status.output
        assert "complete   Gemeente:Privacyclassificatie" in status.output

    def test_incomplete_without_flag_is_reported(self, cli: Any) -> None:
        result = cli.invoke(gemeente_cli, ["vocabularies", "update", "--from", VOCAB_DIR])
        # never loaded before: reported (stderr), exit 0 - see test_vocabulary_reliability.py
        assert result.exit_code == 0
        assert "incomplete" in result.output
        assert "DONL:Organization" in result.output
        named = ["vocabularies", "update", "--from", VOCAB_DIR, "--name", "DONL:Organization"]
        assert cli.invoke(gemeente_cli, named).exit_code == 1
