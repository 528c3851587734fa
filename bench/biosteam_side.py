"""BioSTEAM side of the urbanmine cross-check / benchmark.

This script runs INSIDE the throwaway BioSTEAM virtualenv made by
``bench/biosteam_env.py``. It imports only biosteam/thermosteam (and their
dependencies chemicals and numpy) and the standard library, and urbanmine
never imports it::

    PY=$(python3 bench/biosteam_env.py)          # creates the venv once
    $PY bench/biosteam_side.py SPEC.json OUT.json [--check] [--no-model]
    $PY bench/biosteam_side.py --selftest       # exits 1 on failure (~30 s)

SPEC.json is written by ``urbanmine.flowsheet.export.to_spec`` and holds
``species`` (formula or null for mixtures, element mass fractions, molar mass,
phase), ``feeds``, ``units`` (all ``kind: "unit"``), ``sinks``, ``tears`` and
``parameters``. OUT.json gets::

    {"streams": {name: {species: [kg per sample, ...]}},   # every sink stream
                                                            # + "reagent:<unit>:<species>"
     "molar_masses": {species: g/mol},          # used by the BioSTEAM chemicals
     "thermosteam_molar_masses": {species: g/mol or null},  # thermosteam's own, from the formula
     "seconds_per_sample": float,   # bst.Model.evaluate wall time / N (excl. build)
     "build_seconds": float,        # chemicals + units + system + first simulate
     "import_seconds", "samples", "biosteam_version", "thermosteam_version",
     "recycle_iterations", "cold_restarts", "fixedpoint_fallbacks",
     "tolerance", "flow_scale", "system": {"path", "loops"}, ...}

``--check`` adds ``max_rel_vs_exact_linear_solve`` and
``element_balance_max_rel``. These come from an independent linear
solve of the same spec (``reference_solve``, numpy, no BioSTEAM).

Unit semantics (the spec's, in this order)
------------------------------------------
1. mix the inlets;
2. ``doses``: reagent kg = amount x basis, the basis measured on the mixed inlet
   BEFORE any dose: ``inlet`` = total kg; ``species`` = kg (or kmol if
   ``per_mol``) of the named species; ``element`` = kg of the named elements
   (species kg x element mass fraction), or kmol (/ atomic weight). With
   ``per_mol`` the dose is amount x basis kmol of the dosed species;
3. ``reactions`` in sequence: extent = X x kmol reactant / |nu_reactant|;
   ``dosed`` co-reactants are added first, |nu| x extent x (1 + excess);
4. ``burn``: kg burned = share x kg present; ``change_kg_per_kg`` x kg burned is
   added, except negative entries of other species (O2, sometimes H2O), which
   are taken from outside as reagents;
5. ``split[outlet][species or "*"]`` is the share to that outlet ("*" for
   unlisted species, else 0); the last outlet takes the rest.
Every reagent (doses, dosed co-reactants, burn O2/H2O) is reported as
``reagent:<unit>:<species>``.

How the spec maps onto BioSTEAM
-------------------------------
* A species becomes ``tmo.Chemical(ID, search_db=False, formula=..., MW=...,
  phase=..., default=True)``. There is never a database lookup, because
  name/CAS lookups can return a wrong formula. The formula is parsed here
  (``parse_formula``) and handed over flat (``Al2S3O12``), because
  thermosteam's parser ignores parentheses and fractions (see pitfalls). A
  mixture (``formula: null``) becomes a pseudo-chemical whose atoms reproduce
  its element mass fractions at a nominal 1000 g/mol; mixtures never react,
  they are only split or burned, and burning is a fixed kg/kg vector, so any
  molar mass keeps the mass balance.
* Molar masses (``--molar-masses spec``, the default): each chemical gets the
  molar mass from the spec, i.e. urbanmine's (molmass, IUPAC 2021 weights), so
  that both engines convert kg <-> kmol identically; see the pitfall below.
  ``--molar-masses thermosteam`` keeps thermosteam's own.
* A unit with one outlet and nothing to do is ``MassMixer`` (``mix_from(ins,
  energy_balance=False)``; the stock ``bst.Mixer`` also runs an enthalpy
  balance, which means nothing here and costs about 20 % of the time). A unit
  with one inlet, two outlets and nothing to do is the stock ``bst.Splitter``.
  Every other unit is ``SpecUnit``, a ``bst.Unit`` that mixes its inlets with
  ``mix_from``, adds doses, runs each reaction as a ``tmo.Reaction`` (built
  from the stoichiometry, the reactant and X = conversion) after adding its
  dosed co-reactants, burns, and splits to its outlets. The reagents come from
  an extra inlet stream ``reagent_<unit>`` whose flow is set in ``_run``, the
  usual BioSTEAM idiom for make-up streams.
* Recycle loops: the strongly connected components of the unit graph; each
  becomes a ``bst.System(path=..., recycle=[tears])`` nested in the top-level
  system, the way ``create_system()`` nests them. The tears are the ones the
  spec lists (urbanmine's own choice), completed by a greedy search if they do
  not break every cycle (``_plan``); not ``create_system()``, see below.
  Convergence is sequential modular with BioSTEAM's default Aitken accelerator.

Convergence, scaling and pitfalls (BioSTEAM 2.51.19)
----------------------------------------------------
* BioSTEAM stops iterating when the max *absolute* tear change is below
  ``molar_tolerance`` [kmol/h] OR the max *relative* change is below
  ``relative_molar_tolerance``. It also has a hard-coded rule: whenever the
  max absolute change is < 1e-12 kmol/h, that value is used as the relative
  error. With kg-scale feeds (~1e-2 kmol/h) that floor left a 2.7e-2
  relative error on the impurity in self-test case 4, even with rtol 1e-12.
  Every unit here is linear and homogeneous in the feeds, so the feeds are
  scaled to 1e9 kmol/h total, and outputs are divided by the same factor
  (``flow_scale``). That makes the hidden floor sub-ulp. On top of this the
  settings are ``molar_tolerance = 0`` (a purely relative stop, so ppb-level
  impurities are converged too), ``relative_molar_tolerance = 1e-12`` and
  ``maxiter = 200``. ``strict_convergence`` is True (a class attribute), so an
  unconverged recycle raises rather than returning silently.
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
  would go negative. urbanmine raises too (beyond round-off).
* thermosteam's formula parser (``get_atoms``) ignores parentheses and
  fractional subscripts: ``Al2(SO4)3`` comes out as 150.03 g/mol instead of
  342.15, ``Ni(OH)2`` as 75.70 instead of 92.71, and ``LiNi1/3Mn1/3Co1/3O2``
  as 211.50 instead of 96.46. Hence the own parser.
* thermosteam's atomic weights (``chemicals.elements``: Li 6.941, S 32.065,
  H 1.00794, C 12.0107) are older than urbanmine's (molmass: Li 6.94 ...): the
  molar masses differ by up to 1.4e-4 relative (LiF 3.9e-5, Li2CO3 2.6e-5,
  NMC 1.0e-5). Mass-based doses and burn vectors mix kg and kmol, so no
  rescaling after the fact can remove that difference exactly; imposing the
  spec's molar masses does (the default).
"""

from __future__ import annotations

