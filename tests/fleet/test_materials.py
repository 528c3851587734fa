"""Fleet materials: GWh of packs -> tonnes of packs and elements, from the flowsheet's pack BOMs.

Expected values come from the BOM tables read raw (not through the feed code), the EverBatt
workbooks' pack weights (cited) and stoichiometry with IUPAC atomic weights (conftest).
"""

import numpy as np
import pytest
from conftest import IUPAC

from urbanmine.data import load_toml
from urbanmine.errors import InputError
from urbanmine.fleet.materials import (
    ELEMENTS,
    FLEET_CHEMISTRIES,
    elements_t,
    intensity,
    pack_t,
)

# Pack weights, kg per pack, as the EverBatt workbooks state them (Disassembly tab), with the pack's
# capacity: EverBatt 2023 row 2 "Pack wt (kg)" (AC2..AJ2), 100 kWh packs of 400 x 0.25 kWh cells;
# EverBatt 2020 row 6 (AG6 for LMO), 140 cells x 0.16806722689075623 kWh (Man Par. I11).
# Transcribed in src/urbanmine/data/bom/NOTES.md §2-§3 (mass closure tables).
PACK_KG = {
    "NMC111": (538.3649913684184, 100.0),
    "NMC532": (518.5990147856419, 100.0),
    "NMC622": (514.7856220198815, 100.0),
    "NMC811": (488.72637525178504, 100.0),
    "NCA": (498.73346004576956, 100.0),
    "LFP": (648.6303585054485, 100.0),
    "LMO": (151.963910561863, 140 * 0.16806722689075623),
}


def molar(atoms: dict[str, float]) -> float:
    return sum(n * IUPAC[el] for el, n in atoms.items())


def raw_cell_kg_per_kwh(preset: str, chemistry: str, species: str) -> float:
    """kg of a cell species per kWh of pack, read straight from the BOM TOML: the cells carry
    all the capacity and all the cell species."""
    cell = load_toml("bom", f"{preset}.toml")["cells"][chemistry]
    return cell["mass_fraction"][species] * cell["mass_kg"] / cell["capacity_kWh"]


@pytest.mark.parametrize("chemistry", FLEET_CHEMISTRIES)
def test_pack_mass_per_gwh_is_the_everbatt_pack_weight(chemistry):
    kg, kwh = PACK_KG[chemistry]
    # 1 GWh = 1e6 kWh; kg -> t / 1000
    expected = kg / kwh * 1e6 / 1e3
    got = pack_t(np.eye(len(FLEET_CHEMISTRIES)))[FLEET_CHEMISTRIES.index(chemistry)]
    assert got.sum() == pytest.approx(expected, rel=1e-12)


def test_lithium_in_lfp_follows_lifepo4_and_lipf6_stoichiometry():
    lfp = raw_cell_kg_per_kwh("everbatt2023", "LFP", "LFP")
    lipf6 = raw_cell_kg_per_kwh("everbatt2023", "LFP", "LiPF6")
    li_cathode = lfp * IUPAC["Li"] / molar({"Li": 1, "Fe": 1, "P": 1, "O": 4})
    li_salt = lipf6 * IUPAC["Li"] / molar({"Li": 1, "P": 1, "F": 6})
    # kg/kWh -> t/GWh: x 1000
    pack = elements_t([1.0], ["LFP"], ["Li"])[0, 0]
    active = elements_t([1.0], ["LFP"], ["Li"], basis="active")[0, 0]
    assert pack == pytest.approx((li_cathode + li_salt) * 1e3, rel=1e-4)
    assert active == pytest.approx(li_cathode * 1e3, rel=1e-4)


