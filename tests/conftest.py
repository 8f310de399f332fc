"""Shared fixtures, the guard that fails any test trying to reach a non-loopback address, and
the hygiene every test gets: logging restored after it, the shared recordings required in CI."""

from __future__ import annotations

import ipaddress
import logging
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from handlers.context import Context
from handlers.options import Options
from storage import Store, open_store
from tests import paths

SHARED = paths.SHARED
FIXTURES = paths.FIXTURES


class NetworkGuardError(AssertionError):
    """A test tried to reach the outside world."""


def _is_loopback(host: object) -> bool:
    if host in ("localhost", "", None):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Iterator[None]:
    """Only 127.0.0.0/8, ::1 and Unix sockets may be dialled; DNS only for localhost."""
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    # Code under test may catch the guard's error (a source turns it into "could not connect"),
    # so every trip is also recorded and fails the test afterwards.
    tripped: list[str] = []

    def refuse(what: str) -> NetworkGuardError:
        tripped.append(what)
        return NetworkGuardError(f"test tried to {what}: only loopback is allowed")

    def check(sock: socket.socket, address: object) -> None:
        if sock.family == socket.AF_UNIX:
            return
        host = address[0] if isinstance(address, tuple) else address
        if not _is_loopback(host):
            raise refuse(f"connect to {address!r}")

    def connect(sock: socket.socket, address: object) -> None:
        check(sock, address)
        real_connect(sock, address)  # type: ignore[arg-type]

    def connect_ex(sock: socket.socket, address: object) -> int:
        check(sock, address)
        return real_connect_ex(sock, address)  # type: ignore[arg-type]

    def getaddrinfo(host: object, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        if not _is_loopback(host):
            raise refuse(f"resolve {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield
    if tripped and request.node.get_closest_marker("trips_network_guard") is None:
        pytest.fail(f"the test reached for the network ({'; '.join(tripped)}), even if the code caught it")


#: Tests skipped in this run because the shared recordings are missing (outside CI).
_skipped_for_fixtures: list[str] = []


@pytest.fixture
def fixtures_dir(request: pytest.FixtureRequest) -> Path:
    """The shared recorded responses, read in place. Where the folder is missing a test using
    them fails under CI=true (a clone without it must not pass by skipping) and skips
    elsewhere; the end of the run then names the folder once."""
    if not FIXTURES.is_dir():
        why = f"recorded responses not found at {FIXTURES} (the shared/ folder beside the project)"
        if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
            pytest.fail(f"{why}; CI needs them", pytrace=False)
        _skipped_for_fixtures.append(request.node.nodeid)
        pytest.skip(why)
    return FIXTURES


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _skipped_for_fixtures:
        n = len(_skipped_for_fixtures)
        terminalreporter.write_line(
            f"{n} test{'s' * (n != 1)} skipped: the recorded responses folder {FIXTURES} is "
            "missing (check out shared/ beside the project; under CI=true they fail)"
        )


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """Each test starts from the logging it found: the CLI run in-process sets levels, filters,
    handlers and a record factory (bot.cli._logging), Bolt sets its loggers' levels."""
    from bot import logredact

    root = logging.getLogger()
    manager = logging.Logger.manager
    saved = {
        name: (lg.level, list(lg.filters), list(lg.handlers), lg.propagate, lg.disabled)
        for name, lg in manager.loggerDict.items() if isinstance(lg, logging.Logger)
    }
    root_state = (root.level, list(root.filters), list(root.handlers))
    factory, disabled = logging.getLogRecordFactory(), manager.disable
    yield
    logredact.uninstall()
    logging.setLogRecordFactory(factory)
    logging.disable(disabled)
    for name, lg in list(manager.loggerDict.items()):
        if not isinstance(lg, logging.Logger):
            continue
        level, filters, handlers, propagate, off = saved.get(name, (logging.NOTSET, [], [], True, False))
        lg.setLevel(level)
        lg.filters[:] = filters
        lg.handlers[:] = handlers
        lg.propagate, lg.disabled = propagate, off
    root.setLevel(root_state[0])
    root.filters[:] = root_state[1]
    # pytest swaps its own capture handlers on the root between phases: remove only what the
    # test added (basicConfig's stream handler), never pytest's.
    for handler in list(root.handlers):
        if handler not in root_state[2] and not type(handler).__module__.startswith("_pytest"):
            root.removeHandler(handler)


@pytest.fixture
def fresh_store(tmp_path: Path) -> Iterator[Store]:
    store = open_store(tmp_path / "attention.db")
    yield store
    store.close()


@pytest.fixture
def ctx(fresh_store: Store) -> Context:
    # Alerts go out at the next delivery: most tests poll and then deliver at once. The tests
    # of grouping (tests/handlers/alerts/test_grouping.py) set a window.
    return Context(store=fresh_store, options=Options(alert_group_seconds=0))


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Tests never read the developer's tokens or .env, and never write attention.db here."""
    import os

    from bot.settings import env_name, settings_model

    ours = {env_name(name) for name in settings_model().model_fields}
    for name in list(os.environ):
        if name.startswith(("ATTENTION_", "SLACK_")) or name in ours:
            monkeypatch.delenv(name, raising=False)
    # Streams are on by default and would dial Bluesky and Wikimedia: tests switch them on.
    monkeypatch.setenv("ATTENTION_STREAMS", "")
    monkeypatch.chdir(tmp_path)
