"""Engine behaviour that mutation testing found unchecked (docs/testing.md): per-sample results of
a run whose samples differ, outputs counted in two fates, water and utilities, the battery-origin
balance, recycle loops with several tear streams, and a loop with no exit. Every expected number
follows by hand from stoichiometry, mass conservation and IUPAC atomic weights
(tests/conftest.py), never from the engine's own output."""

from __future__ import annotations

import re

import numpy as np
import pytest
from conftest import IUPAC

from urbanmine.errors import InputError
from urbanmine.flowsheet.errors import BalanceError, RouteError, UnbalancedReactionError
from urbanmine.flowsheet.flowsheet import Flowsheet
from urbanmine.flowsheet.plan import Stream
from urbanmine.flowsheet.reaction import Reaction, atom_residual, parse_equation
from urbanmine.flowsheet.result import element_balance_error, measure, origin_balance_error
from urbanmine.flowsheet.units import Basis, Dose, Unit, Utility

W = IUPAC


def mw(**atoms: float) -> float:
    """Molar mass (g/mol) from IUPAC atomic weights."""
    return sum(n * W[el] for el, n in atoms.items())


LCO = mw(Li=1, Co=1, O=2)
H2SO4 = mw(H=2, S=1, O=4)
H2O2 = mw(H=2, O=2)
NAOH = mw(Na=1, O=1, H=1)
H2O = mw(H=2, O=1)
LI2SO4 = mw(Li=2, S=1, O=4)
NA2SO4 = mw(Na=2, S=1, O=4)
COOH2 = mw(Co=1, O=2, H=2)
LI2CO3 = mw(Li=2, C=1, O=3)


def evaluate(fs: Flowsheet, rows: list[dict[str, float]], params=None):  # type: ignore[no-untyped-def]
    """Compile for every species of ``rows`` and evaluate one row per dict (kg)."""
    species = sorted({n for r in rows for n in r})
    compiled = fs.compile(species, params)
    feed = np.zeros((len(rows), len(compiled.index)))
    for i, r in enumerate(rows):
        for name, kg in r.items():
            feed[i, compiled.index.position(name)] = kg
    return compiled, compiled.evaluate(feed, params)


def lco_to_two_fates() -> Flowsheet:
    """LiCoO2 leached (H2SO4 + H2O2, exact), Co precipitated with NaOH as Co(OH)2 and sold
    (``product``); the liquor evaporated: steam and O2 emitted, the salts (Li2SO4, Na2SO4 and any
    graphite) ``recycled``. The leach books 0.5 kWh per kg of its inlet, the precipitation 0.25 kWh
    per kg of its inlet."""
    leach = Reaction.build(
        "2 LCO + 3 H2SO4 + H2O2 -> Li2SO4 + 2 CoSO4 + 4 H2O + O2",
        "LCO",
        1.0,
        {"H2SO4": 0.0, "H2O2": 0.0},
    )
    precip = Reaction.build("CoSO4 + 2 NaOH -> Co(OH)2 + Na2SO4", "CoSO4", 1.0, {"NaOH": 0.0})
    power = (Utility("electricity_kWh", 0.5, Basis()), Utility("electricity_kWh", 0.25, Basis()))
    units = (
        Unit("leach", ("feed",), ("liquor",), reactions=(leach,), utilities=(power[0],)),
        Unit("precip", ("liquor",), ("slurry",), reactions=(precip,), utilities=(power[1],)),
        Unit("filter", ("slurry",), ("cake", "filtrate"), split={"cake": {"Co(OH)2": 1.0}}),
        Unit("evap", ("filtrate",), ("vapour", "salts"), split={"vapour": {"H2O": 1, "O2": 1}}),
    )
    sinks = {"cake": "product", "salts": "recycled", "vapour": "emission"}
    return Flowsheet("two-fates", units, sinks)


ROWS = [{"LCO": 1.0}, {"LCO": 2.0, "graphite": 0.5}, {"graphite": 0.5}]


