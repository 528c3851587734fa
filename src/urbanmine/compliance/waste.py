"""WEEE (Directive 2012/19/EU, Annex V Part 3) and ELV (Directive 2000/53/EC, Art. 7(2)) targets.

The facts give achieved shares in ``recovery_rates``: for WEEE ``recovery``, ``reuse_recycling``
(prepared for re-use and recycled) or, for lamps, ``recycling``; for ELV ``reuse_recovery`` and
``reuse_recycling`` (by average weight per vehicle and year).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from urbanmine.compliance.engine import judge
from urbanmine.compliance.findings import Findings
from urbanmine.compliance.model import RuleSet
from urbanmine.errors import InputError

WEEE_CATEGORIES = (1, 2, 3, 4, 5, 6)
"""Annex III categories of Directive 2012/19/EU (from 15 Aug 2018)."""

RECOVERED_FATES = ("product", "recycled", "energy_recovery")
"""Fates counted as recovered (Directive 2008/98/EC Art. 3(15): recovery includes energy recovery)."""
RECYCLED_FATES = ("product", "recycled")
"""Fates counted as prepared for re-use and recycled (Art. 3(17): energy recovery excluded)."""
TREATED_FRACTION_NOTE = (
    "verdict for the treated fraction only (the flowsheet's feed), not the whole appliance: "
    "Annex V targets apply to all WEEE of the category entering treatment"
)


def weee_rates(result: Mapping[str, Any]) -> dict[str, float]:
    """WEEE ``recovery`` and ``reuse_recycling`` shares from a flowsheet result (``urbanmine
    flowsheet --json``), per :func:`fate_shares`."""
    recovered, recycled = fate_shares(result, "WEEE")
    return {"recovery": recovered, "reuse_recycling": recycled}


def elv_rates(result: Mapping[str, Any]) -> dict[str, float]:
    """ELV ``reuse_recovery`` and ``reuse_recycling`` shares (Directive 2000/53/EC Art. 7(2))
    from a flowsheet result of a vehicle feed, per :func:`fate_shares`: reused parts leave as
    products, so reuse is inside both shares; energy recovery counts for reuse/recovery only."""
    recovered, recycled = fate_shares(result, "ELV")
    return {"reuse_recovery": recovered, "reuse_recycling": recycled}


def fate_shares(result: Mapping[str, Any], what: str) -> tuple[float, float]:
    """(recovered, re-used and recycled) shares of a flowsheet result's feed: the feed-origin
    mass (``battery_origin_kg``: the feed's own atoms, not a reagent's) of the outputs of fate
    product, recycled or energy recovery, resp. product or recycled, over the feed's input mass
    (``counting.input_fraction_kg``); ``what`` names the rules in messages."""
    try:
        total = float(result["counting"]["input_fraction_kg"])
        outputs = [(o["fate"], float(o["battery_origin_kg"])) for o in result["outputs"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(
            f"flowsheet result lacks {exc}; {what} shares need counting.input_fraction_kg and "
            "outputs[] with fate and battery_origin_kg (as `urbanmine flowsheet --json` prints)"
        ) from None
    if total <= 0:
        raise InputError(f"flowsheet result: the input mass must be positive, got {total}")

    def share(fates: tuple[str, ...]) -> float:
        return min(1.0, sum(kg for fate, kg in outputs if fate in fates) / total)

    return share(RECOVERED_FATES), share(RECYCLED_FATES)


def _key(topic_or_item: str) -> str:
    return topic_or_item.replace("-", "_")


def check_weee(
    ruleset: RuleSet, on: dt.date, category: int, rates: Mapping[str, float]
) -> Findings:
    """Recovery and re-use/recycling targets of one WEEE category."""
    if category not in WEEE_CATEGORIES:
        raise InputError(
            f"unknown WEEE category {category!r}; allowed: 1-6 (Annex III: 1 temperature "
            "exchange, 2 screens, 3 lamps, 4 large, 5 small, 6 small IT)"
        )
    found = Findings()
    for rule in ruleset.rules:
        if rule.scope.get("category") != category:
            continue
        key = _key(rule.topic)
        if key in rates:
            found.verdicts.append(judge(ruleset, rule, on, rates[key]))
        else:
            found.skip(rule.id, f"recovery_rates.{key}")
    return found


def check_elv(ruleset: RuleSet, on: dt.date, rates: Mapping[str, float]) -> Findings:
    """Reuse/recovery and reuse/recycling targets for end-of-life vehicles."""
    found = Findings()
    for rule in ruleset.rules:
        key = _key(rule.item)
        if key in rates:
            found.verdicts.append(judge(ruleset, rule, on, rates[key]))
        else:
            found.skip(rule.id, f"recovery_rates.{key}")
    return found