import argparse
import heapq
import json
import re
import sys
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

TOTAL_FEED_KMOL = 1e9  # internal flow scale (see module docstring)
ABS_TOL_REL = 0.0  # molar_tolerance = ABS_TOL_REL * TOTAL_FEED_KMOL
REL_TOL = 1e-12  # relative_molar_tolerance
MAXITER = 200  # accelerated (BioSTEAM default: Aitken) attempt
FALLBACK_METHOD = "fixedpoint"
FALLBACK_MAXITER = 1_000_000  # plain substitution always converges on a linear contraction
SORT_LIMIT = 4000  # bst.Model sample sorting builds an N x N matrix
NOMINAL_MIXTURE_MW = 1000.0  # g/mol of a pseudo-chemical standing for a mixture


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


_TOKEN = re.compile(r"([A-Z][a-z]?)|(\()|(\))|(\d+(?:\.\d+)?(?:/\d+)?)|(\s+)")


def parse_formula(formula: str) -> dict:
    """Atom counts of a formula with parentheses, decimals and fractions (``Ni(OH)2``,
    ``LiNi1/3Mn1/3Co1/3O2``), as floats."""

    def count(text):
        if "/" in text:
            num, den = text.split("/")
            return Fraction(Fraction(num), int(den))
        return Fraction(text)

    stack = [{}]
    last = None
    pos = 0
    while pos < len(formula):
        m = _TOKEN.match(formula, pos)
        if m is None:
            raise ValueError(f"cannot parse formula {formula!r} at position {pos}")
        element, open_paren, close_paren, number, _space = m.groups()
        if element:
            stack[-1][element] = stack[-1].get(element, Fraction(0)) + 1
            last = element
        elif open_paren:
            stack.append({})
            last = None
        elif close_paren:
            if len(stack) == 1:
                raise ValueError(f"unbalanced ')' in {formula!r}")
            group = stack.pop()
            for el, n in group.items():
                stack[-1][el] = stack[-1].get(el, Fraction(0)) + n
            last = group
        elif number:
            factor = count(number)
            if isinstance(last, str):
                stack[-1][last] += factor - 1
            elif isinstance(last, dict):
                for el, n in last.items():
                    stack[-1][el] += n * (factor - 1)
            else:
                raise ValueError(f"number without element in {formula!r}")
            last = None
        pos = m.end()
    if len(stack) != 1:
        raise ValueError(f"unbalanced '(' in {formula!r}")
    return {el: float(n) for el, n in stack[0].items() if n != 0}


def _flat_formula(atoms: dict) -> str:
    """A formula thermosteam's simple parser reads right (no parentheses, plain decimals)."""
    parts = []
    for el, n in atoms.items():
        if n == int(n):
            parts.append(el if n == 1 else f"{el}{int(n)}")
        else:
            parts.append(el + f"{n:.17f}".rstrip("0"))
    return "".join(parts)


class SpeciesData:
    """Species in spec order: molar masses used, atoms, element mass fractions, atomic weights.

    ``molar_masses="spec"`` takes molar masses and atomic weights from the spec (urbanmine's,
    derived as element fraction x molar mass / atom count); ``"thermosteam"`` uses the weights of
    ``chemicals.elements`` (thermosteam's own).
    """

    def __init__(self, spec, molar_masses="spec"):
        from chemicals.elements import molecular_weight, periodic_table

        if molar_masses not in ("spec", "thermosteam"):
            raise ValueError("molar_masses must be 'spec' or 'thermosteam'")
        entries = spec["species"]
        self.names = list(entries)
        self.n = len(self.names)
        self.index = {s: k for k, s in enumerate(self.names)}
        parsed = {s: parse_formula(d["formula"]) for s, d in entries.items() if d.get("formula")}
        aw = {}
        if molar_masses == "spec":
            for s, atoms in parsed.items():
                frac, mm = entries[s].get("elements"), entries[s].get("molar_mass")
                if frac and mm:
                    for el, k in atoms.items():
                        if el in frac and el not in aw:
                            aw[el] = frac[el] * mm / k

        def weight(el):
            return aw[el] if el in aw else float(periodic_table[el].MW)

        self.atoms, self.formula, MW, native = [], [], [], []
        fractions = []
        for s in self.names:
            d = entries[s]
            if s in parsed:
                atoms = parsed[s]
                nat = float(molecular_weight(atoms))
                mw = (
                    float(d["molar_mass"])
                    if molar_masses == "spec" and d.get("molar_mass")
                    else nat
                )
                frac = d.get("elements") or {el: k * weight(el) / mw for el, k in atoms.items()}
            else:
                frac = d.get("elements") or {}
                if not frac:
                    raise ValueError(f"species {s!r} has neither a formula nor elements")
                nat = None
                mw = NOMINAL_MIXTURE_MW
                atoms = {el: f * mw / weight(el) for el, f in frac.items() if f}
            self.atoms.append(atoms)
            self.formula.append(_flat_formula(atoms))
            MW.append(mw)
            native.append(nat)
            fractions.append(frac)
        self.MW = np.array(MW)
        self.native_MW = native
        self.elements = sorted({el for f in fractions for el in f})
        col = {el: j for j, el in enumerate(self.elements)}
        self.E = np.zeros((self.n, len(self.elements)))
        for i, f in enumerate(fractions):
            for el, x in f.items():
                self.E[i, col[el]] = x
        self.aw = np.array([weight(el) for el in self.elements])
        self.molar_masses = molar_masses


