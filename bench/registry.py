"""Registry ingest rate, read latency under write load and verify time, on SQLite or PostgreSQL.

    .venv/bin/python bench/registry.py                          # 10,000 passports, 100,000 events
    .venv/bin/python bench/registry.py --passports 1000000 --events 10000000     # the issue's scale
    .venv/bin/python bench/registry.py --db postgresql://u:p@127.0.0.1/urbanmine_bench --workers 2
    .venv/bin/python bench/registry.py --reads-only sqlite:////tmp/um-bench-x/registry.db \
        --seconds 20 --write-rates=-1,1000,5000,0       # read tests only, on a filled database

1. Direct: ``batch.add_passports`` and ``batch.add_events`` (the service layer behind the batch
   endpoints), --batch entries per transaction, events from --writers processes (wall clock).
   Event n goes to passport n mod --passports, so a batch of 2,000 events touches 2,000
   different chains (the costly case); times are distinct.
2. HTTP: uvicorn on loopback (--workers processes), --http-passports new passports through
   ``POST /api/v1/passports/batch``, then --http-events events through ``POST
   /api/v1/events/batch`` from --clients client processes, --batch events per request. A request
   is acknowledged after its transaction commits.
3. Reads: public ``GET /api/v1/passports/{id}`` of random passports paced at --rate per second
   for --seconds, while one client process posts batches of --write-batch events at each of
   --write-rates events/s in turn (-1: no writer, 0: as fast as it can); p50 and p99 latency.
   Reads and writes go to the same server (--workers processes; with uvloop installed, worker
   processes answer keep-alive requests as fast as a single process), or reads to a second,
   single-process server with --read-server.
4. ``verify`` over the whole database (every chain recomputed); seconds.

The database is emptied first (SQLite: a new file; PostgreSQL: tables dropped). Prints one figure
per line, with the load average (the machine may be shared).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from sqlalchemy import func, select, text

from urbanmine.passport.batterypass import example_document
from urbanmine.registry import batch
from urbanmine.registry.keys import Principal, issue_key
from urbanmine.registry.store import (
    Base,
    Event,
    Operator,
    Passport,
    make_engine,
    migrate,
    session_factory,
)
from urbanmine.registry.verify import verify

T0 = 1_800_000_000  # 2027-01-15, seconds since the epoch
TYPES = ("diagnosed", "installed", "removed", "diagnosed")
ASPECTS = ("GeneralProductInformation", "CarbonFootprintForBatteries")


def passport_id(n: int) -> str:
    return f"urn:acme:b{n}"


def passport(n: int) -> dict[str, Any]:
    """Registration of passport n: the published examples of the general product information
    and carbon footprint aspects (valid under the Battery Pass 1.2.0 schemas), identifier n."""
    return {"document": example_document(passport_id(n), aspects=ASPECTS), "time": stamp(n)}


def stamp(n: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(T0 + n))


def events(tag: str, start: int, stop: int, passports: int) -> list[dict[str, Any]]:
    """Events ``start``..``stop - 1``; event n goes to passport n mod ``passports``."""
    return [
        {
            "subject_id": passport_id(n % passports),
            "client_event_id": f"{tag}{n}",
            "type": TYPES[n % 4],
            "time": stamp(n),
            "place": "Hamburg",
            "payload": {"stateOfHealth": 100 - n % 30},
        }
        for n in range(start, stop)
    ]


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


def fresh(url: str | None) -> str:
    if url is None:
        return f"sqlite:///{Path(tempfile.mkdtemp(prefix='um-bench-')) / 'registry.db'}"
    engine = make_engine(url)
    with engine.begin() as conn:
        Base.metadata.drop_all(conn)
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()
    return url


def chunks(total: int, size: int) -> Iterator[tuple[int, int]]:
    for start in range(0, total, size):
        yield start, min(start + size, total)


def direct(url: str, passports: int, n_events: int, size: int, writers: int) -> str:
    """Load passports and events through the service layer; the key of operator acme."""
    engine = make_engine(url)
    migrate(engine)
    sessions = session_factory(engine)
    with sessions.begin() as s:
        s.add(Operator(id="acme", name="Acme"))
        s.flush()
        key = issue_key(s, "acme", "operator")
    who = Principal("acme", "operator")
    spent = 0.0
    for start, stop in chunks(passports, size):
        bodies = [passport(n) for n in range(start, stop)]
        t = time.perf_counter()
        with sessions.begin() as s:
            batch.add_passports(s, who, bodies)
        spent += time.perf_counter() - t
    print(f"direct: {passports:,} passports at {passports / spent:,.0f}/s ({load()})", flush=True)
    engine.dispose()
    t = time.perf_counter()
    if writers == 1:
        direct_events(url, 0, 1, n_events, size, passports)
    else:
        with mp.get_context("fork").Pool(writers) as pool:
            args = [(url, w, writers, n_events, size, passports) for w in range(writers)]
            pool.starmap(direct_events, args)
    rate = n_events / (time.perf_counter() - t)
    print(
        f"direct: {n_events:,} events at {rate:,.0f}/s, {size:,} per transaction, "
        f"{writers} writer process(es) ({load()})",
        flush=True,
    )
    return key


def direct_events(url: str, w: int, writers: int, n: int, size: int, passports: int) -> None:
    """Writer ``w`` of ``writers``: every ``writers``-th batch of ``n`` events, one transaction
    each (progress from writer 0)."""
    engine = make_engine(url)
    sessions = session_factory(engine)
    who, t0, report = Principal("acme", "operator"), time.perf_counter(), max(n // 10, size)
    for k, (start, stop) in enumerate(chunks(n, size)):
        if k % writers != w:
            continue
        items = batch.parse_events(events("d", start, stop, passports))
        with sessions.begin() as s:
            batch.add_events(s, who, items)
        if w == 0 and stop % report < size * writers:
            rate = stop / (time.perf_counter() - t0)
            print(f"  {stop:,} events, {rate:,.0f}/s so far ({load()})", flush=True)
    engine.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(url: str, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    cmd = [sys.executable, "-m", "uvicorn", "urbanmine.registry.app:create_app", "--factory"]
    cmd += ["--port", str(port), "--workers", str(workers), "--log-level", "warning"]
    proc = subprocess.Popen(cmd, env={**os.environ, "URBANMINE_DATABASE_URL": url})
    base = f"http://127.0.0.1:{port}/api/v1"
    for _ in range(600):
        try:
            httpx.get(f"{base}/openapi.json")
            return proc, base
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


def client(base: str, key: str) -> httpx.Client:
    headers = {"Authorization": f"Bearer {key}", "content-type": "application/json"}
    return httpx.Client(base_url=base, headers=headers, timeout=600)


def post(c: httpx.Client, path: str, body: bytes) -> int:
    """POST one batch; the number of entries the server acknowledged as stored."""
    r = c.post(path, content=body)
    if r.status_code not in (200, 201):
        raise RuntimeError(f"{r.status_code}: {r.text[:300]}")
    return int(r.json()["created"])


def post_all(base: str, key: str, path: str, bodies: Iterator[bytes]) -> int:
    """POST each body on one connection; the number of entries stored."""
    with client(base, key) as c:
        return sum(post(c, path, body) for body in bodies)


def http_events(
    base: str, key: str, tag: str, client: int, clients: int, n: int, size: int, passports: int
) -> int:
    """Client ``client`` of ``clients``: every ``clients``-th batch of ``n`` events."""
    bodies = (
        json.dumps({"events": events(tag, start, stop, passports)}).encode()
        for k, (start, stop) in enumerate(chunks(n, size))
        if k % clients == client
    )
    return post_all(base, key, "/events/batch", bodies)


def paced_events(
    base: str, key: str, size: int, rate: float, passports: int, stop: Any, done: Any
) -> None:
    """Post batches of ``size`` events at ``rate`` events/s (0: flat out) until ``stop`` is set."""
    k, start, tag = 0, time.perf_counter(), f"w{rate:g}-"
    with client(base, key) as c:
        while not stop.is_set():
            batch = events(tag, k * size, (k + 1) * size, passports)
            post(c, "/events/batch", json.dumps({"events": batch}).encode())
            k += 1
            done.value = k * size
            delay = start + k * size / rate - time.perf_counter() if rate else 0
            if delay > 0:
                time.sleep(delay)


def http(url: str, key: str, a: argparse.Namespace) -> None:
    """Ingest through the batch endpoints, then the read tests, on one server."""
    proc, base = serve(url, a.workers)
    try:
        first = a.passports
        bodies = (
            json.dumps({"passports": [passport(n) for n in range(first + s, first + e)]}).encode()
            for s, e in chunks(a.http_passports, a.batch)
        )
        t = time.perf_counter()
        stored = post_all(base, key, "/passports/batch", bodies)
        rate = stored / (time.perf_counter() - t)
        print(f"http: {stored:,} passports at {rate:,.0f}/s ({load()})", flush=True)
        total = a.passports + a.http_passports
        ctx = mp.get_context("fork")
        t = time.perf_counter()
        with ctx.Pool(a.clients) as pool:
            args = [
                (base, key, "h", c, a.clients, a.http_events, a.batch, total)
                for c in range(a.clients)
            ]
            stored = sum(pool.starmap(http_events, args))
        rate = stored / (time.perf_counter() - t)
        print(
            f"http: {stored:,} events at {rate:,.0f}/s, {a.clients} clients x {a.batch:,} "
            f"per request, {a.workers} server worker(s) ({load()})",
            flush=True,
        )
        if a.seconds > 0:
            read_tests(url, base, key, total, a)
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def read_tests(url: str, base: str, key: str, passports: int, a: argparse.Namespace) -> None:
    """One paced read test per write rate; reads from ``base`` or from a second server."""
    own = a.read_server
    reader, read_base = serve(url, 1) if own else (None, base)
    where = "a second server process" if own else "the ingest server"
    try:
        for rate in a.write_rates:
            written, achieved, ms = reads_while_writing(base, read_base, key, passports, rate, a)
            print(
                f"http: public passport reads paced at {a.rate:g}/s ({achieved:,.0f}/s achieved) "
                f"from {where}, "
                f"while {written:,.0f} events/s were written in batches of {a.write_batch:,}: "
                f"p50 {np.percentile(ms, 50):.2f} ms, p99 {np.percentile(ms, 99):.2f} ms, "
                f"max {ms.max():.1f} ms ({load()})",
                flush=True,
            )
    finally:
        if reader is not None:
            reader.terminate()
            reader.wait(timeout=60)


def reads_only(url: str, a: argparse.Namespace) -> None:
    """The read tests on a database an earlier run of this script filled (passports b0, b1...)."""
    engine = make_engine(url)
    with session_factory(engine).begin() as s:
        key = issue_key(s, "acme", "operator")
        passports = s.execute(select(func.count()).select_from(Passport)).scalar_one()
    engine.dispose()
    print(f"reads only: {passports:,} passports ({load()})", flush=True)
    proc, base = serve(url, a.workers)
    try:
        read_tests(url, base, key, passports, a)
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def reads_while_writing(
    base: str, read_base: str, key: str, passports: int, rate: float, a: argparse.Namespace
) -> tuple[float, float, Any]:
    """Paced reads while a client process writes ``rate`` events/s (0: max, -1: none): events/s
    written, reads/s achieved (below --rate when reads are slower than 1/rate), ms of each read."""
    ctx = mp.get_context("fork")
    stop, done = ctx.Event(), ctx.Value("q", 0)
    writer = None
    if rate >= 0:
        write = (base, key, a.write_batch, rate, passports, stop, done)
        writer = ctx.Process(target=paced_events, args=write)
        writer.start()
        time.sleep(1.0)
    before, t = done.value, time.perf_counter()
    latencies = read_paced(read_base, passports, a.rate, a.seconds)
    spent = time.perf_counter() - t
    written = (done.value - before) / spent
    stop.set()
    if writer is not None:
        writer.join()
    return written, len(latencies) / spent, np.array(latencies) * 1000


def read_paced(base: str, passports: int, rate: float, seconds: float) -> list[float]:
    """Latency of each GET, one started every 1/rate s (a late start does not shift the rest)."""
    latencies: list[float] = []
    rng = random.Random(1)
    with httpx.Client(base_url=base) as c:
        start = time.perf_counter()
        for i in range(int(rate * seconds)):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            t = time.perf_counter()
            r = c.get(f"/passports/{passport_id(rng.randrange(passports))}")
            latencies.append(time.perf_counter() - t)
            assert r.status_code == 200, r.text
    return latencies


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--db", default=None, help="database URL (default: a new SQLite file)")
    ap.add_argument("--passports", type=int, default=10_000, help="direct path")
    ap.add_argument("--events", type=int, default=100_000, help="direct path, in total")
    ap.add_argument("--http-passports", type=int, default=10_000)
    ap.add_argument("--http-events", type=int, default=100_000)
    ap.add_argument("--batch", type=int, default=2_000, help="entries per transaction / request")
    ap.add_argument("--writers", type=int, default=1, help="direct path: writer processes")
    ap.add_argument("--clients", type=int, default=2, help="HTTP client processes")
    ap.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    ap.add_argument("--rate", type=float, default=200.0, help="reads per second")
    ap.add_argument(
        "--seconds", type=float, default=10.0, help="duration of each read test (0: none)"
    )
    ap.add_argument(
        "--write-rates",
        type=lambda v: [float(x) for x in v.split(",")],
        default=[-1, 1_000, 5_000, 0],
        help="one read test per events/s written meanwhile (-1: no writer, 0: flat out)",
    )
    ap.add_argument("--write-batch", type=int, default=500, help="events per request during reads")
    ap.add_argument(
        "--read-server",
        action="store_true",
        help="serve the reads from a second server process on the same database",
    )
    ap.add_argument("--skip-verify", action="store_true")
    ap.add_argument(
        "--reads-only",
        metavar="URL",
        help="only the read tests, on a database an earlier run filled (kept as it is)",
    )
    a = ap.parse_args()
    if a.reads_only:
        reads_only(a.reads_only, a)
        return
    url = fresh(a.db)
    print(f"database: {make_engine(url).url.render_as_string(hide_password=True)} ({load()})")
    key = direct(url, a.passports, a.events, a.batch, a.writers)
    http(url, key, a)
    if a.skip_verify:
        return
    engine = make_engine(url)
    t = time.perf_counter()
    with session_factory(engine).begin() as s:
        breaks = verify(s)
        n_events = s.execute(select(func.count()).select_from(Event)).scalar_one()
    spent = time.perf_counter() - t
    print(f"verify: {n_events:,} events in {spent:.1f} s, {len(breaks)} breaks ({load()})")


if __name__ == "__main__":
    main()
