"""Check a route file without a feed: everything the loader and the engine can judge from the file
alone, and a summary of what it holds (``urbanmine routes check FILE``).

The checks are the ones a run makes before it touches a feed: the loader's (keys, values,
parameters and their distributions, reactions balanced, feed forms spelled as the feed names
spell them), the flowsheet's structure (every stream produced once and consumed once or given a
fate), every species named in the file known, an evaluation order (recycle loops included), and
one draw of every distribution. Any problem is an :class:`~urbanmine.errors.InputError` naming it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from urbanmine.flowsheet.params import sample_parameters
from urbanmine.flowsheet.species_sets import expand_split
from urbanmine.routes.compose import single_route
from urbanmine.routes.loader import read_route_file


def check_route_file(path: Path) -> dict[str, Any]:
    """Validate the route file at ``path``; return a summary of its units, streams, sinks,
    hand-offs and parameters (JSON-ready)."""
    spec = read_route_file(path)
    composed = single_route(spec)
    fs = composed.flowsheet
    named = sorted(
        {
            sp
            for u in fs.units
            for table in u.split.values()
            for sp in expand_split(table)
            if sp != "*"
        }
        | set(fs.species())
    )
    fs.compile(named)
    sample_parameters(composed.parameters, 2, 0)
    streams = sorted({s for u in fs.units for s in (*u.inlets, *u.outlets)})
    return {
        "file": str(path),
        "name": spec.name,
        "title": spec.title,
        "intake": spec.intake,
        "accepts": list(spec.accepts),
        "units": [
            {"name": u.name, "kind": u.kind, "inlets": list(u.inlets), "outlets": list(u.outlets)}
            for u in spec.units
        ],
        "streams": streams,
        "sinks": dict(spec.sinks),
        "handoff": {k: list(v) for k, v in spec.handoff.items()},
        "parameters": {
            "count": len(spec.parameters),
            "with_distribution": sorted(n for n, p in spec.parameters.items() if p.distribution),
        },
        "species": named,
    }
