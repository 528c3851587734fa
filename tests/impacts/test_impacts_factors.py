"""Factor sets: exact unit conversions, the GREET values EverBatt uses (everbatt-inputs.md section 4),
each edition's GWP basis, and a factor or a documented exclusion for every reagent of every route."""

import pytest

from urbanmine.errors import InputError
from urbanmine.impacts.factors import (
    GALLON_L,
    MMBTU_MJ,
    SHORT_TON_KG,
    electricity_factor,
    factor_set_names,
    grid_factors,
    load_factor_set,
    material_factor,
    species_map,
)
from urbanmine.materials.feeds import presets
from urbanmine.routes.compose import load_route, route_names


def test_conversion_constants_follow_their_definitions():
    # NIST SP 811: 1 lb = 0.45359237 kg, 1 in = 0.0254 m, 1 Btu(IT) = 1055.05585262 J
    assert pytest.approx(2000 * 0.45359237, rel=1e-15) == SHORT_TON_KG
    assert pytest.approx(1e6 * 1055.05585262 / 1e6, rel=1e-15) == MMBTU_MJ
    assert pytest.approx(231 * 0.0254**3 * 1000, rel=1e-14) == GALLON_L


def _material(**kw):
    from urbanmine.impacts.factors import _MaterialRecord

    base = dict(
        label="x",
        unit="short_ton",
        ghg_g=0.0,
        energy_mmBtu=0.0,
        water_gal=0.0,
        co2_voc_co_g=0.0,
        ch4_g=0.0,
        n2o_g=0.0,
        source="test",
    )
    return _MaterialRecord(**{**base, **kw})


def test_per_short_ton_converts_exactly_to_per_kg():
    f = material_factor(
        "x",
        _material(
            ghg_g=907.18474e3,
            energy_mmBtu=907.18474 / 1055.05585262,
            water_gal=907.18474 / 3.785411784,
        ),
    )
    assert f.ghg_kg_co2e == pytest.approx(1.0, rel=1e-15)
    assert f.energy_MJ == pytest.approx(1.0, rel=1e-15)
    assert f.water_L == pytest.approx(1.0, rel=1e-15)


def test_per_mmbtu_electricity_converts_exactly_to_per_kwh():
    from urbanmine.impacts.factors import _ElectricityRecord

    rec = _ElectricityRecord(
        label="x",
        unit="mmBtu",
        ghg_g=1055.05585262e3 / 3.6,
        energy_Btu=1e6,
        water_gal=1055.05585262 / 3.6 / 3.785411784,
        co2_voc_co_g=0.0,
        ch4_g=0.0,
        n2o_g=0.0,
        source="t",
    )
    f = electricity_factor("e", rec)
    assert f.ghg_kg_co2e == pytest.approx(1.0, rel=1e-15)  # 1 kg CO2e per kWh
    assert f.energy_MJ == pytest.approx(3.6, rel=1e-15)  # 1 MJ per MJ delivered
    assert f.water_L == pytest.approx(1.0, rel=1e-15)