# --------------------------------------------------------------------------- unit model
class UnitModel:
    """One spec unit as numpy data, on kmol vectors in spec species order.

    ``apply`` is the reference implementation of the unit semantics (used by the exact linear
    solve); the BioSTEAM unit reuses the dose, burn and split parts and runs reactions through
    ``tmo.Reaction``.
    """

    def __init__(self, u, sp: SpeciesData):
        if u.get("kind", "unit") != "unit":
            raise ValueError(f"unit {u['name']!r}: kind {u.get('kind')!r}, expected 'unit'")
        self.name = u["name"]
        self.inlets = list(u["inlets"])
        self.outlets = list(u["outlets"])
        self.sp = sp
        n, idx, MW = sp.n, sp.index, sp.MW
        self.doses = []
        for d in u.get("doses") or []:
            b = d.get("basis") or {"kind": "inlet"}
            self.doses.append(
                {
                    "j": idx[d["species"]],
                    "amount": float(d["amount"]),
                    "w": self._basis_weights(b),
                    "per_mol": bool(b.get("per_mol")),
                }
            )
        self.reactions = []
        for r in u.get("reactions") or []:
            c = np.zeros(n)
            for s, v in r["stoichiometry"].items():
                c[idx[s]] += float(v)
            ri = idx[r["reactant"]]
            self.reactions.append(
                {
                    "stoichiometry": {s: float(v) for s, v in r["stoichiometry"].items()},
                    "reactant": r["reactant"],
                    "ri": ri,
                    "nu": c / abs(c[ri]),  # nu[reactant] = -1
                    "X": float(r["conversion"]),
                    "dosed": {s: float(x) for s, x in (r.get("dosed") or {}).items()},
                }
            )
        self.burn = []
        for s, b in (u.get("burn") or {}).items():
            if s not in idx:
                continue
            gain, take = np.zeros(n), np.zeros(n)  # kmol per kg burned
            for p, c in b["change_kg_per_kg"].items():
                if p == s or c == 0:
                    continue
                if p not in idx:
                    raise ValueError(f"unit {self.name!r}: burn product {p!r} is not a species")
                if c < 0:
                    take[idx[p]] += -c / MW[idx[p]]
                else:
                    gain[idx[p]] += c / MW[idx[p]]
            self.burn.append({"j": idx[s], "share": float(b["share"]), "gain": gain, "take": take})
        self.split = {o: dict(t) for o, t in (u.get("split") or {}).items()}
        unknown = set(self.split) - set(self.outlets[:-1])
        if unknown:
            raise ValueError(f"unit {self.name!r}: split names {sorted(unknown)}")
        self._update_shares()
        reagents = {d["j"] for d in self.doses}
        reagents.update(idx[s] for r in self.reactions for s in r["dosed"])
        for b in self.burn:
            reagents.update(np.flatnonzero(b["take"]).tolist())
        self.reagent_index = sorted(reagents)
        self.changes = bool(self.doses or self.reactions or self.burn)
        self.utilities = []
        for x in u.get("utilities") or []:
            b = x.get("basis") or {"kind": "inlet"}
            outlet = None
            if b.get("kind") == "outlet":
                if b.get("stream") not in self.outlets:
                    raise ValueError(
                        f"unit {self.name!r}: utility basis outlet {b.get('stream')!r}"
                    )
                outlet = self.outlets.index(b["stream"])
                b = {**b, "kind": "species" if b.get("names") else "inlet"}
            self.utilities.append(
                {
                    "kind": x["kind"],
                    "amount": float(x["amount"]),
                    "scale": float(x.get("scale", 1.0)),
                    "w": self._basis_weights(b),
                    "outlet": outlet,
                }
            )

    def _basis_weights(self, b) -> np.ndarray:
        """Basis per kmol of each species in the inlet."""
        sp = self.sp
        kind, names, per_mol = b.get("kind", "inlet"), b.get("names") or [], b.get("per_mol")
        if kind == "inlet":
            return sp.MW.copy()
        w = np.zeros(sp.n)
        if kind == "species":
            for s in names:
                if s in sp.index:
                    j = sp.index[s]
                    w[j] += 1.0 if per_mol else sp.MW[j]
            return w
        if kind == "element":
            cols = [sp.elements.index(e) for e in names if e in sp.elements]
            if not cols:
                return w
            per_kg = sp.E[:, cols]
            if per_mol:
                per_kg = per_kg / sp.aw[cols]
            return per_kg.sum(axis=1) * sp.MW
        raise ValueError(f"unit {self.name!r}: dose basis kind {kind!r} is not supported")

    def _update_shares(self):
        idx = self.sp.index
        self.shares = []
        for o in self.outlets[:-1]:
            table = self.split.get(o, {})
            vec = np.full(self.sp.n, float(table.get("*", 0.0)))
            for s, v in table.items():
                if s != "*" and s in idx:
                    vec[idx[s]] = float(v)
            self.shares.append(vec)

    def set(self, field: str, value: float) -> None:
        """Set one parameter (``reactions.<i>.conversion``, ``reactions.<i>.dosed.<sp>``,
        ``split.<outlet>.<sp or *>``, ``doses.<i>.amount``, ``burn.<sp>``)."""
        v = float(value)
        if field.startswith("reactions."):
            _, i, rest = field.split(".", 2)
            r = self.reactions[int(i)]
            if rest == "conversion":
                r["X"] = v
            elif rest.startswith("dosed.") and rest[6:] in r["dosed"]:
                r["dosed"][rest[6:]] = v
            else:
                raise ValueError(f"unsupported parameter field {field!r}")
        elif field.startswith(("doses.", "utilities.")):
            kind, i, what = field.split(".", 2)
            if what != "amount":
                raise ValueError(f"unsupported parameter field {field!r}")
            getattr(self, kind)[int(i)]["amount"] = v
        elif field.startswith("burn."):
            j = self.sp.index.get(field[5:])
            for b in self.burn:
                if b["j"] == j:
                    b["share"] = v
        elif field.startswith("split."):
            rest = field[6:]
            outlet = max(
                (o for o in self.outlets[:-1] if rest.startswith(o + ".")), key=len, default=None
            )
            if outlet is None:
                raise ValueError(f"unit {self.name!r}: {field!r} names no outlet")
            self.split.setdefault(outlet, {})[rest[len(outlet) + 1 :]] = v
            self._update_shares()
        else:
            raise ValueError(f"unsupported parameter field {field!r}")

    # parts shared by the reference and the BioSTEAM unit ------------------------------
    def add_doses(self, inlet, x, reag):
        MW = self.sp.MW
        for d in self.doses:
            q = d["amount"] * (d["w"] @ inlet)
            if not d["per_mol"]:
                q = q / MW[d["j"]]
            x[d["j"]] += q
            reag[d["j"]] += q

    def add_dosed(self, r, extent, x, reag):
        """Dosed co-reactants of reaction ``r`` for ``extent`` (kmol, reactant basis)."""
        for s, excess in r["dosed"].items():
            j = self.sp.index[s]
            q = extent * (-r["nu"][j]) * (1.0 + excess)
            x[j] += q
            reag[j] += q

    def apply_burn(self, x, reag):
        MW = self.sp.MW
        for b in self.burn:
            j = b["j"]
            burned = b["share"] * x[j]  # kmol
            kg = burned * MW[j]
            x[j] = x[j] - burned
            x += np.multiply.outer(b["gain"], kg)
            reag += np.multiply.outer(b["take"], kg)

    def split_streams(self, x) -> list:
        if len(self.outlets) == 1:
            return [x]
        rest = x.copy()
        parts = []
        for vec in self.shares:
            part = vec.reshape((-1,) + (1,) * (x.ndim - 1)) * x
            rest -= part
            parts.append(part)
        parts.append(rest)
        return parts

    def book_utilities(self, inlet, outlets) -> dict:
        """Utilities (kWh, MJ or kg as their names say) for an inlet and its outlets (kmol)."""
        booked: dict = {}
        for x in self.utilities:
            measured = inlet if x["outlet"] is None else outlets[x["outlet"]]
            q = x["amount"] * x["scale"] * (x["w"] @ measured)
            booked[x["kind"]] = booked.get(x["kind"], 0.0) + q
        return booked

    def apply(self, inlet):
        """Outlets and reagents (kmol) for an inlet of shape (n,) or (n, k); linear in it."""
        x = np.array(inlet, dtype=float)
        reag = np.zeros_like(x)
        self.add_doses(inlet, x, reag)
        for r in self.reactions:
            extent = x[r["ri"]] * r["X"]
            self.add_dosed(r, extent, x, reag)
            x += np.multiply.outer(r["nu"], extent)
        self.apply_burn(x, reag)
        return self.split_streams(x), reag