@pytest.mark.parametrize(
    ("chemistry", "element", "atoms"),
    [
        ("NMC811", "Co", {"Li": 1, "Ni": 0.8, "Mn": 0.1, "Co": 0.1, "O": 2}),
        ("NMC811", "Ni", {"Li": 1, "Ni": 0.8, "Mn": 0.1, "Co": 0.1, "O": 2}),
        ("NMC532", "Mn", {"Li": 1, "Ni": 0.5, "Mn": 0.3, "Co": 0.2, "O": 2}),
        ("NCA", "Co", {"Li": 1, "Ni": 0.8, "Co": 0.15, "Al": 0.05, "O": 2}),
        ("LMO", "Mn", {"Li": 1, "Mn": 2, "O": 4}),
    ],
)
def test_active_metal_follows_the_cathode_formula(chemistry, element, atoms):
    preset = "everbatt2020" if chemistry == "LMO" else "everbatt2023"  # the 2023 fallback
    cathode = raw_cell_kg_per_kwh(preset, chemistry, chemistry)
    expected = cathode * atoms[element] * IUPAC[element] / molar(atoms) * 1e3
    got = elements_t([1.0], [chemistry], [element], basis="active")[0, 0]
    assert got == pytest.approx(expected, rel=1e-4)


@pytest.mark.parametrize("chemistry", FLEET_CHEMISTRIES)
def test_graphite_is_the_anode_species_mass(chemistry):
    preset = "everbatt2020" if chemistry == "LMO" else "everbatt2023"
    expected = raw_cell_kg_per_kwh(preset, chemistry, "graphite") * 1e3
    for basis in ("pack", "active"):
        got = elements_t([1.0], [chemistry], ["graphite"], basis=basis)[0, 0]
        assert got == pytest.approx(expected, rel=1e-12)


def test_conservation_elements_never_exceed_the_pack():
    table = intensity()
    pack = table.pack_t_per_GWh
    assert np.all(table.pack_elements_t_per_GWh.sum(axis=1) <= pack)
    assert np.all(table.active_elements_t_per_GWh <= table.pack_elements_t_per_GWh * (1 + 1e-12))
    # copper and aluminium foils alone are a few per cent of the cells: the packs hold more
    assert np.all(table.pack_elements_t_per_GWh[:, ELEMENTS.index("Cu")] > 0)


def test_vectorised_over_any_axes_and_chemistry_axis_anywhere():
    rng = np.random.default_rng(1)
    gwh = rng.uniform(0, 5, (4, 3, len(FLEET_CHEMISTRIES)))  # years x countries x chemistries
    out = elements_t(gwh)
    assert out.shape == (*gwh.shape, len(ELEMENTS))
    per = np.stack([elements_t([1.0], [c])[0] for c in FLEET_CHEMISTRIES])  # (C, M)
    assert np.allclose(out, gwh[..., None] * per, rtol=1e-14)
    moved = elements_t(np.moveaxis(gwh, -1, 0), axis=0)
    assert moved.shape == (len(FLEET_CHEMISTRIES), 4, 3, len(ELEMENTS))
    assert np.array_equal(np.moveaxis(moved, 0, -2), out)
    total = pack_t(gwh).sum()
    assert total == pytest.approx((gwh * pack_t(np.eye(len(FLEET_CHEMISTRIES))).sum(0)).sum())


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"gwh": [[1.0, -2.0]], "chemistries": ["LFP", "NCA"]}, "GWh: value at index (0, 1)"),
        ({"gwh": [np.nan], "chemistries": ["LFP"]}, "allowed: finite numbers >= 0"),
        ({"gwh": [1.0, 2.0], "chemistries": ["LFP"]}, "chemistry axis (-1) has length 2"),
        ({"gwh": [1.0], "chemistries": ["NMC911"]}, "chemistries: unknown 'NMC911'"),
        ({"gwh": [1.0, 1.0], "chemistries": ["LFP", "LFP"]}, "LFP given more than once"),
        ({"gwh": [1.0], "chemistries": ["LFP"], "elements": ["Xx"]}, "elements: unknown 'Xx'"),
        ({"gwh": [1.0], "chemistries": ["LFP"], "basis": "cell"}, "unknown basis 'cell'"),
        ({"gwh": 3.0, "chemistries": ["LFP"]}, "got a scalar"),
    ],
)
def test_bad_input_is_one_clear_input_error(kwargs, message):
    with pytest.raises(InputError, match=None) as info:
        elements_t(**kwargs)
    assert message in str(info.value)