# everbatt-inputs.md section 4 (kg CO2e/kg, derived there with /907.2 and rounded)
SECTION4_GHG = {
    "greet2018": {
        "nickel_sulfate": 3.40,
        "cobalt_sulfate": 7.07,
        "manganese_sulfate": 0.70,
        "lithium_carbonate": 3.81,
        "lithium_hydroxide": 8.22,
        "cobalt_ion": 18.61,
        "nickel_ion": 8.97,
        "cathode_nmc111": 16.11,
        "cathode_nmc811": 15.57,
        "graphite": 4.86,
        "copper": 3.08,
        "aluminum": 7.41,
        "sodium_hydroxide": 2.16,
    },
    "greet2020": {
        "nickel_sulfate": 8.22,
        "cobalt_sulfate": 6.80,
        "cathode_nmc532": 18.81,
        "cathode_nmc811": 21.96,
        "cathode_nca": 23.40,
        "cathode_lfp": 5.03,
        "steel": 2.56,
        "hydrogen_peroxide": 1.06,
    },
    "greet2022": {
        "nickel_sulfate": 7.57,
        "cobalt_sulfate": 6.91,
        "manganese_sulfate": 0.87,
        "lithium_carbonate": 12.39,
        "lithium_hydroxide": 24.24,
        "cobalt_ion": 18.18,
        "nickel_ion": 19.95,
        "cathode_nmc622": 22.87,
        "cathode_nmc811": 25.49,
        "cathode_lfp": 9.45,
        "graphite": 9.11,
        "copper": 4.49,
        "aluminum": 6.05,
        "sulfuric_acid": 0.044,
        "sodium_hydroxide": 2.12,
        "hydrogen_peroxide": 1.08,
        "soda_ash": 0.71,
        "lime": 1.28,
        "limestone": 0.010,
        "sand": 0.024,
    },
}
SECTION4_ENERGY_2022 = {
    "nickel_sulfate": 109,
    "cobalt_sulfate": 105,
    "lithium_carbonate": 134,
    "lithium_hydroxide": 292,
    "cathode_nmc811": 366,
    "graphite": 101,
}


def _rounded_match(value: float, printed: float) -> bool:
    decimals = len(repr(printed).split(".")[1]) if "." in repr(printed) else 0
    # half a unit of the printed digit, plus the 907.2 vs 907.18474 difference of the reference
    return abs(value - printed) <= 0.5 * 10**-decimals + 2e-5 * abs(printed)


@pytest.mark.parametrize("edition", sorted(SECTION4_GHG))
def test_material_ghg_matches_everbatt_inputs_section4(edition):
    fs = load_factor_set(edition)
    for item, printed in SECTION4_GHG[edition].items():
        assert _rounded_match(fs.material(item).ghg_kg_co2e, printed), (edition, item)


def test_material_energy_2022_matches_section4():
    fs = load_factor_set("greet2022")
    for item, printed in SECTION4_ENERGY_2022.items():
        assert abs(fs.material(item).energy_MJ - printed) <= 0.5 + 2e-5 * printed, item


def test_electricity_2022_by_region_matches_section4():
    # everbatt-inputs.md section 4: U.S. 466.5, CA 292.7, China 700.1, Korea 574.6 g CO2e/kWh
    fs = load_factor_set("greet2022")
    printed = {"US": 466.5, "US-CA": 292.7, "CN": 700.1, "KR": 574.6}
    for loc, g in printed.items():
        assert abs(fs.electricity_at(loc).ghg_kg_co2e * 1000 - g) <= 0.05 + 2e-5 * g


def test_natural_gas_2022_near_section4():
    # section 4: upstream 13,740 + combustion ~59,600 g/mmBtu = ~69.5 g CO2e/MJ; we also count the
    # carbon of VOC and CO as GREET's GHG rows do (+0.04 g/MJ)
    ng = load_factor_set("greet2022").natural_gas
    assert ng.ghg_kg_co2e * 1000 == pytest.approx(69.5, abs=0.1)