# --------------------------------------------------------------------------- flowsheet plan
def _plan(spec, feeds):
    """Run order: ("unit", name) and ("loop", [names], [tears]) entries.

    Loops are the strongly connected components of the unit graph, ordered topologically (spec
    order breaks ties). Inside a loop the tears are those of ``spec["tears"]`` that belong to it;
    units then run as soon as all their inlets are known, and if none can, the first remaining
    unit (spec order) with the most known inlets runs and its unknown inlets become tears too.
    Tears are therefore always inlets of a unit that runs before their source, which is what
    BioSTEAM's sequential modular iteration needs (set tears -> run path -> compare tears).
    """
    units = spec["units"]
    order = {u["name"]: k for k, u in enumerate(units)}
    byname = {u["name"]: u for u in units}
    producer = {s: u["name"] for u in units for s in u["outlets"]}
    succ = {u["name"]: set() for u in units}
    for u in units:
        for s in u["inlets"]:
            if s in producer:
                succ[producer[s]].add(u["name"])
    # Tarjan's strongly connected components (iterative)
    index, low, on_stack, stack, comps, counter = {}, {}, set(), [], [], [0]
    for root in order:
        if root in index:
            continue
        work = [(root, iter(sorted(succ[root], key=order.get)))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        x = stack.pop()
                        on_stack.discard(x)
                        comp.append(x)
                        if x == v:
                            break
                    comps.append(sorted(comp, key=order.get))
            elif w not in index:
                index[w] = low[w] = counter[0]
                counter[0] += 1
                stack.append(w)
                on_stack.add(w)
                work.append((w, iter(sorted(succ[w], key=order.get))))
            elif w in on_stack:
                low[v] = min(low[v], index[w])
    comp_of = {n: k for k, c in enumerate(comps) for n in c}
    preds = {k: set() for k in range(len(comps))}
    for v in order:
        for w in succ[v]:
            if comp_of[v] != comp_of[w]:
                preds[comp_of[w]].add(comp_of[v])
    heap = [(order[c[0]], k) for k, c in enumerate(comps) if not preds[k]]
    heapq.heapify(heap)
    done, topo = set(), []
    while heap:
        _, k = heapq.heappop(heap)
        topo.append(k)
        done.add(k)
        for j in range(len(comps)):
            if j not in done and k in preds[j] and preds[j] <= done:
                heapq.heappush(heap, (order[comps[j][0]], j))  # its last predecessor is done
    spec_tears = [t for group in spec.get("tears") or [] for t in group]
    plan = []
    for k in topo:
        comp = comps[k]
        if len(comp) == 1 and comp[0] not in succ[comp[0]]:
            plan.append(("unit", comp[0]))
            continue
        inside = set(comp)
        made = {s for n in comp for s in byname[n]["outlets"]}
        used = {s for n in comp for s in byname[n]["inlets"]}
        tears = [t for t in spec_tears if t in made and t in used]
        known = {s for s in used if s not in made} | set(tears)
        remaining = [byname[n] for n in comp]
        path = []
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
        assert set(path) == inside
        plan.append(("loop", path, tears))
    return plan


# --------------------------------------------------------------------------- BioSTEAM model
class Built:
    """Everything needed to evaluate one spec in BioSTEAM."""


def _all_systems(system):
    out = [system]
    for sub in system.subsystems:
        out += _all_systems(sub)
    return out


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
    molar_masses="spec",
    design_and_cost=False,
    equipment=None,
):
    """BioSTEAM system of ``spec`` (see the module docstring). With ``design_and_cost``, every
    simulate also runs the units' design and cost (``_summary``); ``equipment`` maps unit names
    to ``{item: purchased cost USD}``, which those units report as their purchase costs."""
    import biosteam as bst
    import thermosteam as tmo

    t0 = time.perf_counter()
    sd = SpeciesData(spec, molar_masses)
    species = sd.names
    taken: set = set()
    cid = {s: _safe_id(s, taken) for s in species}
    chems = []
    for k, s in enumerate(species):
        phase = spec["species"][s].get("phase", "l")
        phase = {"solid": "s", "liquid": "l", "gas": "g", "aqueous": "l"}.get(phase, phase)
        chems.append(
            tmo.Chemical(
                cid[s],
                search_db=False,
                formula=sd.formula[k],
                MW=float(sd.MW[k]),
                phase=phase if phase in ("s", "l", "g") else "l",
                default=True,
            )
        )
    chemicals = tmo.Chemicals(chems)
    bst.settings.set_thermo(chemicals)  # compiles; global thermo (one flowsheet at a time)
    chemicals = bst.settings.chemicals
    if [chemicals.index(cid[s]) for s in species] != list(range(len(species))):
        raise RuntimeError("thermosteam reordered the chemicals")  # never seen; kept as a guard
    MW = np.array([chemicals[cid[s]].MW for s in species])
    if np.any(np.abs(MW / sd.MW - 1) > 1e-14):
        raise RuntimeError("thermosteam did not take the molar masses given")

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

    class SpecUnit(bst.Unit):
        """Mix inlets, dose, react (``tmo.Reaction``), burn, split, book utilities. The last
        ``len(model.reagent_index)`` inlets are make-up streams, one per reagent species.
        Electricity is the unit's ``power_utility`` (kW = kWh per hour of flowsheet);
        the other utilities are kept in ``booked`` ({kind: quantity per hour}); ``_cost``
        reports the unit's ``equipment`` ({item: USD}) as its purchase costs."""

        _N_ins = 1
        _N_outs = 1
        _ins_size_is_fixed = False
        _outs_size_is_fixed = False

        def _init(self, model, reactions, equipment=None):
            self.model = model  # UnitModel: doses, dosing factors, burn vectors, split shares
            self.reactions = reactions  # list of tmo.Reaction, X kept equal to the model's
            self.equipment = dict(equipment or {})
            self.booked = {}
            for item in self.equipment:
                self.F_BM[item] = 1.0  # EverBatt factors capital on purchased equipment

        def _run(self):
            m = self.model
            out = self.outs[0]
            n_reagents = len(m.reagent_index)
            process_ins = self.ins[: len(self.ins) - n_reagents]
            out.mix_from(process_ins, energy_balance=False)
            x = out.mol.to_array()
            inlet = x.copy()
            if m.changes:
                reag = np.zeros_like(x)
                m.add_doses(inlet, x, reag)
                for r, rxn in zip(m.reactions, self.reactions, strict=True):
                    m.add_dosed(r, x[r["ri"]] * rxn.X, x, reag)
                    rxn(x)  # x += x[reactant] * X * stoichiometry (feasibility-checked)
                m.apply_burn(x, reag)
                for stream, j in zip(self.ins[len(process_ins) :], m.reagent_index, strict=True):
                    stream.mol[j] = reag[j]
            parts = m.split_streams(x)
            for stream, part in zip(self.outs, parts, strict=True):
                stream.mol[:] = part
            if m.utilities:
                self.booked = m.book_utilities(inlet, parts)
                self.power_utility.consumption = self.booked.get("electricity_kWh", 0.0)

        def _cost(self):
            self.baseline_purchase_costs.update(self.equipment)

    streams = {}
    feeds = spec.get("feeds", {})
    total_feed_kmol = sum(kg / MW[sd.index[s]] for f in feeds.values() for s, kg in f.items())
    flow_scale = (TOTAL_FEED_KMOL / total_feed_kmol) if (scale and total_feed_kmol > 0) else 1.0
    sid_taken: set = set()
    for name, flows in feeds.items():
        st = bst.Stream(_safe_id(name, sid_taken), units="kg/hr")
        for s, kg in flows.items():
            st.imass[cid[s]] = kg * flow_scale
        streams[name] = st
    produced, sinks = _topology(spec)
    for name in produced:
        streams[name] = bst.Stream(_safe_id(name, sid_taken))

    units, models, reagent_streams = {}, {}, {}
    uid_taken: set = set()
    for u in spec["units"]:
        name = u["name"]
        m = UnitModel(u, sd)
        models[name] = m
        uid = _safe_id(name, uid_taken)
        ins = [streams[s] for s in u["inlets"]]
        outs = [streams[s] for s in u["outlets"]]
        plain = not (m.changes or m.utilities or (equipment or {}).get(name))
        if plain and len(outs) == 1:
            unit = MassMixer(uid, ins=ins, outs=outs)
        elif plain and len(ins) == 1 and len(outs) == 2:
            unit = bst.Splitter(uid, ins=ins, outs=outs, split=0.0)
            unit.split[:] = m.shares[0]
        else:
            rxns = [
                tmo.Reaction(
                    {cid[s]: c for s, c in r["stoichiometry"].items() if c},
                    reactant=cid[r["reactant"]],
                    X=r["X"],
                    chemicals=chemicals,
                    basis="mol",
                    check_mass_balance=False,
                    check_atomic_balance=False,
                )
                for r in m.reactions
            ]
            if m.reagent_index:
                make_up = [
                    bst.Stream(_safe_id(f"reagent_{name}_{species[j]}", sid_taken))
                    for j in m.reagent_index
                ]
                ins = [*ins, *make_up]
                reagent_streams[name] = (make_up, [species[j] for j in m.reagent_index])
            unit = SpecUnit(
                uid,
                ins=ins,
                outs=outs,
                model=m,
                reactions=rxns,
                equipment=(equipment or {}).get(name),
            )
        units[name] = unit

    plan = None
    if auto_system:
        # BioSTEAM's own path/tear search.  PITFALL (2.51.19): when a mixer has
        # two recycle inlets it tears the mixer's *outlet* while the path still
        # starts at that mixer, so the tear value is overwritten before use; the
        # first simulate after a parameter change then "converges" in 1
        # iteration to the previous sample's state.  Kept only to show that.
        system = flowsheet.create_system("urbanmine_xcheck")
    else:
        plan = _plan(spec, feeds)
        path = []
        for k, entry in enumerate(plan):
            if entry[0] == "unit":
                path.append(units[entry[1]])
            else:
                _, names, tears = entry
                path.append(
                    bst.System(
                        f"loop_{k}",
                        path=[units[n] for n in names],
                        recycle=[streams[t] for t in tears],
                    )
                )
        system = bst.System("urbanmine_xcheck", path=path)
    system.set_tolerance(
        mol=abs_tol_rel * TOTAL_FEED_KMOL,
        rmol=rel_tol,
        maxiter=maxiter,
        method=method,
        subsystems=True,
    )
    systems = _all_systems(system)
    # System.strict_convergence is a class attribute (True): an unconverged
    # recycle raises RuntimeError instead of returning silently.
    assert all(s.strict_convergence for s in systems)

    method = system.method
    stats = {"fallbacks": 0, "cold_restarts": 0, "iterations": []}

    def iterations():
        return sum(s._iter for s in systems if s._recycle)

    def simulate():
        """sys.simulate() with BioSTEAM's default accelerator (Aitken).

        Elementwise Aitken warm-started from the previous sample sometimes
        stalls at tight tolerance on multi-tear loops.  Then, like
        ``bst.Model``'s own ``retry_evaluation``, empty the streams and retry
        from a cold start; if that also fails, fall back to plain fixed-point
        substitution (always converges on a linear contraction)."""

        def attempt():
            try:
                system.simulate(design_and_cost=design_and_cost)
                return True
            except RuntimeError as error:
                if "could not converge" not in str(error) or not fallback:
                    raise
                return False

        if attempt():
            stats["iterations"].append(iterations())
            return
        stats["cold_restarts"] += 1
        system.empty_outlet_streams()
        system.reset_cache()
        if attempt():
            stats["iterations"].append(maxiter + iterations())
            return
        stats["fallbacks"] += 1
        for s in systems:
            s.method, s.maxiter = FALLBACK_METHOD, FALLBACK_MAXITER
        try:
            system.simulate(design_and_cost=design_and_cost)
            stats["iterations"].append(2 * maxiter + iterations())
        finally:
            for s in systems:
                s.method, s.maxiter = method, maxiter

    # parameter setters ---------------------------------------------------
    params = spec.get("parameters") or []
    setters = []
    for p in params:
        unit, m, field = units[p["unit"]], models[p["unit"]], p["field"]
        m.set(field, m_value(m, field))  # validates the field now, not at the first sample
        if field.startswith("reactions.") and field.endswith(".conversion"):
            rxn = unit.reactions[int(field.split(".")[1])]

            def setter(v, m=m, field=field, rxn=rxn):
                m.set(field, v)
                rxn.X = v
        elif field.startswith("split.") and isinstance(unit, bst.Splitter):

            def setter(v, m=m, field=field, unit=unit):
                m.set(field, v)
                unit.split[:] = m.shares[0]
        else:

            def setter(v, m=m, field=field):
                m.set(field, v)

        setters.append(setter)

    b = Built()
    b.bst, b.tmo = bst, tmo
    b.sd, b.species, b.cid, b.MW = sd, species, cid, MW
    b.streams, b.units, b.system, b.plan = streams, units, system, plan
    b.reagent_streams = reagent_streams
    b.sinks = sinks
    b.params = params
    b.setters = setters
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


