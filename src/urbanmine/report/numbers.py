"""How the report writes numbers: tonnes, shares, euros and CO2 with thousands separators.

Formatting only: every value is one the run computed (the report computes nothing of its own).
"""

from __future__ import annotations

import math
from typing import Any


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def tonnes(v: Any, unit: str = "t") -> str:
    """``43,000 t``; below 10 t one decimal."""
    if _missing(v):
        return "n/a"
    return f"{float(v):,.1f} {unit}" if abs(float(v)) < 10 else f"{float(v):,.0f} {unit}"


def share(v: Any) -> str:
    """``74.2 %`` from 0.742."""
    return "n/a" if _missing(v) else f"{float(v):.1%}".replace("%", " %")


def eur(v: Any) -> str:
    """``2.54 bn EUR``, ``584 M EUR``, ``2,141 EUR``, ``14.30 EUR``."""
    if _missing(v):
        return "n/a"
    x = float(v)
    if abs(x) >= 1e9:
        return f"{x / 1e9:,.2f} bn EUR"
    if abs(x) >= 1e6:
        return f"{x / 1e6:,.0f} M EUR"
    return f"{x:,.0f} EUR" if abs(x) >= 100 else f"{x:,.2f} EUR"


def co2(v: Any) -> str:
    """``-49,700 t CO2e``."""
    return tonnes(v, "t CO2e")


def plain(v: Any) -> str:
    """A value of unknown kind (a rule's value or threshold): up to 4 significant figures."""
    if _missing(v):
        return "n/a"
    if isinstance(v, bool) or not isinstance(v, int | float):
        return str(v)
    return f"{v:,.4g}" if abs(v) < 1e4 else f"{v:,.0f}"