@pytest.mark.parametrize(
    ("edition", "gwp", "ch4", "n2o"),
    [("greet2018", "AR5", 30, 265), ("greet2020", "AR5", 30, 265), ("greet2022", "AR6", 29.8, 273)],
)
def test_each_edition_gwp_reproduces_greet_own_ghg_totals(edition, gwp, ch4, n2o):
    """GWP basis (everbatt-inputs.md section 1): GREET's GHG row = CO2 (with C of VOC and CO)
    + GWP_CH4 CH4 + GWP_N2O N2O for every material (aluminium adds perfluorocarbons from smelting,
    which GREET IO does not itemise) and every electricity region."""
    from urbanmine.data import load_toml

    fs = load_factor_set(edition)
    assert (fs.gwp, fs.gwp_100["CH4"], fs.gwp_100["N2O"]) == (gwp, ch4, n2o)
    raw = load_toml("factors", f"{edition}.toml")
    records = {**raw["materials"], **{f"e.{k}": v for k, v in raw["electricity"].items()}}
    for key, r in records.items():
        if key == "aluminum":
            continue
        total = r["co2_voc_co_g"] + ch4 * r["ch4_g"] + n2o * r["n2o_g"]
        assert total == pytest.approx(r["ghg_g"], rel=1e-9, abs=1e-9), key
    al = raw["materials"]["aluminum"]
    assert al["ghg_g"] > al["co2_voc_co_g"] + ch4 * al["ch4_g"] + n2o * al["n2o_g"]


def test_every_reagent_of_every_shipped_route_has_a_factor_or_a_documented_exclusion():
    reagents = set()
    for preset in presets():
        for name in route_names():
            for unit in load_route(name, preset).units:
                reagents |= unit.reagent_species()
    mapped = species_map().inputs
    assert reagents <= set(mapped), sorted(reagents - set(mapped))
    for edition in factor_set_names():
        fs = load_factor_set(edition)
        for sp in reagents:
            rec = mapped[sp]
            if rec.exclude:
                assert len(rec.exclude) > 20  # a reason, not a placeholder
            else:
                assert fs.input_factor(sp).source


def test_grid_covers_eu27_and_china():
    eu27 = {
        "AT",
        "BE",
        "BG",
        "HR",
        "CY",
        "CZ",
        "DK",
        "EE",
        "FI",
        "FR",
        "DE",
        "GR",
        "HU",
        "IE",
        "IT",
        "LV",
        "LT",
        "LU",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SK",
        "SI",
        "ES",
        "SE",
    }
    assert eu27 | {"CN", "EU27"} <= set(grid_factors())
    fs = load_factor_set("greet2022")
    # GREET region first, grid.toml on request
    assert fs.electricity_at("CN").ghg_kg_co2e != fs.electricity_at("grid:CN").ghg_kg_co2e
    assert fs.electricity_at("DE").key == "electricity.grid:DE"


def test_element_basis_conversion_uses_contained_metal():
    # Ni(OH)2 credits 'Ni2+ in Ni salt' per kg Ni: factor x w(Ni in Ni(OH)2) with IUPAC masses
    fs = load_factor_set("greet2022")
    w_ni = 58.693 / (58.693 + 2 * (15.999 + 1.008))
    f = fs.displaced_factor("Ni(OH)2")
    assert f.ghg_kg_co2e == pytest.approx(fs.material("nickel_ion").ghg_kg_co2e * w_ni, rel=1e-4)


def test_bad_names_are_input_errors():
    with pytest.raises(InputError, match="greet2022"):
        load_factor_set("greet1999")
    with pytest.raises(InputError, match="allowed"):
        load_factor_set("greet2022").electricity_at("Atlantis")
    with pytest.raises(InputError, match="no factor mapping"):
        load_factor_set("greet2022").input_factor("graphite")


def test_supplements_fill_what_greet_lacks() -> None:
    """Nuss & Eckelman (2014) SI Table S1 per kg: Au 12,500 and W 12.6 kg CO2e; each GREET set
    carries every supplement's items beside its own, which keep precedence and their GREET source,
    and names all its supplements."""
    from urbanmine.impacts.factors import SUPPLEMENTS, load_factor_set, supplement_files

    names = tuple(f.meta.name for f in supplement_files())
    assert len(names) == len(SUPPLEMENTS) == 2 and names[0] == "nuss-eckelman-2014"
    for edition in ("greet2018", "greet2020", "greet2022"):
        fs = load_factor_set(edition)
        assert fs.supplements == names
        assert fs.material("gold").ghg_kg_co2e == 12500.0
        assert fs.material("tungsten").ghg_kg_co2e == 12.6
        assert "Nuss" not in fs.material("copper").source  # GREET keeps its own items
        assert "Nuss" in fs.material("palladium").source and "0" in fs.material("gold").note
        assert "Cho" in fs.material("hydrogen").source
    assert set(supplement_files()[0].materials) >= {
        "gold",
        "silver",
        "palladium",
        "platinum",
        "tin",
        "tungsten",
        "cobalt_metal",
    }
    assert set(supplement_files()[1].materials) >= {"hydrogen", "nitric_acid", "sodium_chloride"}


