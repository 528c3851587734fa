"""Closed loops that one '+' composition cannot express: the cobalt / cemented-carbide loop.

"Battery Co -> ultrafine Co powder -> hard metal -> carbide scrap -> W and Co back" needs a second
feed in the middle (the WC powder mixed with the recycled Co powder to make hard metal), and a
route chain joins one feed only. :func:`carbide_loop` therefore runs three compositions in turn,
each a feed of the one before:

1. ``battery_route+cobalt_powder`` on the battery feed -> ultrafine Co powder (kg);
2. ``hardmetal`` on that Co powder mixed with WC to the grade's Co share -> hard metal;
3. ``scrap_route+cobalt_powder`` on the hard metal at end of life -> WC and Co powder back.

It returns the stage results and an element ledger of the whole loop: what enters (the battery
feed, the WC bought, every reagent) and what leaves (every output but the two intermediate
products passed on), per element in kg; they agree to 1e-9 when each stage closes its balance.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from urbanmine.materials.feeds import Feed
from urbanmine.materials.species import get_species
from urbanmine.routes.run import RouteResult, run

CO_POWDER = "cobalt_powder/cobalt_powder"
HARDMETAL = "hardmetal"


@dataclass(frozen=True)
class LoopResult:
    """The stages of the carbide loop and its element ledger (kg per element)."""

    stages: dict[str, RouteResult]
    entering: dict[str, float]
    leaving: dict[str, float]
    wc_bought_kg: float

    def balance(self) -> float:
        """Largest relative gap between what enters and what leaves, over the elements."""
        scale = max(sum(self.entering.values()), 1e-300)
        keys = set(self.entering) | set(self.leaving)
        return max(abs(self.entering.get(e, 0.0) - self.leaving.get(e, 0.0)) for e in keys) / scale


def _elements(species_kg: dict[str, float]) -> dict[str, float]:
    out: dict[str, float] = {}
    for name, kg in species_kg.items():
        for el, share in get_species(name).elements.items():
            out[el] = out.get(el, 0.0) + kg * share
    return out


def _add(into: dict[str, float], more: dict[str, float]) -> None:
    for k, v in more.items():
        into[k] = into.get(k, 0.0) + v


def _powder_feed(name: str, species_kg: dict[str, float], form: str, source: str) -> Feed:
    return Feed(name, "WC-Co", form, "everbatt2023", MappingProxyType(species_kg), 0.0, source)


def carbide_loop(
    battery_feed: Feed,
    co_share: float = 0.10,
    battery_route: str = "hydro",
    scrap_route: str = "carbide_chemical",
) -> LoopResult:
    """Run the cobalt / cemented-carbide loop once at the routes' point values (see module doc).

    ``co_share`` is the hard-metal grade's Co mass fraction (0.10 for WC-10Co; Freemantle & Sacks
    2015 give 5-20 % Co); the WC bought is (1 - co_share) / co_share kg per kg recycled Co powder.
    """
    from urbanmine.errors import InputError

    if not 0.0 < co_share < 1.0:
        raise InputError(f"co_share: {co_share} is not a mass fraction in (0, 1)")
    first = run(battery_feed, f"{battery_route}+cobalt_powder")
    outs = {o["name"]: o for o in first.to_dict()["outputs"]}
    co_kg = float(outs[CO_POWDER]["species_kg"]["Co"])
    wc_kg = co_kg * (1.0 - co_share) / co_share
    powder = _powder_feed(
        "loop-powder", {"WC": wc_kg, "Co": co_kg}, "carbide_powder", "recycled Co powder + WC"
    )
    second = run(powder, "hardmetal")
    hm = {o["name"]: o for o in second.to_dict()["outputs"]}[HARDMETAL]["species_kg"]
    scrap = _powder_feed(
        "loop-scrap", dict(hm), "hard_scrap", "the loop's hard metal at end of life"
    )
    third = run(scrap, f"{scrap_route}+cobalt_powder")
    entering = dict(battery_feed.elements_kg())
    _add(entering, _elements({"WC": wc_kg}))
    leaving: dict[str, float] = {}
    stages = {"battery": first, "hardmetal": second, "scrap": third}
    passed_on = {("battery", CO_POWDER), ("hardmetal", HARDMETAL)}
    for stage, result in stages.items():
        d: dict[str, Any] = result.to_dict()
        _add(entering, _elements(d["inventory"]["reagents_kg"]))
        for o in d["outputs"]:
            if (stage, o["name"]) not in passed_on:
                _add(leaving, o["elements_kg"])
    return LoopResult(stages, entering, leaving, wc_kg)
