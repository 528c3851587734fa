"""``urbanmine health triage``: outputs, the fleet model's second-life share, bad input (exit 2),
posting to a registry app started in-process, and DuckDB against a pandas/numpy computation."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from health.triage_helpers import pack, run, telemetry
from urbanmine.cli import app
from urbanmine.fleet.scenario import fleet_section, load

runner = CliRunner()


def _fleet() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    packs = []
    for i in range(40):
        soh = 1.0 - np.cumsum(rng.uniform(0.0, 0.08, 4))
        r = 1.0 + np.cumsum(rng.uniform(0.0, 0.4, 4))
        flags = [int(rng.choice([0, 0, 0, 0, 16, 8])), 0, 0, 0]
        chem = ("LFP", "NMC811")[i % 2]
        n = 1 if i % 10 == 9 else 4  # every tenth pack: one period only
        packs.append(pack(f"p{i:02d}", soh[:n].tolist(), r[:n].tolist(), chem, flags[:n]))
    return telemetry(*packs)


@pytest.fixture
def parquet(tmp_path: Path) -> Path:
    path = tmp_path / "telemetry.parquet"
    _fleet().to_parquet(path)
    return path


def _expected(df: pd.DataFrame) -> pd.Series:
    """The shipped rules computed with pandas/numpy, independently of the Ibis expression."""
    df = df.sort_values(["pack_id", "time"])
    g = df.groupby("pack_id")
    last, first = g.tail(1).set_index("pack_id"), g.head(1).set_index("pack_id")
    soh = last.capacity_Ah / last.nominal_capacity_Ah
    ratio = last.resistance_mohm / first.resistance_mohm
    safety = g.fault_flags.agg(lambda f: np.bitwise_or.reduce(f.to_numpy()) & 15)
    stale = (df.time.max() - last.time).dt.total_seconds() / 86400
    decision = np.select(
        [
            safety != 0,
            (g.size() < 2) | (stale > 180),
            (soh >= 0.8) & (ratio <= 1.5),
            (soh >= 0.6) & (ratio <= 2.0),
        ],
        ["recycle", "insufficient_data", "reuse", "repurpose"],
        "recycle",
    )
    return pd.Series(decision, index=soh.index)


def test_duckdb_equals_pandas_numpy() -> None:
    df = _fleet()
    got = run(df).packs.to_pandas().set_index("pack_id")
    expected = _expected(df)
    assert (got.decision == expected.loc[got.index]).all()
    assert len(set(expected)) == 4  # every decision occurs: the comparison covers each rule


def test_outputs_json_and_second_life_share(parquet: Path, tmp_path: Path) -> None:
    out, share = tmp_path / "out", tmp_path / "share.toml"
    r = runner.invoke(
        app,
        [
            "health",
            "triage",
            str(parquet),
            "--out",
            str(out),
            "--second-life-share",
            str(share),
            "--json",
        ],
    )
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert sum(data["counts"].values()) == data["packs"] == 40
    assert sum(sum(c["counts"].values()) for c in data["by_chemistry"].values()) == 40
    packs = pd.read_parquet(out / "triage_packs.parquet")
    assert len(packs) == 40 and {"soh_share", "resistance_ratio", "rule_id"} <= set(packs)
    assert json.loads((out / "summary.json").read_text()) == data
    fleet = pd.read_csv(out / "triage_fleet.csv")
    assert fleet[fleet.chemistry == "all"].packs.sum() == 40
    section = fleet_section(tomllib.loads(share.read_text())["fleet"])
    decided = data["packs"] - data["counts"]["insufficient_data"]
    assert section.second_life.share == pytest.approx(data["counts"]["repurpose"] / decided)
    inputs = load(section)
    assert np.allclose(inputs.second_life, section.second_life.share)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--engine", "polars"], "--engine 'polars': unknown engine"),
        (["--rules", "RULES"], "rules.toml: meta: Field required"),
        (["--post-to", "http://127.0.0.1:9"], "--post-to needs an operator key"),
    ],
)
def test_bad_options_exit_2(parquet: Path, tmp_path: Path, args: list[str], message: str) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text("[repurpose]\nmin_soh = 'high'\n")
    args = [str(rules) if a == "RULES" else a for a in args]
    r = runner.invoke(app, ["health", "triage", str(parquet), *args], env={"URBANMINE_API_KEY": ""})
    assert r.exit_code == 2 and message in r.stderr, r.stderr


def test_missing_column_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    _fleet().drop(columns=["resistance_mohm"]).to_parquet(path)
    r = runner.invoke(app, ["health", "triage", str(path)])
    assert r.exit_code == 2 and "column 'resistance_mohm' is missing" in r.stderr


def test_posting_stores_diagnosed_events(tmp_path: Path) -> None:
    from registry.registry_helpers import Registry, document

    from urbanmine.health.triage_post import post

    reg = Registry(f"sqlite:///{tmp_path / 'registry.db'}")
    try:
        key = reg.key("acme")
        df = telemetry(pack("urn:acme:a1", [0.9, 0.7]), pack("urn:acme:a2", [0.95, 0.9]))
        for pid in df.pack_id.unique():
            r = reg.client.post("/api/v1/passports", json={"document": document(pid)}, headers=key)
            assert r.status_code == 201, r.text
        result = run(df)
        bearer = key["Authorization"].removeprefix("Bearer ")
        done = post(result, "http://testserver", bearer, client=reg.client, batch_size=1)
        assert done == {"batches": 2, "created": 2, "replayed": 0}
        again = post(result, "http://testserver", bearer, client=reg.client)
        assert again == {"batches": 1, "created": 0, "replayed": 2}
        events = reg.client.get("/api/v1/passports/urn:acme:a1/events", headers=key).json()
        diagnosed = [e for e in events if e["type"] == "diagnosed"]
        assert len(diagnosed) == 1
        payload = diagnosed[0]["payload"]
        assert payload["triage"]["decision"] == "repurpose"
        assert payload["triage"]["rule"] == "repurpose"
        assert payload["triage"]["values"]["soh_share"] == pytest.approx(0.7)
        assert payload["stateOfCertifiedEnergy"] == pytest.approx(70.0)
        assert payload["remainingCapacity"] == pytest.approx(35.0)
        assert payload["batteryStatus"] == "Repurposed"
        other = telemetry(pack("urn:acme:unknown", [0.9, 0.9]))
        from urbanmine.health.triage_post import PostError

        with pytest.raises(PostError, match=r"404.*nothing stored") as info:
            post(run(other), "http://testserver", bearer, client=reg.client)
        assert info.value.exit_code == 2
    finally:
        reg.client.close()
        reg.engine.dispose()
