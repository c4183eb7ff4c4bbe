"""Rebuild the vendored front-end files from npm (run after changing package.json).

``npm ci`` (or ``npm install`` with ``--update``) at the repository root installs the
packages pinned in package.json / package-lock.json; this script then copies their built CSS
into the Python package so that ``pip install ckanext-gemeente`` ships it and neither the
portal nor CI needs node:

- ``ckanext/gemeente/theme/assets/vendor/design-tokens.css``: the NL Design System
  "Voorbeeld" design tokens (CSS custom properties under ``.voorbeeld-theme``);
- ``ckanext/gemeente/theme/assets/vendor/utrecht-components.css``: the Utrecht component
  CSS the theme's templates use (page header/footer, headings, links, buttons, ...);
- ``tests/e2e/vendor/axe.min.js``: axe-core, injected into pages by the browser tests;
- ``vendor/MANIFEST.json`` and ``vendor/LICENSES/``: what was copied, from which package
  version, under which licence.

``--check`` rebuilds nothing and exits 1 when the vendored files differ from node_modules
(for a developer who changed package.json and forgot to rebuild).
"""

from __future__ import annotations

import argparse
import json
import pathlib
import shutil
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "node_modules"
VENDOR = ROOT / "ckanext" / "gemeente" / "theme" / "assets" / "vendor"
E2E_VENDOR = ROOT / "tests" / "e2e" / "vendor"

TOKENS = "@nl-design-system-unstable/voorbeeld-design-tokens"
# Utrecht component CSS, in cascade order (document first)
COMPONENTS = [
    "@utrecht/document-css",
    "@utrecht/heading-1-css",
    "@utrecht/heading-2-css",
    "@utrecht/heading-3-css",
    "@utrecht/paragraph-css",
    "@utrecht/link-css",
    "@utrecht/link-list-css",
    "@utrecht/button-css",
    "@utrecht/skip-link-css",
    "@utrecht/page-header-css",
    "@utrecht/page-footer-css",
    "@utrecht/table-css",
]
AXE = "axe-core"


def _version(package: str) -> str:
    return json.loads((NODE_MODULES / package / "package.json").read_text())["version"]


def _license(package: str) -> str:
    return str(json.loads((NODE_MODULES / package / "package.json").read_text())
               .get("license", ""))


def built_files() -> dict[pathlib.Path, bytes]:
    """Every vendored file and the bytes it should hold, computed from node_modules."""
    files: dict[pathlib.Path, bytes] = {}
    tokens = NODE_MODULES / TOKENS / "dist" / "theme.css"
    files[VENDOR / "design-tokens.css"] = (
        f"/* {TOKENS} {_version(TOKENS)} ({_license(TOKENS)}), dist/theme.css */\n".encode()
        + tokens.read_bytes()
    )
    parts = []
    for package in COMPONENTS:
        css = (NODE_MODULES / package / "dist" / "index.css").read_text()
        parts.append(f"/* {package} {_version(package)} ({_license(package)}) */\n{css}\n")
    files[VENDOR / "utrecht-components.css"] = "".join(parts).encode()
    files[E2E_VENDOR / "axe.min.js"] = (NODE_MODULES / AXE / "axe.min.js").read_bytes()
    manifest = {
        package: {"version": _version(package), "license": _license(package)}
        for package in [TOKENS, *COMPONENTS, AXE]
    }
    files[VENDOR / "MANIFEST.json"] = (json.dumps(manifest, indent=1, sort_keys=True)
                                       + "\n").encode()
    for package in [TOKENS, COMPONENTS[0]]:
        lic = NODE_MODULES / package / "LICENSE.md"
        if lic.exists():
            name = package.strip("@").replace("/", "--") + ".md"
            files[VENDOR / "LICENSES" / name] = lic.read_bytes()
    return files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true",
                        help="only compare the vendored files with node_modules")
    parser.add_argument("--skip-npm", action="store_true",
                        help="use node_modules as it is (no `npm ci`)")
    args = parser.parse_args()
    if not args.check and not args.skip_npm:
        npm = shutil.which("npm")
        if not npm:
            sys.exit("npm is not installed (apt-get install npm): needed only to rebuild")
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=ROOT, check=True)
    files = built_files()
    stale = [path for path, data in files.items()
             if not path.exists() or path.read_bytes() != data]
    if args.check:
        for path in stale:
            print(f"stale: {path.relative_to(ROOT)}", file=sys.stderr)
        sys.exit(1 if stale else 0)
    for path in stale:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(files[path])
        print(f"wrote {path.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
