"""Fleet model: how many products (EV batteries) enter, stay in and leave use, year by year.

The cohort engine: ``inflow_driven(inflow, lifetime)`` gives stock and outflow (and both by
cohort) for lifetimes ``Weibull``, ``Normal``, ``LogNormal``, ``Logistic``, ``Fixed``, or
``make_lifetime(distribution, parameters)``; see docs/fleet.md, section "Cohort engine". Names are
imported on first use, so that ``import urbanmine.fleet`` stays cheap.
"""

from typing import TYPE_CHECKING

from urbanmine.lazy import lazy_exports

if TYPE_CHECKING:
    from urbanmine.fleet.cohorts import CohortResult, inflow_driven
    from urbanmine.fleet.lifetimes import (
        DISTRIBUTIONS,
        Fixed,
        Lifetime,
        Logistic,
        LogNormal,
        Normal,
        Weibull,
        make_lifetime,
    )

_EXPORTS = {
    "CohortResult": "cohorts",
    "inflow_driven": "cohorts",
    "DISTRIBUTIONS": "lifetimes",
    "Fixed": "lifetimes",
    "Lifetime": "lifetimes",
    "Logistic": "lifetimes",
    "LogNormal": "lifetimes",
    "Normal": "lifetimes",
    "Weibull": "lifetimes",
    "make_lifetime": "lifetimes",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = [
    "DISTRIBUTIONS",
    "CohortResult",
    "Fixed",
    "Lifetime",
    "LogNormal",
    "Logistic",
    "Normal",
    "Weibull",
    "inflow_driven",
    "make_lifetime",
]
