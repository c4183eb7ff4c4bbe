"""Set-up shared by the benchmarks: a fresh PostgreSQL database and the embedded search
server as its own process (as in production), on a free port; for the harvest benchmarks,
one harvest through the cron runner and the datasets a run wrote."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from typing import Any


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fresh_database(name: str) -> str:
    """Drop and create ``name`` (owner ckan_default); returns its SQLAlchemy URL."""
    for sql in (f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name} OWNER ckan_default"):
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", sql], check=True)
    return f"postgresql://ckan_default:pass@127.0.0.1/{name}"


@contextlib.contextmanager
def search_server(*store: str) -> Iterator[str]:
    """``python -m ckanext.gemeente.search`` (default ``--memory``); yields its Solr URL."""
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "ckanext.gemeente.search",
                               *(store or ("--memory",)), "--host", "127.0.0.1",
                               "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/solr/ckan"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{url}/admin/ping", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait()


def harvest_stamps(source_id: str) -> dict[str, str]:
    """Package id -> metadata_modified of the source's current datasets."""
    from ckan import model
    from ckanext.harvest.model import HarvestObject

    model.Session.remove()
    return {pid: str(stamp) for pid, stamp in
            model.Session.query(model.Package.id, model.Package.metadata_modified)
            .join(HarvestObject, HarvestObject.package_id == model.Package.id)
            .filter(HarvestObject.harvest_source_id == source_id,
                    HarvestObject.current.is_(True))}


def harvest_writes(source_id: str, before: dict[str, str]) -> int:
    """Datasets whose metadata_modified changed since ``before``."""
    return sum(1 for pid, stamp in harvest_stamps(source_id).items() if before.get(pid) != stamp)


def harvest_once(source: dict[str, Any], profile: str | None = None, run: str = "first",
                 allow_errors: bool = False) -> tuple[float, Any]:
    """One run of ``source`` through ``ckan gemeente harvest run``'s runner: (seconds, its
    SourceRun). With ``profile``, under cProfile (stats in ``profile.<name>.<run>``): such a
    run is slower than the floor it is compared with, so its ratio is not a figure. A failed
    run, or (without ``allow_errors``) one with errors, stops the benchmark."""
    from ckan import model
    from ckanext.harvest.model import HarvestSource

    from ckanext.gemeente.harvest import runner

    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    t0 = time.perf_counter()
    result = runner.run_source(HarvestSource.get(source["id"]))
    elapsed = time.perf_counter() - t0
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(f"{profile}.{source['name']}.{run}")
    model.Session.remove()
    assert not result.failed, result.errors[:5]
    assert allow_errors or not result.errors, result.errors[:5]
    return elapsed, result
