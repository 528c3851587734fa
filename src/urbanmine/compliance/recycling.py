"""Recycling processes: EU recycling efficiency and material recovery (Annex XII Parts B and C of
(EU) 2023/1542, calculated per Delegated Regulation (EU) 2025/606) and the MIIT recycler
conditions (2019 and 2024 editions).

Recycling efficiency (Art. 3(60)) = mass of output fractions counted as recycling / mass of the
waste-battery input fraction. Outputs sent to energy recovery, landfill, backfilling or emitted do
not count; from a flowsheet result only fates ``product`` and ``recycled`` count. Recovery of
material x = mass of x in counted outputs / mass of x in the input.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from urbanmine.compliance.engine import judge
from urbanmine.compliance.findings import Findings
from urbanmine.compliance.model import RuleSet
from urbanmine.errors import InputError
from urbanmine.flowsheet.result import COUNTED_FATES
from urbanmine.materials.chemistry import CHEMISTRIES

EFFICIENCY_CLASSES = ("lead-acid", "lithium", "nickel-cadmium", "other")
"""Chemistry classes of Annex XII Part B."""

_ALIASES = {
    "lithium-based": "lithium",
    "li-ion": "lithium",
    "lithium-ion": "lithium",
    "lead": "lead-acid",
    "pb-acid": "lead-acid",
    "nicd": "nickel-cadmium",
    "ni-cd": "nickel-cadmium",
    **{c.lower(): "lithium" for c in CHEMISTRIES},
}

FATES = ("product", "recycled", "energy_recovery", "landfill", "emission")
"""Fates an output of a flowsheet result may have."""

MIIT_KEYS = ("electrode-powder", "material-repair")
"""Non-element recovery items of the MIIT 2024 conditions (keys of ``recovery_rates``)."""


def efficiency_class(chemistry: str) -> str:
    """Annex XII Part B class of a chemistry name (NMC622, LFP... are lithium-based)."""
    key = chemistry.strip().lower()
    if key in EFFICIENCY_CLASSES:
        return key
    if key in _ALIASES:
        return _ALIASES[key]
    raise InputError(
        f"unknown chemistry {chemistry!r}; allowed: {', '.join(EFFICIENCY_CLASSES)} "
        f"or a cell chemistry ({', '.join(CHEMISTRIES)})"
    )


def ratio(numerator: float, denominator: float, what: str) -> float:
    """``numerator / denominator`` for a share that cannot exceed 1 (bad input otherwise)."""
    if denominator <= 0:
        raise InputError(f"{what}: the input mass must be positive, got {denominator}")
    if numerator < 0:
        raise InputError(f"{what}: the recovered mass must not be negative, got {numerator}")
    if numerator > denominator * (1 + 1e-12):
        raise InputError(f"{what}: recovered {numerator} kg exceeds the input {denominator} kg")
    return numerator / denominator


COUNTINGS = ("battery_origin", "element_capped")
"""How a flowsheet result's counted outputs are read: ``battery_origin`` (the law's counting: mass
produced from the input fraction) or ``element_capped`` (each element up to its input mass: an
upper bound that lets reagent atoms stand in for battery atoms)."""


def counted_masses(
    result: Mapping[str, Any],
    counting: str = "battery_origin",
    exclude: Sequence[str] = (),
) -> tuple[float, float, dict[str, float], dict[str, float]]:
    """From a flowsheet result: (input kg, recycled kg, element kg in, element kg recovered).

    Counted outputs are those of fate ``product`` or ``recycled``. ``battery_origin`` (default)
    counts each output's ``battery_origin_elements_kg`` over the feed's input fraction
    (``input_fraction_elements_kg``: water left out); ``element_capped`` counts each element of
    ``elements_kg`` up to its mass in the whole feed. Elements in ``exclude`` (the optional
    negative list) leave numerator and denominator alike.
    """
    if counting not in COUNTINGS:
        raise InputError(f"counting {counting!r} is not one of {', '.join(COUNTINGS)}")
    origin = counting == "battery_origin"
    out_key = "battery_origin_elements_kg" if origin else "elements_kg"
    try:
        feed = result["feed"]
        if origin:
            elements_in = {el: float(kg) for el, kg in feed["input_fraction_elements_kg"].items()}
            input_kg = sum(elements_in.values())
        else:
            elements_in = {el: float(kg) for el, kg in feed["elements_kg"].items()}
            input_kg = float(feed["mass_kg"])
        outputs = list(result["outputs"])
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(
            f"flowsheet result lacks {exc}; counting {counting} needs feed.mass_kg, "
            f"feed.{'input_fraction_elements_kg' if origin else 'elements_kg'} and outputs[] "
            "(as printed by `urbanmine flowsheet FEED --route R --json`)"
        ) from None
    counted: dict[str, float] = {}
    for i, output in enumerate(outputs):
        fate = output.get("fate") if isinstance(output, Mapping) else None
        if fate not in FATES:
            raise InputError(f"outputs[{i}].fate is {fate!r}; allowed: {', '.join(FATES)}")
        if fate not in COUNTED_FATES:
            continue
        if out_key not in output:
            raise InputError(
                f"outputs[{i}] has no {out_key!r}; a result of `urbanmine flowsheet --json` "
                "carries it, or count the element-capped upper bound (--counting element_capped)"
            )
        for el, kg in output[out_key].items():
            counted[el] = counted.get(el, 0.0) + float(kg)
    if origin:
        recovered = {el: counted.get(el, 0.0) for el in elements_in}
        recycled = sum(counted.values())
    else:
        recovered = {el: min(counted.get(el, 0.0), kg) for el, kg in elements_in.items()}
        recycled = sum(recovered.values())
    for el in exclude:
        input_kg -= elements_in.pop(el, 0.0)
        recycled -= recovered.pop(el, 0.0)
    return input_kg, recycled, elements_in, recovered


def check_efficiency(
    ruleset: RuleSet,
    on: dt.date,
    chemistry: str,
    input_kg: float,
    recycled_kg: float,
    note: str = "",
) -> Findings:
    """Annex XII Part B: one verdict per chemistry class; only the process's class applies."""
    found = Findings()
    cls = efficiency_class(chemistry)
    value = ratio(recycled_kg, input_kg, "recycling efficiency")
    for rule in ruleset.rules:
        if rule.topic != "recycling-efficiency":
            continue
        other = "" if rule.item == cls else f"the process treats {cls} batteries"
        found.verdicts.append(judge(ruleset, rule, on, value, out_of_scope=other, note=note))
    return found


