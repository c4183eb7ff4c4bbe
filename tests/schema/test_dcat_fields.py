"""Field knowledge written once (ckanext/gemeente/schema/fields.py): which fields are lists,
which value list backs a field, how a URI, a yes/no value and a language string are read -
and a scan of the source that fails when a second copy of one of them appears."""

from __future__ import annotations

import ast
import os

import pytest
from schema_testdata import schema_config

from ckanext.gemeente.schema import fields, helpers

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
PACKAGE = os.path.join(ROOT, "ckanext", "gemeente")
# the search server speaks Solr's HTTP protocol (its own true/on parameters), not the schema
NOT_SCHEMA_CODE = (os.path.join(PACKAGE, "search"),)
FIELDS_MODULE = os.path.join(PACKAGE, "schema", "fields.py")


class TestValues:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("https://data.zaanstad.example.nl/a", True),
            ("http://standaarden.overheid.nl/owms/terms/Afval_(thema)", True),
            ("https://", False),  # no host
            ("ftp://example.nl/x", False),
            ("https://example.nl/a b", False),
            ("https://example.nl/a\tb", False),
            ("GM0479", False),
            (None, False),
            (["https://example.nl"], False),
        ],
    )
    def test_is_uri(self, value: object, expected: bool) -> None:
        assert fields.is_uri(value) is expected

    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            (True, True), ("True", True), ("ja", True), ("Yes", True), ("1", True), (1, True),
            (False, False), ("False", False), ("nee", False), ("off", False), (0, False),
            ("", None), (None, None), ([], None),
        ],
    )  # fmt: skip
    def test_as_bool(self, value: object, expected: bool | None) -> None:
        assert fields.as_bool(value) is expected

    def test_as_bool_refuses_other_words(self) -> None:
        with pytest.raises(ValueError):
            fields.as_bool("misschien")
        assert fields.bool_text("") == "False"
        assert fields.bool_text("ja") == "True"

    @pytest.mark.parametrize(
        ("value", "lang", "expected"),
        [
            ({"nl": "Afval", "en": "Waste"}, "en", "Waste"),
            ({"nl": "Afval", "en": "Waste"}, "en_GB", "Waste"),  # base language
            ({"nl": "Afval", "en": "Waste"}, "de", "Afval"),  # Dutch first
            ({"en": "Waste"}, "fy", "Waste"),  # then English
            ({"fr": "Déchets"}, "nl", "Déchets"),  # then anything
            ({"nl": "", "en": "Waste"}, "nl", "Waste"),  # empty is no label
            ("Afval", "en", "Afval"),  # a plain string
            (None, "en", ""),
        ],
    )
    def test_pick_language(self, value: object, lang: str, expected: str) -> None:
        assert fields.pick_language(value, lang) == expected

    def test_as_list(self) -> None:
        assert fields.as_list('["a", "b"]') == ["a", "b"]
        assert fields.as_list("https://a.nl/x,https://b.nl/y") == [
            "https://a.nl/x",
            "https://b.nl/y",
        ]
        assert fields.as_list("a\nb") == ["a", "b"]
        assert fields.as_list(None) == []


@pytest.mark.usefixtures("with_plugins")
@schema_config
class TestFromTheSchema:
    def test_list_fields_come_from_the_loaded_schema(self) -> None:
        assert set(fields.list_fields()) == {
            "language", "theme", "documentation", "conforms_to", "sample",
            "base_registries", "hvd_category",
        }  # fmt: skip
        assert set(fields.list_fields("resource")) == {"language", "conforms_to"}

    def test_vocabularies_come_from_the_loaded_schema(self) -> None:
        vocabularies = fields.vocabulary_fields()
        assert vocabularies["theme"] == "Overheid:TaxonomieBeleidsagenda"
        assert vocabularies["privacy_classification"] == "Gemeente:Privacyclassificatie"
        assert "hvd_category" not in vocabularies  # fixed choices, no value list
        assert helpers.facet_vocabularies()["vocab_base_registries"] == "Gemeente:Basisregistratie"
        assert fields.vocabulary_of("status", "resource") == "ADMS:Distributiestatus"

    def test_without_scheming_the_packaged_schema_is_read(self) -> None:
        schema = fields._packaged_schema()
        assert schema["dataset_type"] == "dataset"
        assert any(f["field_name"] == "hvd_category" for f in schema["dataset_fields"])