def test_samples_that_differ_are_reported_sample_by_sample() -> None:
    """Three samples: 1 kg LiCoO2; 2 kg LiCoO2 + 0.5 kg graphite; 0.5 kg graphite. Per mol LCO
    the cake is 1 mol Co(OH)2, the salts 1/2 mol Li2SO4 + 1 mol Na2SO4, the steam 2 mol H2O; the
    battery's share of what is counted is its Li and Co (the oxide's O went to the water and the
    O2, the products' O and H are the reagents') plus graphite whole."""
    fs = lco_to_two_fates()
    _, ev = evaluate(fs, ROWS)
    m = measure(ev, fs.sinks)
    per, sums = m.per_sample, m.sums
    lco = np.array([1.0, 2.0, 0.0])
    graphite = np.array([0.0, 0.5, 0.5])
    mol = lco / LCO  # kmol LCO per sample
    np.testing.assert_allclose(per["fate.product.Co(OH)2"], mol * COOH2, rtol=1e-4)
    np.testing.assert_allclose(per["fate.recycled.Li2SO4"], mol * LI2SO4 / 2, rtol=1e-4)
    np.testing.assert_allclose(per["fate.recycled.Na2SO4"], mol * NA2SO4, rtol=1e-4)
    np.testing.assert_allclose(per["fate.recycled.graphite"], graphite, rtol=1e-12)
    assert "fate.product.Na2SO4" not in per  # no sodium sulfate leaves in the cake
    # counted whole mass: both counted fates added
    counted = mol * (COOH2 + LI2SO4 / 2 + NA2SO4) + graphite
    np.testing.assert_allclose(per["counted_output_mass_kg"], counted, rtol=1e-4)
    battery = mol * (W["Li"] + W["Co"]) + graphite
    np.testing.assert_allclose(per["recycled_output_kg"], battery, rtol=1e-4)
    np.testing.assert_allclose(per["recycling_efficiency"], battery / (lco + graphite), rtol=1e-4)
    # recovery: per element, nan where a sample has none of it in its input fraction
    np.testing.assert_allclose(per["recovery.Co"][:2], [1.0, 1.0], rtol=1e-12)
    assert np.isnan(per["recovery.Co"][2])
    np.testing.assert_allclose(per["recovery.O"][:2], [0.0, 0.0], atol=1e-12)
    assert "recovery.S" not in per and "recovery.Na" not in per  # reagent-only elements
    # inventory per sample: NaOH 2 mol per mol LCO; power on the leach inlet (the feed) and on
    # the precipitation inlet (feed + acid + peroxide)
    np.testing.assert_allclose(per["inventory.reagents_kg.NaOH"], mol * 2 * NAOH, rtol=1e-4)
    leach_in = lco + graphite
    precip_in = leach_in + mol * (1.5 * H2SO4 + 0.5 * H2O2)
    power = 0.5 * leach_in + 0.25 * precip_in
    np.testing.assert_allclose(per["inventory.electricity_kWh"], power, rtol=1e-4)
    # sums over the samples: 3 kg LCO in all
    total = 3.0 / LCO
    assert sums["outputs.vapour.water_kg"][0] == pytest.approx(total * 2 * H2O, rel=1e-4)
    assert sums["outputs.salts.water_kg"][0] == 0.0
    names = list(ev.index.names)
    salts = sums["outputs.salts.species_kg"]
    assert salts[names.index("Li2SO4")] == pytest.approx(total * LI2SO4 / 2, rel=1e-4)
    assert salts[names.index("graphite")] == pytest.approx(1.0, rel=1e-12)
    elements = list(ev.index.elements)
    counted = sums["outputs.cake.origin_elements_kg"] + sums["outputs.salts.origin_elements_kg"]
    assert counted[elements.index("Co")] == pytest.approx(total * W["Co"], rel=1e-4)
    assert counted[elements.index("Li")] == pytest.approx(total * W["Li"], rel=1e-4)
    assert counted[elements.index("O")] == pytest.approx(0.0, abs=1e-12)
    assert counted[elements.index("C")] == pytest.approx(1.0, rel=1e-12)


def test_a_sample_with_no_input_fraction_is_refused_even_beside_others() -> None:
    fs = lco_to_two_fates()
    _, ev = evaluate(fs, [{"LCO": 1.0}, {"LCO": 0.0}])
    with pytest.raises(InputError, match="positive input fraction"):
        measure(ev, fs.sinks)


def _pair(ev, stream: Stream, species: str, element: str) -> int:  # type: ignore[no-untyped-def]
    """Position in ``stream.origin`` of the (species, tracked element) pair."""
    el = ev.elements
    keys = el.pairs(stream.cols)
    width = el.tracked.size
    t = [ev.index.elements[j] for j in el.tracked].index(element)
    return int(np.flatnonzero(keys == ev.index.position(species) * width + t)[0])


def test_a_battery_origin_balance_that_does_not_close_is_refused() -> None:
    """Battery-origin oxygen made from nothing in the steam of the graphite-only sample (which
    brought no oxygen): its error is relative to 1e-12 of that sample's feed mass (0.5 kg), so
    1e-13 kg is an error of 0.2; the other samples still close."""
    fs = lco_to_two_fates()
    _, ev = evaluate(fs, ROWS)
    vapour = ev.parts["vapour"]
    origin = np.array(vapour.origin)
    origin[2, _pair(ev, vapour, "H2O", "O")] += 1e-13
    ev.parts["vapour"] = Stream(vapour.cols, vapour.data, origin)
    np.testing.assert_allclose(origin_balance_error(ev, fs.sinks), [0, 0, 0.2], atol=1e-12)
    with pytest.raises(BalanceError, match="battery-origin balance does not close"):
        measure(ev, fs.sinks)


def test_battery_oxygen_lost_in_one_sample_is_refused() -> None:
    """A tenth of the battery oxygen in the steam of sample 1 dropped: the feed's 2 x 2 O/LCO
    kg against 10 % of the steam's battery oxygen (the water's 4/6 share of it), per 2 kg LCO."""
    fs = lco_to_two_fates()
    _, ev = evaluate(fs, ROWS)
    vapour = ev.parts["vapour"]
    origin = np.array(vapour.origin)
    j = _pair(ev, vapour, "H2O", "O")
    origin[1, j] *= 0.9
    ev.parts["vapour"] = Stream(vapour.cols, vapour.data, origin)
    into = 2.0 * 2 * W["O"] / LCO
    lost = 0.1 * into * 4 / 6
    err = origin_balance_error(ev, fs.sinks)
    np.testing.assert_allclose(err, [0, lost / into, 0], atol=1e-12)


def test_no_tracked_element_gives_a_balance_per_sample() -> None:
    """No reagent: nothing to trace, and the balance is still one number per sample."""
    units = (Unit("sieve", ("feed",), ("fines", "coarse"), split={"fines": {"graphite": 1.0}}),)
    fs = Flowsheet("sieve", units, {"fines": "recycled", "coarse": "landfill"})
    _, ev = evaluate(fs, [{"graphite": 1.0, "Cu": 1.0}, {"graphite": 2.0}, {"Cu": 3.0}])
    m = measure(ev, fs.sinks)
    assert m.per_sample["balance"].shape == (3,)
    np.testing.assert_allclose(m.per_sample["recycling_efficiency"], [0.5, 1.0, 0.0], rtol=1e-12)


