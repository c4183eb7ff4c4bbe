"""Dutch first: every string the suite shows has an nl translation (or CKAN's own has one).

The strings come from ``scripts/i18n.py`` (Python ``_()`` calls: flash messages, validation
errors, e-mails; templates; the help of the ``ckan gemeente`` commands). When a test here
fails, its message lists each missing string with where it is used: add them to
``ckanext/gemeente/i18n/nl/LC_MESSAGES/ckanext-gemeente.po`` and run
``python scripts/compile_catalogs.py`` (``python scripts/i18n.py missing`` prints the same
list).
"""

from __future__ import annotations

import ast
import pathlib
import re
import runpy
from typing import Any

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "ckanext" / "gemeente"
TOOL: dict[str, Any] = runpy.run_path(str(ROOT / "scripts" / "i18n.py"))

# calls whose text reaches a user; a plain string literal in them cannot be translated
USER_FACING_CALLS = {"flash_success", "flash_error", "flash_notice", "abort", "Invalid",
                     "ValidationError", "mail_recipient", "mail_user", "NotAuthorized",
                     "ObjectNotFound"}
# words that are the same in every language (names, formats, standards)
UNTRANSLATED_OK = {"CKAN", "NL", "Design", "System", "DCAT", "AP", "DONL", "JSON", "CSV",
                   "RDF", "API", "URI", "URL", "ID", "SHA", "OK"}


def test_nl_catalogue_covers_every_string() -> None:
    missing = TOOL["missing"]("nl")
    listing = "\n".join(f"  {m.where()}\n      msgid {m.key!r}" for m in missing)
    assert not missing, (
        f"{len(missing)} string(s) have no Dutch translation in "
        "ckanext/gemeente/i18n/nl/LC_MESSAGES/ckanext-gemeente.po:\n" + listing)


def test_extraction_finds_templates_python_and_cli_help() -> None:
    """The extractor really looks in each kind of source (else the test above proves
    nothing)."""
    found = TOOL["extracted"]()
    kinds = {path.split(":")[0] if path.startswith("cli:") else pathlib.Path(path).suffix
             for msg in found.values() for path, _line in msg.locations}
    assert {".py", ".html", "cli"} <= kinds, kinds
    assert "Open data of {site}" in found                      # a template
    assert "Only coordinators and privacy officers can see the dashboard" in found  # Python
    # CLI help
    assert "Commands of the ckanext-gemeente suite; each enabled plugin adds its own." in found


def test_committed_pot_is_current() -> None:
    pot = PACKAGE / "i18n" / "ckanext-gemeente.pot"
    assert pot.exists(), "run: python scripts/i18n.py extract"
    committed = TOOL["pot_msgids"](pot.read_bytes())
    current = set(TOOL["extracted"]())
    assert committed == current, (
        "ckanext/gemeente/i18n/ckanext-gemeente.pot is stale (run: python scripts/i18n.py "
        f"extract); new: {sorted(current - committed)[:20]}, gone: "
        f"{sorted(committed - current)[:20]}")


def test_catalogue_has_no_duplicate_msgids() -> None:
    po = PACKAGE / "i18n" / "nl" / "LC_MESSAGES" / "ckanext-gemeente.po"
    ids: list[str] = []
    current: list[str] | None = None
    for line in po.read_text(encoding="utf-8").splitlines() + [""]:
        if line.startswith("msgid "):
            current = [line[6:]]
        elif current is not None and line.startswith('"'):
            current.append(line)
        elif current is not None:
            text = "".join(part.strip().strip('"') for part in current)
            if text:
                ids.append(text)
            current = None
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    assert not dupes, f"msgids defined more than once: {dupes}"


def _literal_strings(node: ast.AST) -> list[str]:
    """String literals passed directly (also inside dict/list/tuple literals)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        return ["".join(v.value for v in node.values
                        if isinstance(v, ast.Constant) and isinstance(v.value, str))]
    out: list[str] = []
    if isinstance(node, ast.Dict):
        for value in node.values:
            out += _literal_strings(value)
    elif isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        for elt in node.elts:
            out += _literal_strings(elt)
    return out


def test_user_facing_messages_are_marked_for_translation() -> None:
    """Flash messages, aborts, validation errors and e-mails: text goes through ``_()``."""
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(ROOT)
        if "search" in rel.parts:  # the search server speaks Solr's English protocol
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name not in USER_FACING_CALLS:
                continue
            for arg in [*node.args, *(k.value for k in node.keywords)]:
                for text in _literal_strings(arg):
                    if re.search(r"[A-Za-z]{3,}", text) and " " in text.strip():
                        offenders.append(f"  {rel}:{node.lineno} {name}(... {text!r} ...)")
    assert not offenders, ("user-facing text not wrapped in tk._():\n" + "\n".join(offenders))


def test_templates_have_no_untranslated_text() -> None:
    """Words between the tags of a template must come from ``_()`` / ``{% trans %}``."""
    offenders = []
    for path in sorted(PACKAGE.rglob("templates/**/*.html")):
        source = path.read_text(encoding="utf-8")
        text = re.sub(r"{#.*?#}", " ", source, flags=re.S)
        text = re.sub(r"{%\s*trans\b.*?{%\s*endtrans\s*%}", " ", text, flags=re.S)
        text = re.sub(r"{%.*?%}|{{.*?}}", " ", text, flags=re.S)
        # code samples (commands, config) stay as they are
        text = re.sub(r"<(script|style|code|pre|kbd|samp)\b.*?</\1>", " ", text,
                      flags=re.S | re.I)
        text = re.sub(r"""\b[\w-]+=("[^"]*"|'[^']*')""", " ", text)  # attributes split by blocks
        text = re.sub(r"<[^>]*>", " ", text, flags=re.S)
        text = re.sub(r"&[a-z]+;|&#\d+;", " ", text)
        words = [w for w in re.findall(r"[A-Za-zÀ-ÿ]{2,}", text) if w not in UNTRANSLATED_OK]
        if words:
            offenders.append(f"  {path.relative_to(ROOT)}: {' '.join(words[:12])}")
    assert not offenders, "text outside _() in templates:\n" + "\n".join(offenders)
