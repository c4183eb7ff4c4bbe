"""``ckan gemeente vocabularies …`` commands of the gemeente_schema plugin."""

from __future__ import annotations

import json
import sys
from typing import Any

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
    "lists.json), or one file together with --name. URLs must be https unless the host is "
    "in ckanext.gemeente.vocabulary_allow_hosts; redirects and size are checked. Default: "
    "ckanext.gemeente.vocabulary_dir, then ckanext.gemeente.vocabulary_source_url.",
)
@click.option("--name", "names", multiple=True, help="Only this list (repeatable).")
@click.option(
    "--allow-incomplete",
    is_flag=True,
    help="Load lists below their min_terms floor, marked incomplete (for test portals).",
)
def update(source: str | None, names: tuple[str, ...], allow_incomplete: bool) -> None:
    """Load or refresh the value lists (safe to run from cron).

    Each list's result goes to stdout; lists that could not be loaded go to stderr. Exit
    status 1 only when something got worse or failed that was asked for: a list that was
    loaded before is now incomplete or its source delivers a refused file, a shipped list
    does not load, or a list named with --name could not be loaded. Lists that are still
    missing (never loaded) are reported on stderr with exit status 0.
    """
    registry = vocabularies.registry()
    report = vocabularies.update(source, names=names or None, allow_incomplete=allow_incomplete)
    failed: list[str] = []
    missing: list[str] = []
    for line in report:
        click.echo(
            f"{line.status:<10} {line.name:<34} {line.count:>6}  {line.source}", err=not line.ok
        )
        if line.message:
            click.echo(f"{'':<10} {line.message}", err=not line.ok)
        shipped = bool((registry.get(line.name) or {}).get("shipped"))
        if line.regression:
            failed.append(f"{line.name}: {line.regression}")
        elif not line.ok and (names or shipped or line.status == "invalid"):
            failed.append(f"{line.name}: {line.status}")
        elif not line.ok:
            missing.append(line.name)
    if missing:
        click.echo(
            f"Niet geladen / not loaded: {', '.join(missing)}. Provide them as files "
            "(see docs/schema.md, 'Waardelijsten') and run this command again.",
            err=True,
        )
    if failed:
        click.echo("Achteruitgang of fout / got worse or failed:", err=True)
        for item in failed:
            click.echo(f"  {item}", err=True)
        sys.exit(1)


@vocabularies_group.command("status")
def status() -> None:
    """Show which value lists are loaded, from where, and whether they are complete."""
    for row in vocabularies.status():
        state = ("complete" if row["complete"] else "INCOMPLETE") if row["loaded"] else "MISSING"
        click.echo(
            f"{state:<10} {row['name']:<34} {row['count']:>6}  {row['loaded_at']}  {row['source']}"
        )


# ---------------------------------------------------------------- adopt


@gemeente.group("adopt", help="Move datasets made in CKAN's default schema onto the municipal "
                "schema (see docs/adopting.md)")
def adopt_group() -> None:
    pass


def _load_defaults(path: str | None) -> Any:
    import yaml

    from .adopt.derive import Defaults

    if not path:
        return Defaults()
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        data = yaml.safe_load(text) if path.endswith((".yaml", ".yml")) else json.loads(text)
        return Defaults.from_mapping(data)
    except (OSError, ValueError, yaml.YAMLError) as e:  # DefaultsError is a ValueError
        raise click.BadParameter(f"{path}: {e}", param_hint="--defaults") from e


def _show(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _report(results: Any, *, mode: str, as_json: bool) -> dict[str, int]:
    counts = {"datasets": 0, "valid": 0, "changed": 0, "needs_person": 0, "errors": 0}
    done = {"check": "fixable", "dry-run": "would change", "migrate": "changed"}[mode]
    for r in results:
        counts["datasets"] += 1
        if r.valid:
            counts["valid"] += 1
            state = "valid"
        elif r.error:
            counts["errors"] += 1
            state = "error"
        elif r.fixable:
            counts["changed"] += 1
            state = done
        else:
            counts["needs_person"] += 1
            state = "needs a person"
        if as_json:
            click.echo(json.dumps({
                "name": r.name, "organization": r.organization, "state": state,
                "problems": r.problems, "remaining": r.remaining, "error": r.error,
                "changes": [{"field": c.path, "old": c.old, "new": c.new, "why": c.why}
                            for c in r.changes],
            }, ensure_ascii=False, default=str))
            continue
        if r.valid:
            continue
        click.echo(f"{r.name} [{r.organization or '-'}]: {state}")
        if mode == "check":
            for path, messages in r.problems.items():
                click.echo(f"  lacks/refuses  {path}: {'; '.join(messages)}")
        for c in r.changes:
            verb = "set" if mode == "migrate" and r.saved else "fill"
            click.echo(f"  {verb:<13}  {c.path} = {_show(c.new)}  ({c.why})")
        for path, messages in r.remaining.items():
            click.echo(f"  NEEDS PERSON   {path}: {'; '.join(messages)}")
        if r.error:
            click.echo(f"  ERROR          {r.error}")
    return counts


def _run(mode: str, defaults_file: str | None, as_json: bool) -> None:
    from .adopt import portal

    defaults = _load_defaults(defaults_file)
    facts = portal.gather_facts()
    for name in portal.missing_lists(facts):
        click.echo(
            f"portal: value list {name} is not loaded: every value of its fields is refused; "
            "load it with `ckan gemeente vocabularies update` first",
            err=True,
        )
    counts = _report(
        portal.run(defaults=defaults, save=mode == "migrate"), mode=mode, as_json=as_json
    )
    label = {"check": "fixable by migrate", "dry-run": "would be changed",
             "migrate": "changed"}[mode]
    click.echo(
        f"{counts['datasets']} datasets: {counts['valid']} valid, {counts['changed']} {label}, "
        f"{counts['needs_person']} need a person"
        + (f", {counts['errors']} failed to save" if counts["errors"] else ""),
        err=as_json,
    )
    if counts["needs_person"] or counts["errors"] or (mode != "migrate" and counts["changed"]):
        sys.exit(1)


@adopt_group.command("check")
@click.option("--defaults", "defaults_file", type=click.Path(dir_okay=False), default=None,
              help="JSON or YAML file with the municipality's answers (see docs/adopting.md).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per dataset.")
def adopt_check(defaults_file: str | None, as_json: bool) -> None:
    """List, per dataset, what the municipal schema lacks or refuses (changes nothing).

    Exit status 0 when every dataset is valid, else 1.
    """
    _run("check", defaults_file, as_json)


@adopt_group.command("migrate")
@click.option("--dry-run", is_flag=True, help="Report what would change; change nothing.")
@click.option("--defaults", "defaults_file", type=click.Path(dir_okay=False), default=None,
              help="JSON or YAML file with the municipality's answers (see docs/adopting.md).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per dataset.")
def adopt_migrate(dry_run: bool, defaults_file: str | None, as_json: bool) -> None:
    """Fill what can be derived and save every dataset that then passes the schema.

    Datasets that still need a person are left unchanged and listed with what is missing.
    Exit status 0 when every dataset is valid afterwards, else 1.
    """
    _run("dry-run" if dry_run else "migrate", defaults_file, as_json)


def get_commands() -> list[click.Command]:
    return [gemeente]
