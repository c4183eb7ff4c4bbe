"""Compile the Babel catalogues (ckanext/gemeente/i18n/*/LC_MESSAGES/*.po -> .mo).

Run by scripts/devstack.sh on every `make test` / `make demo`, and imported by
tests/test_quality.py to check that the committed .mo files (which `pip install` ships)
match their .po. A .mo is rewritten only when its messages differ, so repeated runs
change nothing.
"""

from __future__ import annotations

import io
import pathlib
import sys

from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

ROOT = pathlib.Path(__file__).resolve().parent.parent / "ckanext" / "gemeente" / "i18n"


def compiled(po_path: pathlib.Path) -> bytes:
    with po_path.open("rb") as fh:
        catalog = read_po(fh, locale=po_path.parent.parent.name)
    out = io.BytesIO()
    write_mo(out, catalog)
    return out.getvalue()


def _messages(mo_bytes: bytes) -> dict[object, object]:
    # compared by content: Babel versions (CKAN 2.11 and 2.12 pin different ones) lay out
    # the same catalogue in different bytes
    # plural entries come back as lists (id and string): compared as tuples
    return {_hashable(m.id): _hashable(m.string) for m in read_mo(io.BytesIO(mo_bytes)) if m.id}


def _hashable(value: object) -> object:
    return tuple(value) if isinstance(value, list) else value


def stale_catalogs() -> list[pathlib.Path]:
    """The .mo files that are missing or whose messages differ from their .po's."""
    stale = []
    for po_path in sorted(ROOT.glob("*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        if not mo_path.exists() or \
                _messages(mo_path.read_bytes()) != _messages(compiled(po_path)):
            stale.append(mo_path)
    return stale


def main() -> None:
    for mo_path in stale_catalogs():
        mo_path.write_bytes(compiled(mo_path.with_suffix(".po")))
        print(f"compiled {mo_path.relative_to(ROOT.parent.parent.parent)}", file=sys.stderr)


if __name__ == "__main__":
    main()