def m_value(m: UnitModel, field: str) -> float:
    """Current value of a parameter field of a unit model."""
    if field.startswith("reactions."):
        _, i, rest = field.split(".", 2)
        r = m.reactions[int(i)]
        if rest == "conversion":
            return r["X"]
        if rest.startswith("dosed.") and rest[6:] in r["dosed"]:
            return r["dosed"][rest[6:]]
    elif field.startswith(("doses.", "utilities.")):
        kind, i, _ = field.split(".", 2)
        return getattr(m, kind)[int(i)]["amount"]
    elif field.startswith("burn."):
        j = m.sp.index.get(field[5:])
        return next((b["share"] for b in m.burn if b["j"] == j), 0.0)
    elif field.startswith("split."):
        rest = field[6:]
        for o in m.outlets[:-1]:
            if rest.startswith(o + "."):
                return float(m.split.get(o, {}).get(rest[len(o) + 1 :], 0.0))
    raise ValueError(f"unit {m.name!r}: unsupported parameter field {field!r}")


def parameter_model(b, X):
    """``bst.Model`` of the built system ``b`` (specification: ``b.simulate``) with one parameter
    per spec parameter, for the sample matrix ``X`` (samples x parameters); no indicators yet."""
    model = b.bst.Model(b.system, specification=b.simulate, exception_hook="raise")
    for k, (p, f) in enumerate(zip(b.params, b.setters, strict=True)):
        # Model sorts samples on "coupled" parameters, normalising by their
        # range: a constant column would divide by zero (FloatingPointError).
        varies = bool(np.ptp(X[:, k]) > 0)
        model.parameter(
            f, element=b.units[p["unit"]], coupled=varies, name=f"p{k}_{p['field']}", units="-"
        )
    return model


