"""``ckan gemeente scan FILE|RESOURCE_ID [--json]`` and ``ckan gemeente pseudonymise``."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from typing import Any

import click

from ckanext.gemeente.cli import gemeente

from .core import scan_file
from .pseudonymise import PseudonymiseError, load_key, parse_operations, pseudonymise_file
from .textreport import render_text


def _progress_bar() -> tuple[Any, Any]:
    """A click progress bar on stderr when it is a terminal, else nothing."""
    if not sys.stderr.isatty():
        return None, None
    bar = click.progressbar(length=100, label="Scannen", file=sys.stderr, show_eta=True)
    bar.__enter__()
    state = {"pct": 0}

    def progress(done: int, total: int) -> None:
        pct = int(100 * done / total) if total else 100
        if pct > state["pct"]:
            bar.update(pct - state["pct"])
            state["pct"] = pct

    return bar, progress


def _resource_file(resource_id: str) -> tuple[str, str | None, str]:
    """(path, temporary file to remove, label) of a resource of this portal."""
    from ckan.plugins import toolkit as tk

    from . import jobs

    res = tk.get_action("resource_show")({"ignore_auth": True}, {"id": resource_id})
    label = str(res.get("name") or res["id"])
    if res.get("url_type") == "upload":
        return jobs.upload_path(res), None, label
    fd, tmp = tempfile.mkstemp(prefix="gemeente-scan-", suffix="." + (jobs._ext(res) or "csv"))
    os.close(fd)
    try:
        jobs.download(res["url"], tmp, jobs.guard_policy())
    except jobs.FetchError as exc:
        os.unlink(tmp)
        raise click.ClickException(str(exc)) from exc
    return tmp, tmp, label


@gemeente.command("scan")
@click.argument("target")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON report to stdout.")
@click.option("--threshold", type=int, default=None, help="Small-cell threshold (default 5).")
def scan(target: str, as_json: bool, threshold: int | None) -> None:
    """Scan a file (CSV, TSV, XLSX, JSON, GeoJSON) or a resource (by id) for personal data.

    Exit code 0 when the file was scanned completely, 2 when it could not (the report says
    why).
    """
    from ckan.plugins import toolkit as tk

    from .jobs import scan_options

    opts = scan_options()
    if threshold is not None:
        opts.small_cell_threshold = threshold
    tmp = None
    if os.path.exists(target):
        path, label = target, target
    else:
        try:
            path, tmp, label = _resource_file(target)
        except tk.ObjectNotFound as exc:
            raise click.ClickException(f"Geen bestand of bron: {target}") from exc
    bar, progress = _progress_bar()
    try:
        report = scan_file(path, opts, progress=progress, source=label)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
        if tmp:
            os.unlink(tmp)
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False))
    else:
        click.echo(render_text(report), nl=False)
    if not report.complete:
        sys.exit(2)


@gemeente.command("pseudonymise")
@click.argument("source")
@click.option("-o", "--output", help="Output CSV (for a file SOURCE).")
@click.option("--pseudonym", multiple=True, metavar="COLUMN", help="Replace by HMAC pseudonyms.")
@click.option("--generalise", multiple=True, metavar="COLUMN=HOW",
              help="HOW: postcode4, year or age_band.")
@click.option("--suppress", multiple=True, metavar="COLUMN",
              help="Small counts (< threshold) become '<threshold'.")
@click.option("--drop", multiple=True, metavar="COLUMN", help="Leave the column out.")
@click.option("--threshold", type=int, default=5, show_default=True)
@click.option("--key-file", type=click.Path(exists=True, dir_okay=False),
              help="File with the key (default: environment variable GEMEENTE_PSEUDONYM_KEY).")
def pseudonymise(source: str, output: str | None, pseudonym: tuple[str, ...],
                 generalise: tuple[str, ...], suppress: tuple[str, ...], drop: tuple[str, ...],
                 threshold: int, key_file: str | None) -> None:
    """Pseudonymise a CSV/XLSX file into a new CSV, or a resource (by id) into a new resource
    of the same dataset. Prints the audit record (never the key) as JSON."""
    from ckan.plugins import toolkit as tk

    try:
        ops = parse_operations(list(pseudonym), list(generalise), list(suppress), list(drop))
        if os.path.exists(source):
            if not output:
                raise click.UsageError("--output is required for a file")
            key = load_key(key_file) if pseudonym else None
            audit = pseudonymise_file(source, output, ops, key, threshold=threshold)
        else:
            if key_file:
                os.environ.setdefault("GEMEENTE_PSEUDONYM_KEY", "")
                tk.config["ckanext.gemeente.scan.pseudonym_key_file"] = key_file
            site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
            out = tk.get_action("gemeente_pseudonymise")(
                {"user": site_user["name"], "ignore_auth": True},
                {"resource_id": source, "threshold": threshold,
                 "operations": [{"column": o.column, "operation": o.operation} for o in ops]})
            audit = out["audit"]
            click.echo(f"Nieuwe bron: {out['resource']['id']}", err=True)
    except PseudonymiseError as exc:
        raise click.ClickException(str(exc)) from exc
    except tk.ValidationError as exc:
        raise click.ClickException(json.dumps(exc.error_dict, ensure_ascii=False)) from exc
    except tk.ObjectNotFound as exc:
        raise click.ClickException(f"Geen bestand of bron: {source}") from exc
    click.echo(json.dumps(audit, ensure_ascii=False))


def get_commands() -> list[click.Command]:
    return [gemeente]
