"""Life-cycle impacts of flowsheet results: factor sets, assessment, closed loop, battery footprint.

``assess(result, factor_set, location, allocation)`` gives GHG, energy and water per Monte Carlo
sample with contributions by unit and input; ``closed_loop(chemistry, route)`` compares 1 kg of
cathode from mined and from recycled materials step by step; ``battery_footprint(feed)`` gives
the cradle-to-gate footprint per kWh.
"""

from typing import TYPE_CHECKING

from urbanmine.lazy import lazy_exports

if TYPE_CHECKING:
    from urbanmine.impacts.battery import battery_footprint
    from urbanmine.impacts.closed_loop import closed_loop
    from urbanmine.impacts.factors import factor_set_names, load_factor_set
    from urbanmine.impacts.lca import ALLOCATIONS, Impacts, assess

_EXPORTS = {
    "battery_footprint": "battery",
    "closed_loop": "closed_loop",
    "factor_set_names": "factors",
    "load_factor_set": "factors",
    "ALLOCATIONS": "lca",
    "Impacts": "lca",
    "assess": "lca",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = [
    "ALLOCATIONS",
    "Impacts",
    "assess",
    "battery_footprint",
    "closed_loop",
    "factor_set_names",
    "load_factor_set",
]
