"""The scenario's closed loop: element balance per year (feed + reagents = all outputs), the
engine's linearity in its feed, and verdicts on the law's dates with the law's thresholds."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from urbanmine.scenario.loop import loop, per_tonne, verdicts

ROUTE = "pretreatment+hydro+precursor"
ARGS = ("everbatt2023", "greet2022", "EU27", "system_expansion")
FEED = {
    "NMC811-pack": np.array([100.0, 250.0, 0.0]),
    "LFP-pack": np.array([40.0, 90.0, 10.0]),
    "NMC622-scrap": np.array([12.0, 0.0, 3.0]),
}


@pytest.fixture(scope="module")
def result():  # type: ignore[no-untyped-def]
    return loop(FEED, [2030, 2031, 2032], ROUTE, *ARGS)


def test_every_element_balances_every_year(result) -> None:  # type: ignore[no-untyped-def]
    """Mass conservation: what enters (feed and reagents) leaves in some output, per element."""
    ins = result.elements_in_t + result.reagents_t
    outs = sum(result.out_t.values())
    np.testing.assert_allclose(outs, ins, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(result.feed_t, [152.0, 340.0, 13.0])


def test_the_loop_is_the_sum_of_its_tonnes(result) -> None:  # type: ignore[no-untyped-def]
    """Year 2032 has 10 t of LFP packs and 3 t of NMC622 scrap: its Ni in is theirs (the LFP
    pack's Ni is in its steel and electronics); doubling every tonne doubles every flow and
    every GHG figure."""
    scrap = per_tonne("NMC622-scrap", ROUTE, *ARGS)
    lfp = per_tonne("LFP-pack", ROUTE, *ARGS)
    ni = result.elements.index("Ni")
    expected = 3.0 * scrap.elements_in["Ni"] + 10.0 * lfp.elements_in.get("Ni", 0.0)
    assert result.elements_in_t[2, ni] == pytest.approx(expected, rel=1e-12)
    doubled = loop({k: 2 * v for k, v in FEED.items()}, [2030, 2031, 2032], ROUTE, *ARGS)
    np.testing.assert_allclose(doubled.elements_in_t, 2 * result.elements_in_t, rtol=1e-12)
    np.testing.assert_allclose(doubled.ghg_t, 2 * result.ghg_t, rtol=1e-12)
    for name, t in result.products_t.items():
        np.testing.assert_allclose(doubled.products_t[name], 2 * t, rtol=1e-12)


def test_system_expansion_nets_the_credit(result) -> None:  # type: ignore[no-untyped-def]
    np.testing.assert_allclose(result.ghg_t, result.burden_t - result.avoided_t, rtol=1e-9)
    assert np.all(result.avoided_t[:2] > 0)


def test_verdicts_use_the_laws_thresholds(result) -> None:  # type: ignore[no-untyped-def]
    """Regulation (EU) 2023/1542 Annex XII: by 31 Dec 2031, 95 % of Co, Ni and Cu and 80 % of Li
    recovered (Part C); lithium-based batteries 70 % recycling efficiency from 31 Dec 2030
    (Part B). On 2031-12-31 the 2031 mix is judged."""
    found = {v["rule"]: v for v in verdicts(result, [dt.date(2031, 12, 31)], ["eu-2023-1542"])}
    assert found["eu-2023-1542/material-recovery/Co"]["threshold"] == pytest.approx(0.95)
    assert found["eu-2023-1542/material-recovery/Li"]["threshold"] == pytest.approx(0.80)
    assert found["eu-2023-1542/recycling-efficiency/lithium"]["threshold"] == pytest.approx(0.70)
    assert {v["year"] for v in found.values()} == {2031}
    assert {v["verdict"] for v in found.values()} <= {"pass", "fail", "not_applicable"}
