"""Engine edges mutation testing found untested (docs/testing.md): a balance that fails, conversions
at and beyond [0, 1], a reaction short of a co-reactant, coefficient-1 products, results
accumulated over several chunks, zero feed. Expected values follow from mass conservation and
stoichiometry (IUPAC atomic weights), worked by hand."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import IUPAC

from urbanmine.errors import InputError
from urbanmine.flowsheet.errors import BalanceError
from urbanmine.flowsheet.flowsheet import CompiledFlowsheet, Evaluation, Flowsheet
from urbanmine.flowsheet.params import sample_parameters
from urbanmine.flowsheet.plan import Stream
from urbanmine.flowsheet.reaction import Reaction
from urbanmine.flowsheet.result import Accumulator, ChunkMetrics, element_balance_error, measure
from urbanmine.flowsheet.units import Unit
from urbanmine.materials.feeds import get_feed
from urbanmine.routes import run as run_module
from urbanmine.routes.run import chunk_size, compose_for, run_composed

LEACH = "2 NMC811 + 3 H2SO4 + H2O2 -> Li2SO4 + 1.6 NiSO4 + 0.2 MnSO4 + 0.2 CoSO4 + 4 H2O + O2"
SINKS = {"liquor": "product", "solids": "landfill"}


def leach(conversion: float | str = "X") -> Flowsheet:
    """Leach (10 % excess acid, exact peroxide), then a filter: NMC811 and graphite to solids."""
    r = Reaction.build(LEACH, "NMC811", conversion, {"H2SO4": 0.1, "H2O2": 0.0})
    units = (
        Unit("leach", ("feed",), ("s",), reactions=(r,)),
        Unit(
            "filter",
            ("s",),
            ("solids", "liquor"),
            split={"solids": {"NMC811": 1.0, "graphite": 1.0}},
        ),
    )
    return Flowsheet("leach", units, SINKS, {"X": 1.0})


def evaluate(
    fs: Flowsheet, feed_kg: dict[str, float], values: dict[str, float], rows: int = 1
) -> tuple[CompiledFlowsheet, Evaluation]:
    compiled = fs.compile(list(feed_kg), values)
    feed = np.zeros((rows, len(compiled.index)))
    for name, kg in feed_kg.items():
        feed[:, compiled.index.position(name)] = kg
    return compiled, compiled.evaluate(feed, values)


def mw(formula: dict[str, float]) -> float:
    return sum(n * IUPAC[el] for el, n in formula.items())


NMC811 = {"Li": 1, "Ni": 0.8, "Mn": 0.1, "Co": 0.1, "O": 2}
H2SO4 = {"H": 2, "S": 1, "O": 4}
H2O2 = {"H": 2, "O": 2}


# --- the element balance ---------------------------------------------------------------------


def test_complete_leach_closes_and_counts_what_leaves_as_product() -> None:
    """1 kg NMC811 fully leached: 1.5 mol acid (+10 %) and 0.5 mol peroxide per mol; everything
    but graphite leaves in the liquor, so the counted output mass is feed + reagents - graphite.
    Of it, the battery's is the metals plus the battery oxygen that went to the O2: per 2 NMC811
    the oxide's 4 O atoms fill the by-products (4 H2O + O2, 6 O) in proportion, 4 x 2/6 to O2
    (the water's share is not counted)."""
    _, ev = evaluate(leach(), {"NMC811": 1.0, "graphite": 0.25}, {"X": 1.0})
    m = measure(ev, SINKS)
    mol = 1.0 / mw(NMC811)
    acid, peroxide = 1.5 * 1.1 * mol * mw(H2SO4), 0.5 * mol * mw(H2O2)
    total = 1.0 + acid + peroxide
    assert m.per_sample["counted_output_mass_kg"][0] == pytest.approx(total, rel=2e-4)
    battery = mol * (mw(NMC811) - 2 * IUPAC["O"] + 2 / 3 * IUPAC["O"])
    assert m.per_sample["recycled_output_kg"][0] == pytest.approx(battery, rel=2e-4)
    assert m.per_sample["outputs.solids.mass_kg"][0] == pytest.approx(0.25, rel=1e-12)
    assert m.per_sample["balance"][0] <= 1e-12


def test_a_balance_that_does_not_close_is_refused() -> None:
    """A liquor 1 % heavier than the flowsheet made: every element but C (which all leaves in the
    solids) is out by 1 % of its input, and the result is refused."""
    _, ev = evaluate(leach(), {"NMC811": 1.0, "graphite": 0.25}, {"X": 1.0})
    liquor = ev.parts["liquor"]
    ev.parts["liquor"] = Stream(liquor.cols, liquor.data * 1.01)
    assert element_balance_error(ev, SINKS)[0] == pytest.approx(0.01, rel=1e-9)
    with pytest.raises(BalanceError, match=r"max relative error 0.01 > 1e-09"):
        measure(ev, SINKS)


def test_an_unbooked_reagent_breaks_the_balance() -> None:
    """Half of the acid unbooked: sulfur in (all from the acid) is half of sulfur out, an error of
    1.0 relative to what came in."""
    _, ev = evaluate(leach(), {"NMC811": 1.0}, {"X": 1.0})
    ev.reagents["leach"]["H2SO4"] = ev.reagents["leach"]["H2SO4"] * 0.5
    assert element_balance_error(ev, SINKS)[0] == pytest.approx(1.0, rel=1e-9)
    with pytest.raises(BalanceError):
        measure(ev, SINKS)


def test_a_balance_within_tolerance_is_accepted() -> None:
    _, ev = evaluate(leach(), {"NMC811": 1.0}, {"X": 1.0})
    liquor = ev.parts["liquor"]
    ev.parts["liquor"] = Stream(liquor.cols, liquor.data * (1 + 1e-10), liquor.origin)
    assert measure(ev, SINKS).per_sample["balance"][0] == pytest.approx(1e-10, rel=1e-3)


# --- conversions and reactions ---------------------------------------------------------------


@pytest.mark.parametrize("conversion", [-1e-9, 1.000001, 2.0])
def test_conversion_outside_0_1_is_refused(conversion: float) -> None:
    with pytest.raises(InputError, match=r"conversion of 'NMC811' must lie in \[0, 1\]"):
        evaluate(leach(), {"NMC811": 1.0}, {"X": conversion})


def test_conversion_per_sample_outside_0_1_is_refused() -> None:
    fs = leach()
    compiled = fs.compile(["NMC811"], {"X": np.array([0.5, 1.5])})
    feed = np.zeros((2, len(compiled.index)))
    feed[:, compiled.index.position("NMC811")] = 1.0
    with pytest.raises(InputError, match="must lie in"):
        compiled.evaluate(feed, {"X": np.array([0.5, 1.5])})


@pytest.mark.parametrize("conversion", [0.0, 1.0])
def test_conversions_0_and_1_are_allowed(conversion: float) -> None:
    compiled, ev = evaluate(leach(), {"NMC811": 1.0}, {"X": conversion})
    nmc_left = ev.streams["solids"][0, compiled.index.position("NMC811")]
    assert nmc_left == pytest.approx(1.0 - conversion, abs=1e-15)


LI2CO3 = {"Li": 2, "C": 1, "O": 3}
NEUTRALISE = "Li2CO3 + H2SO4 -> Li2SO4 + H2O + CO2"


def _neutralise(acid: float) -> tuple[CompiledFlowsheet, Evaluation]:
    """1 kg Li2CO3 and ``acid`` times the stoichiometric acid (molar masses of the registry)."""
    r = Reaction.build(NEUTRALISE, "Li2CO3", 1.0)  # the acid is not dosed: it must be in the feed
    fs = Flowsheet("n", (Unit("tank", ("feed",), ("out",), reactions=(r,)),), {"out": "product"})
    compiled = fs.compile(["Li2CO3", "H2SO4"], {})
    m = compiled.index.molar_mass
    feed = np.zeros((1, len(compiled.index)))
    feed[0, compiled.index.position("Li2CO3")] = 1.0
    feed[0, compiled.index.position("H2SO4")] = (
        acid * m[compiled.index.position("H2SO4")] / m[compiled.index.position("Li2CO3")]
    )
    return compiled, compiled.evaluate(feed, {})


def test_a_reaction_cannot_consume_more_than_its_stream_holds() -> None:
    """1 kg Li2CO3 needs M(H2SO4)/M(Li2CO3) = 1.327 kg acid; 98 % of it is short."""
    with pytest.raises(InputError, match=r"consumes more H2SO4 than the stream holds"):
        _neutralise(0.98)


def test_a_reaction_with_exactly_enough_co_reactant_leaves_none() -> None:
    compiled, ev = _neutralise(1.0)
    out = ev.streams["out"][0]
    assert out[compiled.index.position("H2SO4")] == pytest.approx(0.0, abs=1e-9)
    li2so4 = {"Li": 2, "S": 1, "O": 4}
    assert out[compiled.index.position("Li2SO4")] == pytest.approx(
        mw(li2so4) / mw(LI2CO3), rel=2e-4
    )


def test_products_with_coefficient_one_are_products() -> None:
    r = Reaction.build(LEACH, "NMC811", 1.0)
    unit = Unit("leach", ("feed",), ("s",), reactions=(r,))
    assert unit.product_species() == {"Li2SO4", "NiSO4", "MnSO4", "CoSO4", "H2O", "O2"}
    neutralise = Unit(
        "t", ("feed",), ("o",), reactions=(Reaction.build(NEUTRALISE, "Li2CO3", 1.0),)
    )
    assert neutralise.product_species() == {"Li2SO4", "H2O", "CO2"}
    kiln = Unit("kiln", ("feed",), ("gas",), burn={"graphite": 1.0})
    assert kiln.product_species() == {"CO2"}


# --- many samples, several chunks -------------------------------------------------------------


def test_results_do_not_depend_on_how_samples_are_chunked(monkeypatch: pytest.MonkeyPatch) -> None:
    """A Monte Carlo run longer than one chunk (and not a multiple of it) gives, sample by sample,
    what one chunk holding every sample gives; sums add up over the chunks."""
    feed = get_feed("NMC622-blackmass").scaled(mass_kg=1.0)
    composed = compose_for(feed, "hydro")
    compiled = composed.flowsheet.compile(list(feed.species_kg))
    step = chunk_size(compiled)
    samples = 2 * step + 3
    values = sample_parameters(composed.parameters, samples, 7)
    varying = {k: v for k, v in values.items() if np.ndim(v) > 0}
    assert varying, "the route needs uncertain parameters for this test"
    chunked = run_composed(feed, composed, values=varying)
    monkeypatch.setattr(run_module, "MEMORY_BUDGET_FLOATS", 10**12)
    whole = run_composed(feed, composed, values=varying)
    assert chunk_size(whole.compiled) >= samples > 2 * step
    assert set(chunked.per_sample) == set(whole.per_sample)
    for key, v in whole.per_sample.items():
        np.testing.assert_allclose(chunked.per_sample[key], v, rtol=1e-12, atol=0, err_msg=key)
    for key, v in whole.sums.items():
        np.testing.assert_allclose(chunked.sums[key], v, rtol=1e-12, atol=1e-300, err_msg=key)
    fed = chunked.sums["feed.species_kg"]
    assert fed.sum() == pytest.approx(samples * 1.0, rel=1e-12)  # 1 kg of feed per sample


def test_a_metric_missing_from_a_chunk_is_zero_there() -> None:
    acc = Accumulator(5)
    acc.add(ChunkMetrics({"a": np.array([1.0, 2.0])}, {"s": np.array([1.0])}, 2))
    acc.add(
        ChunkMetrics({"a": np.array([3.0, 4.0, 5.0]), "b": np.ones(3)}, {"s": np.array([2.0])}, 3)
    )
    np.testing.assert_array_equal(acc.per_sample["a"], [1, 2, 3, 4, 5])
    np.testing.assert_array_equal(acc.per_sample["b"], [0, 0, 1, 1, 1])
    np.testing.assert_array_equal(acc.sums["s"], [3.0])


# --- zero feed ---------------------------------------------------------------------------------


def test_zero_feed_gives_nothing_out_and_a_closed_balance() -> None:
    _, ev = evaluate(leach(), {"NMC811": 0.0, "graphite": 0.0}, {"X": 0.9}, rows=2)
    np.testing.assert_array_equal(element_balance_error(ev, SINKS), [0.0, 0.0])
    assert all(not np.any(s) for s in ev.streams.values())
    assert all(not np.any(kg) for r in ev.reagents.values() for kg in r.values())


def test_zero_feed_has_no_recycling_efficiency_and_is_refused() -> None:
    """Recycling efficiency divides by the input fraction (493/2012 Art. 2(3)): with none, the
    result is refused with a message, not NaN and a RuntimeWarning."""
    import warnings

    _, ev = evaluate(leach(), {"NMC811": 0.0}, {"X": 0.9})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(InputError, match="positive input fraction"):
            measure(ev, SINKS)


def test_point_values_for_many_samples() -> None:
    """No arrays among the values and ``samples`` rows asked: that many rows, each the point-value
    run (for a Monte Carlo run that varies prices or factors but not the route)."""
    feed = get_feed("NMC622-blackmass").scaled(mass_kg=1.0)
    composed = compose_for(feed, "hydro")
    point = run_composed(feed, composed)
    rows = run_composed(feed, composed, 7, values={})
    assert rows.samples == 7 and not rows.drawn
    for key, v in point.per_sample.items():
        np.testing.assert_allclose(rows.per_sample[key], np.repeat(v, 7), rtol=1e-12, err_msg=key)