# ---------------------------------------------------------------------- one copy only


def _sources() -> list[tuple[str, ast.AST]]:
    out = []
    for folder, _dirs, files in os.walk(PACKAGE):
        if folder.startswith(NOT_SCHEMA_CODE):
            continue
        for name in files:
            path = os.path.join(folder, name)
            if name.endswith(".py") and path != FIELDS_MODULE:
                with open(path, encoding="utf-8") as fh:
                    out.append((os.path.relpath(path, ROOT), ast.parse(fh.read())))
    return out


def _strings(node: ast.AST) -> set[str]:
    return {
        n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    }


# Copies in other capabilities' modules, written before fields.py existed; each is named
# (file and kind, no line numbers: the files are being edited) and reported to their owners
# to move onto fields.as_bool / fields.pick_language. A new copy anywhere else fails.
KNOWN_COPIES = {
    ("ckanext/gemeente/harvest/mapping.py", "yes/no words"),  # CSV mapping's own yes/no
    ("ckanext/gemeente/privacy/logic/schema.py", "yes/no words"),  # checklist yes/no
}


def find_copies() -> list[tuple[str, str, int]]:
    list_fields = {"theme", "language", "base_registries", "documentation", "conforms_to"}
    found = []
    for path, tree in _sources():
        for node in ast.walk(tree):
            line = getattr(node, "lineno", 0)
            if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
                words = _strings(node)
                if {"ja", "nee"} & words or {"yes", "no"} <= words:
                    found.append((path, "yes/no words", line))
                named = list_fields & words
                if len(named) >= 3 and 2 * len(named) >= len(words):
                    found.append((path, "a list of the list fields", line))
            elif isinstance(node, ast.Call):
                func = node.func
                name = getattr(func, "attr", getattr(func, "id", ""))
                args = _strings(node)
                if name == "startswith" and args & {"http", "https", "http://", "HTTP"}:
                    found.append((path, "startswith('http') as a URI test", line))
                if name in ("match", "fullmatch", "compile") and any("https?" in a for a in args):
                    found.append((path, "a URI regular expression", line))
                if name == "lang" and isinstance(func, ast.Attribute):
                    found.append((path, "h.lang(): use fields.current_language()", line))
            elif isinstance(node, ast.Dict):
                values = {v.value for v in node.values if isinstance(v, ast.Constant)}
                prefixes = {str(v).split(":")[0] for v in values if isinstance(v, str)}
                lists = {v for v in values if isinstance(v, str) and ":" in v}
                if len(lists) >= 2 and prefixes & {"Overheid", "Gemeente", "DONL"}:
                    found.append((path, "a field -> value list map (the YAML has it)", line))
    return found


def test_no_second_copy_of_the_field_knowledge() -> None:
    """A new yes/no word list, URI test, language picker, list-field list or
    field -> value-list map outside fields.py (and the YAML) fails here, with its place."""
    new = [
        f"{p}:{line}: {kind}" for p, kind, line in find_copies() if (p, kind) not in KNOWN_COPIES
    ]
    assert new == [], "\n".join(new)


def test_the_scan_finds_a_copy(monkeypatch: pytest.MonkeyPatch) -> None:
    """The scan is not blind: the copies this issue removed would each be found."""
    removed = (
        'LIST_FIELDS = ("language", "theme", "documentation", "conforms_to", "sample")\n'
        'ok = str(v).lower() in ("true", "1", "ja", "yes")\n'
        'uri = value.startswith("http")\n'
        'uri = re.match(r"^https?://\\S+$", value)\n'
        "lang = toolkit.h.lang()\n"
        'FACETS = {"vocab_theme": "Overheid:TaxonomieBeleidsagenda",'
        ' "vocab_x": "Gemeente:Basisregistratie"}\n'
    )
    monkeypatch.setattr("test_dcat_fields._sources", lambda: [("old.py", ast.parse(removed))])
    kinds = {kind for _path, kind, _line in find_copies()}
    assert kinds == {
        "a list of the list fields",
        "yes/no words",
        "startswith('http') as a URI test",
        "a URI regular expression",
        "h.lang(): use fields.current_language()",
        "a field -> value list map (the YAML has it)",
    }