def _read_outputs(b) -> np.ndarray:
    """All reported quantities (kg, unscaled) for the current state, as one vector."""
    MW = b.MW
    vals = [b.streams[name].mol.to_array() * MW for name in b.sinks]
    for make_up, names in b.reagent_streams.values():
        for stream, s in zip(make_up, names, strict=True):
            vals.append(stream.imol[b.cid[s]] * MW[b.sd.index[s]])
    return np.hstack(vals) / b.flow_scale if vals else np.zeros(0)


def _output_keys(b):
    keys = [(name, s) for name in b.sinks for s in b.species]
    keys += [(f"reagent:{u}:{s}", s) for u, (_, names) in b.reagent_streams.items() for s in names]
    return keys


def sample_matrix(spec) -> np.ndarray:
    """Parameter values of the spec as a (samples x parameters) matrix."""
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
    X = sample_matrix(spec)
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
        model = parameter_model(b, X)
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
    for j, (name, s) in enumerate(keys):
        streams.setdefault(name, {})[s] = results[:, j].tolist()
    loops = [s for s in _all_systems(b.system) if s._recycle]
    return {
        "streams": streams,
        "molar_masses": {s: float(b.MW[k]) for k, s in enumerate(b.species)},
        "thermosteam_molar_masses": dict(zip(b.species, b.sd.native_MW, strict=True)),
        "molar_mass_source": b.sd.molar_masses,
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
            "loops": [
                {
                    "units": [u.ID for u in s.unit_path],
                    "tears": [
                        x.ID for x in (s._recycle if isinstance(s._recycle, list) else [s._recycle])
                    ],
                }
                for s in loops
            ],
        },
        "_atoms": {s: dict(b.sd.atoms[k]) for k, s in enumerate(b.species)},
    }


# --------------------------------------------------------------------------- exact reference
def reference_solve(spec, molar_masses="spec") -> dict:
    """Exact solve (numpy) of the same flowsheet, same semantics, in kmol, per sample.

    Units outside loops run once in plan order; each loop (``_plan``) is one dense linear system
    in all the streams its units produce (species that can be present only), with the unit
    operators found by applying each unit to the identity. Independent of BioSTEAM; uses the same molar masses (``SpeciesData``).
    """
    sd = SpeciesData(spec, molar_masses)
    n, mw = sd.n, sd.MW
    feeds = {
        name: np.array([f.get(s, 0.0) for s in sd.names]) / mw
        for name, f in spec.get("feeds", {}).items()
    }
    _produced, sinks = _topology(spec)
    X = sample_matrix(spec)
    N = X.shape[0]
    params = spec.get("parameters") or []
    models = [UnitModel(u, sd) for u in spec["units"]]
    byname = {mdl.name: mdl for mdl in models}
    plan = _plan(spec, feeds)
    out_keys = [(s, sp) for s in sinks for sp in sd.names]
    out_keys += [
        (f"reagent:{mdl.name}:{sd.names[j]}", sd.names[j])
        for mdl in models
        for j in mdl.reagent_index
    ]
    eye = np.eye(n)
    res = np.empty((N, len(out_keys)))
    for i in range(N):
        for p, v in zip(params, X[i], strict=True):
            byname[p["unit"]].set(p["field"], v)
        flows = dict(feeds)
        for entry in plan:
            if entry[0] == "unit":
                mdl = byname[entry[1]]
                outs, _ = mdl.apply(sum(flows[t] for t in mdl.inlets))
                flows.update(zip(mdl.outlets, outs, strict=True))
                continue
            loop = [byname[name] for name in entry[1]]
            ops = {mdl.name: mdl.apply(eye)[0] for mdl in loop}  # column j: 1 kmol of species j
            made = [s for mdl in loop for s in mdl.outlets]
            # species that can be non-zero in each stream (structural propagation round the
            # loop), so that impossible species stay exact zeros instead of LU round-off
            active = {t: flows[t] != 0 for t in flows}
            active.update({s: np.zeros(n, bool) for s in made})
            changed = True
            while changed:
                changed = False
                for mdl in loop:
                    inlet = np.logical_or.reduce([active[t] for t in mdl.inlets])
                    for s, M in zip(mdl.outlets, ops[mdl.name], strict=True):
                        new = active[s] | ((M != 0) @ inlet)
                        changed |= bool((new != active[s]).any())
                        active[s] = new
            cols = {s: np.flatnonzero(active[s]) for s in made}
            start, pos = 0, {}
            for s in made:
                pos[s] = slice(start, start + cols[s].size)
                start += cols[s].size
            A = np.eye(start)
            rhs = np.zeros(start)
            for mdl in loop:
                for s, M in zip(mdl.outlets, ops[mdl.name], strict=True):
                    for t in mdl.inlets:
                        if t in pos:
                            A[pos[s], pos[t]] -= M[np.ix_(cols[s], cols[t])]
                        else:
                            rhs[pos[s]] += (M @ flows[t])[cols[s]]
            x = np.linalg.solve(A, rhs) if start else np.zeros(0)
            for s in made:
                flows[s] = np.zeros(n)
                flows[s][cols[s]] = x[pos[s]]
        out = [flows[s] * mw for s in sinks]
        for mdl in models:
            if mdl.reagent_index:
                _, r_mol = mdl.apply(sum(flows[t] for t in mdl.inlets))
                out.append(r_mol[mdl.reagent_index] * mw[mdl.reagent_index])
        res[i] = np.concatenate(out)
    streams: dict = {}
    for j, (name, s) in enumerate(out_keys):
        streams.setdefault(name, {})[s] = res[:, j].tolist()
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
        for s, kg in f.items():
            for e, k in atoms[s].items():
                ein[e] += kg / MW[s] * k
    for name, d in out["streams"].items():
        target = ein if name.startswith("reagent:") else eout
        for s, kgs in d.items():
            for e, k in atoms[s].items():
                target[e] += np.asarray(kgs) / MW[s] * k
    return {
        e: float(np.max(np.abs(ein[e] - eout[e]) / np.maximum(ein[e], 1e-300)))
        for e in elements
        if ein[e].max() > 0
    }


def max_rel_diff(a: dict, b: dict, floor_rel=1e-13) -> float:
    """Max relative difference between two {stream: {species: [..]}} dicts.

    Entries below floor_rel x (largest value of all streams) count absolutely against that
    scale (round-off level zeros). ``floor_rel=0`` compares every entry relatively.
    """
    overall = max((abs(v) for d in b.values() for vs in d.values() for v in vs), default=0.0)
    worst = 0.0
    for name, d in b.items():
        for s, vs in d.items():
            x = np.asarray(a[name][s])
            y = np.asarray(vs)
            den = np.maximum(np.abs(y), floor_rel * overall)
            den[den == 0] = 1.0
            worst = max(worst, float(np.max(np.abs(x - y) / den)))
    return worst


# --------------------------------------------------------------------------- self-test


