"""``ckan gemeente search-index rebuild``: CKAN's re-index on several processes."""

from __future__ import annotations

import sys
import time

import click

from ckanext.gemeente.cli import gemeente

from . import rebuild as _rebuild


@gemeente.group("search-index", help="Search index maintenance (Solr or the embedded server)")
def search_index() -> None:
    pass


@search_index.command("rebuild")
@click.option(
    "-w", "--workers", type=click.IntRange(1, 64), default=None,
    help="Worker processes (default: the number of CPUs, at most 8).",
)
@click.option(
    "-o", "--only-missing", is_flag=True,
    help="Index only the datasets that are not in the index yet.",
)
@click.option(
    "--batch-size", type=click.IntRange(1, 10_000), default=_rebuild.DEFAULT_BATCH,
    show_default=True, help="Datasets handed to a worker at a time.",
)
@click.option(
    "--commit-every", type=click.IntRange(0, None), default=_rebuild.DEFAULT_COMMIT_EVERY,
    show_default=True, help="Commit after this many datasets (0: only at the end).",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress lines.")
def rebuild(
    workers: int | None, only_missing: bool, batch_size: int, commit_every: int, quiet: bool
) -> None:
    """Re-index every dataset through CKAN, like `ckan search-index rebuild`, in parallel.

    Each dataset goes through CKAN's own indexing code (package_show, index_package);
    a dataset that fails is reported with its id and the reason and the others are
    still indexed; a commit every --commit-every datasets and at the end. Exit code 1
    when any dataset failed.
    """
    ids = _rebuild.dataset_ids(only_missing=only_missing)
    workers = workers or _rebuild.default_workers()
    if not ids:
        click.echo("Nothing to index: " + (
            "every dataset is in the index." if only_missing else "there are no datasets."))
        return
    used = _rebuild.effective_workers(len(ids), workers, batch_size)
    click.echo(f"Indexing {len(ids)} datasets with {used} worker(s)...")
    last = [0.0]

    def progress(r: _rebuild.RebuildResult) -> None:
        now = time.monotonic()
        if quiet or now - last[0] < 2:
            return
        last[0] = now
        click.echo(f"  {r.indexed + len(r.failed)}/{r.total} ({r.rate:.0f} datasets/s)", err=True)

    result = _rebuild.rebuild(
        ids, workers, batch_size=batch_size, progress=progress, commit_every=commit_every
    )
    for pkg_id, reason in result.failed:
        click.echo(f"FAILED {pkg_id}: {reason}", err=True)
    if result.not_done:
        click.echo(
            f"A worker process died: {len(result.not_done)} datasets may not be indexed. "
            "Run this command again with --only-missing.", err=True)
    click.echo(
        f"Indexed {result.indexed} of {result.total} datasets in {result.seconds:.1f} s "
        f"({result.rate:.0f}/s, {result.workers} worker(s)); {len(result.failed)} failed"
        + (", committed." if result.indexed else ".")
    )
    if not result.ok:
        sys.exit(1)


def get_commands() -> list[click.Command]:
    return [gemeente]
