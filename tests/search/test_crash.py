"""kill -9 during an update leaves the stored index in the old or the new state."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest
import requests


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(data: str, port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "ckanext.gemeente.search", "--port", str(port),
         "--host", "127.0.0.1", "--data", data],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            r = requests.get(f"http://127.0.0.1:{port}/solr/ckan/admin/ping", timeout=2)
            if r.status_code == 200:
                return proc
        except requests.ConnectionError:
            pass
        if proc.poll() is not None:
            raise RuntimeError("search server exited")
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError("search server did not start")


def _doc(i: int, gen: str) -> dict[str, object]:
    return {"index_id": f"k{i}", "id": f"id{i}", "site_id": "s", "name": f"n{i}",
            "title": f"Dataset {i} generation {gen}", "tags": [gen],
            "notes": "lorem ipsum dolor sit amet " * 20}


@pytest.mark.parametrize("delay", [0.05, 0.3, 1.0])
def test_kill_during_update(tmp_path, delay: float) -> None:
    data = str(tmp_path / "data")
    port = _free_port()
    url = f"http://127.0.0.1:{port}/solr/ckan"
    proc = _start(data, port)
    try:
        r = requests.post(url + "/update?commit=true", timeout=60,
                          data=json.dumps([_doc(i, "old") for i in range(200)]),
                          headers={"Content-Type": "application/json"})
        assert r.status_code == 200
        body = json.dumps([_doc(i, "new") for i in range(3000)])
        import threading

        def send() -> None:
            try:
                requests.post(url + "/update?commit=true", data=body, timeout=60,
                              headers={"Content-Type": "application/json"})
            except requests.RequestException:
                pass

        t = threading.Thread(target=send)
        t.start()
        time.sleep(delay)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        t.join(30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    port = _free_port()
    url = f"http://127.0.0.1:{port}/solr/ckan"
    proc = _start(data, port)
    try:
        r = requests.get(url + "/select", timeout=30, params={
            "q": "*:*", "rows": 0, "facet": "true", "facet.field": "tags",
            "facet.mincount": 1})
        assert r.status_code == 200
        res = r.json()
        tags = res["facet_counts"]["facet_fields"]["tags"]
        state = (res["response"]["numFound"], tags)
        assert state in ((200, ["old", 200]), (3000, ["new", 3000])), state
        r = requests.get(url + "/select", params={"q": "title:generation", "rows": 1},
                         timeout=30)
        assert r.status_code == 200
        assert r.json()["response"]["numFound"] == res["response"]["numFound"]
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
