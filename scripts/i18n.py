"""The suite's translations: extract the template, list what the nl catalogue misses.

    python scripts/i18n.py extract     write ckanext/gemeente/i18n/ckanext-gemeente.pot
    python scripts/i18n.py missing     list the strings the nl catalogue lacks (exit 1 if any)
    python scripts/i18n.py update      merge the .pot into every <lang> .po (new entries get
                                       an empty msgstr, vanished ones are marked obsolete),
                                       then compile the .mo files

Strings come from three places: ``_()``/``ungettext()`` calls in Python (flash messages,
validation errors, e-mails, anything shown to a user), templates (CKAN's Jinja extractor,
as configured in babel.cfg), and the help texts of the ``ckan gemeente`` commands (click
commands and options of every plugin's ``cli.py``). tests/test_i18n.py uses the same
functions, so the test and this script always agree.
"""

from __future__ import annotations

import argparse
import configparser
import datetime as dt
import importlib
import io
import pathlib
import pkgutil
import runpy
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po, write_po

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "ckanext" / "gemeente"
I18N = PACKAGE / "i18n"
DOMAIN = "ckanext-gemeente"
POT = I18N / f"{DOMAIN}.pot"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "ungettext": (1, 2),
            "N_": None, "pgettext": ((1, "c"), 2), "lazy_gettext": None}
METHODS = {"ckan": "ckan.lib.extract:extract_ckan", "python": "python"}


@dataclass
class Message:
    msgid: str | tuple[str, str]
    locations: list[tuple[str, int]] = field(default_factory=list)

    @property
    def key(self) -> str:
        return self.msgid if isinstance(self.msgid, str) else self.msgid[0]

    def where(self) -> str:
        return ", ".join(f"{path}:{line}" for path, line in self.locations[:3])


def _mapping() -> tuple[list[tuple[str, str]], dict[str, dict[str, str]]]:
    """babel.cfg -> (method map, options map), patterns relative to the repository root."""
    parser = configparser.RawConfigParser()
    parser.read(ROOT / "babel.cfg", encoding="utf-8")
    method_map, options_map = [], {}
    for section in parser.sections():
        method, _, pattern = section.partition(":")
        pattern = pattern.strip()
        method_map.append((pattern, METHODS.get(method.strip(), method.strip())))
        options_map[pattern] = dict(parser.items(section))
    return method_map, options_map


def _code_messages() -> Iterator[tuple[str, int, str | tuple[str, str]]]:
    method_map, options_map = _mapping()
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS, strip_comment_tags=True,
    ):
        if not filename.startswith("ckanext/gemeente/"):
            continue
        if isinstance(message, (tuple, list)):
            singular, plural = message[0], message[1]
            if singular:
                yield filename, lineno, (singular, plural)
        elif message:
            yield filename, lineno, message


def _cli_messages() -> Iterator[tuple[str, int, str]]:
    """Help texts of the ``ckan gemeente`` group and every command and option under it."""
    import click

    for mod in pkgutil.walk_packages([str(PACKAGE)], "ckanext.gemeente."):
        if mod.name.endswith(".cli"):
            try:
                importlib.import_module(mod.name)
            except Exception as err:  # noqa: BLE001 - a broken module is reported, not fatal
                print(f"warning: cannot import {mod.name}: {err}", file=sys.stderr)
    from ckanext.gemeente.cli import gemeente

    def walk(cmd: click.Command, path: str) -> Iterator[tuple[str, int, str]]:
        for text in (cmd.help, cmd.short_help):
            if text:
                yield f"cli:{path}", 0, _clean(text)
        for param in cmd.params:
            if isinstance(param, click.Option) and param.help:
                yield f"cli:{path} {param.opts[-1]}", 0, _clean(param.help)
        if isinstance(cmd, click.Group):
            for name, sub in sorted(cmd.commands.items()):
                yield from walk(sub, f"{path} {name}")

    yield from walk(gemeente, "ckan gemeente")


