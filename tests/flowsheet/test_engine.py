"""Engine: reactions, splitters, recycle loops solved exactly, element balance and vectorisation."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from urbanmine.errors import InputError
from urbanmine.flowsheet.errors import RouteError, UnbalancedReactionError
from urbanmine.flowsheet.flowsheet import Flowsheet
from urbanmine.flowsheet.reaction import Reaction
from urbanmine.flowsheet.result import element_balance_error
from urbanmine.flowsheet.units import Unit

LEACH = "2 NMC811 + 3 H2SO4 + H2O2 -> Li2SO4 + 1.6 NiSO4 + 0.2 MnSO4 + 0.2 CoSO4 + 4 H2O + O2"


def test_unbalanced_reaction_is_refused_when_built():
    with pytest.raises(UnbalancedReactionError, match="does not balance"):
        Reaction.build("NMC811 + H2SO4 -> Li2SO4 + NiSO4", "NMC811", 1.0)
    with pytest.raises(UnbalancedReactionError):
        Reaction.build(
            "2 NMC811 + 3 H2SO4 + H2O2 -> Li2SO4 + 1.6 NiSO4 + 4 H2O + O2", "NMC811", 1.0
        )
    with pytest.raises(InputError, match="mixture"):
        Reaction.build("steel + O2 -> CO2", "steel", 1.0)
    with pytest.raises(InputError, match="left side"):
        Reaction.build(LEACH, "NiSO4", 1.0)


def leach_loop(X="X", r="r"):
    """Mixer -> leach reactor -> solids/liquor split -> part of the solids recycled."""
    R = Reaction.build(LEACH, "NMC811", X, {"H2SO4": 0.1, "H2O2": 0.0})
    units = (
        Unit("mix", ("feed", "recycle"), ("s1",)),
        Unit("leach", ("s1",), ("s2",), reactions=(R,)),
        Unit(
            "filter",
            ("s2",),
            ("solids", "liquor"),
            split={"solids": {"NMC811": 1.0, "graphite": 1.0}},
        ),
        Unit("purge", ("solids",), ("residue", "recycle"), split={"residue": {"*": r}}),
    )
    return Flowsheet(
        "loop", units, {"liquor": "product", "residue": "landfill"}, {"X": 0.9, "r": 0.5}
    )


def test_recycle_loop_matches_its_closed_form_per_sample():
    compiled = leach_loop().compile(["NMC811", "graphite"])
    idx = compiled.index
    X = np.array([0.2, 0.5, 0.9, 0.99])
    r = np.array([0.05, 0.3, 0.5, 0.9])
    feed = np.zeros((4, len(idx)))
    feed[:, idx.position("NMC811")] = 1.0
    feed[:, idx.position("graphite")] = 0.4
    ev = compiled.evaluate(feed, {"X": X, "r": r})
    # unconverted solids recirculate: converted share = X / (1 - (1 - X)(1 - r))
    converted = 1 - ev.streams["residue"][:, idx.position("NMC811")]
    np.testing.assert_allclose(converted, X / (1 - (1 - X) * (1 - r)), rtol=1e-12)
    # graphite is inert: everything leaves with the purge at steady state
    np.testing.assert_allclose(ev.streams["residue"][:, idx.position("graphite")], 0.4, rtol=1e-12)
    assert element_balance_error(ev, {"liquor": 1, "residue": 1}).max() < 1e-12


def test_scalar_and_vector_parameters_give_the_same_answer():
    compiled = leach_loop().compile(["NMC811", "graphite"])
    idx = compiled.index
    feed = np.zeros((1, len(idx)))
    feed[0, idx.position("NMC811")] = 2.0
    one = compiled.evaluate(feed, {"X": 0.7, "r": 0.2}).streams["liquor"]
    many = compiled.evaluate(np.repeat(feed, 3, 0), {"X": np.full(3, 0.7), "r": np.full(3, 0.2)})
    np.testing.assert_allclose(many.streams["liquor"], np.repeat(one, 3, 0), rtol=1e-13)


def test_stoichiometric_reagent_demand():
    # 1 kg NMC811 fully leached needs 1.5 mol H2SO4 and 0.5 mol H2O2 per mol; 10 % excess acid
    compiled = leach_loop().compile(["NMC811"])
    idx = compiled.index
    feed = np.zeros((1, len(idx)))
    feed[0, idx.position("NMC811")] = 1.0
    ev = compiled.evaluate(feed, {"X": 1.0, "r": 0.5})
    mol = 1.0 / idx.molar_mass[idx.position("NMC811")]
    acid = ev.reagents["leach"]["H2SO4"][0]
    assert acid == pytest.approx(1.5 * mol * 1.1 * idx.molar_mass[idx.position("H2SO4")], rel=1e-12)
    peroxide = ev.reagents["leach"]["H2O2"][0]
    assert peroxide == pytest.approx(0.5 * mol * idx.molar_mass[idx.position("H2O2")], rel=1e-12)


def test_flowsheet_structure_errors_are_named():
    u = Unit("a", ("feed",), ("x", "y"))
    with pytest.raises(RouteError, match="without a fate"):
        Flowsheet("bad", (u,), {"x": "product"})
    with pytest.raises(RouteError, match="not one of"):
        Flowsheet("bad", (u,), {"x": "product", "y": "compost"})
    with pytest.raises(RouteError, match="produced by no unit"):
        Flowsheet("bad", (Unit("b", ("feed", "ghost"), ("x",)),), {"x": "product"})


def test_split_shares_out_of_range_are_refused():
    fs = leach_loop()
    compiled = fs.compile(["NMC811"])
    feed = np.zeros((1, len(compiled.index)))
    with pytest.raises(InputError, match="split shares"):
        compiled.evaluate(feed, {"X": 0.5, "r": 1.5})


species_mix = st.fixed_dictionaries(
    {"NMC811": st.floats(0, 10), "graphite": st.floats(0, 10), "Cu": st.floats(0, 5)}
)


@settings(max_examples=60, deadline=None)
@given(species_mix, st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1)), min_size=1, max_size=8))
def test_element_conservation_random_feeds_and_draws(feed_kg, draws):
    compiled = leach_loop().compile(list(feed_kg))
    idx = compiled.index
    feed = np.zeros((len(draws), len(idx)))
    for name, kg in feed_kg.items():
        feed[:, idx.position(name)] = kg
    X = np.array([d[0] for d in draws])
    r = np.array([max(d[1], 1e-3) for d in draws])
    ev = compiled.evaluate(feed, {"X": X, "r": r})
    assert element_balance_error(ev, {"liquor": 1, "residue": 1}).max() <= 1e-9
    for s in ev.streams.values():
        assert s.min() >= -1e-12 * max(1.0, feed.sum())


def test_sampled_default_share_keeps_species_active_in_recycle():
    # a '*' share that varies by sample must not be mistaken for a fixed one when compiling
    values = {"X": 0.9, "r": np.array([0.2, 0.6])}
    compiled = leach_loop().compile(["NMC811", "graphite"], values)
    assert compiled.tear_width() == 2  # NMC811 and graphite can circulate
    feed = np.zeros((2, len(compiled.index)))
    feed[:, compiled.index.position("graphite")] = 1.0
    ev = compiled.evaluate(feed, values)
    np.testing.assert_allclose(ev.streams["residue"][:, compiled.index.position("graphite")], 1.0)


def test_values_the_compile_relied_on_must_not_change():
    # compiled with complete conversion, the leach outlet holds no NMC811 at all; evaluating
    # with another conversion would lose that NMC811, so it is refused
    compiled = leach_loop().compile(["NMC811", "graphite"], {"X": 1.0, "r": 0.5})
    assert not compiled.active["s2"][compiled.index.position("NMC811")]
    feed = np.zeros((1, len(compiled.index)))
    feed[0, compiled.index.position("NMC811")] = 1.0
    compiled.evaluate(feed, {"X": 1.0, "r": 0.5})
    with pytest.raises(RouteError, match="'X' was 1 when the flowsheet was compiled"):
        compiled.evaluate(feed, {"X": 0.5, "r": 0.5})


def test_feed_species_outside_the_compiled_set_are_refused():
    compiled = leach_loop().compile(["NMC811"])
    feed = np.zeros((1, len(compiled.index)))
    feed[0, compiled.index.position("H2SO4")] = 1.0
    with pytest.raises(InputError, match="not compiled for"):
        compiled.evaluate(feed, {"X": 0.5, "r": 0.5})


def test_streams_hold_only_the_species_that_can_be_in_them():
    compiled = leach_loop().compile(["NMC811", "graphite"])
    idx = compiled.index
    feed = np.zeros((2, len(idx)))
    feed[:, idx.position("NMC811")] = 1.0
    ev = compiled.evaluate(feed, {"X": 0.9, "r": 0.5})
    liquor = ev.parts["liquor"]
    held = {idx.names[c] for c in liquor.cols}
    assert "graphite" not in held and "NMC811" not in held  # the filter sends both to solids
    assert {"NiSO4", "Li2SO4", "H2SO4"} <= held
    np.testing.assert_array_equal(liquor.full(len(idx))[:, liquor.cols], liquor.data)


def test_burning_pure_carbon_gives_its_stoichiometric_co2():
    # C + O2 -> CO2: 44.0095 / 12.011 kg CO2 per kg C (IUPAC standard atomic weights); no water
    # forms, and the flowsheet needs no water species for it
    fs = Flowsheet(
        "kiln", (Unit("kiln", ("feed",), ("gas",), burn={"graphite": 1.0}),), {"gas": "emission"}
    )
    compiled = fs.compile(["graphite"])
    feed = np.zeros((1, len(compiled.index)))
    feed[0, compiled.index.position("graphite")] = 1.0
    ev = compiled.evaluate(feed)
    co2 = ev.streams["gas"][0, compiled.index.position("CO2")]
    assert co2 == pytest.approx(44.0095 / 12.011, rel=1e-4)


def test_burning_brominated_resin_gives_hbr_with_all_its_bromine():
    # every Br atom leaves as HBr: kg HBr = kg Br x M(HBr)/M(Br) (molmass), the rest CO2 and water
    from molmass import Formula

    from urbanmine.materials.species import get_species

    fs = Flowsheet(
        "kiln",
        (Unit("kiln", ("feed",), ("gas",), burn={"brominated_epoxy": 1.0}),),
        {"gas": "emission"},
    )
    compiled = fs.compile(["brominated_epoxy"])
    feed = np.zeros((1, len(compiled.index)))
    feed[0, compiled.index.position("brominated_epoxy")] = 1.0
    ev = compiled.evaluate(feed)
    hbr = ev.streams["gas"][0, compiled.index.position("HBr")]
    br = get_species("brominated_epoxy").elements["Br"]
    assert hbr == pytest.approx(br * Formula("HBr").mass / Formula("Br").mass, rel=1e-12)
    assert element_balance_error(ev, {"gas": "emission"}).max() <= 1e-12
