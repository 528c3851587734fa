"""assess(): process CO2 from carbon by stoichiometry, contributions that add up, allocation,
system-expansion credits, factor uncertainty."""

import dataclasses
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pytest
from conftest import IUPAC

from urbanmine.errors import InputError
from urbanmine.impacts.lca import ALLOCATIONS, assess
from urbanmine.materials.feeds import Feed, get_feed
from urbanmine.materials.species import get_species
from urbanmine.routes.run import run

BURNER = """
[route]
name = "burner"
title = "Burn all carbon of the feed in air"
intake = "cells"
accepts = ["cell"]
source = "test route"

[[units]]
name = "furnace"
inlets = ["feed"]
outlets = ["offgas", "ash"]
source = "test"
[units.burn]
graphite = 1.0
[units.split.offgas]
CO2 = 1.0
N2 = 1.0

[sinks]
offgas = "emission"
ash = "landfill"
"""


def _feed(species: dict[str, float]) -> Feed:
    return Feed("test", "NMC622", "cell", "everbatt2023", MappingProxyType(species), 0.0, "test")


@pytest.fixture(scope="module")
def burner(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("routes") / "burner.toml"
    path.write_text(BURNER)
    return path


def test_burning_graphite_emits_44_over_12_kg_co2_per_kg_carbon(burner):
    result = run(_feed({"graphite": 2.0}), str(burner))
    im = assess(result)
    co2_per_c = (IUPAC["C"] + 2 * IUPAC["O"]) / IUPAC["C"]  # 44.009/12.011 with IUPAC 2021
    process = sum(
        c["ghg_kg_co2e"] for c in im.contributions if c["input"] == "process emissions CO2"
    )
    assert process == pytest.approx(2.0 * co2_per_c, rel=1e-4)
    # nothing recovered: system expansion has no credit and equals the burden
    se = assess(result, allocation="system_expansion")
    assert se.credits_kg_co2e.max() == 0.0
    assert se.ghg_kg_co2e[0] == pytest.approx(im.ghg_kg_co2e[0], rel=1e-15)


def test_species_carbon_contents_match_everbatt_table16():
    # ANL-19/16 Table 16 carbon contents (rounded to 2 digits there); EB23 PVDF 0.375
    table16 = {"EC": 0.41, "DMC": 0.40, "PP": 0.86, "PET": 0.63, "PVDF": 0.375}
    for sp, c in table16.items():
        assert get_species(sp).elements["C"] == pytest.approx(c, abs=0.006), sp


@pytest.fixture(scope="module")
def hydro():
    return run(get_feed("NMC622-cell").scaled(mass_kg=1.0), "hydro", 64, seed=3)


@pytest.mark.parametrize("allocation", ALLOCATIONS)
def test_contributions_sum_to_the_total(hydro, allocation):
    prices = {
        sp.split(".", 2)[2]: 1.0 + i
        for i, sp in enumerate(sorted(hydro.per_sample))
        if sp.startswith("fate.")
    }
    im = assess(hydro, allocation=allocation, prices=prices)
    d = im.to_dict()
    assert im.ghg_kg_co2e.shape == (64,)
    assert sum(c["ghg_kg_co2e"] for c in d["contributions"]) == pytest.approx(
        d["ghg_kg_co2e"], rel=1e-12
    )
    assert {
        "ghg_kg_co2e",
        "energy_MJ",
        "water_L",
        "contributions",
        "factor_set",
        "location",
        "allocation",
    } <= set(d)


def test_system_expansion_credits_are_negative(hydro):
    none = assess(hydro)
    se = assess(hydro, allocation="system_expansion")
    assert np.all(se.credits_kg_co2e > 0)
    assert np.all(se.ghg_kg_co2e < none.ghg_kg_co2e)
    np.testing.assert_allclose(se.ghg_kg_co2e, none.ghg_kg_co2e - se.credits_kg_co2e, rtol=1e-12)
    credit_rows = [c for c in se.contributions if c["unit"] == "system expansion"]
    assert credit_rows and all(c["ghg_kg_co2e"] < 0 for c in credit_rows)
    # EverBatt Eq. 13 credits only co-products: a smaller credit, same sign
    co = assess(hydro, allocation="system_expansion_coproducts")
    assert np.all(co.credits_kg_co2e > 0)
    assert np.all(co.credits_kg_co2e < se.credits_kg_co2e)


def test_mass_allocation_share_is_product_mass_over_recovered_mass(hydro):
    d = hydro.to_dict()
    main = sum(o["mass_kg"] for o in d["outputs"] if o["fate"] == "product")
    recovered = sum(o["mass_kg"] for o in d["outputs"] if o["fate"] in ("product", "recycled"))
    im = assess(hydro, allocation="mass")
    # share per sample averages to roughly the share of means; exact with one sample
    one = run(get_feed("NMC622-cell").scaled(mass_kg=1.0), "hydro")
    one_d = one.to_dict()
    share = sum(o["mass_kg"] for o in one_d["outputs"] if o["fate"] == "product") / sum(
        o["mass_kg"] for o in one_d["outputs"] if o["fate"] in ("product", "recycled")
    )
    assert assess(one, allocation="mass").allocation_share[0] == pytest.approx(share, rel=1e-12)
    assert im.allocation_share.mean() == pytest.approx(main / recovered, rel=0.05)


def test_economic_allocation_needs_every_price(hydro):
    with pytest.raises(InputError, match="no price"):
        assess(hydro, allocation="economic", prices={"Li2CO3": 17.14})
    with pytest.raises(InputError, match="allowed"):
        assess(hydro, allocation="cut-off")


def test_inventory_times_factors_by_hand():
    """One sample of hydro: the total is reagents x factors + utilities x factors + process CO2."""
    from urbanmine.impacts.factors import load_factor_set

    result = run(get_feed("NMC622-cell").scaled(mass_kg=1.0), "hydro")
    fs = load_factor_set("greet2022")
    inv = result.to_dict()["inventory"]
    expected = sum(
        kg * fs.input_factor(sp).ghg_kg_co2e
        for sp, kg in inv["reagents_kg"].items()
        if fs.input_factor(sp) is not None
    )
    expected += inv["electricity_kWh"] * 0.4665  # GREET 2022 U.S. 136,717 g/mmBtu = 466.5 g/kWh
    expected += (
        inv["natural_gas_MJ"] * fs.natural_gas.ghg_kg_co2e
        + inv["diesel_MJ"] * fs.diesel.ghg_kg_co2e
    )
    expected += result.mean("fate.emission.CO2")
    assert assess(result).ghg_kg_co2e[0] == pytest.approx(expected, rel=1e-3)


def test_factor_uncertainty_is_sampled_reproducibly(tmp_path, hydro):
    from importlib import resources

    src = resources.files("urbanmine.data").joinpath("factors", "greet2022.toml").read_text()
    marker = "[materials.sodium_hydroxide]\n"
    custom = src.replace(
        marker,
        marker + 'uncertainty = { kind = "uniform", low = 0.5, high = 1.5, source = "test" }\n',
    )
    path = tmp_path / "custom.toml"
    path.write_text(custom)
    a = assess(hydro, factor_set=str(path), seed=7)
    b = assess(hydro, factor_set=str(path), seed=7)
    fixed = assess(hydro)
    np.testing.assert_array_equal(a.ghg_kg_co2e, b.ghg_kg_co2e)
    assert np.std(a.ghg_kg_co2e - fixed.ghg_kg_co2e) > 0.01
    assert "quantiles" in a.to_dict()


RELOOP = """
[route]
name = "reloop"
title = "Dose lithium carbonate into graphite and sell all of it back"
intake = "cells"
accepts = ["cell"]
source = "test route"

[[units]]
name = "mixer"
inlets = ["feed"]
outlets = ["li2co3_product", "rest"]
source = "test"
[[units.doses]]
species = "Li2CO3"
amount = 0.5
[units.split.li2co3_product]
Li2CO3 = 1.0

[sinks]
li2co3_product = "product"
rest = "landfill"
"""


def _uncertain_factor_set(tmp_path: Path, material: str) -> str:
    from importlib import resources

    src = resources.files("urbanmine.data").joinpath("factors", "greet2022.toml").read_text()
    marker = f"[materials.{material}]\n"
    assert marker in src
    custom = src.replace(
        marker,
        marker + 'uncertainty = { kind = "uniform", low = 0.5, high = 1.5, source = "test" }\n',
    )
    path = tmp_path / "custom.toml"
    path.write_text(custom)
    return str(path)


def test_burden_and_credit_of_one_material_share_one_draw(tmp_path):
    """Li2CO3 dosed as a reagent (burden) and sold as product (credit) in equal mass: with one
    draw of its factor per sample the two cancel exactly, whatever the draw."""
    from urbanmine.impacts.factors import load_factor_set
    from urbanmine.impacts.lca import FactorDraws, inventory_lines, system_expansion_credits

    route = tmp_path / "reloop.toml"
    route.write_text(RELOOP)
    result = run(_feed({"graphite": 2.0}), str(route), samples=200)
    assert result.mean("fate.product.Li2CO3") == pytest.approx(1.0, rel=1e-12)  # 0.5 x 2 kg
    fs = load_factor_set(_uncertain_factor_set(tmp_path, "lithium_carbonate"))
    draws = FactorDraws(result.samples, seed=11)
    burden = next(ln for ln in inventory_lines(result, fs, "US", draws)[0] if ln.input == "Li2CO3")
    (credit,), _ = system_expansion_credits(result, fs, draws)
    assert np.std(burden.ghg) > 0.1 * np.mean(burden.ghg)  # the factor does vary
    assert np.corrcoef(burden.ghg, -credit.ghg)[0, 1] == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_array_equal(burden.ghg + credit.ghg, np.zeros(result.samples))

    # through assess: the net result is the same in every sample (only Li2CO3 is uncertain)
    im = assess(result, factor_set=str(tmp_path / "custom.toml"), allocation="system_expansion")
    assert np.std(im.burden_ghg_kg_co2e) > 0.1 * np.mean(im.burden_ghg_kg_co2e)
    assert np.ptp(im.ghg_kg_co2e) <= 1e-12 * np.abs(im.ghg_kg_co2e).max()


def test_a_factor_draw_does_not_depend_on_the_other_factors(tmp_path):
    from urbanmine.impacts.factors import load_factor_set
    from urbanmine.impacts.lca import FactorDraws

    fs = load_factor_set(_uncertain_factor_set(tmp_path, "lithium_carbonate"))
    li2co3 = fs.material("lithium_carbonate")
    other = dataclasses.replace(li2co3, key="something_else")
    alone = FactorDraws(64, seed=5)
    both = FactorDraws(64, seed=5)
    both.multiplier(other)
    np.testing.assert_array_equal(alone.multiplier(li2co3), both.multiplier(li2co3))
    assert not np.array_equal(both.multiplier(other), both.multiplier(li2co3))
    assert FactorDraws(1, seed=5).multiplier(li2co3) == 1.0  # a point run uses the factor


def test_cobalt_powder_books_its_hydrogen_at_the_smr_factor():
    """The reduction Co3O4 + 4 H2 -> 3 Co + 4 H2O takes 4/3 mol H2 per mol Co (IUPAC masses) plus
    the route's make-up excess; each kg of H2 carries 11.2 kg CO2e (SMR life cycle, Cho, Strezov &
    Evans 2022, Energy Reports 8:13585), so the H2 lines add kg H2 x 11.2 to the burden and H2 is
    no longer excluded."""
    from urbanmine.routes.compose import load_route

    result = run(get_feed("cobalt-sulfate-solution"), "cobalt_powder")
    im = assess(result, allocation="none")
    excess = load_route("cobalt_powder").parameters["h2_excess"].value
    co_kg = result.mean("fate.product.Co")
    h2_kg = co_kg * 4 / 3 * (2 * IUPAC["H"]) / IUPAC["Co"] * (1 + excess)
    assert result.mean("inventory.reagents_kg.H2") == pytest.approx(h2_kg, rel=1e-4)
    h2_ghg = sum(c["ghg_kg_co2e"] for c in im.contributions if c["input"] == "H2")
    assert h2_ghg == pytest.approx(h2_kg * 11.2, rel=1e-4)
    assert "H2" not in im.excluded and "(NH4)2C2O4" in im.excluded
