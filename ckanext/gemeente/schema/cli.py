"""``ckan gemeente vocabularies …`` commands of the gemeente_schema plugin."""

from __future__ import annotations

import sys

import click

from ckanext.gemeente.cli import gemeente

from . import vocabularies


@gemeente.group("vocabularies", help="DCAT-AP-DONL value lists (waardelijsten)")
def vocabularies_group() -> None:
    pass


@vocabularies_group.command("update")
@click.option(
    "--from",
    "source",
    default=None,
    help="Base URL or directory holding the value-list files (file names as in "
    "lists.json), or one file together with --name. Default: "
    "ckanext.gemeente.vocabulary_dir, then ckanext.gemeente.vocabulary_source_url.",
)
@click.option("--name", "names", multiple=True, help="Only this list (repeatable).")
@click.option(
    "--allow-incomplete",
    is_flag=True,
    help="Load lists below their min_terms floor, marked incomplete (for test portals).",
)
def update(source: str | None, names: tuple[str, ...], allow_incomplete: bool) -> None:
    """Load or refresh the value lists; exits 1 when a list is missing or incomplete."""
    report = vocabularies.update(source, names=names or None, allow_incomplete=allow_incomplete)
    failed = False
    for line in report:
        if not line.ok:
            failed = True
        click.echo(f"{line.status:<10} {line.name:<34} {line.count:>6}  {line.source}")
        if line.message:
            click.echo(f"{'':<10} {line.message}", err=not line.ok)
    if failed:
        click.echo(
            "Some value lists are missing or incomplete: provide them as files "
            "(see docs/schema.md, 'Waardelijsten') and run this command again.",
            err=True,
        )
        sys.exit(1)


@vocabularies_group.command("status")
def status() -> None:
    """Show which value lists are loaded, from where, and whether they are complete."""
    for row in vocabularies.status():
        state = ("complete" if row["complete"] else "INCOMPLETE") if row["loaded"] else "MISSING"
        click.echo(
            f"{state:<10} {row['name']:<34} {row['count']:>6}  {row['loaded_at']}  {row['source']}"
        )


def get_commands() -> list[click.Command]:
    return [gemeente]
