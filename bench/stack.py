"""Set-up shared by the benchmarks: a fresh PostgreSQL database and the embedded search
server as its own process (as in production), on a free port."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator


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
