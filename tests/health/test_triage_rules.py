"""Triage decisions at both sides of every threshold. The thresholds are the sourced ones of the
shipped rules (triage.toml): SOH 80 % (GB/T 34015.3-2021 introduction; UN GTR No. 22 SOCE >= 80 %
at 5 years), 60 % (convention), resistance growth 1.5x / 2.0x (conventions), safety bits 1, 2, 4, 8
of the telemetry schema (16 is not safety), at least 2 periods and at most 180 days stale."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from health.triage_helpers import by_pack, pack, run, telemetry
from urbanmine.errors import InputError
from urbanmine.health.triage_rules import RULES, load_rules

EPS = 1e-6


def test_shipped_rules_carry_their_sources() -> None:
    rules = load_rules()
    assert (rules.reuse.min_soh, rules.repurpose.min_soh) == (0.80, 0.60)
    assert "GB/T 34015.3" in rules.reuse.source and "GTR No. 22" in rules.reuse.source
    assert (
        rules.repurpose.source.startswith("Convention")
        and "Convention" in rules.minimum_data.source
    )
    assert rules.safety.flags_mask == 1 | 2 | 4 | 8


CASES = {
    # pack: (latest SOH, latest resistance over a 1 mOhm baseline, flags) -> decision, rule
    "reuse_at_80": ([0.9, 0.80], [1.0, 1.5], None, "reuse", "reuse"),
    "below_80": ([0.9, 0.80 - EPS], [1.0, 1.0], None, "repurpose", "repurpose"),
    "reuse_r_over": ([0.9, 0.85], [1.0, 1.5 + EPS], None, "repurpose", "repurpose"),
    "repurpose_at_60": ([0.9, 0.60], [1.0, 2.0], None, "repurpose", "repurpose"),
    "below_60": ([0.9, 0.60 - EPS], [1.0, 1.0], None, "recycle", "below_repurpose"),
    "r_over_2": ([0.9, 0.7], [1.0, 2.0 + EPS], None, "recycle", "below_repurpose"),
    "thermal": ([0.95, 0.95], None, [1, 0], "recycle", "safety_flag"),
    "isolation": ([0.95, 0.95], None, [0, 2], "recycle", "safety_flag"),
    "voltage": ([0.95, 0.95], None, [4, 0], "recycle", "safety_flag"),
    "swelling": ([0.95, 0.95], None, [8, 0], "recycle", "safety_flag"),
    "comm_loss": ([0.95, 0.95], None, [16, 16], "reuse", "reuse"),
    "one_period": ([0.95], None, None, "insufficient_data", "minimum_data"),
}


def test_decisions_at_both_sides_of_every_threshold() -> None:
    packs = [pack(k, soh, r, flags=f) for k, (soh, r, f, _, _) in CASES.items()]
    got = by_pack(run(telemetry(*packs)))
    for pid, (soh, r, _, decision, rule) in CASES.items():
        row = got[pid]
        assert (row["decision"], row["rule_id"]) == (decision, rule), pid
        assert RULES[rule][0] == decision
        assert row["soh_share"] == pytest.approx(soh[-1], abs=1e-12), pid
        assert row["resistance_ratio"] == pytest.approx((r or [1.0])[-1], abs=1e-12), pid
    assert got["thermal"]["safety_flags"] == 1 and got["swelling"]["safety_flags"] == 8
    assert got["comm_loss"]["safety_flags"] == 0


def test_stale_data_is_insufficient_at_180_days() -> None:
    # newest reading of the file: day 400 (pack "now"); 180 days older is still fresh, more is not
    now = pack("now", [0.9, 0.9], start_days=370)
    fresh = pack("fresh", [0.9, 0.9], start_days=400 - 180 - 30)
    stale = pack("stale", [0.9, 0.9], start_days=400 - 180 - 30 - 1)
    got = by_pack(run(telemetry(now, fresh, stale)))
    assert got["fresh"]["stale_days"] == pytest.approx(180.0)
    assert (got["fresh"]["decision"], got["stale"]["decision"]) == ("reuse", "insufficient_data")
    assert got["stale"]["rule_id"] == "minimum_data"


def test_safety_comes_before_missing_data() -> None:
    got = by_pack(run(telemetry(pack("x", [0.95], flags=[8]))))
    assert got["x"]["rule_id"] == "safety_flag"


def test_features_trend_cycles_temperatures() -> None:
    # SOH falls 0.01 every 30 days: slope -0.01 / (30 / 365.25) per year
    got = by_pack(run(telemetry(pack("p", [0.95, 0.94, 0.93, 0.92]))))["p"]
    assert got["soh_trend_per_yr"] == pytest.approx(-0.01 * 365.25 / 30)
    assert (got["cycle_count"], got["rows"], got["span_days"]) == (75, 4, 90.0)
    assert (got["temp_min_C"], got["temp_max_C"]) == (-8.0, 38.0)


def test_bad_rules_file_names_the_field(tmp_path: Path) -> None:
    text = tmp_path / "r.toml"
    raw = resources.files("urbanmine.data").joinpath("health", "triage.toml").read_text("utf-8")
    text.write_text(raw.replace("min_soh = 0.60", "min_soh = 1.6"), encoding="utf-8")
    with pytest.raises(InputError, match=r"repurpose.min_soh.*1\.6"):
        load_rules(text)
    text.write_text(raw.replace("min_rows = 2", "min_rows = 2\nmax_rows = 3"), encoding="utf-8")
    with pytest.raises(InputError, match=r"minimum_data\.max_rows"):
        load_rules(text)
    text.write_text(raw.replace("min_soh = 0.80", "min_soh = 0.5"), encoding="utf-8")
    with pytest.raises(InputError, match=r"reuse\.min_soh 0\.5 is below"):
        load_rules(text)


GRADE = {"recycle": 0, "repurpose": 1, "reuse": 2}


@settings(max_examples=15, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(0.3, 1.0),  # latest SOH
            st.floats(0.0, 0.3),  # a better pack's SOH lead
            st.floats(0.8, 3.0),  # latest resistance over the baseline
            st.floats(0.0, 1.0),  # a better pack's lower resistance ratio
        ),
        min_size=1,
        max_size=12,
    )
)
def test_a_healthier_pack_never_gets_a_worse_decision(
    cases: list[tuple[float, float, float, float]],
) -> None:
    """Monotone rules: higher SOH and lower resistance growth never move a pack from reuse to
    repurpose or from repurpose to recycle (no safety flag, enough data)."""
    packs = []
    for k, (soh, lead, r, drop) in enumerate(cases):
        packs.append(pack(f"p{k}", [0.95, soh], [1.0, r]))
        packs.append(pack(f"q{k}", [0.95, min(1.0, soh + lead)], [1.0, max(0.8, r - drop)]))
    got = by_pack(run(telemetry(*packs)))
    for k in range(len(cases)):
        worse, better = got[f"p{k}"]["decision"], got[f"q{k}"]["decision"]
        assert GRADE[better] >= GRADE[worse], (cases[k], worse, better)