def _clean(text: str) -> str:
    """click's help as shown: first paragraph kept whole, later ones too, whitespace joined."""
    import inspect

    text = inspect.cleandoc(text).split("\f", 1)[0]
    return "\n\n".join(" ".join(p.split()) for p in text.split("\n\n") if p.strip())


def extracted() -> dict[str, Message]:
    """Every translatable string of the suite, keyed by msgid (plural forms by singular)."""
    out: dict[str, Message] = {}
    for path, line, msgid in [*_code_messages(), *_cli_messages()]:
        key = msgid if isinstance(msgid, str) else msgid[0]
        out.setdefault(key, Message(msgid)).locations.append((path, line))
    return out


def catalogue(lang: str = "nl") -> Catalog:
    po = I18N / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    with po.open("rb") as fh:
        return read_po(fh, locale=lang)


def core_translated(lang: str = "nl") -> set[str]:
    """msgids CKAN's own catalogue translates (a plugin string equal to one needs no entry:
    CKAN falls back to its own catalogue)."""
    import ckan

    mo = pathlib.Path(ckan.__file__).parent / "i18n" / lang / "LC_MESSAGES" / "ckan.mo"
    if not mo.exists():
        return set()
    with mo.open("rb") as fh:
        return {m.id if isinstance(m.id, str) else m.id[0]
                for m in read_mo(fh) if m.id and m.string and (
                    all(m.string) if isinstance(m.string, (tuple, list)) else True)}


def missing(lang: str = "nl") -> list[Message]:
    """Extracted strings without a (non-fuzzy, non-empty) translation in ``lang``, neither in
    the suite's catalogue nor in CKAN's own."""
    cat = catalogue(lang)
    core = core_translated(lang)
    out = []
    for key, msg in sorted(extracted().items()):
        entry = cat.get(key)
        translated = entry is not None and not entry.fuzzy and (
            all(entry.string) if isinstance(entry.string, (tuple, list)) else bool(entry.string))
        if not translated and key not in core:
            out.append(msg)
    return out


def template_catalog() -> Catalog:
    cat = Catalog(project="ckanext-gemeente", domain=DOMAIN, charset="utf-8",
                  creation_date=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))
    for msg in extracted().values():
        cat.add(msg.msgid, None, locations=sorted(set(msg.locations)))
    return cat


def pot_bytes() -> bytes:
    out = io.BytesIO()
    write_po(out, template_catalog(), width=100, sort_output=True, omit_header=False)
    return out.getvalue()


def pot_msgids(data: bytes) -> set[str]:
    return {m.id if isinstance(m.id, str) else m.id[0]
            for m in read_po(io.BytesIO(data)) if m.id}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["extract", "missing", "update"])
    parser.add_argument("--lang", default="nl")
    args = parser.parse_args()
    if args.command == "extract":
        POT.write_bytes(pot_bytes())
        print(f"wrote {POT.relative_to(ROOT)} ({len(extracted())} messages)", file=sys.stderr)
    elif args.command == "missing":
        todo = missing(args.lang)
        for msg in todo:
            print(f"{msg.where()}\n    msgid {msg.key!r}")
        print(f"{len(todo)} string(s) missing from the {args.lang} catalogue", file=sys.stderr)
        sys.exit(1 if todo else 0)
    else:
        POT.write_bytes(pot_bytes())
        template = template_catalog()
        for po in sorted(I18N.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
            with po.open("rb") as fh:
                cat = read_po(fh, locale=po.parent.parent.name)
            cat.update(template, no_fuzzy_matching=True)
            with po.open("wb") as fh:
                write_po(fh, cat, width=100, include_previous=False)
            print(f"updated {po.relative_to(ROOT)}", file=sys.stderr)
        runpy.run_path(str(ROOT / "scripts" / "compile_catalogs.py"), run_name="__main__")


if __name__ == "__main__":
    main()