def sieve_loop(fines: dict[str, float | str], back: float | str) -> Flowsheet:
    """Mixer -> sieve (``fines`` shares sold) -> bleed sending ``back`` of the coarse round."""
    units = (
        Unit("mix", ("feed", "back"), ("m",)),
        Unit("sieve", ("m",), ("fines", "coarse"), split={"fines": fines}),
        Unit("bleed", ("coarse",), ("back", "reject"), split={"back": {"*": back}}),
    )
    return Flowsheet("sieve", units, {"fines": "recycled", "reject": "landfill"})


FEED3 = {"graphite": 1.0, "Al": 1.0, "Cu": 1.0}


@pytest.mark.parametrize(
    ("fines", "stuck"),
    [
        ({"graphite": 0.5}, "Al, Cu"),  # neither metal is ever sieved out
        ({"graphite": 0.5, "Al": 0.2}, "Cu"),  # aluminium leaves, copper does not
    ],
)
def test_a_loop_without_an_exit_names_what_cannot_leave(fines: dict, stuck: str) -> None:
    """Everything coarse goes back (share 1): a species the sieve never takes circulates for
    ever, and the error names exactly those species, not the ones that leave."""
    with pytest.raises(RouteError, match=rf"has no exit for {stuck}: everything"):
        evaluate(sieve_loop(fines, 1.0), [FEED3])


def test_a_loop_without_an_exit_in_one_sample_is_named() -> None:
    """Sample 0 sends back 99 % of the coarse and sieves out 80 % of the graphite, 30 % of the
    copper and 0.1 % of the aluminium (each leaves, aluminium slowest); sample 1 sends back
    everything and sieves no copper. Only sample 1 has no steady state, and the message names
    its copper, not sample 0's slowest species."""
    fines = {"graphite": 0.8, "Al": "a", "Cu": "c"}
    values = {"r": np.array([0.99, 1.0]), "a": np.array([0.001, 0.5]), "c": np.array([0.3, 0])}
    with pytest.raises(RouteError, match=r"has no exit for Cu: everything"):
        evaluate(sieve_loop(fines, "r"), [FEED3, FEED3], values)


def three_tears() -> Flowsheet:
    """A splitter sends 30 % of everything, 20 % of the LiCoO2 and 10 % of the Li2CO3 round
    through three separate returns (three tear streams holding 2, 1 and 1 species); a wash
    downstream doses water, so oxygen (in the feed and the water) is traced."""
    units = (
        Unit("mix", ("feed", "b1", "b2", "b3"), ("m",)),
        Unit(
            "split",
            ("m",),
            ("x1", "x2", "x3", "out"),
            split={"x1": {"*": 0.3}, "x2": {"LCO": 0.2}, "x3": {"Li2CO3": 0.1}},
        ),
        Unit("p1", ("x1",), ("b1",)),
        Unit("p2", ("x2",), ("b2",)),
        Unit("p3", ("x3",), ("b3",)),
        Unit("wash", ("out",), ("washed",), doses=(Dose("H2O", 0.1),)),
    )
    return Flowsheet("three", units, {"washed": "product"})


def test_three_tear_streams_each_get_their_own_steady_state() -> None:
    """Per kg of each feed species: LiCoO2 goes round with share 0.3 + 0.2 = 0.5, so 2 kg pass
    the splitter, 0.6 kg return through b1 and 0.4 kg through b2; Li2CO3 goes round with 0.4,
    so 1/0.6 kg pass, 0.5 kg return through b1 and 1/6 kg through b3. No reaction: the oxygen
    of each return is the battery's, 2 O per LCO and 3 O per Li2CO3."""
    fs = three_tears()
    compiled, ev = evaluate(fs, [{"LCO": 1.0, "Li2CO3": 1.0}, {"LCO": 2.0, "Li2CO3": 0.0}])
    s = ev.streams
    pos = compiled.index.position
    lco = np.array([1.0, 2.0])
    carbonate = np.array([1.0, 0.0])
    np.testing.assert_allclose(s["b1"][:, pos("LCO")], 0.6 * lco, rtol=1e-12)
    np.testing.assert_allclose(s["b1"][:, pos("Li2CO3")], 0.5 * carbonate, rtol=1e-12)
    np.testing.assert_allclose(s["b2"][:, pos("LCO")], 0.4 * lco, rtol=1e-12)
    np.testing.assert_allclose(s["b3"][:, pos("Li2CO3")], carbonate / 6, rtol=1e-12)
    o_lco, o_carb = 2 * W["O"] / LCO, 3 * W["O"] / LI2CO3
    expected = {
        "b1": (0.6 * lco * o_lco, 0.5 * carbonate * o_carb),
        "b2": (0.4 * lco * o_lco, 0 * carbonate),
        "b3": (0 * lco, carbonate / 6 * o_carb),
    }
    for name, (from_lco, from_carbonate) in expected.items():
        part = ev.parts[name]
        traced = np.zeros((2, 2))
        for k, sp in enumerate(("LCO", "Li2CO3")):
            if pos(sp) in part.cols:
                traced[:, k] = np.asarray(part.origin)[:, _pair(ev, part, sp, "O")]
        np.testing.assert_allclose(traced[:, 0], from_lco, rtol=1e-4, atol=1e-15, err_msg=name)
        np.testing.assert_allclose(
            traced[:, 1], from_carbonate, rtol=1e-4, atol=1e-15, err_msg=name
        )
    m = measure(ev, fs.sinks)
    np.testing.assert_allclose(m.per_sample["recycling_efficiency"], [1.0, 1.0], rtol=1e-12)


