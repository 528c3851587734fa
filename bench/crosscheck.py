"""urbanmine vs BioSTEAM on the same flowsheet (project venv side).

Used by ``tests/test_biosteam_crosscheck.py`` and ``bench/flowsheet_mc.py``::

    from crosscheck import route_case, run_biosteam, engine_outputs, compare

* ``route_case(feed, route, samples, seed)`` evaluates a composed route exactly as
  ``urbanmine.routes.run.run_composed`` does (one chunk) and exports it with ``to_spec``;
* ``run_biosteam(spec)`` runs ``bench/biosteam_side.py`` on it in the throwaway BioSTEAM venv
  (``bench/biosteam_env.ensure_env``, built on first use) and returns its OUT.json;
* ``engine_outputs(compiled, ev)`` puts our evaluation in the same shape (every sink stream per
  species, and ``reagent:<unit>:<species>``, kg per sample);
* ``compare(ours, theirs)`` gives the largest relative difference and where it is.

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


def route_case(feed_name: str, route: str, samples: int, seed: int = 1) -> tuple[Any, Any, dict]:
    """(compiled flowsheet, evaluation, spec) of ``route`` on feed ``feed_name``, as
    ``run_composed`` evaluates it, with ``samples`` Monte Carlo draws in one chunk."""
    from urbanmine.flowsheet.export import to_spec
    from urbanmine.flowsheet.params import sample_parameters
    from urbanmine.materials.feeds import get_feed
    from urbanmine.routes.compose import compose

    feed = get_feed(feed_name)
    chosen = feed.requested_preset
    composed = compose(route, feed.form, "everbatt2023" if chosen == "batpac5" else chosen)
    values = sample_parameters(composed.parameters, samples, seed)
    compiled = composed.flowsheet.compile(list(feed.species_kg), values)
    base = np.zeros(len(compiled.index))
    for name, kg in feed.species_kg.items():
        base[compiled.index.position(name)] = kg
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


def run_biosteam(spec: dict, *args: str, timeout: float = 3600) -> dict:
    """OUT.json of ``biosteam_side.py`` run on ``spec`` in the BioSTEAM venv."""
    py = ensure_env()
    with tempfile.TemporaryDirectory(prefix="urbanmine-bst-") as tmp:
        spec_path, out_path = Path(tmp) / "spec.json", Path(tmp) / "out.json"
        spec_path.write_text(json.dumps(spec))
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
        res = subprocess.run(
            [str(py), str(SIDE), str(spec_path), str(out_path), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
        )
        if res.returncode != 0:
            raise RuntimeError(f"biosteam_side.py failed ({res.returncode}):\n{res.stderr[-4000:]}")
        return json.loads(out_path.read_text())


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