def recovery_values(
    elements_in: Mapping[str, float],
    elements_recovered: Mapping[str, float],
    rates: Mapping[str, float],
) -> dict[str, float]:
    """Recovery per element from masses (preferred) or given rates, plus non-element rates."""
    values = dict(rates)
    for el, kg_in in elements_in.items():
        if el not in elements_recovered or kg_in == elements_recovered[el] == 0.0:
            continue  # nothing in, nothing out: absent from the input (see facts.py)
        values[el] = ratio(elements_recovered[el], kg_in, f"recovery of {el}")
    return values


def check_recovery(
    ruleset: RuleSet,
    on: dt.date,
    values: Mapping[str, float],
    absent: set[str],
    note: str = "",
) -> Findings:
    """Material recovery (EU Annex XII Part C) or MIIT recovery/impurity rules of one rule set.

    ``values`` maps an element or MIIT item to its share; ``absent`` names elements known to be
    absent from the input (those rules are not applicable).
    """
    found = Findings()
    for rule in ruleset.rules:
        if rule.topic not in ("material-recovery", "recovery"):
            continue
        if rule.item in absent:
            why = f"no {rule.item} in the input"
            found.verdicts.append(judge(ruleset, rule, on, None, out_of_scope=why))
        elif rule.item in values:
            found.verdicts.append(judge(ruleset, rule, on, values[rule.item], note=note))
        else:
            masses = "" if rule.item in MIIT_KEYS else "elements_in_kg/elements_recovered_kg or "
            found.skip(rule.id, f"{masses}recovery_rates.{rule.item}")
    return found


def check_impurities(ruleset: RuleSet, on: dt.date, impurities: Mapping[str, float]) -> Findings:
    """MIIT impurity limits (Al, Cu in electrode powder, mass fractions)."""
    found = Findings()
    for rule in ruleset.rules:
        if rule.topic != "impurity":
            continue
        if rule.item in impurities:
            found.verdicts.append(judge(ruleset, rule, on, impurities[rule.item]))
        else:
            found.skip(rule.id, f"impurities.{rule.item}")
    return found
