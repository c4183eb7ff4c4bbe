"""``ckan gemeente harvest run [--source NAME] [--dry-run]``: the cron entry of the harvesters.

Crontab (every night at 02:15, one summary line per source in the cron mail)::

    15 2 * * *  ckan -c /etc/ckan/default/ckan.ini gemeente harvest run

Exit status: 0 when every source ran without errors (or another run held the lock),
1 when a source failed or reported errors, 2 for usage errors.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from ckanext.gemeente.cli import gemeente


@gemeente.group("harvest", short_help="Municipal harvest sources: run them (cron)")
def harvest() -> None:
    """Municipal harvesters (spreadsheet inventories, departmental databases)."""


def _bar(stream: Any) -> Any:
    def factory(name: str, _total: int) -> Any:
        def update(done: int, total: int) -> None:
            width = 30
            filled = int(width * done / total) if total else width
            stream.write(f"\r{name} [{'#' * filled}{' ' * (width - filled)}] {done}/{total}")
            if done == total:
                stream.write("\n")
            stream.flush()

        return update

    return factory


@harvest.command("run")
@click.option("--source", "sources", multiple=True, metavar="NAME",
              help="Run this source (name or id) now, due or not. Repeatable.")
@click.option("--dry-run", is_flag=True, help="Read the sources and report what would change; "
              "write nothing.")
def run_command(sources: tuple[str, ...], dry_run: bool) -> None:
    """Run gather, fetch and import for the due harvest sources, without queue consumers."""
    import ckan.plugins.toolkit as tk

    from . import runner

    progress = _bar(sys.stderr) if sys.stderr.isatty() and sys.stdout.isatty() else None
    try:
        results = runner.run(list(sources) or None, dry_run=dry_run,
                             progress_factory=progress, echo=click.echo)
    except runner.LockHeld as exc:
        click.echo(str(exc), err=True)
        return
    except tk.ObjectNotFound as exc:
        click.echo(str(exc.message if hasattr(exc, "message") else exc), err=True)
        sys.exit(2)
    if not results:
        click.echo(tk._("No harvest source is due."))
    if any(r.failed or r.errors for r in results):
        sys.exit(1)


def get_commands() -> list[Any]:
    return [gemeente]