def test_widths_count_the_unknowns_of_loops_and_the_widest_unit() -> None:
    """The three returns hold 2 + 1 + 1 species, each with its oxygen traced (4 pairs); the
    widest unit is the wash (LiCoO2, Li2CO3 and the water it doses, all holding O). A flowsheet
    without a loop has no loop unknowns."""
    compiled = three_tears().compile(["LCO", "Li2CO3"])
    assert (compiled.tear_width(), compiled.tracer_width()) == (4, 4)
    assert (compiled.work_width(), compiled.pair_width()) == (3, 3)
    plain = lco_to_two_fates().compile(["LCO", "graphite"])
    assert (plain.tear_width(), plain.tracer_width()) == (0, 0)
    # the leach works on graphite and 7 species that all hold oxygen (the only traced element)
    assert (plain.work_width(), plain.pair_width()) == (8, 7)


def test_no_samples_measure_to_empty_arrays() -> None:
    """A chunk of no samples: every per-sample metric is empty and nothing is refused."""
    fs = lco_to_two_fates()
    compiled = fs.compile(["LCO"])
    m = measure(compiled.evaluate(np.zeros((0, len(compiled.index)))), fs.sinks)
    assert m.rows == 0
    assert m.per_sample["balance"].shape == (0,)
    assert m.per_sample["recycling_efficiency"].shape == (0,)


def test_a_loop_whose_co_reactant_comes_only_with_the_feed() -> None:
    """Li2CO3 + H2SO4 -> Li2SO4 + H2O + CO2 at 50 % conversion of the carbonate, the acid (twice
    the stoichiometric amount) in the feed, half of the product sent back: per pass the tank
    holds c = 1 + 0.5 x 0.5 c, so c = 4/3 kg of carbonate, 2/3 kg react, 1/3 kg leaves.
    Solving the loop superposes parts that alone would take acid they do not hold; that must
    not be refused."""
    r = Reaction.build("Li2CO3 + H2SO4 -> Li2SO4 + H2O + CO2", "Li2CO3", 0.5)
    units = (
        Unit("mix", ("feed", "back"), ("m",)),
        Unit("tank", ("m",), ("t",), reactions=(r,)),
        Unit("bleed", ("t",), ("back", "out"), split={"back": {"*": 0.5}}),
    )
    fs = Flowsheet("acid-loop", units, {"out": "product"})
    acid = 2 * H2SO4 / LI2CO3
    compiled, ev = evaluate(fs, [{"Li2CO3": 1.0, "H2SO4": acid}])
    out = ev.streams["out"][0]
    pos = compiled.index.position
    assert out[pos("Li2CO3")] == pytest.approx(1 / 3, rel=1e-12)
    assert out[pos("Li2SO4")] == pytest.approx(2 / 3 * LI2SO4 / LI2CO3, rel=1e-4)
    assert out[pos("H2SO4")] == pytest.approx(acid - 2 / 3 * H2SO4 / LI2CO3, rel=1e-4)


# --- doses and utilities on every kind of basis ---------------------------------------------------


def based_unit() -> Flowsheet:
    """One unit: 1 kg LiCoO2 + 0.5 kg graphite in, 40 % of the graphite to outlet a, the rest to
    b; NaOH dosed at ``d`` kmol per kmol LiCoO2 and a utility on each kind of basis, electricity
    twice (once given in MJ per kg of inlet, ``p``, turned into kWh by a scale of 1/3.6)."""
    unit = Unit(
        "u",
        ("feed",),
        ("a", "b"),
        split={"a": {"graphite": 0.4}},
        doses=(Dose("NaOH", "d", Basis("species", ("LCO",), per_mol=True)),),
        utilities=(
            Utility("electricity_kWh", 2.0, Basis("outlet", ("LCO",), stream="b")),
            Utility("electricity_kWh", "p", Basis(), scale=1 / 3.6),
            Utility("natural_gas_MJ", 3.0, Basis("outlet", stream="a")),
            Utility("diesel_MJ", 1.0, Basis("element", ("Co", "Li"), per_mol=True)),
            Utility("water_kg", 1.0, Basis("element", ("O", "C"))),
        ),
    )
    return Flowsheet("based", (unit,), {"a": "product", "b": "landfill"})


def test_doses_and_utilities_follow_their_bases() -> None:
    """kg or kmol of the basis, by hand, in two samples: NaOH d x 1/M(LCO) kmol; 2 kWh per kg
    LiCoO2 in outlet b (1 kg) plus p/3.6 kWh per kg of inlet (1.5 kg); 3 MJ per kg of outlet a
    (0.2 kg graphite); 1 MJ per kmol of Co and Li in the inlet (1 + 1 per LCO); 1 kg water per
    kg of O and C in the inlet (the dose not included)."""
    d, p = np.array([2.0, 1.0]), np.array([3.6, 7.2])
    feed = {"LCO": 1.0, "graphite": 0.5}
    _, ev = evaluate(based_unit(), [feed, feed], {"d": d, "p": p})
    np.testing.assert_allclose(ev.reagents["u"]["NaOH"], d * NAOH / LCO, rtol=1e-4)
    util = {k: np.broadcast_to(v, (2,)) for k, v in ev.utilities["u"].items()}
    np.testing.assert_allclose(util["electricity_kWh"], 2.0 + 1.5 * p / 3.6, rtol=1e-12)
    np.testing.assert_allclose(util["natural_gas_MJ"], 3.0 * 0.2, rtol=1e-12)
    np.testing.assert_allclose(util["diesel_MJ"], 2 / LCO, rtol=1e-4)
    np.testing.assert_allclose(util["water_kg"], 2 * W["O"] / LCO + 0.5, rtol=1e-4)


def test_a_basis_on_an_outlet_the_unit_does_not_have_is_refused() -> None:
    bad = Utility("electricity_kWh", 1.0, Basis("outlet", stream="nope"))
    unit = Unit("u", ("feed",), ("a",), utilities=(bad,))
    with pytest.raises(InputError, match=r"basis outlet 'nope' is not one of its outlets \(a\)"):
        Flowsheet("x", (unit,), {"a": "product"}).compile(["LCO"])


