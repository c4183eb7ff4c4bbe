"""Value lists under failure: database errors, untrusted URLs, and what a cron run reports.

- ``terms()`` runs inside the caller's transaction (validators call it): a database error is
  raised, and the caller's pending changes survive it (no ``Session.rollback()``).
- ``vocabularies update --from URL`` goes through :mod:`ckanext.gemeente.urlguard`: https
  only unless the host is allowed, every redirect checked again, a size cap.
- The command's exit status means something to cron: 0 while lists are merely missing
  (reported on stderr), 1 when a list that was loaded got worse.

Sources are local HTTP servers on free ports; the database is the test PostgreSQL.
"""

from __future__ import annotations

import http.server
import json
import os
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from ckan import model
from ckan.tests import helpers
from cli_runner import split_runner
from schema_testdata import EU, VOCAB_DIR, dataset_dict, schema_config

from ckanext.gemeente.cli import gemeente as gemeente_cli
from ckanext.gemeente.schema import vocabularies

LANG = EU + "language/"


class Source:
    """A local HTTP server answering from a table of path -> (status, headers, body)."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.hits: list[str] = []
        source = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                source.hits.append(self.path)
                status, headers, body = source.routes.get(self.path, (404, {}, b"niet gevonden"))
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                if "Content-Length" not in headers and "Transfer-Encoding" not in headers:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if headers.get("Transfer-Encoding") == "chunked":
                    for start in range(0, len(body), 65536):
                        chunk = body[start : start + 65536]
                        self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                    self.wfile.write(b"0\r\n\r\n")
                else:
                    self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}/"

    def serve_dir(self, directory: str) -> None:
        for name in os.listdir(directory):
            with open(os.path.join(directory, name), "rb") as fh:
                self.routes["/" + name] = (200, {"Content-Type": "application/json"}, fh.read())

    def serve_json(self, name: str, data: Any) -> None:
        self.routes["/" + name] = (200, {}, json.dumps(data).encode())


@pytest.fixture
def source() -> Iterator[Source]:
    src = Source()
    src.thread.start()
    try:
        yield src
    finally:
        src.server.shutdown()
        src.server.server_close()


@pytest.fixture
def empty_vocab_db(clean_db: None, migrate_db_for: Callable[..., None]) -> Iterator[None]:
    migrate_db_for("gemeente_schema")
    vocabularies.invalidate_cache()
    yield
    vocabularies.invalidate_cache()


def _allow(ckan_config: dict, monkeypatch: pytest.MonkeyPatch, hosts: str) -> None:
    monkeypatch.setitem(ckan_config, "ckanext.gemeente.vocabulary_allow_hosts", hosts)


def _languages(*codes: str) -> dict[str, Any]:
    return {LANG + c: {"labels": {"nl-NL": c.title(), "en-US": c.title()}} for c in codes}


# ---------------------------------------------------------------- terms() and the database


@pytest.fixture
def locked_terms_table() -> Iterator[Callable[[], None]]:
    """A second connection holding an exclusive lock on the term table until released.

    A watchdog releases it after 20 s, so code that lost the test's ``lock_timeout`` (by
    rolling back the transaction that set it) fails the test instead of hanging it.
    """
    engine = model.Session.get_bind()
    conn = engine.connect()
    trans = conn.begin()
    conn.execute(sa.text("LOCK TABLE gemeente_vocabulary_term IN ACCESS EXCLUSIVE MODE"))
    lock = threading.Lock()
    released = False

    def release() -> None:
        nonlocal released
        with lock:
            if not released:
                trans.rollback()
                conn.close()
                released = True

    watchdog = threading.Timer(20.0, release)
    watchdog.start()
    try:
        yield release
    finally:
        watchdog.cancel()
        release()


@schema_config
@pytest.mark.usefixtures("with_plugins", "vocab_db")
class TestDatabaseErrors:
    def test_error_surfaces_and_the_callers_pending_work_survives(
        self, locked_terms_table: Callable[[], None]
    ) -> None:
        vocabularies.invalidate_cache()
        session = model.Session
        session.add(model.Group(name="wijk-zuid", title="Wijk Zuid", type="group"))
        session.flush()
        session.execute(sa.text("SET LOCAL lock_timeout = '300ms'"))
        with pytest.raises(sa.exc.OperationalError, match="lock"):
            vocabularies.terms("DONL:Language")
        locked_terms_table()
        # the caller's transaction is still usable and its pending change is committed
        session.commit()
        with model.Session.get_bind().connect() as conn:
            names = conn.execute(sa.text("SELECT name FROM \"group\"")).scalars().all()
        assert "wijk-zuid" in names
        # the failed read was not cached as "list not loaded"
        assert len(vocabularies.terms("DONL:Language") or {}) == 4

    def test_a_validator_raises_the_database_error_instead_of_a_false_refusal(
        self, department: dict[str, Any], locked_terms_table: Callable[[], None]
    ) -> None:
        vocabularies.invalidate_cache()
        model.Session.execute(sa.text("SET LOCAL lock_timeout = '300ms'"))
        try:
            with pytest.raises(sa.exc.OperationalError, match="lock"):
                helpers.call_action(
                    "package_create", owner_org=department["id"], **dataset_dict()
                )
        finally:
            model.Session.rollback()
        locked_terms_table()
        vocabularies.invalidate_cache()
        created = helpers.call_action(
            "package_create", owner_org=department["id"], **dataset_dict()
        )
        assert created["language"] == [LANG + "NLD"]


# ---------------------------------------------------------------- fetching through the guard


@schema_config
@pytest.mark.usefixtures("with_plugins", "empty_vocab_db")
class TestFetching:
    def test_plain_http_is_refused_unless_the_host_is_allowed(
        self, source: Source, ckan_config: dict, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        source.serve_dir(VOCAB_DIR)
        line = vocabularies.update(source.url(), names=["DONL:Language"])[0]
        assert line.status == "missing" and line.refused
        assert "https only" in line.message
        assert source.hits == []  # refused before any request
        _allow(ckan_config, monkeypatch, "127.0.0.1")
        line = vocabularies.update(source.url(), names=["DONL:Language"])[0]
        assert line.status == "loaded", line

    def test_internal_address_over_https_is_refused(self, source: Source) -> None:
        url = f"https://127.0.0.1:{source.port}/"
        line = vocabularies.update(url, names=["DONL:Language"])[0]
        assert line.status == "missing" and line.refused
        assert "loopback" in line.message
        assert vocabularies.terms("DONL:Language") is None

    def test_a_redirect_is_checked_again(
        self, source: Source, ckan_config: dict, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # "localhost" is allowed (an internal server); it redirects to an address that is not
        source.routes["/donl_language.json"] = (
            302, {"Location": f"http://127.0.0.1:{source.port}/elders.json"}, b""
        )
        source.serve_json("elders.json", _languages("NLD", "ENG"))
        _allow(ckan_config, monkeypatch, "localhost")
        line = vocabularies.update(source.url("localhost"), names=["DONL:Language"])[0]
        assert line.status == "missing" and line.refused, line
        assert "127.0.0.1" in line.message
        assert source.hits == ["/donl_language.json"]  # the redirect target was not fetched
        assert vocabularies.terms("DONL:Language") is None
        # allowed both ways, the same redirect is followed
        _allow(ckan_config, monkeypatch, "localhost 127.0.0.1")
        line = vocabularies.update(source.url("localhost"), names=["DONL:Language"])[0]
        assert line.status == "loaded", line
        assert line.count == 2

    def test_redirect_to_plain_http_elsewhere_is_refused(
        self, source: Source, ckan_config: dict, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # the addresses are allowed as networks, plain http only for the IP literal: the
        # redirect to http://localhost is fetched, but where the redirects ended is refused
        source.routes["/donl_language.json"] = (
            301, {"Location": f"http://localhost:{source.port}/elders.json"}, b""
        )
        source.serve_json("elders.json", _languages("NLD", "ENG"))
        _allow(ckan_config, monkeypatch, "127.0.0.1/32 ::1/128")
        line = vocabularies.update(source.url(), names=["DONL:Language"])[0]
        assert line.refused and "https only" in line.message, line
        assert vocabularies.terms("DONL:Language") is None

    @pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "streamed"])
    @pytest.mark.ckan_config("ckanext.gemeente.vocabulary_max_response_mb", "1")
    def test_size_cap(
        self, source: Source, ckan_config: dict, monkeypatch: pytest.MonkeyPatch, chunked: bool
    ) -> None:
        big = {LANG + f"X{i:06d}": {"labels": {"nl-NL": "x" * 40}} for i in range(30000)}
        body = json.dumps(big).encode()
        assert len(body) > 1024 * 1024
        headers = {"Transfer-Encoding": "chunked"} if chunked else {}
        source.routes["/donl_language.json"] = (200, headers, body)
        _allow(ckan_config, monkeypatch, "127.0.0.1")
        line = vocabularies.update(source.url(), names=["DONL:Language"])[0]
        assert line.status == "missing" and line.refused, line
        assert "1 MB" in line.message
        assert vocabularies.terms("DONL:Language") is None


# ---------------------------------------------------------------- what cron sees


@schema_config
@pytest.mark.usefixtures("with_plugins", "empty_vocab_db")
class TestCronExitStatus:
    def run(self, ckan_config: dict, *args: str) -> Any:
        return split_runner(ckan_config).invoke(gemeente_cli, ["vocabularies", "update", *args])

    def test_missing_lists_go_to_stderr_with_exit_0(
        self, source: Source, ckan_config: dict, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        source.serve_dir(VOCAB_DIR)
        _allow(ckan_config, monkeypatch, "127.0.0.1")
        monkeypatch.setitem(ckan_config, "ckanext.gemeente.vocabulary_source_url", source.url())
        result = self.run(ckan_config, "--allow-incomplete")
        assert result.exit_code == 0, result.stdout + result.stderr
        # IANA:Mediatype is not served and was never loaded
        assert "IANA:Mediatype" in result.stderr
        assert "IANA:Mediatype" not in result.stdout
        assert "Overheid:Frequency" in result.stdout
        # the same run again: nothing changed, nothing got worse
        again = self.run(ckan_config, "--allow-incomplete")
        assert again.exit_code == 0, again.stderr
        assert "unchanged  DONL:Language" in again.stdout

    def test_a_loaded_list_whose_source_breaks_fails_the_run(
        self, source: Source, ckan_config: dict, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        source.serve_dir(VOCAB_DIR)
        _allow(ckan_config, monkeypatch, "127.0.0.1")
        monkeypatch.setitem(ckan_config, "ckanext.gemeente.vocabulary_source_url", source.url())
        assert self.run(ckan_config, "--allow-incomplete").exit_code == 0
        # upstream now serves a truncated file: the loaded list got worse off
        source.routes["/donl_language.json"] = (200, {}, b'{"' + LANG.encode() + b'NLD": {"la')
        result = self.run(ckan_config, "--allow-incomplete")
        assert result.exit_code == 1, result.stdout + result.stderr
        assert "DONL:Language: de bron levert een geweigerd bestand" in result.stderr
        assert len(vocabularies.terms("DONL:Language") or {}) == 4  # previous version kept
        # a source that is merely gone (404) keeps the list and is no failure
        source.serve_dir(VOCAB_DIR)
        del source.routes["/overheid_frequency.json"]
        result = self.run(ckan_config, "--allow-incomplete")
        assert result.exit_code == 0, result.stderr
        assert "kept" in result.stderr and "Overheid:Frequency" in result.stderr
        assert vocabularies.is_loaded("Overheid:Frequency")

    def test_complete_to_incomplete_fails_the_run(
        self, source: Source, ckan_config: dict, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        _allow(ckan_config, monkeypatch, "127.0.0.1")
        source.serve_json("donl_language.json", _languages("NLD", "ENG", "FRY"))
        args = ("--from", source.url(), "--allow-incomplete")
        first = self.run(ckan_config, *args)
        assert first.exit_code == 0, first.stderr
        assert {r["name"]: r for r in vocabularies.status()}["DONL:Language"]["complete"]
        source.serve_json("donl_language.json", _languages("NLD"))  # below min_terms (2)
        result = self.run(ckan_config, *args)
        assert result.exit_code == 1, result.stdout + result.stderr
        assert "DONL:Language: was volledig, nu onvolledig" in result.stderr

    def test_a_named_list_that_does_not_load_fails(self, ckan_config: dict) -> None:
        result = self.run(ckan_config, "--from", VOCAB_DIR, "--name", "DONL:Organization")
        assert result.exit_code == 1
        assert "DONL:Organization: incomplete" in result.stderr
