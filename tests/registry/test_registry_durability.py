"""kill -9 of the server during ingest loses no acknowledged write, and leaves every chain intact."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time

import httpx

from registry.registry_helpers import Registry, document
from urbanmine.registry.verify import verify


def _serve(url: str) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "urbanmine.cli", "serve", "--db", url, "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}/api/v1"
    for _ in range(300):
        try:
            httpx.get(f"{base}/openapi.json")
            return proc, base
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


def test_kill_9_during_ingest_loses_no_acknowledged_write(db_url: str) -> None:
    reg = Registry(db_url)
    key = reg.key("acme")
    ident = "urn:acme:k9"
    assert (
        reg.client.post(
            "/api/v1/passports", json={"document": document(ident)}, headers=key
        ).status_code
        == 201
    )
    proc, base = _serve(db_url)
    acknowledged: list[str] = []

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

    writer = threading.Thread(target=ingest)
    writer.start()
    while len(acknowledged) < 50:
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    writer.join()
    events = reg.client.get(f"/api/v1/passports/{ident}/events", headers=key).json()
    stored = {e["client_event_id"] for e in events}
    assert set(acknowledged) <= stored
    with reg.sessions.begin() as s:
        assert verify(s) == []
    reg.client.close()
    reg.engine.dispose()
