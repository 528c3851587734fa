"""Fleet supply: element demand, secondary supply after a route's recovery, recycled content and
the Art. 8 verdicts of Regulation (EU) 2023/1542 through the compliance rule set.

Expected values are derived here from the flowsheet's pack feeds (the BOM), cathode stoichiometry
with IUPAC atomic weights (conftest) and the engine's own run of the route; thresholds are read
from the shipped rule set (Art. 8(2)(a): 16 % cobalt from 18 August 2031; Art. 8(3)(a): 26 % from
18 August 2036).
"""

import datetime as dt
import json

import numpy as np
import pytest
from conftest import IUPAC

from urbanmine.compliance.rules import load_ruleset
from urbanmine.errors import InputError
from urbanmine.fleet.supply import secondary_supply
from urbanmine.materials.feeds import get_feed
from urbanmine.routes.run import run

NMC811 = {"Li": 1, "Ni": 0.8, "Mn": 0.1, "Co": 0.1, "O": 2}
LFP = {"Li": 1, "Fe": 1, "P": 1, "O": 4}
EU = "eu-2023-1542"


def per_gwh_pack(chemistry: str, element: str) -> float:
    """t of ``element`` per GWh of packs, from the flowsheet's pack feed."""
    feed = get_feed(f"{chemistry}-pack")
    return feed.elements_kg().get(element, 0.0) / feed.capacity_kWh * 1e3


def per_gwh_cathode(chemistry: str, atoms: dict[str, float], element: str) -> float:
    """t of ``element`` in the cathode active material per GWh of packs (stoichiometry)."""
    feed = get_feed(f"{chemistry}-pack")
    mw = sum(n * IUPAC[el] for el, n in atoms.items())
    return (
        feed.species_kg[chemistry] * atoms[element] * IUPAC[element] / mw / feed.capacity_kWh * 1e3
    )


def recovery(chemistry: str, element: str) -> float:
    """The engine's recovery of ``element`` from a pack of ``chemistry`` through hydro."""
    return float(run(get_feed(f"{chemistry}-pack"), "hydro").per_sample[f"recovery.{element}"][0])


def co_rule():
    return load_ruleset(EU).rule(f"{EU}/recycled-content/Co")


def test_recycled_content_by_hand():
    chems = ("NMC811", "LFP")
    demand = np.array([[[10.0, 5.0], [20.0, 0.0]]])  # 1 sample x 2 years x 2 chemistries
    eol = np.array([[[2.0, 3.0], [4.0, 1.0]]])
    r = secondary_supply(demand, eol, [2030, 2031], chems)
    li = r.elements.index("Li")
    # Li: Art. 8(2)(c) counts lithium in the active materials (cathode), supply from whole packs
    li_supply = [
        e811 * per_gwh_pack("NMC811", "Li") * recovery("NMC811", "Li")
        + elfp * per_gwh_pack("LFP", "Li") * recovery("LFP", "Li")
        for e811, elfp in eol[0]
    ]
    li_demand = [
        d811 * per_gwh_cathode("NMC811", NMC811, "Li") + dlfp * per_gwh_cathode("LFP", LFP, "Li")
        for d811, dlfp in demand[0]
    ]
    assert r.supply_t[0, :, li] == pytest.approx(li_supply, rel=1e-12)
    assert r.counted_demand_t[0, :, li] == pytest.approx(li_demand, rel=1e-4)
    assert r.recycled_content[0, :, li] == pytest.approx(
        np.minimum(np.divide(li_supply, li_demand), 1.0), rel=1e-4
    )
    # Cu has no Art. 8 rule: counted against all the copper in the new packs
    cu = r.elements.index("Cu")
    cu_supply = 2 * per_gwh_pack("NMC811", "Cu") * recovery("NMC811", "Cu") + 3 * per_gwh_pack(
        "LFP", "Cu"
    ) * recovery("LFP", "Cu")
    cu_demand = 10 * per_gwh_pack("NMC811", "Cu") + 5 * per_gwh_pack("LFP", "Cu")
    assert r.basis["Cu"] == "pack" and r.basis["Li"] == "active"
    assert r.recycled_content[0, 0, cu] == pytest.approx(cu_supply / cu_demand, rel=1e-12)


def test_graphite_recovery_is_the_graphite_species_leaving_as_recycled():
    feed = get_feed("LFP-pack")
    result = run(feed, "hydro").per_sample
    recycled = float(result["fate.recycled.graphite"][0]) + float(
        result.get("fate.product.graphite", [0.0])[0]
    )
    r = secondary_supply([[[1.0]]], [[[1.0]]], [2040], ["LFP"], elements=["graphite"])
    assert r.recovery[0, 0, 0] == pytest.approx(recycled / feed.species_kg["graphite"], rel=1e-12)
    assert 0 < r.recovery[0, 0, 0] < 1


def test_content_is_capped_at_one_and_undefined_without_demand():
    r = secondary_supply([[[1.0], [0.0]]], [[[100.0], [5.0]]], [2040, 2041], ["NMC811"])
    co = r.elements.index("Co")
    assert r.recycled_content[0, 0, co] == 1.0
    assert r.supply_t[0, 0, co] > r.counted_demand_t[0, 0, co]  # surplus kept in supply_t
    assert np.isnan(r.recycled_content[0, 1]).all()
    assert json.dumps(r.to_dict(), allow_nan=False)  # NaN -> null


