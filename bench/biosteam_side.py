"""BioSTEAM side of the urbanmine cross-check / benchmark.

This script runs INSIDE the throwaway BioSTEAM virtualenv made by
``bench/biosteam_env.py``. It imports only biosteam/thermosteam, numpy and the
standard library, and urbanmine never imports it::

    PY=$(python3 bench/biosteam_env.py)          # creates the venv once
    $PY bench/biosteam_side.py SPEC.json OUT.json [--check] [--no-model]
    $PY bench/biosteam_side.py --selftest       # exits 1 on failure (~15 s)

SPEC.json is written by urbanmine and holds ``species``, ``feeds``, ``units``
and ``parameters``. OUT.json gets::

    {"streams": {name: {species: [kg per sample, ...]}},   # every sink stream
                                                            # + "reagent:<unit>:<species>"
     "molar_masses": {species: g/mol},                      # thermosteam's MW
     "seconds_per_sample": float,   # bst.Model.evaluate wall time / N (excl. build)
     "build_seconds": float,        # chemicals + units + system + first simulate
     "import_seconds", "samples", "biosteam_version", "thermosteam_version",
     "recycle_iterations", "cold_restarts", "fixedpoint_fallbacks",
     "tolerance", "flow_scale", "system": {"path", "tears"}, ...}

``--check`` adds ``max_rel_vs_exact_linear_solve`` and
``element_balance_max_rel``. These come from an independent numpy linear solve
of the same spec (``reference_solve``).

How the spec maps onto BioSTEAM
-------------------------------
* A species becomes ``tmo.Chemical(ID, search_db=False, formula=..., phase=...,
  default=True)``. There is never a database lookup, because name/CAS lookups
  can return a wrong formula.
* A mixer becomes ``MassMixer``, a ``bst.Unit`` that calls ``mix_from(ins,
  energy_balance=False)``. The stock ``bst.Mixer`` also runs an enthalpy
  balance, which means nothing here and costs about 20 % of the time.
* A splitter is the stock ``bst.Splitter``; ``split`` is the fraction of each
  species sent to outs[0].
* A reactor becomes ``DosedReactor``, a ``bst.Unit``. It mixes its inlets, then
  applies each ``tmo.Reaction`` in sequence; each reaction is built from the
  stoichiometry dict, the reactant and X = conversion. Before each reaction the
  dosed co-reactants are added. They come from an extra inlet stream
  ``reagent_<unit>`` whose flow is set in ``_run``, the usual BioSTEAM idiom for
  make-up streams. The dose is ``X * n_reactant * |nu_j| * (1 + excess_j)``,
  with ``nu`` normalised so that ``nu_reactant = -1``. That stream is reported
  as ``reagent:<unit>:<species>``.
* The system is ``bst.System(path=..., recycle=[tears])``. The unit order and
  tear streams come from ``_path_and_tears``, not from ``create_system()``;
  see the pitfall below. Convergence is sequential modular with BioSTEAM's
  default Aitken accelerator.

Convergence, scaling and pitfalls (BioSTEAM 2.51.19)
----------------------------------------------------
* BioSTEAM stops iterating when the max *absolute* tear change is below
  ``molar_tolerance`` [kmol/h] OR the max *relative* change is below
  ``relative_molar_tolerance``. It also has a hard-coded rule: whenever the
  max absolute change is < 1e-12 kmol/h, that value is used as the relative
  error. With kg-scale feeds (~1e-2 kmol/h) that floor left a 2.7e-2
  relative error on the impurity in self-test case 4, even with rtol 1e-12. Every unit here is linear and homogeneous in the feeds, so
  the feeds are scaled to 1e9 kmol/h total, and outputs are divided by the same
  factor (``flow_scale``). That makes the hidden floor sub-ulp. On top of
  this the settings are ``molar_tolerance = 0`` (a purely relative stop, so
  ppb-level impurities are converged too), ``relative_molar_tolerance =
  1e-12`` and ``maxiter = 200``. ``strict_convergence`` is True (a class
  attribute), so an unconverged recycle raises rather than returning
  silently. The self-test result is <=1e-10 relative to the exact linear
  solve, on every output including a 1e-8 kg impurity; the simple loops are
  at 1e-13.
* Default tolerances (1 kmol/h or 1 %) give errors of O(1) relative on minor
  species: 1.8 on the example.
* ``create_system()`` has a tear bug when a mixer has two recycle inlets. It
  tears the mixer's *outlet* but still starts the path at that mixer, so the
  tear value is overwritten before it is used. After a parameter change the
  next simulate then "converges" in 1 iteration to the previous state, and
  the self-test case 4 shows errors of 0.8 relative. ``--auto-system``
  reproduces it.
* Elementwise Aitken, warm-started from the previous sample, can stall at
  tight tolerance on multi-tear loops; 31 of 50 samples in self-test case 4
  stalled. ``simulate()`` then empties the streams and retries cold, which is
  what ``bst.Model(retry_evaluation=True)`` does on its own. If that also
  fails, it falls back to fixed-point (maxiter 1e6). The counts are reported.
* ``Model.load_samples(sort=True)`` divides by each coupled parameter's range,
  so a constant column raises FloatingPointError. Such a parameter is
  therefore registered with ``coupled=False``. Sorting builds an N x N
  distance matrix, so it is used only for N <= 4000.
* ``tmo.Reaction`` raises ``InfeasibleRegion`` when a non-dosed co-reactant
  would go negative. urbanmine would instead carry the negative flow.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

import numpy as np

TOTAL_FEED_KMOL = 1e9  # internal flow scale (see module docstring)
ABS_TOL_REL = 0.0  # molar_tolerance = ABS_TOL_REL * TOTAL_FEED_KMOL
REL_TOL = 1e-12  # relative_molar_tolerance
MAXITER = 200  # accelerated (BioSTEAM default: Aitken) attempt
FALLBACK_METHOD = "fixedpoint"
FALLBACK_MAXITER = 1_000_000  # plain substitution always converges on a linear contraction
SORT_LIMIT = 4000  # bst.Model sample sorting builds an N x N matrix


# --------------------------------------------------------------------------- helpers
def _safe_id(name: str, taken: set) -> str:
    ident = re.sub(r"\W", "_", name)
    if not ident or not (ident[0].isalpha()):
        ident = "x_" + ident
    base, k = ident, 1
    while ident in taken:
        k += 1
        ident = f"{base}_{k}"
    taken.add(ident)
    return ident


def _n_samples(spec) -> int:
    params = spec.get("parameters") or []
    if not params:
        return 1
    ns = {len(p["values"]) for p in params}
    if len(ns) != 1:
        raise ValueError(f"parameters have different sample counts: {sorted(ns)}")
    return ns.pop()


def _topology(spec):
    produced, consumed = [], set()
    for u in spec["units"]:
        for s in u["outlets"]:
            if s in produced:
                raise ValueError(f"stream {s!r} is produced by two units")
            produced.append(s)
        consumed.update(u["inlets"])
    feeds = spec.get("feeds", {})
    for s in consumed:
        if s not in feeds and s not in produced:
            raise ValueError(f"inlet stream {s!r} is neither a feed nor produced by a unit")
    sinks = [s for s in produced if s not in consumed]
    return produced, sinks


def _path_and_tears(spec, feeds):
    """Sequential-modular unit order and tear streams.

    Units run as soon as all their inlets are known; when none can, the first
    remaining unit (spec order) with the most known inlets runs and its unknown
    inlets become tear streams.  Tears are therefore always inlets of a unit
    that runs before their source, which is what BioSTEAM's sequential modular
    iteration needs (set tears -> run path -> compare tears).
    """
    known = set(feeds)
    remaining = list(spec["units"])
    path, tears = [], []
    while remaining:
        ready = [u for u in remaining if all(s in known for s in u["inlets"])]
        if ready:
            u = ready[0]
        else:
            u = max(remaining, key=lambda u: sum(s in known for s in u["inlets"]))
            tears += [s for s in u["inlets"] if s not in known and s not in tears]
            known.update(u["inlets"])
        remaining.remove(u)
        path.append(u["name"])
        known.update(u["outlets"])
    return path, tears


def _split_vector(split: dict, species: list) -> np.ndarray:
    default = float(split.get("*", 0.0))
    return np.array([float(split.get(sp, default)) for sp in species])


def _dosed_reagents(unit) -> list:
    return list((unit.get("dosed") or {}).keys())


# --------------------------------------------------------------------------- BioSTEAM model
class Built:
    """Everything needed to evaluate one spec in BioSTEAM."""


def build(
    spec,
    *,
    abs_tol_rel=ABS_TOL_REL,
    rel_tol=REL_TOL,
    maxiter=MAXITER,
    method=None,
    scale=True,
    auto_system=False,
    fallback=True,
):
    import biosteam as bst
    import thermosteam as tmo

    t0 = time.perf_counter()
    species = list(spec["species"])
    taken: set = set()
    cid = {sp: _safe_id(sp, taken) for sp in species}
    chems = []
    for sp in species:
        d = spec["species"][sp]
        chems.append(
            tmo.Chemical(
                cid[sp],
                search_db=False,
                formula=d["formula"],
                phase=d.get("phase", "l"),
                default=True,
            )
        )
    chemicals = tmo.Chemicals(chems)
    bst.settings.set_thermo(chemicals)  # compiles; global thermo (one flowsheet at a time)
    chemicals = bst.settings.chemicals
    MW = np.array([chemicals[cid[sp]].MW for sp in species])
    idx = {sp: chemicals.index(cid[sp]) for sp in species}
    order = np.array([idx[sp] for sp in species])  # spec order -> chemicals order

    Built.counter = getattr(Built, "counter", 0) + 1
    flowsheet = bst.Flowsheet(f"urbanmine_xcheck_{Built.counter}")
    bst.main_flowsheet.set_flowsheet(flowsheet)

    class MassMixer(bst.Unit):
        """Sum of inlets; no energy balance."""

        _N_ins = 2
        _N_outs = 1
        _ins_size_is_fixed = False

        def _run(self):
            self.outs[0].mix_from(self.ins, energy_balance=False)

    class DosedReactor(bst.Unit):
        """Mix inlets, then apply reactions in series with dosed co-reactants.

        ``ins[-1]`` is the reagent make-up stream when ``has_reagent``.
        """

        _N_ins = 1
        _N_outs = 1
        _ins_size_is_fixed = False

        def _init(self, reactions, dosing, has_reagent):
            self.reactions = reactions  # list of tmo.Reaction
            self.dosing = dosing  # per reaction: list of (chem index, |nu|*(1+excess))
            self.has_reagent = has_reagent

        def _run(self):
            out = self.outs[0]
            if self.has_reagent:
                process_ins = self.ins[:-1]
                reagent = self.ins[-1]
                reagent.empty()
            else:
                process_ins = self.ins
            out.mix_from(process_ins, energy_balance=False)
            mol = out.mol
            for rxn, dosing in zip(self.reactions, self.dosing, strict=True):
                ri = rxn._reactant_index
                extent = rxn.X * mol[ri]  # nu normalised: nu[reactant] = -1
                reactant_dosed = False
                for j, factor in dosing:
                    dose = extent * factor
                    mol[j] += dose
                    reagent.mol[j] += dose
                    reactant_dosed |= j == ri
                if reactant_dosed:  # extent must refer to the reactant before dosing
                    out.mol[:] = mol.to_array() + extent * rxn._stoichiometry.to_array()
                    mol = out.mol
                else:
                    rxn(out)

    streams = {}
    feeds = spec.get("feeds", {})
    total_feed_kmol = sum(
        kg / MW[species.index(sp)] for f in feeds.values() for sp, kg in f.items()
    )
    flow_scale = (TOTAL_FEED_KMOL / total_feed_kmol) if (scale and total_feed_kmol > 0) else 1.0
    sid_taken: set = set()
    for name, flows in feeds.items():
        s = bst.Stream(_safe_id(name, sid_taken), units="kg/hr")
        for sp, kg in flows.items():
            s.imass[cid[sp]] = kg * flow_scale
        streams[name] = s
    produced, sinks = _topology(spec)
    for name in produced:
        streams[name] = bst.Stream(_safe_id(name, sid_taken))

    units, reagent_streams, setters = {}, {}, {}
    uid_taken: set = set()
    for u in spec["units"]:
        kind, name = u["kind"], u["name"]
        uid = _safe_id(name, uid_taken)
        ins = [streams[s] for s in u["inlets"]]
        outs = [streams[s] for s in u["outlets"]]
        if kind == "mixer":
            unit = MassMixer(uid, ins=ins, outs=outs)
        elif kind == "splitter":
            if len(outs) != 2:
                raise ValueError(f"splitter {name} needs 2 outlets")
            split = dict(u.get("split", {}))
            unit = bst.Splitter(uid, ins=ins, outs=outs, split=0.0)
            vec = _split_vector(split, species)
            for k, sp in enumerate(species):
                unit.split[idx[sp]] = vec[k]
            unit._spec_split = split
        elif kind == "reactor":
            dosed = dict(u.get("dosed") or {})
            rxns, dosing = [], []
            for r in u.get("reactions", []):
                stoich = {cid[sp]: float(c) for sp, c in r["stoichiometry"].items() if c}
                rxn = tmo.Reaction(
                    stoich,
                    reactant=cid[r["reactant"]],
                    X=float(r["conversion"]),
                    chemicals=chemicals,
                    basis="mol",
                    check_mass_balance=False,
                    check_atomic_balance=False,
                )
                nu = rxn._stoichiometry.to_array()
                dosing.append(
                    [
                        (idx[sp], abs(nu[idx[sp]]) * (1.0 + float(ex)))
                        for sp, ex in dosed.items()
                        if nu[idx[sp]] < 0
                    ]
                )
                rxns.append(rxn)
            has_reagent = bool(dosed)
            if has_reagent:
                reagent = bst.Stream(_safe_id(f"reagent_{name}", sid_taken))
                ins = [*ins, reagent]
                reagent_streams[name] = (reagent, list(dosed))
            unit = DosedReactor(
                uid, ins=ins, outs=outs, reactions=rxns, dosing=dosing, has_reagent=has_reagent
            )
        else:
            raise ValueError(f"unknown unit kind {kind!r} (mixer/splitter/reactor only)")
        units[name] = unit

    if auto_system:
        # BioSTEAM's own path/tear search.  PITFALL (2.51.19): when a mixer has
        # two recycle inlets it tears the mixer's *outlet* while the path still
        # starts at that mixer, so the tear value is overwritten before use; the
        # first simulate after a parameter change then "converges" in 1
        # iteration to the previous sample's state.  Kept only to show that.
        system = flowsheet.create_system("urbanmine_xcheck")
    else:
        path, tears = _path_and_tears(spec, feeds)
        system = bst.System(
            "urbanmine_xcheck",
            path=[units[n] for n in path],
            recycle=[streams[t] for t in tears] or None,
        )
    system.set_tolerance(
        mol=abs_tol_rel * TOTAL_FEED_KMOL,
        rmol=rel_tol,
        maxiter=maxiter,
        method=method,
        subsystems=True,
    )
    # System.strict_convergence is a class attribute (True): an unconverged
    # recycle raises RuntimeError instead of returning silently.
    assert all(sub.strict_convergence for sub in [system, *system.subsystems])

    method = system.method
    stats = {"fallbacks": 0, "cold_restarts": 0, "iterations": []}

    def simulate():
        """sys.simulate() with BioSTEAM's default accelerator (Aitken).

        Elementwise Aitken warm-started from the previous sample sometimes
        stalls at tight tolerance on multi-tear loops.  Then, like
        ``bst.Model``'s own ``retry_evaluation``, empty the streams and retry
        from a cold start; if that also fails, fall back to plain fixed-point
        substitution (always converges on a linear contraction)."""

        def attempt():
            try:
                system.simulate(design_and_cost=False)
                return True
            except RuntimeError as error:
                if "could not converge" not in str(error) or not fallback:
                    raise
                return False

        if attempt():
            stats["iterations"].append(system._iter)
            return
        stats["cold_restarts"] += 1
        system.empty_outlet_streams()
        system.reset_cache()
        if attempt():
            stats["iterations"].append(maxiter + system._iter)
            return
        stats["fallbacks"] += 1
        system.method, system.maxiter = FALLBACK_METHOD, FALLBACK_MAXITER
        try:
            system.simulate(design_and_cost=False)
            stats["iterations"].append(2 * maxiter + system._iter)
        finally:
            system.method, system.maxiter = method, maxiter

    # parameter setters ---------------------------------------------------
    params = spec.get("parameters") or []
    for p in params:
        unit = units[p["unit"]]
        field = p["field"]
        parts = field.split(".")
        if parts[0] == "reactions" and len(parts) == 3 and parts[2] == "conversion":
            rxn = unit.reactions[int(parts[1])]

            def setter(v, rxn=rxn):
                rxn.X = v
        elif parts[0] == "split" and len(parts) >= 2:
            key = field[len("split.") :]

            def setter(v, unit=unit, key=key):
                unit._spec_split[key] = v
                vec = _split_vector(unit._spec_split, species)
                sv = unit.split
                for k, sp in enumerate(species):
                    sv[idx[sp]] = vec[k]
        else:
            raise ValueError(f"unsupported parameter field {field!r}")
        setters[(p["unit"], field)] = setter

    b = Built()
    b.bst, b.tmo = bst, tmo
    b.species, b.cid, b.idx, b.MW = species, cid, idx, MW
    b.order = order
    b.streams, b.units, b.system = streams, units, system
    b.reagent_streams = reagent_streams
    b.sinks = sinks
    b.params = params
    b.setters = [setters[(p["unit"], p["field"])] for p in params]
    b.flow_scale = flow_scale
    b.simulate, b.stats = simulate, stats
    b.chemicals = chemicals
    b.tolerance = {
        "molar_tolerance_kmol_per_h": abs_tol_rel * TOTAL_FEED_KMOL,
        "relative_molar_tolerance": rel_tol,
        "maxiter": maxiter,
        "method": system.method,
        "fallback": f"{FALLBACK_METHOD}, maxiter {FALLBACK_MAXITER}" if fallback else None,
        "algorithm": system.algorithm,
        "total_feed_kmol_per_h_after_scaling": TOTAL_FEED_KMOL
        if flow_scale != 1.0
        else total_feed_kmol,
    }
    b.build_seconds_no_sim = time.perf_counter() - t0
    return b


def _read_outputs(b) -> np.ndarray:
    """All reported quantities (kg, unscaled) for the current state, as one vector."""
    MW, order = b.MW, b.order
    vals = []
    for name in b.sinks:
        vals.append(b.streams[name].mol.to_array()[order] * MW)
    for reagent, dosed in b.reagent_streams.values():
        m = reagent.mol.to_array()
        vals.append(np.array([m[b.idx[sp]] * MW[b.species.index(sp)] for sp in dosed]))
    return np.concatenate(vals) / b.flow_scale if vals else np.zeros(0)


def _output_keys(b):
    keys = [(name, sp) for name in b.sinks for sp in b.species]
    keys += [
        (f"reagent:{u}:{sp}", sp) for u, (_, dosed) in b.reagent_streams.items() for sp in dosed
    ]
    return keys


def _sample_matrix(spec) -> np.ndarray:
    params = spec.get("parameters") or []
    N = _n_samples(spec)
    if not params:
        return np.zeros((N, 0))
    return np.array([[float(v) for v in p["values"]] for p in params]).T


def run(spec, *, use_model=True, also_loop=True, **build_kw) -> dict:
    t_imp = time.perf_counter()
    import biosteam as bst
    import thermosteam as tmo

    import_seconds = time.perf_counter() - t_imp

    t0 = time.perf_counter()
    b = build(spec, **build_kw)
    X = _sample_matrix(spec)
    N = X.shape[0]
    # warm-up simulation at the first sample (numba JIT etc.) counts as build
    for f, v in zip(b.setters, X[0], strict=True):
        f(v)
    b.simulate()
    build_seconds = time.perf_counter() - t0
    b.stats.update(fallbacks=0, cold_restarts=0, iterations=[])
    keys = _output_keys(b)

    loop_sps = None
    results = np.empty((N, len(keys)))
    if use_model and X.shape[1] > 0:
        # specification = our simulate() (sys.simulate + fixed-point fallback)
        model = bst.Model(b.system, specification=b.simulate, exception_hook="raise")
        for k, (p, f) in enumerate(zip(b.params, b.setters, strict=True)):
            # Model sorts samples on "coupled" parameters, normalising by their
            # range: a constant column would divide by zero (FloatingPointError).
            varies = bool(np.ptp(X[:, k]) > 0)
            model.parameter(
                f, element=b.units[p["unit"]], coupled=varies, name=f"p{k}_{p['field']}", units="-"
            )
        # one scalar indicator per reported quantity (a Model indicator must be scalar)
        cache = {}

        def make_indicator(j):
            def get():
                if j == 0:
                    cache["v"] = _read_outputs(b)
                return cache["v"][j]

            return get

        for j in range(len(keys)):
            model.indicator(make_indicator(j), name=f"q{j}", units="kg")
        model.load_samples(X.copy(), sort=N <= SORT_LIMIT)
        t1 = time.perf_counter()
        model.evaluate()
        seconds_per_sample = (time.perf_counter() - t1) / N
        results[:] = model.table.values[:, X.shape[1] :]
        stats = {k: (list(v) if isinstance(v, list) else v) for k, v in b.stats.items()}
    else:
        use_model = False
    if also_loop or not use_model:
        b.stats.update(fallbacks=0, cold_restarts=0, iterations=[])
        loop_res = np.empty_like(results)
        t1 = time.perf_counter()
        for i in range(N):
            for f, v in zip(b.setters, X[i], strict=True):
                f(v)
            b.simulate()
            loop_res[i] = _read_outputs(b)
        loop_sps = (time.perf_counter() - t1) / N
        if not use_model:
            results, seconds_per_sample = loop_res, loop_sps
            stats = b.stats
        else:
            d = np.abs(results - loop_res) / np.maximum(np.abs(loop_res), 1e-300)
            d[np.abs(loop_res) < 1e-14 * max(1.0, np.abs(loop_res).max())] = 0.0
            b.model_vs_loop_max_rel = float(d.max()) if d.size else 0.0

    streams: dict = {}
    for j, (name, sp) in enumerate(keys):
        streams.setdefault(name, {})[sp] = results[:, j].tolist()
    return {
        "streams": streams,
        "molar_masses": {sp: float(b.MW[k]) for k, sp in enumerate(b.species)},
        "seconds_per_sample": seconds_per_sample,
        "timing_method": "bst.Model.evaluate" if use_model else "loop(set params; sys.simulate)",
        "loop_seconds_per_sample": loop_sps,
        "model_vs_loop_max_rel": getattr(b, "model_vs_loop_max_rel", None),
        "build_seconds": build_seconds,
        "recycle_iterations": {
            "mean": float(np.mean(stats["iterations"])),
            "max": int(max(stats["iterations"])),
        }
        if stats["iterations"]
        else None,
        "cold_restarts": stats["cold_restarts"],
        "fixedpoint_fallbacks": stats["fallbacks"],
        "import_seconds": import_seconds,
        "samples": N,
        "biosteam_version": bst.__version__,
        "thermosteam_version": tmo.__version__,
        "tolerance": b.tolerance,
        "flow_scale": b.flow_scale,
        "sinks": b.sinks,
        "system": {
            "path": [u.ID for u in b.system.unit_path],
            "tears": [
                x.ID
                for x in (
                    b.system.recycle
                    if isinstance(b.system.recycle, list)
                    else [b.system.recycle]
                    if b.system.recycle
                    else []
                )
            ],
        },
        "_atoms": {sp: dict(b.chemicals[b.cid[sp]].atoms) for sp in b.species},
    }


# --------------------------------------------------------------------------- exact reference
def reference_solve(spec, MW: dict) -> dict:
    """Exact linear solve (numpy) of the same flowsheet, same semantics, in mol.

    Independent of BioSTEAM except for the molar masses passed in.
    """
    species = list(spec["species"])
    n = len(species)
    si = {sp: k for k, sp in enumerate(species)}
    mw = np.array([MW[sp] for sp in species])
    feeds = {
        name: np.array([f.get(sp, 0.0) for sp in species]) / mw
        for name, f in spec.get("feeds", {}).items()
    }
    produced, sinks = _topology(spec)
    pos = {s: k for k, s in enumerate(produced)}
    m = len(produced) * n
    X = _sample_matrix(spec)
    N = X.shape[0]
    params = spec.get("parameters") or []
    eye = np.eye(n)
    out_keys = [(s, sp) for s in sinks for sp in species]
    reagent_units = [u for u in spec["units"] if u.get("dosed")]
    out_keys += [
        (f"reagent:{u['name']}:{sp}", sp) for u in reagent_units for sp in _dosed_reagents(u)
    ]
    res = np.empty((N, len(out_keys)))
    for i in range(N):
        units = json.loads(json.dumps(spec["units"]))
        byname = {u["name"]: u for u in units}
        for p, v in zip(params, X[i], strict=True):
            u = byname[p["unit"]]
            parts = p["field"].split(".")
            if parts[0] == "reactions":
                u["reactions"][int(parts[1])]["conversion"] = float(v)
            else:
                u.setdefault("split", {})[p["field"][len("split.") :]] = float(v)
        A = np.zeros((m, m))
        rhs = np.zeros(m)
        R_ops = {}

        def add_link(out_s, M, in_list, A=A, rhs=rhs):
            o = pos[out_s] * n
            A[o : o + n, o : o + n] += eye
            for s in in_list:
                if s in feeds:
                    rhs[o : o + n] += M @ feeds[s]
                else:
                    q = pos[s] * n
                    A[o : o + n, q : q + n] -= M

        for u in units:
            if u["kind"] == "mixer":
                add_link(u["outlets"][0], eye, u["inlets"])
            elif u["kind"] == "splitter":
                s = _split_vector(u.get("split", {}), species)
                add_link(u["outlets"][0], np.diag(s), u["inlets"])
                add_link(u["outlets"][1], np.diag(1 - s), u["inlets"])
            elif u["kind"] == "reactor":
                T = eye.copy()
                R = np.zeros((n, n))
                dosed = u.get("dosed") or {}
                for r in u.get("reactions", []):
                    c = np.zeros(n)
                    for sp, coef in r["stoichiometry"].items():
                        c[si[sp]] = coef
                    ri = si[r["reactant"]]
                    nu = c / abs(c[ri])
                    delta = np.zeros(n)
                    for sp, ex in dosed.items():
                        if nu[si[sp]] < 0:
                            delta[si[sp]] = abs(nu[si[sp]]) * (1 + float(ex))
                    e = np.zeros(n)
                    e[ri] = 1.0
                    Xr = float(r["conversion"])
                    D = Xr * np.outer(delta, e)
                    R = R + D @ T
                    T = (eye + Xr * np.outer(nu + delta, e)) @ T
                add_link(u["outlets"][0], T, u["inlets"])
                R_ops[u["name"]] = (R, u["inlets"])
        x = np.linalg.solve(A, rhs)
        flows = {s: x[pos[s] * n : (pos[s] + 1) * n] for s in produced}
        flows.update(feeds)
        vals = [flows[s] * mw for s in sinks]
        for u in reagent_units:
            R, inl = R_ops[u["name"]]
            r_mol = R @ sum(flows[s] for s in inl)
            vals.append(np.array([r_mol[si[sp]] * mw[si[sp]] for sp in _dosed_reagents(u)]))
        res[i] = np.concatenate(vals)
    streams: dict = {}
    for j, (name, sp) in enumerate(out_keys):
        streams.setdefault(name, {})[sp] = res[:, j].tolist()
    return streams


def element_balance(spec, out) -> dict:
    """Max over samples of |atoms in - atoms out| / atoms in, per element."""
    atoms = out["_atoms"]
    MW = out["molar_masses"]
    N = out["samples"]
    elements = sorted({e for a in atoms.values() for e in a})
    ein = {e: np.zeros(N) for e in elements}
    eout = {e: np.zeros(N) for e in elements}
    for f in spec.get("feeds", {}).values():
        for sp, kg in f.items():
            for e, k in atoms[sp].items():
                ein[e] += kg / MW[sp] * k
    for name, d in out["streams"].items():
        target = ein if name.startswith("reagent:") else eout
        for sp, kgs in d.items():
            for e, k in atoms[sp].items():
                target[e] += np.asarray(kgs) / MW[sp] * k
    return {
        e: float(np.max(np.abs(ein[e] - eout[e]) / np.maximum(ein[e], 1e-300)))
        for e in elements
        if ein[e].max() > 0
    }


def max_rel_diff(a: dict, b: dict, floor_rel=1e-13) -> float:
    """Max relative difference between two {stream: {species: [..]}} dicts.

    Entries below floor_rel x (largest value of that stream) count absolutely
    against that scale (round-off level zeros).
    """
    worst = 0.0
    for name, d in b.items():
        scale = max((abs(v) for vs in d.values() for v in vs), default=0.0)
        for sp, vs in d.items():
            x = np.asarray(a[name][sp])
            y = np.asarray(vs)
            den = np.maximum(np.abs(y), floor_rel * scale)
            den[den == 0] = 1.0
            worst = max(worst, float(np.max(np.abs(x - y) / den)))
    return worst


# --------------------------------------------------------------------------- self-test
def example_spec(N=200, seed=1) -> dict:
    rng = np.random.default_rng(seed)
    return {
        "species": {
            "NMC811": {"formula": "LiNi0.8Mn0.1Co0.1O2", "phase": "s"},
            "graphite": {"formula": "C", "phase": "s"},
            "H2SO4": {"formula": "H2SO4", "phase": "l"},
            "H2O2": {"formula": "H2O2", "phase": "l"},
            "Li2SO4": {"formula": "Li2SO4", "phase": "l"},
            "NiSO4": {"formula": "NiSO4", "phase": "l"},
            "MnSO4": {"formula": "MnSO4", "phase": "l"},
            "CoSO4": {"formula": "CoSO4", "phase": "l"},
            "H2O": {"formula": "H2O", "phase": "l"},
            "O2": {"formula": "O2", "phase": "l"},
        },
        "feeds": {"feed": {"NMC811": 0.5, "graphite": 0.3}},
        "units": [
            {"name": "M1", "kind": "mixer", "inlets": ["feed", "recycle"], "outlets": ["s1"]},
            {
                "name": "R1",
                "kind": "reactor",
                "inlets": ["s1"],
                "outlets": ["s2"],
                "reactions": [
                    {
                        "stoichiometry": {
                            "NMC811": -2,
                            "H2SO4": -3,
                            "H2O2": -1,
                            "Li2SO4": 1,
                            "NiSO4": 1.6,
                            "MnSO4": 0.2,
                            "CoSO4": 0.2,
                            "H2O": 4,
                            "O2": 1,
                        },
                        "reactant": "NMC811",
                        "conversion": 0.95,
                    }
                ],
                "dosed": {"H2SO4": 0.1, "H2O2": 0.0},
            },
            {
                "name": "S1",
                "kind": "splitter",
                "inlets": ["s2"],
                "outlets": ["residue", "liquor"],
                "split": {"NMC811": 0.98, "graphite": 0.98},
            },
            {
                "name": "S2",
                "kind": "splitter",
                "inlets": ["liquor"],
                "outlets": ["to_precip", "recycle"],
                "split": {"*": 0.7},
            },
        ],
        "parameters": [
            {
                "unit": "R1",
                "field": "reactions.0.conversion",
                "values": rng.uniform(0.5, 0.999, N).tolist(),
            },
            {"unit": "S2", "field": "split.*", "values": rng.uniform(0.05, 0.95, N).tolist()},
            {"unit": "S1", "field": "split.NMC811", "values": rng.uniform(0.5, 0.999, N).tolist()},
        ],
    }


def loop_spec(N, seed=2) -> dict:
    rng = np.random.default_rng(seed)
    return {
        "species": {
            "A": {"formula": "C2H6O", "phase": "l"},
            "B": {"formula": "NaCl", "phase": "s"},
            "W": {"formula": "H2O", "phase": "l"},
        },
        "feeds": {"feed": {"A": 2.0, "B": 0.7, "W": 1e-6}},
        "units": [
            {"name": "M1", "kind": "mixer", "inlets": ["feed", "recycle"], "outlets": ["s1"]},
            {
                "name": "S1",
                "kind": "splitter",
                "inlets": ["s1"],
                "outlets": ["product", "recycle"],
                "split": {"*": 0.5},
            },
        ],
        "parameters": [
            {"unit": "S1", "field": "split.*", "values": rng.uniform(0.02, 0.98, N).tolist()}
        ],
    }


def reactor_loop_spec(N, seed=3) -> dict:
    rng = np.random.default_rng(seed)
    # A -> B isomerisation (same formula, so kg = mol x same MW)
    return {
        "species": {
            "A": {"formula": "C2H6O", "phase": "l"},
            "B": {"formula": "C2H6O", "phase": "l"},
        },
        "feeds": {"feed": {"A": 3.0}},
        "units": [
            {"name": "M1", "kind": "mixer", "inlets": ["feed", "recycle"], "outlets": ["s1"]},
            {
                "name": "R1",
                "kind": "reactor",
                "inlets": ["s1"],
                "outlets": ["s2"],
                "reactions": [
                    {"stoichiometry": {"A": -1, "B": 1}, "reactant": "A", "conversion": 0.5}
                ],
            },
            {
                "name": "S1",
                "kind": "splitter",
                "inlets": ["s2"],
                "outlets": ["product", "recycle"],
                "split": {"A": 0.5, "B": 1.0},
            },
        ],
        "parameters": [
            {
                "unit": "R1",
                "field": "reactions.0.conversion",
                "values": rng.uniform(0.05, 0.99, N).tolist(),
            },
            # split.A = fraction of A to product = 1 - r
            {"unit": "S1", "field": "split.A", "values": rng.uniform(0.02, 0.95, N).tolist()},
        ],
    }


def two_tear_spec(N, seed=4) -> dict:
    """Two recycles into one mixer, two reactions in series (the second one's
    reactant is dosed in the first), and a ppb-level inert impurity with a
    high recycle gain: the stiff case for BioSTEAM's elementwise Aitken."""
    rng = np.random.default_rng(seed)
    return {
        "species": {
            "NaOH": {"formula": "NaOH", "phase": "l"},
            "HCl": {"formula": "HCl", "phase": "l"},
            "NaCl": {"formula": "NaCl", "phase": "s"},
            "H2O": {"formula": "H2O", "phase": "l"},
            "CaCO3": {"formula": "CaCO3", "phase": "s"},
            "CaCl2": {"formula": "CaCl2", "phase": "l"},
            "CO2": {"formula": "CO2", "phase": "l"},
            "FeSO4": {"formula": "FeSO4", "phase": "s"},
        },
        "feeds": {"f1": {"NaOH": 5.0, "FeSO4": 1e-8, "CaCO3": 0.2}, "f2": {"H2O": 10.0}},
        "units": [
            {"name": "M1", "kind": "mixer", "inlets": ["f1", "rec1", "rec2"], "outlets": ["s1"]},
            {
                "name": "R-1",
                "kind": "reactor",
                "inlets": ["s1", "f2"],
                "outlets": ["s2"],
                "reactions": [
                    {
                        "stoichiometry": {"NaOH": -1, "HCl": -1, "NaCl": 1, "H2O": 1},
                        "reactant": "NaOH",
                        "conversion": 0.8,
                    },
                    {
                        "stoichiometry": {"CaCO3": -1, "HCl": -2, "CaCl2": 1, "H2O": 1, "CO2": 1},
                        "reactant": "HCl",
                        "conversion": 0.3,
                    },
                ],
                "dosed": {"HCl": 0.05, "CaCO3": 0.0},
            },
            {
                "name": "S1",
                "kind": "splitter",
                "inlets": ["s2"],
                "outlets": ["out1", "mid"],
                "split": {"NaCl": 0.9, "FeSO4": 0.01, "*": 0.2},
            },
            {
                "name": "S2",
                "kind": "splitter",
                "inlets": ["mid"],
                "outlets": ["rec1", "x"],
                "split": {"*": 0.6},
            },
            {
                "name": "S3",
                "kind": "splitter",
                "inlets": ["x"],
                "outlets": ["rec2", "prod"],
                "split": {"FeSO4": 0.99, "*": 0.3},
            },
        ],
        "parameters": [
            {
                "unit": "R-1",
                "field": "reactions.0.conversion",
                "values": rng.uniform(0.1, 0.99, N).tolist(),
            },
            {
                "unit": "R-1",
                "field": "reactions.1.conversion",
                "values": rng.uniform(0.1, 0.99, N).tolist(),
            },
            {"unit": "S3", "field": "split.FeSO4", "values": rng.uniform(0.5, 0.99, N).tolist()},
            {"unit": "S2", "field": "split.*", "values": rng.uniform(0.1, 0.9, N).tolist()},
        ],
    }


