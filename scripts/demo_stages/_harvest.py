"""Shared by the demo's harvest stages (not a stage itself: stages are ``NN_*.py``)."""

from __future__ import annotations

import sys
from typing import Any


def create_and_harvest(api: Any, ckan: Any, wanted: list[dict[str, Any]]) -> dict[str, int]:
    """Create the harvest sources of ``wanted`` that do not exist yet and harvest those once
    with ``ckan gemeente harvest run`` (as cron would); what was created, for the log line."""
    created = []
    for source in wanted:
        if not api.exists("harvest_source_show", id=source["name"]):
            api.call("harvest_source_create", **source)
            created.append(source["name"])
    datasets = 0
    if created:
        args = [a for name in created for a in ("--source", name)]
        run = ckan("gemeente", "harvest", "run", *args, check=False)
        datasets = sum(int(part.split("=", 1)[1]) for line in run.stdout.splitlines()
                       for part in line.split() if part.startswith("toegevoegd="))
        if run.returncode != 0:
            print(run.stdout + run.stderr, file=sys.stderr)
    return {"new harvest sources": len(created), "harvested datasets": datasets}