def _sampled(rng, n, unit, field, low, high):
    """A self-test parameter: ``n`` uniform draws between ``low`` and ``high``."""
    return {"unit": unit, "field": field, "values": rng.uniform(low, high, n).tolist()}


def _u(name, inlets, outlets, doses=(), reactions=(), burn=None, split=None) -> dict:
    return {
        "name": name,
        "kind": "unit",
        "inlets": list(inlets),
        "outlets": list(outlets),
        "doses": list(doses),
        "reactions": list(reactions),
        "burn": burn or {},
        "split": split or {},
    }


def _rx(stoichiometry, reactant, conversion, dosed=None) -> dict:
    return {
        "stoichiometry": stoichiometry,
        "reactant": reactant,
        "conversion": conversion,
        "dosed": dosed or {},
    }


def _sp(formula, phase="l") -> dict:
    return {"formula": formula, "phase": phase}


def _combustion_change(name, elements: dict) -> dict:
    """kg/kg change of burning a C/H/O species completely (thermosteam's atomic weights, which the
    self-test specs use since they give no molar masses)."""
    from chemicals.elements import periodic_table as pt

    w = {e: float(pt[e].MW) for e in ("C", "H", "O")}
    c, h, o = (elements.get(e, 0.0) / w[e] for e in ("C", "H", "O"))  # kmol per kg
    return {
        name: -1.0,
        "CO2": c * (w["C"] + 2 * w["O"]),
        "H2O": h / 2 * (2 * w["H"] + w["O"]),
        "O2": -(c + h / 4 - o / 2) * 2 * w["O"],
    }


def _mass_fractions(formula) -> dict:
    from chemicals.elements import periodic_table as pt

    atoms = parse_formula(formula)
    mw = sum(k * float(pt[e].MW) for e, k in atoms.items())
    return {e: k * float(pt[e].MW) / mw for e, k in atoms.items()}


LEACH = {
    "NMC811": -2,
    "H2SO4": -3,
    "H2O2": -1,
    "Li2SO4": 1,
    "NiSO4": 1.6,
    "MnSO4": 0.2,
    "CoSO4": 0.2,
    "H2O": 4,
    "O2": 1,
}


def example_spec(N=200, seed=1) -> dict:
    rng = np.random.default_rng(seed)
    return {
        "species": {
            "NMC811": _sp("LiNi0.8Mn0.1Co0.1O2", "s"),
            "graphite": _sp("C", "s"),
            "H2SO4": _sp("H2SO4"),
            "H2O2": _sp("H2O2"),
            "Li2SO4": _sp("Li2SO4"),
            "NiSO4": _sp("NiSO4"),
            "MnSO4": _sp("MnSO4"),
            "CoSO4": _sp("CoSO4"),
            "H2O": _sp("H2O"),
            "O2": _sp("O2"),
        },
        "feeds": {"feed": {"NMC811": 0.5, "graphite": 0.3}},
        "units": [
            _u("M1", ["feed", "recycle"], ["s1"]),
            _u(
                "R1",
                ["s1"],
                ["s2"],
                reactions=[_rx(LEACH, "NMC811", 0.95, {"H2SO4": 0.1, "H2O2": 0.0})],
            ),
            _u(
                "S1",
                ["s2"],
                ["residue", "liquor"],
                split={"residue": {"NMC811": 0.98, "graphite": 0.98}},
            ),
            _u("S2", ["liquor"], ["to_precip", "recycle"], split={"to_precip": {"*": 0.7}}),
        ],
        "parameters": [
            _sampled(rng, N, "R1", "reactions.0.conversion", 0.5, 0.999),
            _sampled(rng, N, "S2", "split.to_precip.*", 0.05, 0.95),
            _sampled(rng, N, "S1", "split.residue.NMC811", 0.5, 0.999),
        ],
    }


def loop_spec(N, seed=2) -> dict:
    rng = np.random.default_rng(seed)
    return {
        "species": {"A": _sp("C2H6O"), "B": _sp("NaCl", "s"), "W": _sp("H2O")},
        "feeds": {"feed": {"A": 2.0, "B": 0.7, "W": 1e-6}},
        "units": [
            _u("M1", ["feed", "recycle"], ["s1"]),
            _u("S1", ["s1"], ["product", "recycle"], split={"product": {"*": 0.5}}),
        ],
        "parameters": [_sampled(rng, N, "S1", "split.product.*", 0.02, 0.98)],
    }


def reactor_loop_spec(N, seed=3) -> dict:
    rng = np.random.default_rng(seed)
    # A -> B isomerisation (same formula, so kg = mol x same MW)
    return {
        "species": {"A": _sp("C2H6O"), "B": _sp("C2H6O")},
        "feeds": {"feed": {"A": 3.0}},
        "units": [
            _u("M1", ["feed", "recycle"], ["s1"]),
            _u("R1", ["s1"], ["s2"], reactions=[_rx({"A": -1, "B": 1}, "A", 0.5)]),
            _u("S1", ["s2"], ["product", "recycle"], split={"product": {"A": 0.5, "B": 1.0}}),
        ],
        "parameters": [
            _sampled(rng, N, "R1", "reactions.0.conversion", 0.05, 0.99),
            # split.product.A = fraction of A to product = 1 - r
            _sampled(rng, N, "S1", "split.product.A", 0.02, 0.95),
        ],
    }


def two_tear_spec(N, seed=4) -> dict:
    """Two recycles into one mixer, two reactions in series (the second one's
    reactant is dosed in the first), and a ppb-level inert impurity with a
    high recycle gain: the stiff case for BioSTEAM's elementwise Aitken."""
    rng = np.random.default_rng(seed)
    return {
        "species": {
            "NaOH": _sp("NaOH"),
            "HCl": _sp("HCl"),
            "NaCl": _sp("NaCl", "s"),
            "H2O": _sp("H2O"),
            "CaCO3": _sp("CaCO3", "s"),
            "CaCl2": _sp("CaCl2"),
            "CO2": _sp("CO2"),
            "FeSO4": _sp("FeSO4", "s"),
        },
        "feeds": {"f1": {"NaOH": 5.0, "FeSO4": 1e-8, "CaCO3": 0.2}, "f2": {"H2O": 10.0}},
        "units": [
            _u("M1", ["f1", "rec1", "rec2"], ["s1"]),
            _u(
                "R-1",
                ["s1", "f2"],
                ["s2"],
                reactions=[
                    _rx({"NaOH": -1, "HCl": -1, "NaCl": 1, "H2O": 1}, "NaOH", 0.8, {"HCl": 0.05}),
                    _rx(
                        {"CaCO3": -1, "HCl": -2, "CaCl2": 1, "H2O": 1, "CO2": 1},
                        "HCl",
                        0.3,
                        {"CaCO3": 0.0},
                    ),
                ],
            ),
            _u(
                "S1",
                ["s2"],
                ["out1", "mid"],
                split={"out1": {"NaCl": 0.9, "FeSO4": 0.01, "*": 0.2}},
            ),
            _u("S2", ["mid"], ["rec1", "x"], split={"rec1": {"*": 0.6}}),
            _u("S3", ["x"], ["rec2", "prod"], split={"rec2": {"FeSO4": 0.99, "*": 0.3}}),
        ],
        "parameters": [
            _sampled(rng, N, "R-1", "reactions.0.conversion", 0.1, 0.99),
            _sampled(rng, N, "R-1", "reactions.1.conversion", 0.1, 0.99),
            _sampled(rng, N, "S3", "split.rec2.FeSO4", 0.5, 0.99),
            _sampled(rng, N, "S2", "split.rec1.*", 0.1, 0.9),
        ],
    }


