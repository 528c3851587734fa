"""Materials: formulas, species compositions, feeds and bills of materials against their sources."""

from fractions import Fraction

import pytest
from conftest import IUPAC

from urbanmine.errors import InputError
from urbanmine.materials.feeds import get_feed
from urbanmine.materials.formula import FormulaError, parse_formula
from urbanmine.materials.species import get_species, registry

CATHODES = {
    "NMC111": {"Li": 1, "Ni": 1 / 3, "Mn": 1 / 3, "Co": 1 / 3, "O": 2},
    "NMC532": {"Li": 1, "Ni": 0.5, "Mn": 0.3, "Co": 0.2, "O": 2},
    "NMC622": {"Li": 1, "Ni": 0.6, "Mn": 0.2, "Co": 0.2, "O": 2},
    "NMC811": {"Li": 1, "Ni": 0.8, "Mn": 0.1, "Co": 0.1, "O": 2},
    "NCA": {"Li": 1, "Ni": 0.8, "Co": 0.15, "Al": 0.05, "O": 2},
    "LFP": {"Li": 1, "Fe": 1, "P": 1, "O": 4},
    "LMO": {"Li": 1, "Mn": 2, "O": 4},
    "LCO": {"Li": 1, "Co": 1, "O": 2},
}


@pytest.mark.parametrize("name", sorted(CATHODES))
def test_cathode_element_fractions_follow_the_formula(name):
    atoms = CATHODES[name]
    mw = sum(n * IUPAC[el] for el, n in atoms.items())
    species = get_species(name)
    for el, n in atoms.items():
        # abridged IUPAC weights differ from molmass's full ones by < 1e-4 relative
        assert species.elements[el] == pytest.approx(n * IUPAC[el] / mw, rel=2e-4)
    assert sum(species.elements.values()) == pytest.approx(1.0, abs=1e-12)


def test_fractional_and_grouped_formulas_parse_exactly():
    assert parse_formula("LiNi1/3Mn1/3Co1/3O2")["Ni"] == Fraction(1, 3)
    assert parse_formula("Ni0.8Mn0.1Co0.1(OH)2") == {
        "Ni": Fraction(4, 5),
        "Mn": Fraction(1, 10),
        "Co": Fraction(1, 10),
        "O": 2,
        "H": 2,
    }
    assert parse_formula("Al2(SO4)3") == {"Al": 2, "S": 3, "O": 12}
    with pytest.raises(FormulaError):
        parse_formula("Xx2O")
    with pytest.raises(FormulaError):
        parse_formula("Ni(OH2")


def test_every_species_has_a_source_and_closed_composition():
    for sp in registry().values():
        assert sp.source
        assert sum(sp.elements.values()) == pytest.approx(1.0, abs=1e-9)


def test_carbon_contents_match_everbatt_table_16():
    # ANL-19/16 Table 16 carbon contents (PE is stated as 0.92 there; its formula gives 0.856)
    for name, carbon in {"EC": 0.41, "DMC": 0.40, "PP": 0.86, "PET": 0.63, "graphite": 1.0}.items():
        assert get_species(name).elements["C"] == pytest.approx(carbon, abs=0.005)
    assert get_species("PVDF").elements["C"] == pytest.approx(0.375, abs=0.001)  # EverBatt 2023


@pytest.mark.parametrize(
    ("chemistry", "pack_kg"),
    # EverBatt 2023 Disassembly tab row 2, pack weight (kg) of the 100 kWh BatPaC 5.0 packs
    [
        ("NMC111", 538.3649913684184),
        ("NMC622", 514.7856220198815),
        ("NMC811", 488.72637525178504),
        ("NCA", 498.73346004576956),
        ("LFP", 648.6303585054485),
    ],
)
def test_pack_bill_of_materials_closes_to_everbatt_pack_weight(chemistry, pack_kg):
    feed = get_feed(f"{chemistry}-pack", "everbatt2023")
    assert feed.mass_kg == pytest.approx(pack_kg, rel=1e-9)
    assert feed.capacity_kWh == pytest.approx(100.0)


def test_batpac5_pack_is_the_488_7_kg_design():
    feed = get_feed("NMC811-pack", "batpac5")
    assert feed.mass_kg == pytest.approx(488.7, rel=5e-3)  # everbatt-inputs.md section 5.3


@pytest.mark.parametrize(
    ("chemistry", "expected"),
    # everbatt-inputs.md section 2.3, EverBatt 2023 black mass composition [EB-recalc], wt%
    [
        ("NMC622", {"Li": 4.36, "Co": 7.40, "Ni": 22.10, "Mn": 6.90, "Cu": 0.57, "Al": 0.37}),
        ("NMC811", {"Li": 4.16, "Co": 3.53, "Ni": 28.11, "Mn": 3.29, "Cu": 0.56, "Al": 0.37}),
        ("LFP", {"Li": 2.87, "Cu": 0.72, "Al": 0.45}),
    ],
)
def test_black_mass_matches_everbatt_2023(chemistry, expected):
    el = get_feed(f"{chemistry}-blackmass").elements_kg()
    for symbol, pct in expected.items():
        assert el[symbol] * 100 == pytest.approx(pct, abs=0.006)


def test_feed_scaling_by_energy_and_mass():
    pack = get_feed("NMC811-pack").scaled(kwh=50)
    assert pack.capacity_kWh == pytest.approx(50)
    assert pack.mass_kg == pytest.approx(488.72637525178504 / 2, rel=1e-12)
    assert get_feed("NMC811-cell").scaled(mass_kg=3).mass_kg == pytest.approx(3)
    with pytest.raises(InputError):
        get_feed("NMC811-cell").scaled(mass_kg=-1)
    with pytest.raises(InputError):
        get_feed("NMC811-cell").scaled(mass_kg=1, kwh=1)


def test_unknown_feed_and_preset_are_refused():
    with pytest.raises(InputError, match="unknown feed"):
        get_feed("NMC999-cell")
    with pytest.raises(InputError, match="unknown preset"):
        get_feed("NMC811-cell", "everbatt1999")
    with pytest.raises(InputError, match="no module or pack"):
        get_feed("NMC811-pack", "everbatt2019")