def _at_threshold(scale: float, ruleset=EU):
    """A one-chemistry NMC811 fleet whose cobalt content in 2031 and 2036 is ``scale`` x the
    2031 minimum of the rule set."""
    threshold = co_rule().stage_on(dt.date(2031, 8, 18), "ev").threshold
    demand = 100.0
    # the counted demand as the library computes it (molmass weights; the stoichiometric value
    # is checked in test_recycled_content_by_hand), so the share lands on the threshold exactly
    r0 = secondary_supply([[[demand]]], [[[0.0]]], [2031], ["NMC811"])
    co_counted = r0.counted_demand_t[0, 0, r0.elements.index("Co")]
    assert co_counted == pytest.approx(demand * per_gwh_cathode("NMC811", NMC811, "Co"), rel=1e-4)
    co_supply_per_gwh = per_gwh_pack("NMC811", "Co") * recovery("NMC811", "Co")
    eol = scale * threshold * co_counted / co_supply_per_gwh
    arrays = (np.full((1, 2, 1), demand), np.full((1, 2, 1), eol))
    return threshold, secondary_supply(*arrays, [2031, 2036], ["NMC811"], ruleset=ruleset)


def _co_verdicts(r):
    return {
        year: next(v for v in found.verdicts if v.rule.endswith("/Co"))
        for year, found in r.verdicts()
    }


def test_verdict_flips_exactly_at_the_threshold_read_from_the_rule_set():
    ruleset = load_ruleset(EU)
    adopted = {
        k: a.model_copy(update={"in_force": dt.date(2030, 1, 1)}) for k, a in ruleset.acts.items()
    }
    in_force = ruleset.model_copy(update={"acts": adopted})
    threshold, at = _at_threshold(1.0, in_force)
    co = at.elements.index("Co")
    assert at.recycled_content[0, 0, co] == pytest.approx(threshold, rel=1e-12)
    v = _co_verdicts(at)
    assert v[2031].verdict == "pass" and v[2031].threshold == threshold
    # 2036: the Art. 8(3)(a) minimum is higher, read from the same rule
    assert v[2036].threshold == co_rule().stage_on(dt.date(2036, 8, 18), "ev").threshold
    assert v[2036].threshold > threshold and v[2036].verdict == "fail"
    _, below = _at_threshold(1 - 1e-6, in_force)
    assert _co_verdicts(below)[2031].verdict == "fail"


def test_shipped_rule_set_keeps_the_verdict_pending_and_says_which_way():
    _, at = _at_threshold(1.0)
    _, below = _at_threshold(1 - 1e-6)
    assert _co_verdicts(at)[2031].verdict == "pending"
    assert "the value would pass" in _co_verdicts(at)[2031].note
    assert "the value would fail" in _co_verdicts(below)[2031].note


def test_metals_absent_from_the_fleet_are_not_applicable():
    r = secondary_supply([[[5.0]]], [[[1.0]]], [2031], ["LFP"])
    (year, found), *_ = r.verdicts(on=[dt.date(2031, 8, 18)])
    kinds = {v.rule.rsplit("/", 1)[1]: v.verdict for v in found.verdicts}
    assert year == 2031
    assert kinds["Co"] == kinds["Ni"] == kinds["Pb"] == "not_applicable"
    assert kinds["Li"] == "pending"
    assert found.unchecked == []


def test_samples_axis_shapes_and_quantiles():
    rng = np.random.default_rng(3)
    years = np.arange(2030, 2041)
    demand = rng.uniform(10, 20, (50, years.size, 3))
    eol = rng.uniform(0, 5, (1, years.size, 3))  # one sample, broadcast
    chems = ("NMC622", "NCA", "LFP")
    r = secondary_supply(demand, eol, years, chems, route_samples=50, seed=4)
    assert r.recycled_content.shape == (50, years.size, 7)
    assert r.recovery.shape == (50, 3, 7) and r.recovery[:, 0, 0].std() > 0  # drawn per sample
    q = r.quantiles("recycled_content")
    assert q.shape == (3, years.size, 7)
    assert np.allclose(q[1], np.median(r.recycled_content, axis=0))
    assert np.all(q[0] <= q[1]) and np.all(q[1] <= q[2])
    out = r.to_dict()
    assert set(out["recycled_content"]) == set(r.elements)
    assert set(out["quantiles"]["recycled_content"]["Li"]["2035"]) == {"p05", "p50", "p95"}


@pytest.mark.parametrize(
    ("demand", "eol", "kwargs", "message"),
    [
        ([[[-1.0]]], [[[1.0]]], {}, "demand_GWh: value at index (0, 0, 0) is -1 GWh"),
        ([[[1.0]]], [[[np.nan]]], {}, "eol_GWh: value at index (0, 0, 0) is nan"),
        ([[1.0]], [[1.0]], {}, "expected shape (samples, years, chemistries)"),
        ([[[1.0], [2.0]]], [[[1.0]]], {"years": [2030, 2031]}, "need the same years"),
        ([[[1.0]]] * 2, [[[1.0]]] * 3, {}, "the same number of samples"),
        ([[[1.0]]], [[[1.0]]], {"years": [2030, 2031]}, "years: 2 given"),
        ([[[1.0]]], [[[1.0]]], {"chemistries": ["NMC721"]}, "chemistries: unknown 'NMC721'"),
        ([[[1.0]]], [[[1.0]]], {"elements": ["Unobtainium"]}, "elements: unknown"),
        ([[[1.0]]] * 2, [[[1.0]]], {"route_samples": 3}, "route_samples: 3"),
        ([[[1.0]]], [[[1.0]]], {"route": "nosuchroute"}, "nosuchroute"),
    ],
)
def test_bad_input_is_one_clear_input_error(demand, eol, kwargs, message):
    args = {"years": [2030], "chemistries": ["LFP"], **kwargs}
    with pytest.raises(InputError) as info:
        secondary_supply(demand, eol, args.pop("years"), args.pop("chemistries"), **args)
    assert message in str(info.value)