def generic_spec(N, seed=5) -> dict:
    """Every feature of the format: doses on each basis kind (mass and kmol), burning of a
    formula species and of a mixture, multi-outlet splits, a species whose formula has
    parentheses, a mixture that is only split, and a recycle through a dosed precipitation."""
    rng = np.random.default_rng(seed)
    binder = {"C": 0.6, "H": 0.1, "O": 0.3}
    species = {
        "NMC811": _sp("LiNi0.8Mn0.1Co0.1O2", "s"),
        "graphite": _sp("C", "s"),
        "EC": _sp("C3H4O3"),
        "binder": {"formula": None, "elements": binder, "phase": "s"},
        "steel": {"formula": None, "elements": {"Fe": 0.99, "C": 0.01}, "phase": "s"},
        "N2": _sp("N2", "g"),
        "O2": _sp("O2", "g"),
        "CO2": _sp("CO2", "g"),
        "H2O": _sp("H2O"),
        "H2SO4": _sp("H2SO4"),
        "H2O2": _sp("H2O2"),
        "Li2SO4": _sp("Li2SO4"),
        "NiSO4": _sp("NiSO4"),
        "MnSO4": _sp("MnSO4"),
        "CoSO4": _sp("CoSO4"),
        "NaOH": _sp("NaOH", "s"),
        "Na2SO4": _sp("Na2SO4"),
        "Ni(OH)2": _sp("Ni(OH)2", "s"),
    }
    burn = {
        "EC": {
            "share": 1.0,
            "change_kg_per_kg": _combustion_change("EC", _mass_fractions("C3H4O3")),
        },
        "binder": {"share": 0.9, "change_kg_per_kg": _combustion_change("binder", binder)},
    }
    precip = {"NiSO4": -1, "NaOH": -2, "Ni(OH)2": 1, "Na2SO4": 1}
    return {
        "species": species,
        "feeds": {
            "feed": {"NMC811": 1.0, "graphite": 0.5, "EC": 0.2, "binder": 0.05, "steel": 0.3}
        },
        "units": [
            _u(
                "T1",
                ["feed"],
                ["offgas", "scrap", "treated"],
                doses=[{"species": "N2", "amount": 0.05, "basis": {"kind": "inlet"}}],
                burn=burn,
                split={
                    "offgas": {"CO2": 1.0, "H2O": 1.0, "N2": 1.0, "O2": 1.0, "SO2": 1.0},
                    "scrap": {"steel": 0.9},
                },
            ),
            _u(
                "L1",
                ["treated", "recycle"],
                ["slurry"],
                doses=[
                    {
                        "species": "H2SO4",
                        "amount": 0.3,
                        "basis": {"kind": "element", "names": ["Ni", "Co", "Mn"], "per_mol": True},
                    },
                    {
                        "species": "H2O",
                        "amount": 0.5,
                        "basis": {"kind": "element", "names": ["Li", "S"], "per_mol": False},
                    },
                    {"species": "H2O", "amount": 0.2, "basis": {"kind": "inlet"}},
                ],
                reactions=[_rx(LEACH, "NMC811", 0.95, {"H2SO4": 0.05, "H2O2": 0.0})],
            ),
            _u(
                "F1",
                ["slurry"],
                ["residue", "leach_gas", "liquor"],
                split={
                    "residue": {"NMC811": 1.0, "graphite": 1.0, "steel": 1.0},
                    "leach_gas": {"O2": 1.0},
                },
            ),
            _u(
                "P1",
                ["liquor"],
                ["cake", "recycle", "bleed"],
                doses=[
                    {
                        "species": "NaOH",
                        "amount": 0.2,
                        "basis": {"kind": "species", "names": ["H2SO4"], "per_mol": False},
                    },
                    {
                        "species": "H2O2",
                        "amount": 0.01,
                        "basis": {"kind": "species", "names": ["NiSO4", "CoSO4"], "per_mol": True},
                    },
                ],
                reactions=[_rx(precip, "NiSO4", 0.9, {"NaOH": 0.02})],
                # the inlet-mass water dose in L1 is inside the loop: gain 1.2 x recycle < 1
                split={"cake": {"Ni(OH)2": 1.0}, "recycle": {"*": 0.5}},
            ),
        ],
        "parameters": [
            _sampled(rng, N, "T1", "burn.binder", 0.5, 1.0),
            _sampled(rng, N, "T1", "split.scrap.steel", 0.7, 0.99),
            _sampled(rng, N, "L1", "doses.0.amount", 0.1, 0.5),
            _sampled(rng, N, "L1", "reactions.0.conversion", 0.8, 0.999),
            _sampled(rng, N, "L1", "reactions.0.dosed.H2SO4", 0.0, 0.2),
            _sampled(rng, N, "P1", "reactions.0.conversion", 0.5, 0.99),
            _sampled(rng, N, "P1", "split.recycle.*", 0.1, 0.7),
            _sampled(rng, N, "P1", "doses.0.amount", 0.0, 0.4),
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
    check("vs exact linear solve", max_rel_diff(out["streams"], reference_solve(spec)))
    print("   element balance per element:", {k: f"{v:.1e}" for k, v in eb.items()})

    print("2) mixer + splitter loop: product == feed")
    spec = loop_spec(N)
    out = run(spec, also_loop=False)
    worst = 0.0
    for s, kg in spec["feeds"]["feed"].items():
        worst = max(
            worst, float(np.max(np.abs(np.asarray(out["streams"]["product"][s]) - kg) / kg))
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
        max_rel_diff(out["streams"], reference_solve(spec), floor_rel=0.0),
    )

    print("5) doses (inlet/species/element, kg/kmol), burn (formula + mixture), 3-way splits")
    spec = generic_spec(max(N // 4, 10))
    out = run(spec)
    print(
        f"   system: {out['system']['loops']}; model "
        f"{out['seconds_per_sample'] * 1e3:.2f} ms/sample; iterations "
        f"{out['recycle_iterations']}"
    )
    check("bst.Model vs plain loop", out["model_vs_loop_max_rel"])
    eb = element_balance(spec, out)
    check("element balance (worst element) " + max(eb, key=eb.get), max(eb.values()))
    check("vs exact linear solve", max_rel_diff(out["streams"], reference_solve(spec)))
    mw = out["molar_masses"]["Ni(OH)2"]
    check("Ni(OH)2 molar mass parsed (92.71 g/mol)", abs(mw - 92.70808) / 92.70808, 1e-6)

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
        "--molar-masses",
        choices=("spec", "thermosteam"),
        default="spec",
        help="molar masses of the BioSTEAM chemicals: the spec's (default) or thermosteam's own",
    )
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
        molar_masses=args.molar_masses,
    )
    if args.check:
        ref = reference_solve(spec, args.molar_masses)
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
