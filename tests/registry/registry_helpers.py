"""Registry test helpers: fresh databases on SQLite and PostgreSQL, a migrated registry with an API
client and key helpers, a Battery Pass document with fields from every access tier, and a real
server process that is always stopped (``running_server``)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from urbanmine.passport.batterypass import example_document
from urbanmine.registry.app import create_app
from urbanmine.registry.keys import issue_key
from urbanmine.registry.store import Base, Operator, make_engine, migrate, session_factory

PG_ENV = "URBANMINE_TEST_POSTGRES_URL"


def backends() -> list[Any]:
    pg = pytest.param(
        "postgresql",
        marks=pytest.mark.skipif(not os.environ.get(PG_ENV), reason=f"{PG_ENV} not set"),
    )
    return ["sqlite", pg]


def fresh_database(backend: str, tmp_path: Any) -> str:
    """URL of an empty database on ``backend``."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'registry.db'}"
    url = os.environ[PG_ENV]
    engine = make_engine(url)
    with engine.begin() as conn:
        Base.metadata.drop_all(conn)
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()
    return url


class Registry:
    """A migrated database, an API client on it, and key helpers."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        migrate(self.engine)
        self.sessions = session_factory(self.engine)
        self.client = TestClient(create_app(url))
        self.admin = self.key("admin", "admin")

    def key(self, operator: str, role: str = "operator") -> dict[str, str]:
        """Authorization header of a new key (creating the operator if needed)."""
        with self.sessions.begin() as s:
            if s.get(Operator, operator) is None:
                s.add(Operator(id=operator, name=operator))
                s.flush()
            return {"Authorization": f"Bearer {issue_key(s, operator, role)}"}


def document(ident: str, category: str = "ev", mass_kg: float = 450.0) -> dict[str, Any]:
    """The Battery Pass consortium's published example payloads of all seven aspects as one
    document (fields from every access tier), with this identifier, category and mass."""
    return example_document(ident, category, mass_kg)


def event(
    cid: str, etype: str, time: str = "2027-03-01T10:00:00+00:00", **payload: Any
) -> dict[str, Any]:
    return {
        "client_event_id": cid,
        "type": etype,
        "time": time,
        "place": "Hamburg",
        "payload": payload,
    }


READY_DEADLINE_S = 120.0
"""Seconds a test server may take to answer its first request. A loaded 2-core CI machine took
more than 30 s (issue 12); a server that dies is reported at once, whatever the deadline."""
STOP_GRACE_S = 30.0
"""Seconds a stopped server may take to shut down before it is killed."""


@dataclass(frozen=True)
class Server:
    """A registry server process: its process group and addresses."""

    proc: subprocess.Popen[bytes]
    base: str
    """``http://127.0.0.1:PORT``"""

    @property
    def api(self) -> str:
        return f"{self.base}/api/v1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_ready(proc: subprocess.Popen[bytes], base: str, log: Path, deadline_s: float) -> None:
    """Poll ``base`` until it answers; ``RuntimeError`` with the server's stderr if it exits first,
    or when ``deadline_s`` passes."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"server exited with code {proc.returncode} before answering; its stderr:\n"
                + log.read_text(errors="replace")
            )
        try:
            httpx.get(f"{base}/api/v1/openapi.json", timeout=5)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(
        f"server did not answer within {deadline_s:g} s; its stderr:\n"
        + log.read_text(errors="replace")
    )


def live_members(pgid: int) -> list[int]:
    """Processes of group ``pgid`` that still run (zombies, dead but not yet reaped, left out);
    read from ``/proc`` (Linux)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # the process ended while we looked
        state, group = fields[0], int(fields[2])
        if group == pgid and state not in ("Z", "X"):
            members.append(int(stat.parent.name))
    return members


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop a server and every process of its group (uvicorn's workers): SIGTERM, wait, SIGKILL,
    until no process of the group runs.

    The group is killed even when its leader is gone already (e.g. after ``kill -9`` of the
    parent), so no worker outlives the test."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=STOP_GRACE_S)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + STOP_GRACE_S
    while live_members(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.05)


@contextlib.contextmanager
def running_server(
    url: str,
    workers: int = 1,
    deadline_s: float = READY_DEADLINE_S,
    options: tuple[str, ...] = (),
) -> Iterator[Server]:
    """``urbanmine serve`` on ``url`` (with further ``options``) in its own process group, ready
    when entered; stopped with all its workers on exit, also when the body (or the start-up)
    fails."""
    port = _free_port()
    command = [sys.executable, "-m", "urbanmine.cli", "serve", "--db", url, "--port", str(port)]
    command += options
    with tempfile.TemporaryDirectory(prefix="um-server-") as tmp:
        log = Path(tmp) / "stderr.log"
        with log.open("wb") as err:
            proc = subprocess.Popen(
                [*command, "--workers", str(workers)],
                stdout=subprocess.DEVNULL,
                stderr=err,
                start_new_session=True,
            )
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_ready(proc, base, log, deadline_s)
            yield Server(proc, base)
        finally:
            stop(proc)
