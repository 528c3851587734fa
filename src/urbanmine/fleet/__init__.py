"""Fleet model: how many products (EV batteries) enter, stay in and leave use, year by year.

The cohort engine (:func:`inflow_driven` and the lifetime distributions) is documented in
docs/fleet.md, section "Cohort engine".
"""

from urbanmine.fleet.cohorts import CohortResult, inflow_driven
from urbanmine.fleet.lifetimes import Fixed, Lifetime, Logistic, LogNormal, Normal, Weibull

__all__ = [
    "CohortResult",
    "Fixed",
    "Lifetime",
    "LogNormal",
    "Logistic",
    "Normal",
    "Weibull",
    "inflow_driven",
]
