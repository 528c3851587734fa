"""Revenue of the board and carbide loops' base and minor metals at their cited prices.

Each expected price is derived here from the published numbers (and molmass for tungsten's
content of WO3), not read back from prices.toml.
"""

from __future__ import annotations

import numpy as np
import pytest


def _result(feed: str, route: str):  # type: ignore[no-untyped-def]
    from urbanmine.materials.feeds import get_feed
    from urbanmine.routes.run import run

    return run(get_feed(feed).scaled(mass_kg=1000.0), route)


def _sold_kg(result, species: str) -> float:  # type: ignore[no-untyped-def]
    """Mean kg of ``species`` leaving as product or recycled (the fates the cost model sells)."""
    return sum(
        result.mean(f"fate.{fate}.{species}")
        for fate in ("product", "recycled")
        if f"fate.{fate}.{species}" in result.per_sample
    )


def test_lead_from_the_board_smelter_earns_the_2023_lme_average() -> None:
    """ILZSG, 2023 data release (21 Feb 2024): LME lead cash settlement averaged 2,138 USD/t."""
    from urbanmine.impacts.tea import costs

    result = _result("PCB-computer", "pcb_smelter")
    pb_kg = _sold_kg(result, "Pb")
    revenue = costs(result).revenue_by_product["Pb"]
    assert pb_kg > 0
    assert float(np.mean(revenue)) == pytest.approx(pb_kg * 2138 / 1000, rel=1e-9)


def test_zinc_make_up_costs_the_2023_lme_average() -> None:
    """FocusEconomics: High Grade Zinc LME 2023 quarterly averages 3,130, 2,536, 2,434 and
    2,500 USD/t; the zinc process's make-up is priced at their mean and is no longer unpriced."""
    from urbanmine.impacts.prices import reagent_costs, sampled_prices
    from urbanmine.impacts.tea import costs

    result = _result("carbide-hard-WC10Co", "zinc_process")
    zn_kg = result.per_sample["inventory.reagents_kg.Zn"]
    usd_per_kg = (3130 + 2536 + 2434 + 2500) / 4 / 1000
    cost = reagent_costs({"Zn": zn_kg}, sampled_prices("everbatt2023", 1, None))["Zn"]
    assert float(np.mean(zn_kg)) > 0
    assert float(np.mean(cost)) == pytest.approx(float(np.mean(zn_kg)) * usd_per_kg, rel=1e-9)
    assert not any("reagent Zn " in k for k in costs(result).unpriced_kg)


def test_tungsten_carbide_earns_its_tungsten_at_the_apt_price() -> None:
    """MMTA / Antaike: European APT averaged 342 USD per mtu WO3 in 2022 (1 mtu = 10 kg WO3).
    WC leaving the hard-metal route is valued by its W content at that price per kg W."""
    from molmass import Formula

    from urbanmine.impacts.tea import costs

    w_in_wo3 = Formula("W").mass / Formula("WO3").mass
    w_in_wc = Formula("W").mass / Formula("WC").mass
    usd_per_kg_w = 342 / (10 * w_in_wo3)
    result = _result("carbide-powder-WC10Co", "hardmetal")
    wc_kg = _sold_kg(result, "WC")
    revenue = costs(result).revenue_by_product["WC"]
    assert wc_kg > 0
    assert float(np.mean(revenue)) == pytest.approx(wc_kg * w_in_wc * usd_per_kg_w, rel=1e-9)


def test_a_cars_ferrous_scrap_earns_the_everbatt_steel_scrap_price() -> None:
    """The shredder's car steel is sold as steel scrap at EverBatt 2023's price (Materials tab),
    the price the battery routes get for a pack's steel."""
    from urbanmine.impacts.prices import price
    from urbanmine.impacts.tea import costs

    result = _result("ICE-car", "elv_depollution+elv_dismantling+elv_shredding+asr")
    steel_kg = _sold_kg(result, "car_steel")
    revenue = float(np.mean(costs(result).revenue_by_product["car_steel"]))
    assert steel_kg > 0
    assert revenue == pytest.approx(steel_kg * price("steel_scrap", "everbatt2023"), rel=1e-9)