def test_a_dose_on_an_outlet_basis_is_refused() -> None:
    """A dose enters before anything leaves the unit: it cannot be in proportion to an outlet
    (this used to fail inside numpy, or silently use the inlet when the widths matched)."""
    dose = Dose("NaOH", 1.0, Basis("outlet", stream="a"))
    unit = Unit("u", ("feed",), ("a", "b"), split={"a": {"Cu": 0.5}}, doses=(dose,))
    fs = Flowsheet("x", (unit,), {"a": "product", "b": "landfill"})
    with pytest.raises(InputError, match="unit 'u': dose of 'NaOH' has basis outlet 'a'"):
        fs.compile(["Cu", "Al"])


def test_excess_reagent_per_sample() -> None:
    """Acid dosed with 0 % and 50 % excess in two samples: 1.5 (1 + e) kmol per kmol LCO."""
    leach = Reaction.build(
        "2 LCO + 3 H2SO4 + H2O2 -> Li2SO4 + 2 CoSO4 + 4 H2O + O2",
        "LCO",
        1.0,
        {"H2SO4": "e", "H2O2": 0.0},
    )
    fs = Flowsheet(
        "x", (Unit("leach", ("feed",), ("out",), reactions=(leach,)),), {"out": "product"}
    )
    e = np.array([0.0, 0.5])
    _, ev = evaluate(fs, [{"LCO": 1.0}, {"LCO": 1.0}], {"e": e})
    np.testing.assert_allclose(
        ev.reagents["leach"]["H2SO4"], 1.5 * (1 + e) * H2SO4 / LCO, rtol=1e-4
    )


# --- split shares ---------------------------------------------------------------------------------


def three_way(second: float | str) -> Flowsheet:
    units = (
        Unit(
            "split",
            ("feed",),
            ("x", "y", "z"),
            split={"x": {"*": 0.3}, "y": {"*": second}},
        ),
    )
    return Flowsheet("three-way", units, {"x": "product", "y": "product", "z": "landfill"})


def test_shares_to_two_outlets_may_vary_by_sample() -> None:
    """30 % to x in every sample, 20 % or 50 % to y: z keeps the rest, 50 % or 20 %, of both
    species."""
    s = np.array([0.2, 0.5])
    feed = {"Cu": 1.0, "graphite": 2.0}
    compiled, ev = evaluate(three_way("s"), [feed, feed], {"s": s})
    for name, kg in feed.items():
        j = compiled.index.position(name)
        np.testing.assert_allclose(ev.streams["x"][:, j], [0.3 * kg, 0.3 * kg], rtol=1e-12)
        np.testing.assert_allclose(ev.streams["y"][:, j], s * kg, rtol=1e-12)
        np.testing.assert_allclose(ev.streams["z"][:, j], [0.5 * kg, 0.2 * kg], rtol=1e-12)


@pytest.mark.parametrize("second", [0.8, np.array([0.2, 0.8])])
def test_shares_to_two_outlets_adding_above_one_are_refused(second: float | np.ndarray) -> None:
    """0.3 + 0.8 of the copper cannot leave: refused, whether 0.8 is fixed or one sample's."""
    with pytest.raises(InputError, match="sum to at most 1"):
        evaluate(three_way("s"), [{"Cu": 1.0}, {"Cu": 1.0}], {"s": second})


# --- a co-reactant short on a small stream, exactly enough on a large one ------------------------


def _tank(feed_kg: float, acid_share: float):  # type: ignore[no-untyped-def]
    r = Reaction.build("Li2CO3 + H2SO4 -> Li2SO4 + H2O + CO2", "Li2CO3", 1.0)
    fs = Flowsheet("n", (Unit("tank", ("feed",), ("out",), reactions=(r,)),), {"out": "product"})
    compiled = fs.compile(["Li2CO3", "H2SO4"], {})
    m = compiled.index.molar_mass
    pos = compiled.index.position
    feed = np.zeros((1, len(compiled.index)))
    feed[0, pos("Li2CO3")] = feed_kg
    feed[0, pos("H2SO4")] = feed_kg * acid_share * m[pos("H2SO4")] / m[pos("Li2CO3")]
    return compiled, compiled.evaluate(feed, {})


def test_a_shortfall_is_judged_against_the_stream_however_small() -> None:
    """1 microgram of carbonate with 98 % of its acid is short, as 1 kg is."""
    with pytest.raises(InputError, match="consumes more H2SO4"):
        _tank(1e-9, 0.98)


def test_exactly_enough_co_reactant_on_a_large_stream_is_not_short() -> None:
    """1000 t of carbonate with exactly its acid: the round-off of a complete conversion is not
    a shortfall, and no acid is left."""
    compiled, ev = _tank(1e6, 1.0)
    assert ev.streams["out"][0, compiled.index.position("H2SO4")] == pytest.approx(0, abs=1e-6)


def test_a_loop_whose_only_varying_parameter_is_a_conversion() -> None:
    """Unconverted NMC811 recirculates with share 1 - r: converted share X / (1 - (1 - X) r')
    with r' = 0.5 the share sent back, X per sample."""
    r = Reaction.build(
        "2 NMC811 + 3 H2SO4 + H2O2 -> Li2SO4 + 1.6 NiSO4 + 0.2 MnSO4 + 0.2 CoSO4 + 4 H2O + O2",
        "NMC811",
        "X",
        {"H2SO4": 0.0, "H2O2": 0.0},
    )
    units = (
        Unit("mix", ("feed", "back"), ("m",)),
        Unit("leach", ("m",), ("s",), reactions=(r,)),
        Unit("filter", ("s",), ("solids", "liquor"), split={"solids": {"NMC811": 1.0}}),
        Unit("purge", ("solids",), ("back", "residue"), split={"back": {"*": 0.5}}),
    )
    fs = Flowsheet("loop", units, {"liquor": "product", "residue": "landfill"})
    X = np.array([0.2, 0.9])
    compiled, ev = evaluate(fs, [{"NMC811": 1.0}, {"NMC811": 1.0}], {"X": X})
    left = ev.streams["residue"][:, compiled.index.position("NMC811")]
    np.testing.assert_allclose(1 - left, X / (1 - (1 - X) * 0.5), rtol=1e-12)


