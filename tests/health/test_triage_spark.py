"""The triage expression gives the same per-pack decisions and features on PySpark local[2] as on
DuckDB (opt-in tier: ``uv sync --frozen --group spark``, Java 17, ``pytest -m spark``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from health.test_triage_cli import _fleet
from urbanmine.health.triage import PACK_COLUMNS, triage
from urbanmine.health.triage_rules import load_rules

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    from urbanmine.health import engine

    backend = engine.connect("spark")
    try:
        yield backend
    finally:
        engine.close(backend)


def test_spark_equals_duckdb(spark: Any, tmp_path: Any) -> None:
    from urbanmine.health.engine import opened

    path = tmp_path / "telemetry.parquet"
    _fleet().to_parquet(path)
    rules = load_rules()
    with opened("duckdb") as duck:
        want = triage(duck.read_parquet(str(path)), rules)
    have = triage(spark.read_parquet(str(path)), rules)
    assert have.counts.equals(want.counts)
    expected, got = want.packs.to_pandas(), have.packs.to_pandas()
    assert list(got.columns) == list(PACK_COLUMNS)
    for col in PACK_COLUMNS:
        a, b = expected[col].to_numpy(), got[col].to_numpy()
        if a.dtype.kind == "f":
            assert np.allclose(a, b, rtol=1e-12, atol=1e-12, equal_nan=True), col
        else:
            assert (a == b).all(), col
