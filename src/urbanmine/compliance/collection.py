"""Collection rates of waste portable and LMT batteries (Art. 59, Annex XI of (EU) 2023/1542).

Annex XI: the collection rate of year N is the weight collected in N divided by the average weight
placed on the market in the years N - k for k in ``pom_years_back`` (N, N-1, N-2 by default, as
in Directive 2006/66/EC Annex I). The years come from the rule's data so that another basis
("available for collection") is a data change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from urbanmine.compliance.engine import judge
from urbanmine.compliance.findings import Findings
from urbanmine.compliance.model import RuleSet
from urbanmine.errors import InputError


def collection_rate(
    collected_t: Mapping[int, float],
    placed_on_market_t: Mapping[int, float],
    year: int,
    years_back: Sequence[int] = (0, 1, 2),
) -> float:
    """Collected in ``year`` / mean placed on the market over ``year - k`` for k in ``years_back``."""
    if year not in collected_t:
        raise InputError(f"collected_t has no year {year}")
    missing = [year - k for k in years_back if year - k not in placed_on_market_t]
    if missing:
        raise InputError(
            f"placed_on_market_t lacks year(s) {', '.join(map(str, missing))}: the collection "
            f"rate of {year} divides by the mean over years "
            f"{', '.join(str(year - k) for k in years_back)} (Annex XI)"
        )
    mean = sum(placed_on_market_t[year - k] for k in years_back) / len(years_back)
    if mean <= 0:
        raise InputError(f"placed on the market around {year} must be positive, got mean {mean}")
    if collected_t[year] < 0:
        raise InputError(f"collected_t.{year} must not be negative")
    return collected_t[year] / mean


def check_collection(
    ruleset: RuleSet,
    on: dt.date,
    category: str,
    collected_t: Mapping[int, float],
    placed_on_market_t: Mapping[int, float],
) -> Findings:
    """One verdict per collected year: the target in force on 31 Dec of that year applies."""
    found = Findings()
    for rule in ruleset.rules:
        if rule.topic != "collection":
            continue
        if rule.item != category:
            why = (
                f"the producer reports {category} batteries"
                if category in ("portable", "lmt")
                else "no collection-rate target for SLI, industrial or EV batteries: producers "
                "take them all back free of charge (Art. 61)"
            )
            found.verdicts.append(judge(ruleset, rule, on, None, out_of_scope=why))
            continue
        for year in sorted(collected_t):
            year_end = dt.date(year, 12, 31)
            rate = collection_rate(
                collected_t, placed_on_market_t, year, rule.scope.get("pom_years_back", (0, 1, 2))
            )
            open_year = (
                f"the year {year} has not closed on {on.isoformat()}" if on < year_end else ""
            )
            found.verdicts.append(
                judge(
                    ruleset,
                    rule,
                    on,
                    rate,
                    measured_on=year_end,
                    pending=open_year,
                    period=str(year),
                )
            )
    return found