# --- the atom mapping and burning ---------------------------------------------------------------


def oxygen_route(first: dict[str, list[str]] | None) -> Flowsheet:
    """LiCoO2 leached; the O2 released is sold (a test device), everything else is effluent."""
    leach = Reaction.build(
        "2 LCO + 3 H2SO4 + H2O2 -> Li2SO4 + 2 CoSO4 + 4 H2O + O2",
        "LCO",
        1.0,
        {"H2SO4": 0.0, "H2O2": 0.0},
        first,
    )
    units = (
        Unit("leach", ("feed",), ("slurry",), reactions=(leach,)),
        Unit("vent", ("slurry",), ("gas", "effluent"), split={"gas": {"O2": 1.0}}),
    )
    return Flowsheet("o2", units, {"gas": "product", "effluent": "emission"})


def test_the_atom_mapping_can_name_a_product_of_coefficient_one() -> None:
    """Per 2 LiCoO2 the battery brings 4 O. Mapped to O2 first, the O2 takes 2 of them: 1 O per
    LCO counts. By default the 4 fill H2O (4 O) and O2 (2 O) in proportion: 2/3 O per LCO."""
    mapped = measure(*_ev(oxygen_route({"O": ["O2"]}))).per_sample
    assert mapped["recycling_efficiency"][0] == pytest.approx(W["O"] / LCO, rel=1e-4)
    default = measure(*_ev(oxygen_route(None))).per_sample
    assert default["recycling_efficiency"][0] == pytest.approx(2 / 3 * W["O"] / LCO, rel=1e-4)


def _ev(fs: Flowsheet):  # type: ignore[no-untyped-def]
    _, ev = evaluate(fs, [{"LCO": 1.0}])
    return ev, fs.sinks


def test_the_atom_mapping_must_name_a_product_of_this_reaction() -> None:
    """CoSO4 holds O but is not in the reaction at all."""
    eq = "LCO -> 0.5 Li2O + CoO + 0.25 O2"
    with pytest.raises(InputError, match="names 'CoSO4', which is not a product"):
        Reaction.build(eq, "LCO", 1.0, None, {"O": ["CoSO4"]})


def test_burning_shares_the_battery_oxygen_by_what_each_product_holds() -> None:
    """EC (C3H4O3) burned in air: C3H4O3 + 2.5 O2 -> 3 CO2 + 2 H2O. Its 3 battery O atoms go to
    the products in proportion to their O (CO2 6, H2O 2): 2.25 to CO2. Sold CO2 counts its 3 C
    (C only the battery brings) and those 2.25 O."""
    units = (
        Unit("kiln", ("feed",), ("gas",), burn={"EC": 1.0}),
        Unit("condense", ("gas",), ("water", "co2"), split={"water": {"H2O": 1.0}}),
    )
    fs = Flowsheet("kiln", units, {"water": "emission", "co2": "product"})
    _, ev = evaluate(fs, [{"EC": 1.0}])
    m = measure(ev, fs.sinks).per_sample
    ec = mw(C=3, H=4, O=3)
    assert m["recycling_efficiency"][0] == pytest.approx(
        (3 * W["C"] + 2.25 * W["O"]) / ec, rel=1e-4
    )


# --- which species a stream can hold (compile-time analysis) -------------------------------------

LEACH_LCO = "2 LCO + 3 H2SO4 + H2O2 -> Li2SO4 + 2 CoSO4 + 4 H2O + O2"


def test_a_reagent_dosed_in_excess_leaves_its_excess() -> None:
    """Acid at 100 % excess: 1.5 kmol per kmol LCO react and another 1.5 kmol leave unreacted,
    and none is dosed to a sample without LiCoO2. Everything is sold: the battery's share is Li,
    Co and the oxide oxygen that went to the O2 (per 2 LCO, 4 O fill 4 H2O + O2 in proportion:
    4/3 to the O2), or the graphite whole."""
    r = Reaction.build(LEACH_LCO, "LCO", 1.0, {"H2SO4": 1.0, "H2O2": 0.0})
    fs = Flowsheet("x", (Unit("leach", ("feed",), ("out",), reactions=(r,)),), {"out": "product"})
    compiled, ev = evaluate(fs, [{"LCO": 1.0}, {"graphite": 1.0}])
    acid = ev.streams["out"][:, compiled.index.position("H2SO4")]
    np.testing.assert_allclose(acid, [1.5 * H2SO4 / LCO, 0.0], rtol=1e-4)
    m = measure(ev, fs.sinks).per_sample
    battery = (W["Li"] + W["Co"] + 2 / 3 * W["O"]) / LCO
    np.testing.assert_allclose(m["recycling_efficiency"], [battery, 1.0], rtol=1e-4)


def test_a_named_species_share_that_varies_by_sample_reaches_its_outlet() -> None:
    units = (Unit("split", ("feed",), ("x", "y"), split={"x": {"Cu": "s"}}),)
    fs = Flowsheet("x", units, {"x": "product", "y": "landfill"})
    s = np.array([0.25, 0.75])
    compiled, ev = evaluate(fs, [{"Cu": 1.0, "Al": 1.0}] * 2, {"s": s})
    cu, al = compiled.index.position("Cu"), compiled.index.position("Al")
    np.testing.assert_allclose(ev.streams["x"][:, cu], s, rtol=1e-12)
    np.testing.assert_allclose(ev.streams["y"][:, cu], 1 - s, rtol=1e-12)
    np.testing.assert_allclose(ev.streams["y"][:, al], [1.0, 1.0], rtol=1e-12)


