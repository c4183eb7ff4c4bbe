"""A CKAN ini for subprocesses of the scanner tests (importable: pytest puts this folder on
sys.path): test.ini with options replaced, logging sections included (CKAN 2.11's CLI reads
them from the file it is given)."""

from __future__ import annotations

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2]


def write_ini(path: pathlib.Path, **options: str) -> pathlib.Path:
    text = (ROOT / "test.ini").read_text()
    text = text.replace("%(here)s", str(ROOT))
    for key, value in options.items():
        pattern = re.compile(rf"^{re.escape(key)}\s*=.*$", re.M)
        line = f"{key} = {value}"
        if pattern.search(text):
            text = pattern.sub(line, text, count=1)
        else:
            text = text.replace("[app:main]\n", f"[app:main]\n{line}\n", 1)
    path.write_text(text)
    return path
