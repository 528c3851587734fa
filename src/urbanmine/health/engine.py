"""The analytics engine: an Ibis backend on DuckDB (default, in-process) or PySpark (a local
Spark session; the same Ibis expressions run on both, battery-health.md §3).

``opened(kind)`` is the context manager to use: it yields the backend and stops the Spark
session afterwards. ``connect(kind)`` gives the bare backend (a Spark one keeps its session until
``close(backend)``). Spark needs the opt-in dependency group (``uv sync --frozen --group spark``)
and a Java 17 runtime; without them, or for an unknown engine, :class:`InputError`.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from urbanmine.errors import InputError

ENGINES = ("duckdb", "spark")
SPARK_CONF = {
    "spark.ui.enabled": "false",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.driver.host": "127.0.0.1",
    "spark.sql.shuffle.partitions": "4",
    "spark.sql.session.timeZone": "UTC",
}
"""Local-mode settings (battery-health.md §3.1): no web UI, loopback only, 4 shuffle partitions
instead of 200 on a 2-core machine; timestamps read and shown in UTC, as the telemetry is."""
SPARK_MASTER = "local[2]"
INSTALL_SPARK = (
    "install it with `uv sync --frozen --group spark` and a Java 17 runtime "
    "(e.g. apt-get install openjdk-17-jre-headless)"
)


def check_kind(kind: str) -> None:
    """``kind`` is a known engine, else :class:`InputError`."""
    if kind not in ENGINES:
        raise InputError(f"--engine {kind!r}: unknown engine; use one of {', '.join(ENGINES)}")


DUCKDB_MEMORY_LIMIT = "4GB"
"""DuckDB's memory limit (its default is 80 % of RAM): past it the aggregates spill to disk.
Measured on 10^8 telemetry rows (bench/health.py, docs/performance.md): peak 11.7 GB and 33 s
with the default, 4.2 GB and 25 s with this limit, so the limit costs no time on this triage."""


def connect(kind: str = "duckdb") -> Any:
    """An Ibis backend on ``kind`` (``duckdb`` or ``spark``)."""
    check_kind(kind)
    if kind == "duckdb":
        import ibis

        return ibis.duckdb.connect(memory_limit=DUCKDB_MEMORY_LIMIT)
    return _spark()


def _spark() -> Any:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        raise InputError(f"--engine spark: pyspark is not installed; {INSTALL_SPARK}") from None
    if shutil.which("java") is None:
        raise InputError(f"--engine spark: no Java runtime (java) on PATH; {INSTALL_SPARK}")
    import ibis
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.master(SPARK_MASTER).appName("urbanmine-health")
    for key, value in SPARK_CONF.items():
        builder = builder.config(key, value)
    return ibis.pyspark.connect(builder.getOrCreate())


def close(backend: Any) -> None:
    """Stop a Spark backend's session (nothing to do for DuckDB but disconnect)."""
    session = getattr(backend, "_session", None)
    if session is not None:
        session.stop()
    else:
        backend.disconnect()


@contextmanager
def opened(kind: str = "duckdb") -> Iterator[Any]:
    """``connect(kind)``, closed (the Spark session stopped) when the block ends."""
    backend = connect(kind)
    try:
        yield backend
    finally:
        close(backend)
