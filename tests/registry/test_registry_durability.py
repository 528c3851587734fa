"""kill -9 of the server during ingest loses no acknowledged write, single or batch, and leaves every
chain intact; a server of two worker processes takes concurrent writes to the same chains."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from registry.registry_helpers import Registry, Server, document, live_members, running_server
from urbanmine.registry.verify import verify


def test_kill_9_during_ingest_loses_no_acknowledged_write(
    db_url: str, serve: Callable[..., Server]
) -> None:
    reg = Registry(db_url)
    key = reg.key("acme")
    ident, other = "urn:acme:k9", "urn:acme:k9b"
    for battery in (ident, other):
        r = reg.client.post("/api/v1/passports", json={"document": document(battery)}, headers=key)
        assert r.status_code == 201
    server = serve(db_url)
    proc, base = server.proc, server.api
    acknowledged: list[str] = []
    in_batches: list[str] = []

    def ingest() -> None:
        with httpx.Client(base_url=base, headers=key, timeout=5) as c:
            for n in range(100_000):
                body = {
                    "client_event_id": f"k{n}",
                    "type": "diagnosed",
                    "time": "2027-03-01T00:00:00Z",
                }
                try:
                    r = c.post(f"/passports/{ident}/events", json=body)
                except httpx.TransportError:
                    return
                if r.status_code == 201:
                    acknowledged.append(f"k{n}")

    def ingest_batches() -> None:
        """Batches of 50 events alternating between both batteries."""
        with httpx.Client(base_url=base, headers=key, timeout=5) as c:
            for n in range(100_000):
                cids = [f"b{n}-{i}" for i in range(50)]
                batch = [
                    {
                        "subject_id": (ident, other)[i % 2],
                        "client_event_id": cid,
                        "type": "diagnosed",
                        "time": "2027-03-01T00:00:00Z",
                    }
                    for i, cid in enumerate(cids)
                ]
                try:
                    r = c.post("/events/batch", json={"events": batch})
                except httpx.TransportError:
                    return
                if r.status_code == 201:
                    in_batches.extend(cids)

    writers = [threading.Thread(target=ingest), threading.Thread(target=ingest_batches)]
    for w in writers:
        w.start()
    while len(acknowledged) < 50 or len(in_batches) < 150:
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    for w in writers:
        w.join()
    stored = {
        e["client_event_id"]
        for battery in (ident, other)
        for e in reg.client.get(f"/api/v1/passports/{battery}/events", headers=key).json()
    }
    assert set(acknowledged) <= stored
    assert set(in_batches) <= stored
    with reg.sessions.begin() as s:
        assert verify(s) == []
    reg.client.close()
    reg.engine.dispose()


def test_two_worker_processes_write_the_same_chains(
    db_url: str, serve: Callable[..., Server]
) -> None:
    """``serve --workers 2``: four clients post batches to the same two batteries at once; the
    processes serialise on the database, every acknowledged event is stored exactly once and every
    chain verifies."""
    reg = Registry(db_url)
    key = reg.key("acme")
    batteries = ("urn:acme:w2a", "urn:acme:w2b")
    for battery in batteries:
        r = reg.client.post("/api/v1/passports", json={"document": document(battery)}, headers=key)
        assert r.status_code == 201
    server = serve(db_url, workers=2)
    base = server.api
    acknowledged: list[str] = []

    def post(kind: str) -> None:
        with httpx.Client(base_url=base, headers=key, timeout=30) as c:
            for n in range(20):
                cids = [f"{kind}{n}-{i}" for i in range(10)]
                events = [
                    {
                        "subject_id": batteries[i % 2],
                        "client_event_id": cid,
                        "type": "diagnosed",
                        "time": "2027-03-01T00:00:00Z",
                    }
                    for i, cid in enumerate(cids)
                ]
                r = c.post("/events/batch", json={"events": events})
                assert r.status_code == 201, r.text
                acknowledged.extend(cids)

    clients = [threading.Thread(target=post, args=(kind,)) for kind in "abcd"]
    for t in clients:
        t.start()
    for t in clients:
        t.join()
    stored = [
        e["client_event_id"]
        for battery in batteries
        for e in reg.client.get(f"/api/v1/passports/{battery}/events", headers=key).json()
    ]
    assert len(acknowledged) == 800
    assert sorted(acknowledged) == sorted(c for c in stored if c[0] in "abcd")
    with reg.sessions.begin() as s:
        assert verify(s) == []
    reg.client.close()
    reg.engine.dispose()


def test_a_server_that_dies_is_reported_at_once_with_its_stderr(tmp_path: Path) -> None:
    """A server that exits before answering is an error naming its exit code and stderr, raised
    as soon as it exits, not after the readiness deadline."""
    started = time.monotonic()
    with (
        pytest.raises(RuntimeError, match="exited with code 2") as failed,
        running_server(f"sqlite:///{tmp_path / 'missing' / 'r.db'}", deadline_s=600),
    ):
        pass
    assert "does not exist" in str(failed.value)
    assert time.monotonic() - started < 60


def test_servers_are_stopped_when_the_test_fails(db_url: str) -> None:
    """Every process of a two-worker server is gone after a failure inside the ``with``."""
    Registry(db_url).engine.dispose()  # migrated, so the server starts at once
    with pytest.raises(ZeroDivisionError), running_server(db_url, workers=2) as server:
        pgid = server.proc.pid
        assert len(live_members(pgid)) >= 3  # the server, its two workers (and helpers)
        1 / 0  # noqa: B018
    assert server.proc.poll() is not None and live_members(pgid) == []