def test_hydrogen_factor_is_the_cited_smr_value() -> None:
    """Cho, Strezov & Evans 2022 (Energy Reports 8:13585): 11.2 kg CO2e per kg H2 from SMR over the
    life cycle; DOE H2A 2018 central SMR (GCAM H2A_IO_coef_data.csv): 0.16484 GJ gas + 0.00205 GJ
    electricity and 4.296129518 gal of water per kg H2 (1 gal = 3.785411784 L)."""
    for edition in ("greet2018", "greet2022"):
        f = load_factor_set(edition).input_factor("H2")
        assert f is not None and f.unit == "kg"
        assert f.ghg_kg_co2e == 11.2
        assert f.energy_MJ == pytest.approx(164.84 + 2.05, rel=1e-9)
        assert f.water_L == pytest.approx(4.296129518 * 3.785411784, rel=1e-3)


def test_nitric_acid_factor_adds_n2o_and_the_ammonia_feed() -> None:
    """Brentrup & Palliere 2008 (IFS Proc. 639): 7.5 kg N2O per t HNO3 without abatement, counted
    at the edition's GWP; plus the stoichiometric NH3 of NH3 + 2 O2 -> HNO3 + H2O (molmass) at
    the edition's own GREET ammonia factor."""
    from molmass import Formula

    nh3_per_kg = Formula("NH3").mass / Formula("HNO3").mass
    for edition in ("greet2018", "greet2020", "greet2022"):
        fs = load_factor_set(edition)
        f = fs.input_factor("HNO3")
        nh3 = fs.material("ammonia")
        assert f is not None
        expected = 7.5e-3 * fs.gwp_100["N2O"] + nh3_per_kg * nh3.ghg_kg_co2e
        assert f.ghg_kg_co2e == pytest.approx(expected, rel=1e-4)
        assert f.energy_MJ == pytest.approx(nh3_per_kg * nh3.energy_MJ, rel=1e-4)
        assert "Brentrup" in f.source and "ammonia" in f.source.lower()


def test_sodium_chloride_factor_spans_the_vacuum_salt_range() -> None:
    """Carbotech 2019 (Oekobilanz Auftausalze): vacuum salt 18-50 kg CO2 per t; the factor is the
    midpoint and its uncertainty spans the range; energy not given (0, said in the note)."""
    import numpy as np

    f = load_factor_set("greet2022").input_factor("NaCl")
    assert f is not None and f.ghg_kg_co2e == pytest.approx((0.018 + 0.050) / 2)
    assert f.energy_MJ == 0.0 and "energy not given" in f.note
    assert f.uncertainty is not None
    draws = f.ghg_kg_co2e * f.uncertainty.sample(np.random.default_rng(1), 2000)
    assert draws.min() >= 0.018 - 1e-12 and draws.max() <= 0.050 + 1e-12


def test_supplement_inputs_must_name_an_item() -> None:
    from urbanmine.impacts.factors import _SupplementMeta, _SupplementRecord, supplement_factor

    rec = _SupplementRecord(label="x", ghg_kg_co2e=0.0, inputs={"unobtainium": 1.0}, source="t")
    meta = _SupplementMeta(name="test", title="t", source="t")
    with pytest.raises(InputError, match="unobtainium"):
        supplement_factor("x", rec, meta, 298.0, {})