def test_an_outlet_the_split_does_not_name_gets_nothing() -> None:
    """Half the copper to x; y is not in the split table, so z (the last) takes the other half."""
    units = (Unit("split", ("feed",), ("x", "y", "z"), split={"x": {"Cu": 0.5}}),)
    fs = Flowsheet("x", units, {"x": "product", "y": "product", "z": "landfill"})
    compiled, ev = evaluate(fs, [{"Cu": 1.0}])
    assert ev.parts["y"].cols.size == 0
    assert ev.streams["z"][0, compiled.index.position("Cu")] == pytest.approx(0.5, rel=1e-12)


def test_a_share_fixed_at_zero_when_compiled_cannot_change() -> None:
    """Compiled with nothing sent to x, x holds no species; evaluating with 0.5 is refused."""
    units = (Unit("split", ("feed",), ("x", "y"), split={"x": {"*": "s"}}),)
    fs = Flowsheet("x", units, {"x": "product", "y": "landfill"})
    compiled = fs.compile(["Cu"], {"s": 0.0})
    assert not compiled.active["x"].any()
    feed = np.ones((1, len(compiled.index)))
    with pytest.raises(RouteError, match="'s' was 0 when the flowsheet was compiled"):
        compiled.evaluate(feed, {"s": 0.5})


# --- structure ----------------------------------------------------------------------------------


def test_structure_errors_name_the_stream_and_the_units() -> None:
    one = Unit("a", ("feed",), ("x",))
    with pytest.raises(RouteError, match="stream 'x' is produced by more than one unit"):
        Flowsheet("bad", (one, Unit("b", ("feed2",), ("x",))), {"x": "product"})
    with pytest.raises(RouteError, match="stream 'feed' is produced by more than one unit"):
        Flowsheet("bad", (Unit("a", ("x",), ("feed",)),), {})
    with pytest.raises(RouteError, match="stream 'x' feeds both 'b' and 'c'"):
        Flowsheet(
            "bad", (one, Unit("b", ("x",), ("y",)), Unit("c", ("x",), ("z",))), {"y": "product"}
        )
    with pytest.raises(RouteError, match="sink 'x' is also an inlet of unit 'b'"):
        Flowsheet("bad", (one, Unit("b", ("x",), ("y",))), {"x": "product", "y": "product"})


@pytest.mark.parametrize(
    ("outlets", "split"),
    [
        (("x",), {"x": {"Cu": 0.5}}),  # one outlet: it takes everything, a split means nothing
        (("x", "y"), {"y": {"Cu": 0.5}}),  # the last outlet takes the rest
        (("x", "y"), {"w": {"Cu": 0.5}}),  # no such outlet
    ],
)
def test_a_split_naming_an_outlet_that_takes_no_share_is_refused(
    outlets: tuple[str, ...], split: dict
) -> None:
    unit = Unit("u", ("feed",), outlets, split=split)
    with pytest.raises(RouteError, match=r"unit 'u': split names \['[wxy]'\]"):
        Flowsheet("bad", (unit,), dict.fromkeys(outlets, "product"))


# --- reactions as written -----------------------------------------------------------------------


def test_a_species_on_both_sides_keeps_its_net_coefficient() -> None:
    """2 H2O2 -> 2 H2O + O2 written with a spectator H2O2 on the right: net -1, and a species
    that cancels out entirely is dropped."""
    assert parse_equation("2 H2O2 -> 2 H2O + O2 + H2O2") == {"H2O2": -1, "H2O": 2, "O2": 1}
    assert parse_equation("H2O2 + Cu -> H2O2 + Cu") == {}


def test_coefficients_as_fractions_and_unreadable_terms() -> None:
    assert parse_equation("LCO -> 1/2 Li2O + CoO + 1/4 O2")["O2"] == pytest.approx(0.25)
    with pytest.raises(InputError, match="coefficient '1/0' divides by zero"):
        parse_equation("LCO -> 1/0 Li2O + CoO")
    with pytest.raises(InputError, match="cannot read term '2 CoO extra'"):
        parse_equation("LCO -> 2 CoO extra")


def test_an_unbalanced_reaction_reports_the_atoms_it_creates() -> None:
    """H2O2 -> H2O + O2 creates one O atom per extent."""
    assert atom_residual(parse_equation("H2O2 -> H2O + O2")) == {"O": 1}
    with pytest.raises(UnbalancedReactionError, match=r"atoms created per extent: O \+1\)"):
        Reaction.build("H2O2 -> H2O + O2", "H2O2", 1.0)


@pytest.mark.parametrize("name", ["O2", "CoSO4"])  # a product (coefficient 1/4), not in it
def test_the_reference_reactant_and_dosed_reagents_must_be_reactants(name: str) -> None:
    eq = "LCO -> 0.5 Li2O + CoO + 0.25 O2"
    with pytest.raises(InputError, match=f"reference reactant '{name}' must be on the left"):
        Reaction.build(eq, name, 1.0)
    with pytest.raises(InputError, match=f"dosed reagent '{name}' must be a reactant"):
        Reaction.build(eq, "LCO", 1.0, {name: 0.0})


def test_messages_name_the_reaction_as_written() -> None:
    eq = "LCO -> 0.5 Li2O + CoO + 0.25 O2"
    with pytest.raises(InputError, match=rf"reaction '{re.escape(eq)}': origin_first.O names"):
        Reaction.build(eq, "LCO", 1.0, None, {"O": ["CoSO4"]})
    r = Reaction.build("Li2CO3 + H2SO4 -> Li2SO4 + H2O + CO2", "Li2CO3", 1.0)
    assert r.equation == "Li2CO3 + H2SO4 -> Li2SO4 + H2O + CO2"


