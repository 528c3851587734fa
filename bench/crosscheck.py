"""urbanmine vs BioSTEAM on the same flowsheet (project venv side).

Used by ``tests/flowsheet/test_biosteam_crosscheck.py`` and ``bench/flowsheet_mc.py``::

    from crosscheck import route_case, run_biosteam, engine_outputs, compare

* ``route_case(feed, route, samples, seed)`` evaluates a composed route exactly as
  ``urbanmine.routes.run.run_composed`` does (one chunk) and exports it with ``to_spec``;
* ``run_biosteam(spec)`` runs ``bench/biosteam_side.py`` on it in the throwaway BioSTEAM venv
  (``bench/biosteam_env.ensure_env``, built on first use) and returns its OUT.json;
* ``engine_outputs(compiled, ev)`` puts our evaluation in the same shape (every sink stream per
  species, and ``reagent:<unit>:<species>``, kg per sample);
* ``compare(ours, theirs)`` gives the largest relative difference and where it is;
* ``impacts_case(feed, route, samples, seed)`` runs the route as ``run`` does, with ``assess``
  and ``costs`` on the result, and exports the flowsheet (``to_spec``) and the GHG factors and
  cost data (``urbanmine.impacts.export.to_costing_spec``); ``run_biosteam_tea(spec, costing)``
  runs ``bench/biosteam_tea.py`` (the same flowsheet with a ``bst.TEA`` and BioSTEAM's LCA) on
  them; ``worst_metric(ours, theirs)`` gives the largest relative difference per sample of GHG,
  cost, revenue and every cost category.

Molar masses: thermosteam's atomic weights differ from urbanmine's by up to 1.4e-4 relative (Li
6.941 vs 6.94). Doses on a mass basis and burn vectors (kg/kg) mix kg and kmol, so no rescaling
of the results after the fact can remove such a difference exactly. ``biosteam_side.py``
therefore gives every BioSTEAM chemical the molar mass from the spec (ours), and ``compare``
first checks that the molar masses BioSTEAM reports are ours; then kg can be compared directly.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

BENCH = Path(__file__).resolve().parent
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

from biosteam_env import ensure_env  # noqa: E402

SIDE = BENCH / "biosteam_side.py"
TEA_SIDE = BENCH / "biosteam_tea.py"
METRICS = ("ghg_kg_co2e_per_kg", "cost_usd_per_kg", "revenue_usd_per_kg")


def bench_load(parameters: Any, samples: int, seed: int) -> dict[str, Any]:
    """Benchmark load, not uncertainty: every parameter whose value is neither 0 nor 1 (those
    fix which species a stream can hold) drawn uniformly in [0.9, 1] x its value, so each unit
    works on per-sample arrays whatever distributions the route ships (shares and their sums stay
    at most 1)."""
    rng = np.random.default_rng(seed)
    values: dict[str, Any] = {}
    for name, p in parameters.items():
        values[name] = (
            p.value if p.value in (0.0, 1.0) else p.value * rng.uniform(0.9, 1.0, samples)
        )
    return values


def _sampled_route(
    feed_name: str, route: str, samples: int, seed: int, load: bool = False
) -> tuple[Any, Any, dict]:
    """(feed, composed route, parameter values) as ``run`` draws them, or the benchmark load."""
    from urbanmine.flowsheet.params import sample_parameters
    from urbanmine.materials.feeds import get_feed
    from urbanmine.routes.compose import compose

    feed = get_feed(feed_name)
    chosen = feed.requested_preset
    composed = compose(route, feed.form, "everbatt2023" if chosen == "batpac5" else chosen)
    draw = bench_load if load else sample_parameters
    return feed, composed, draw(composed.parameters, samples, seed)


def _feed_row(compiled: Any, feed: Any) -> np.ndarray:
    base = np.zeros(len(compiled.index))
    for name, kg in feed.species_kg.items():
        base[compiled.index.position(name)] = kg
    return base


def route_case(
    feed_name: str, route: str, samples: int, seed: int = 1, load: bool = False
) -> tuple[Any, Any, dict]:
    """(compiled flowsheet, evaluation, spec) of ``route`` on feed ``feed_name``, as
    ``run_composed`` evaluates it, with ``samples`` Monte Carlo draws (or, with ``load``, the
    benchmark load of ``bench_load``) in one chunk."""
    from urbanmine.flowsheet.export import to_spec

    feed, composed, values = _sampled_route(feed_name, route, samples, seed, load)
    compiled = composed.flowsheet.compile(list(feed.species_kg), values)
    base = _feed_row(compiled, feed)
    rows = np.broadcast_to(base, (samples, base.size)).copy()
    ev = compiled.evaluate(rows, values)
    return compiled, ev, to_spec(compiled, base, values)


def engine_outputs(compiled: Any, ev: Any) -> dict[str, dict[str, np.ndarray]]:
    """Sink streams and reagents of one of our evaluations, in BioSTEAM-side shape (kg)."""
    rows = ev.feed.data.shape[0]
    names = compiled.index.names
    streams = ev.streams
    out: dict[str, dict[str, np.ndarray]] = {}
    for sink in compiled.flowsheet.sinks:
        out[sink] = {sp: streams[sink][:, k] for k, sp in enumerate(names)}
    for unit, reagents in ev.reagents.items():
        for sp, kg in reagents.items():
            out[f"reagent:{unit}:{sp}"] = {sp: np.broadcast_to(np.asarray(kg, float), (rows,))}
    return out


def _run_in_venv(script: Path, inputs: list[dict], args: tuple[str, ...], timeout: float) -> dict:
    """OUT.json of ``script INPUT.json... OUT.json ARGS`` run in the BioSTEAM venv."""
    py = ensure_env()
    with tempfile.TemporaryDirectory(prefix="urbanmine-bst-") as tmp:
        paths = [Path(tmp) / f"in{k}.json" for k in range(len(inputs))]
        for path, data in zip(paths, inputs, strict=True):
            path.write_text(json.dumps(data))
        out_path = Path(tmp) / "out.json"
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
        res = subprocess.run(
            [str(py), str(script), *map(str, paths), str(out_path), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
        )
        if res.returncode != 0:
            raise RuntimeError(f"{script.name} failed ({res.returncode}):\n{res.stderr[-4000:]}")
        return json.loads(out_path.read_text())


def run_biosteam(spec: dict, *args: str, timeout: float = 3600) -> dict:
    """OUT.json of ``biosteam_side.py`` run on ``spec`` in the BioSTEAM venv."""
    return _run_in_venv(SIDE, [spec], args, timeout)


def run_biosteam_tea(spec: dict, costing: dict, timeout: float = 3600) -> dict:
    """OUT.json of ``biosteam_tea.py`` (flowsheet + TEA + LCA in BioSTEAM) on the two specs."""
    return _run_in_venv(TEA_SIDE, [spec, costing], (), timeout)


def impacts_case(
    feed_name: str,
    route: str,
    samples: int,
    seed: int = 1,
    factor_set: str = "greet2022",
    location: str = "US",
    capacity_t: float = 10_000.0,
) -> tuple[dict[str, Any], dict, dict]:
    """Our per-sample GHG (kg CO2e), cost and revenue (USD) per kg of feed and the cost
    categories, with ``run_composed`` + ``assess`` + ``costs`` on ``samples`` draws; and the
    flowsheet spec and costing spec for BioSTEAM."""
    from urbanmine.flowsheet.export import to_spec
    from urbanmine.impacts.export import to_costing_spec
    from urbanmine.impacts.lca import assess
    from urbanmine.impacts.tea import costs
    from urbanmine.routes.run import run_composed

    feed, composed, values = _sampled_route(feed_name, route, samples, seed)
    result = run_composed(feed, composed, values=values)
    impacts = assess(result, factor_set, location, seed=seed)
    economics = costs(result, location, capacity_t, seed=seed)
    mass = result.per_sample["feed.mass_kg"]
    ours: dict[str, Any] = {
        "ghg_kg_co2e_per_kg": impacts.ghg_kg_co2e / mass,
        "cost_usd_per_kg": economics.cost / mass,
        "revenue_usd_per_kg": economics.revenue / mass,
        "breakdown_usd_per_kg": {k: v / mass for k, v in economics.breakdown.items()},
        "plant": economics.plant,
    }
    spec = to_spec(result.compiled, _feed_row(result.compiled, feed), values)
    costing = to_costing_spec(result, factor_set, location, capacity_t)
    return ours, spec, costing


def worst_metric(ours: dict[str, Any], theirs: dict) -> dict[str, float]:
    """Largest relative difference over the samples (relative to the larger value) of each
    metric and each cost category (``breakdown.<category>``)."""
    pairs = [(k, ours[k], theirs[k]) for k in METRICS]
    pairs += [
        (f"breakdown.{k}", v, theirs["breakdown_usd_per_kg"].get(k, 0.0))
        for k, v in ours["breakdown_usd_per_kg"].items()
    ]
    out = {}
    for name, a, b in pairs:
        a, b = np.asarray(a, float), np.asarray(b, float)
        den = np.maximum(np.abs(a), np.abs(b))
        out[name] = float(np.max(np.abs(a - b) / np.where(den > 0, den, 1.0)))
    return out


def check_molar_masses(spec: dict, theirs: dict, rtol: float = 1e-12) -> float:
    """Largest relative difference between the molar masses BioSTEAM used and ours (formula
    species; mixtures are pseudo-chemicals whose molar mass does not matter)."""
    worst = 0.0
    for sp, d in spec["species"].items():
        if d.get("molar_mass"):
            worst = max(worst, abs(theirs["molar_masses"][sp] / d["molar_mass"] - 1.0))
    if worst > rtol:
        raise AssertionError(f"BioSTEAM used other molar masses than ours (max rel {worst:.2e})")
    return worst


def max_abs_difference(ours: dict[str, dict[str, np.ndarray]], theirs: dict) -> float:
    """Largest absolute difference (kg) over every stream, species and sample."""
    worst = 0.0
    for s in set(ours) | set(theirs):
        for sp in set(ours.get(s, {})) | set(theirs.get(s, {})):
            a = np.asarray(ours.get(s, {}).get(sp, 0.0), float)
            b = np.asarray(theirs.get(s, {}).get(sp, 0.0), float)
            worst = max(worst, float(np.max(np.abs(a - b))))
    return worst


def compare(
    ours: dict[str, dict[str, np.ndarray]], theirs: dict, floor_rel: float = 1e-9
) -> tuple[float, str]:
    """Largest relative difference over every stream, species and sample, and where it is.

    ``theirs`` is BioSTEAM's ``streams``. An entry missing on one side counts as zero (we only
    book reagents that were used). Differences are relative to the larger of the two values,
    floored at ``floor_rel`` x the largest value anywhere (0.4 mg on the 367 kg of acid of a
    pack), so round-off residues count against that scale: a complete neutralisation leaves
    1.4e-14 kg of H2SO4 on our side and exactly 0 on BioSTEAM's, which would otherwise be a
    relative difference of 1. With the default floor and a 1e-6 tolerance, such entries must
    still agree to 1e-15 x the largest value, i.e. to a few ulps.
    """
    keys = {(s, sp) for s, d in ours.items() for sp in d}
    keys |= {(s, sp) for s, d in theirs.items() for sp in d}

    def get(src: dict, s: str, sp: str, n: int) -> np.ndarray:
        v = src.get(s, {}).get(sp)
        return np.zeros(n) if v is None else np.asarray(v, float)

    n = len(next(iter(next(iter(theirs.values())).values())))
    scale = max(
        float(np.max(np.abs(get(src, s, sp, n)))) for src in (ours, theirs) for s, sp in keys
    )
    worst, where = 0.0, ""
    for s, sp in sorted(keys):
        a, b = get(ours, s, sp, n), get(theirs, s, sp, n)
        den = np.maximum(np.maximum(np.abs(a), np.abs(b)), floor_rel * scale)
        rel = float(np.max(np.abs(a - b) / den)) if scale > 0 else 0.0
        if rel > worst:
            worst, where = rel, f"{s} / {sp}"
    return worst, where