def selftest(N=200, tol=1e-8) -> int:
    failures = []

    def check(label, value, limit=tol):
        ok = value <= limit
        print(f"  [{'ok' if ok else 'FAIL'}] {label}: {value:.3e} (limit {limit:.0e})")
        if not ok:
            failures.append(label)

    print("1) example leach loop, N =", N)
    spec = example_spec(N)
    out = run(spec)
    print(
        f"   system: {out['system']}; build {out['build_seconds']:.3f} s; "
        f"model {out['seconds_per_sample'] * 1e3:.3f} ms/sample; "
        f"loop {out['loop_seconds_per_sample'] * 1e3:.3f} ms/sample"
    )
    check("bst.Model vs plain loop", out["model_vs_loop_max_rel"])
    eb = element_balance(spec, out)
    check("element balance (worst element) " + max(eb, key=eb.get), max(eb.values()))
    ref = reference_solve(spec, out["molar_masses"])
    check("vs exact linear solve", max_rel_diff(out["streams"], ref))
    print("   element balance per element:", {k: f"{v:.1e}" for k, v in eb.items()})

    print("2) mixer + splitter loop: product == feed")
    spec = loop_spec(N)
    out = run(spec, also_loop=False)
    worst = 0.0
    for sp, kg in spec["feeds"]["feed"].items():
        worst = max(
            worst, float(np.max(np.abs(np.asarray(out["streams"]["product"][sp]) - kg) / kg))
        )
    check("product vs feed", worst)

    print("3) reactor loop: converted = F X / (1 - (1 - X) r)")
    spec = reactor_loop_spec(N)
    out = run(spec, also_loop=False)
    F = spec["feeds"]["feed"]["A"]
    Xc = np.asarray(spec["parameters"][0]["values"])
    r = 1.0 - np.asarray(spec["parameters"][1]["values"])
    closed = F * Xc / (1.0 - (1.0 - Xc) * r)
    B = np.asarray(out["streams"]["product"]["B"])  # same MW as A
    check("converted (B in product)", float(np.max(np.abs(B - closed) / closed)))
    A_out = np.asarray(out["streams"]["product"]["A"])
    check("A balance (A_out + B_out = F)", float(np.max(np.abs(A_out + B - F) / F)))

    print("4) two tears into one mixer, 2 reactions, ppb impurity, N =", max(N // 4, 10))
    spec = two_tear_spec(max(N // 4, 10))
    out = run(spec)
    print(
        f"   system: {out['system']}; model {out['seconds_per_sample'] * 1e3:.2f} ms/sample; "
        f"iterations {out['recycle_iterations']}; cold restarts {out['cold_restarts']}; "
        f"fixed-point fallbacks {out['fixedpoint_fallbacks']}"
    )
    check("bst.Model vs plain loop", out["model_vs_loop_max_rel"])
    eb = element_balance(spec, out)
    check("element balance (worst element) " + max(eb, key=eb.get), max(eb.values()))
    check(
        "vs exact linear solve (incl. 1e-8 kg impurity)",
        max_rel_diff(out["streams"], reference_solve(spec, out["molar_masses"]), floor_rel=0.0),
    )

    print("selftest:", "FAILED " + ", ".join(failures) if failures else "all passed")
    return 1 if failures else 0


# --------------------------------------------------------------------------- CLI
def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("spec", nargs="?")
    ap.add_argument("out", nargs="?")
    ap.add_argument("--selftest", action="store_true")
    ap.add_argument("--samples", type=int, default=200, help="N for --selftest")
    ap.add_argument(
        "--no-model", action="store_true", help="time a plain loop instead of bst.Model"
    )
    ap.add_argument(
        "--auto-system",
        action="store_true",
        help="let BioSTEAM pick path/tears (create_system); see pitfall in build()",
    )
    ap.add_argument("--no-scale", action="store_true", help="don't rescale feeds (see docstring)")
    ap.add_argument(
        "--check",
        action="store_true",
        help="also compare with the exact linear solve and element balance (printed)",
    )
    args = ap.parse_args(argv)
    if args.selftest:
        return selftest(args.samples)
    if not (args.spec and args.out):
        ap.error("SPEC.json and OUT.json are required (or --selftest)")
    spec = json.loads(Path(args.spec).read_text())
    out = run(
        spec,
        use_model=not args.no_model,
        also_loop=False,
        scale=not args.no_scale,
        auto_system=args.auto_system,
    )
    if args.check:
        ref = reference_solve(spec, out["molar_masses"])
        out["max_rel_vs_exact_linear_solve"] = max_rel_diff(out["streams"], ref)
        out["element_balance_max_rel"] = element_balance(spec, out)
        print(
            "max rel vs exact linear solve:", out["max_rel_vs_exact_linear_solve"], file=sys.stderr
        )
    out.pop("_atoms", None)
    Path(args.out).write_text(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