# --- the tracer through mixers, reactors in series and partial burning --------------------------


def test_split_and_mixed_again_keeps_every_battery_atom() -> None:
    """LiCoO2 split 30/70 and mixed again before a leach: the mixer adds both halves' tracer,
    so the count is as if never split (Li, Co and 2/3 O per LCO, see above)."""
    r = Reaction.build(LEACH_LCO, "LCO", 1.0, {"H2SO4": 0.0, "H2O2": 0.0})
    units = (
        Unit("split", ("feed",), ("a", "b"), split={"a": {"*": 0.3}}),
        Unit("mix", ("a", "b"), ("m",)),
        Unit("leach", ("m",), ("out",), reactions=(r,)),
    )
    fs = Flowsheet("remix", units, {"out": "product"})
    _, ev = evaluate(fs, [{"LCO": 1.0}])
    m = measure(ev, fs.sinks).per_sample
    battery = (W["Li"] + W["Co"] + 2 / 3 * W["O"]) / LCO
    assert m["recycling_efficiency"][0] == pytest.approx(battery, rel=1e-4)


def test_a_reactor_downstream_does_not_change_what_an_earlier_stream_carried() -> None:
    """Two leaches in series, half the LiCoO2 each (acid and peroxide 10 % in excess): between
    them the stream still holds 0.5 kg LiCoO2 with all its oxygen, 0.5 x 2 O / LCO kg."""
    first = Reaction.build(LEACH_LCO, "LCO", 0.5, {"H2SO4": 0.1, "H2O2": 0.1})
    second = Reaction.build(LEACH_LCO, "LCO", 1.0, {"H2SO4": 0.1, "H2O2": 0.1})
    units = (
        Unit("leach1", ("feed",), ("half",), reactions=(first,)),
        Unit("leach2", ("half",), ("out",), reactions=(second,)),
    )
    fs = Flowsheet("series", units, {"out": "product"})
    _, ev = evaluate(fs, [{"LCO": 1.0}])
    half = ev.parts["half"]
    lco_oxygen = np.asarray(half.origin)[0, _pair(ev, half, "LCO", "O")]
    assert lco_oxygen == pytest.approx(0.5 * 2 * W["O"] / LCO, rel=1e-4)


def test_burning_part_of_a_species_hands_on_the_share_burned() -> None:
    """EC burned with share b (0.5 or 1) in a kiln that also doses water, so hydrogen is traced
    and water (holding no battery-only element) takes battery oxygen first: per kmol EC burned
    (C3H4O3 + 2.5 O2 -> 3 CO2 + 2 H2O) the water takes 2 of the 3 battery O atoms, the CO2 the
    last one. Sold: the CO2 with the EC not burned (battery mass whole)."""
    units = (
        Unit(
            "kiln",
            ("feed",),
            ("gas",),
            burn={"EC": "b"},
            doses=(Dose("H2O", 0.1),),
        ),
        Unit("condense", ("gas",), ("water", "co2"), split={"water": {"H2O": 1.0}}),
    )
    fs = Flowsheet("kiln", units, {"water": "emission", "co2": "product"})
    b = np.array([0.5, 1.0])
    _, ev = evaluate(fs, [{"EC": 1.0}, {"EC": 1.0}], {"b": b})
    m = measure(ev, fs.sinks).per_sample
    ec = mw(C=3, H=4, O=3)
    battery = (1 - b) + b / ec * (3 * W["C"] + W["O"])
    np.testing.assert_allclose(m["recycling_efficiency"], battery, rtol=1e-4)


def test_element_balance_error_is_relative_to_the_sample_input_where_an_element_is_absent() -> None:
    """Elements made from nothing: 1e-13 kg graphite in the salts of sample 0 (no carbon in),
    1e-13 kg Co(OH)2 in the cake of sample 2 (no cobalt, oxygen or hydrogen in). Each error is
    relative to 1e-12 of that sample's input mass, feed plus reagents: sample 0 takes 1.5 H2SO4,
    0.5 H2O2 and 2 NaOH per LCO; sample 2 (0.5 kg graphite) takes none, and its worst element
    is cobalt, the heaviest share of Co(OH)2."""
    fs = lco_to_two_fates()
    _, ev = evaluate(fs, ROWS)
    pos = ev.index.position
    for sink, row, species in (("salts", 0, "graphite"), ("cake", 2, "Co(OH)2")):
        part = ev.parts[sink]
        data = np.array(part.data)
        data[row, int(np.flatnonzero(part.cols == pos(species))[0])] += 1e-13
        ev.parts[sink] = Stream(part.cols, data, part.origin)
    mass_in0 = 1.0 + (1.5 * H2SO4 + 0.5 * H2O2 + 2 * NAOH) / LCO
    expected = [0.1 / mass_in0, 0.0, 0.2 * W["Co"] / COOH2]
    np.testing.assert_allclose(element_balance_error(ev, fs.sinks), expected, rtol=1e-4, atol=1e-9)


@pytest.mark.parametrize("later", [{}, {"s": np.array([1.0, 1.0])}])
def test_a_relied_value_missing_or_sampled_later_is_refused(later: dict) -> None:
    """Compiled with everything sent to x (s = 1): evaluating without s, or with s drawn per
    sample, is refused, even if the draws happen to be 1."""
    units = (Unit("split", ("feed",), ("x", "y"), split={"x": {"*": "s"}}),)
    compiled = Flowsheet("x", units, {"x": "product", "y": "landfill"}).compile(["Cu"], {"s": 1.0})
    feed = np.ones((2, len(compiled.index)))
    with pytest.raises(RouteError, match="'s' was 1 when the flowsheet was compiled"):
        compiled.evaluate(feed, later)
