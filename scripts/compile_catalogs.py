"""Compile the Babel catalogues (ckanext/gemeente/i18n/*/LC_MESSAGES/*.po -> .mo).

Run by scripts/devstack.sh on every `make test` / `make demo`; a .mo is only rewritten
when its .po is newer, so repeated runs cost nothing.
"""

from __future__ import annotations

import pathlib

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = pathlib.Path(__file__).resolve().parent.parent / "ckanext" / "gemeente" / "i18n"


def main() -> None:
    for po_path in sorted(ROOT.glob("*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as fh:
            catalog = read_po(fh, locale=po_path.parent.parent.name)
        with mo_path.open("wb") as fh:
            write_mo(fh, catalog)


if __name__ == "__main__":
    main()
