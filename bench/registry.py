"""Registry ingest, read latency and verify time, on SQLite (default) or PostgreSQL (--db).

    .venv/bin/python bench/registry.py                       # 1,000 passports x 10 events
    .venv/bin/python bench/registry.py --passports 10000 --db postgresql://u:p@127.0.0.1/bench

1. Direct path: ``service.create_passport`` and ``service.add_battery_event`` (the code behind the
   API) in transactions of --batch writes; events/s.
2. HTTP path: ``urbanmine serve`` in a subprocess, --clients threads each posting events one
   request at a time (one transaction per request); events/s.
3. Reads: public ``GET /api/v1/passports/{id}`` paced at --rate requests/s for --seconds while
   one thread keeps posting events; p50 and p99 latency.
4. ``verify`` over the whole database; seconds.

The database is emptied first (SQLite: a new file; PostgreSQL: tables dropped). One figure per line.
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from sqlalchemy import text

from urbanmine.registry import service
from urbanmine.registry.keys import Principal, issue_key
from urbanmine.registry.store import Base, Operator, make_engine, migrate, session_factory
from urbanmine.registry.verify import verify

T0 = "2027-03-01T10:00:00+00:00"


def doc(ident: str) -> dict[str, Any]:
    return {
        "GeneralProductInformation": {
            "batteryPassportIdentifier": ident,
            "batteryCategory": "ev",
            "batteryMass": 450.0,
        },
        "CarbonFootprintForBatteries": {"batteryCarbonFootprint": 61.2},
        "PerformanceAndDurability": {"batteryCondition": {"stateOfCertifiedEnergy": 97.5}},
    }


def fresh(url: str | None) -> str:
    if url is None:
        return f"sqlite:///{Path(tempfile.mkdtemp(prefix='um-bench-')) / 'registry.db'}"
    engine = make_engine(url)
    with engine.begin() as conn:
        Base.metadata.drop_all(conn)
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()
    return url


def direct(url: str, passports: int, events: int, batch: int) -> tuple[float, float, str, str]:
    engine = make_engine(url)
    migrate(engine)
    sessions = session_factory(engine)
    with sessions.begin() as s:
        s.add(Operator(id="acme", name="Acme"))
        s.flush()
        key = issue_key(s, "acme", "operator")
    who = Principal("acme", "operator")
    ids = [f"urn:acme:b{i}" for i in range(passports)]
    t = time.perf_counter()
    for start in range(0, passports, batch):
        with sessions.begin() as s:
            for ident in ids[start : start + batch]:
                service.create_passport(s, who, {"document": doc(ident), "time": T0})
    passport_rate = passports / (time.perf_counter() - t)
    writes = [(ids[i % passports], i) for i in range(passports * events)]
    t = time.perf_counter()
    for start in range(0, len(writes), batch):
        with sessions.begin() as s:
            for ident, n in writes[start : start + batch]:
                body = {
                    "client_event_id": f"d{n}",
                    "type": "diagnosed",
                    "time": T0,
                    "payload": {"soh": 90},
                }
                service.add_battery_event(s, who, ident, body)
    event_rate = len(writes) / (time.perf_counter() - t)
    engine.dispose()
    return passport_rate, event_rate, key, ids[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http(
    url: str, key: str, ident: str, clients: int, per_client: int, rate: float, seconds: float
) -> dict[str, float]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "urbanmine.cli", "serve", "--db", url, "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}/api/v1"
    headers = {"Authorization": f"Bearer {key}"}
    try:
        for _ in range(300):
            try:
                httpx.get(f"{base}/openapi.json")
                break
            except httpx.TransportError:
                time.sleep(0.1)

        def post_events(tag: str, count: int, stop: threading.Event | None = None) -> None:
            with httpx.Client(base_url=base, headers=headers) as c:
                for n in range(count):
                    if stop is not None and stop.is_set():
                        return
                    r = c.post(
                        f"/passports/{ident}/events",
                        json={"client_event_id": f"{tag}-{n}", "type": "diagnosed", "time": T0},
                    )
                    assert r.status_code == 201, r.text

        threads = [
            threading.Thread(target=post_events, args=(f"h{i}", per_client)) for i in range(clients)
        ]
        t = time.perf_counter()
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        http_rate = clients * per_client / (time.perf_counter() - t)

        stop = threading.Event()
        writer = threading.Thread(target=post_events, args=("bg", 10**9, stop))
        writer.start()
        latencies = []
        with httpx.Client(base_url=base) as c:
            start = time.perf_counter()
            for i in range(int(rate * seconds)):
                delay = start + i / rate - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                t = time.perf_counter()
                assert c.get(f"/passports/{ident}").status_code == 200
                latencies.append(time.perf_counter() - t)
        stop.set()
        writer.join()
        ms = np.array(latencies) * 1000
        return {
            "http_events_per_s": http_rate,
            "read_p50_ms": float(np.percentile(ms, 50)),
            "read_p99_ms": float(np.percentile(ms, 99)),
        }
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--db", default=None, help="database URL (default: a new SQLite file)")
    ap.add_argument("--passports", type=int, default=1000)
    ap.add_argument("--events", type=int, default=10, help="events per passport (direct path)")
    ap.add_argument("--batch", type=int, default=1000, help="writes per transaction (direct path)")
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--per-client", type=int, default=250)
    ap.add_argument("--rate", type=float, default=200.0, help="reads per second")
    ap.add_argument("--seconds", type=float, default=5.0)
    a = ap.parse_args()
    url = fresh(a.db)
    print(f"database: {make_engine(url).url.render_as_string(hide_password=True)}")
    passport_rate, event_rate, key, ident = direct(url, a.passports, a.events, a.batch)
    print(f"direct: {a.passports} passports at {passport_rate:,.0f}/s")
    print(
        f"direct: {a.passports * a.events} events at {event_rate:,.0f}/s (transactions of {a.batch})"
    )
    h = http(url, key, ident, a.clients, a.per_client, a.rate, a.seconds)
    print(
        f"http: {a.clients} x {a.per_client} events at {h['http_events_per_s']:,.0f}/s (one request, one transaction each)"
    )
    print(
        f"http: public passport reads at {a.rate:g}/s with a writer running: p50 {h['read_p50_ms']:.2f} ms, p99 {h['read_p99_ms']:.2f} ms"
    )
    engine = make_engine(url)
    t = time.perf_counter()
    with session_factory(engine).begin() as s:
        breaks = verify(s)
        n_events = s.execute(text("SELECT count(*) FROM events")).scalar()
    print(f"verify: {n_events} events in {time.perf_counter() - t:.2f} s, {len(breaks)} breaks")


if __name__ == "__main__":
    main()
