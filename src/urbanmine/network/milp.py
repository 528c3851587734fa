"""The network planner's mixed-integer linear program, built with linopy and solved with HiGHS.

A multi-period facility-location and flow model after Argonne's RELOG (Xavier, Iloeje et al.,
github.com/ANL-CEEESA/RELOG, docs/src/model.md): sources ship commodities to sites that accept
them, sites turn what they take in into other commodities by the flowsheet engine's yields, and
ship those on; modules of capacity are built at sites and stay once built. Everything is in
:class:`~urbanmine.network.instance.Instance` units (t/yr, EUR, kg CO2e, km).

Variables, over periods ``t`` (annual quantities of the years a period stands for):

- ``flow[n, j, c, t] >= 0``: t/yr of commodity ``c`` from node ``n`` (source or site) to site
  ``j``; created only where ``n`` can supply ``c``, ``j`` accepts it and ``n != j`` (and within
  ``max_km``);
- ``left[n, c, t] >= 0``: t/yr of ``c`` at node ``n`` left unprocessed (exported or stored), at
  the penalty;
- ``build[j, s, t]``: how many modules of size ``s`` site ``j`` has in period ``t`` (binary
  when ``max_modules`` is 1, else an integer up to it; none before ``earliest[j]``).

Constraints: supply at a source = shipped + left; at a site, for each commodity it makes and that
must ship, ``sum_c yields[j, c, d] * in[j, c, t]`` = shipped + left; ``sum_c in[j, c, t] <=
existing_t[j, t] + sum_s sizes_t[j, s] * build[j, s, t]``; ``build[j, s, t] >= build[j, s, t-1]``.

Objective (present value, EUR): ``sum_t weight[t] *`` (transport ``km * eur_per_tkm * flow`` +
variable plant cost ``variable_eur_per_t * in`` + fixed cost of built modules + carbon price x
(transport and plant GHG) + penalty x left). The fixed cost of capacity already in place does not
depend on a decision; :mod:`urbanmine.network.outcome` adds it to the totals it reports.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from urbanmine.network.instance import Instance

if TYPE_CHECKING:
    import linopy

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Solution:
    """A solved instance: decisions as dense arrays (zeros where a variable does not exist)."""

    status: str
    """``optimal``, ``time_limit`` (best plan found when time ran out) or the solver's word."""
    optimal: bool
    gap: float
    """Relative MIP gap reported by HiGHS (0 for a plan proved optimal within its tolerance;
    the gap of the best plan when time ran out)."""
    objective_eur: float
    build_seconds: float
    solve_seconds: float
    flow: np.ndarray
    """(nodes, sites, commodities, periods) t/yr."""
    left: np.ndarray
    """(nodes, commodities, periods) t/yr left unprocessed."""
    build: np.ndarray
    """(sites, sizes, periods) modules of each size in place."""
    variables: int
    constraints: int
    integers: int


def edge_mask(inst: Instance) -> np.ndarray:
    """``(nodes, sites, commodities)``: where a shipment may exist."""
    n_i, n_j = len(inst.sources), len(inst.sites)
    makes = np.concatenate(
        [inst.supply_t.max(axis=1) > 0, inst.yields.max(axis=1) > 0], axis=0
    )  # (nodes, C)
    mask = makes[:, None, :] & inst.accepts[None, :, :] & inst.ships[None, None, :]
    mask[n_i + np.arange(n_j), np.arange(n_j), :] = False
    if inst.max_km is not None:
        mask &= (inst.distance_km <= inst.max_km)[:, :, None]
    return mask


@contextlib.contextmanager
def _quiet_stdout() -> Iterator[None]:
    """HiGHS prints its banner on the C-level stdout even with its output off; drop it, so
    ``--json`` output stays JSON (the solver's status and gap are reported instead)."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "wb") as sink:
            os.dup2(sink.fileno(), 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def build_model(inst: Instance) -> tuple[linopy.Model, dict[str, linopy.Variable]]:
    """The linopy model of ``inst`` and its variables by name (``flow``, ``left``, ``build``).

    Sites carry their node numbers as coordinates (``sources + j``), so what a site makes lines
    up with what it ships as a node.
    """
    import linopy
    import xarray as xr

    n_i, n_j, n_c, n_t = len(inst.sources), len(inst.sites), len(inst.commodities), len(inst.years)
    n_n, n_s = n_i + n_j, inst.sizes_t.shape[1]
    coords = {
        "node": np.arange(n_n),
        "site": np.arange(n_i, n_n),
        "taken": np.arange(n_c),
        "commodity": np.arange(n_c),
        "size": np.arange(n_s),
        "period": np.arange(n_t),
    }

    def da(values: np.ndarray, *dims: str) -> xr.DataArray:
        return xr.DataArray(values, coords={d: coords[d] for d in dims}, dims=dims)

    def variables(name: str, dims: tuple[str, ...], mask: np.ndarray, **kw: Any) -> linopy.Variable:
        return m.add_variables(
            coords=[coords[d] for d in dims], dims=list(dims), name=name, mask=da(mask, *dims), **kw
        )

    m = linopy.Model(force_dim_names=True)
    periods = np.ones(n_t, dtype=bool)
    edges = edge_mask(inst)[..., None] & periods
    flow = variables("flow", ("node", "site", "commodity", "period"), edges, lower=0)
    makes = np.concatenate([inst.supply_t.max(axis=1) > 0, inst.yields.max(axis=1) > 0], axis=0)
    # a commodity no site takes leaves at the gate (Instance contract): no balance, no penalty
    must_ship = (makes & inst.ships & inst.accepts.any(axis=0))[..., None] & periods
    left = variables("left", ("node", "commodity", "period"), must_ship, lower=0)
    allowed = (inst.sizes_t > 0)[:, :, None] & (
        np.asarray(inst.years)[None, None, :] >= inst.earliest[:, None, None]
    )
    if inst.max_modules == 1:
        build = variables("build", ("site", "size", "period"), allowed, binary=True)
    else:
        build = variables(
            "build",
            ("site", "size", "period"),
            allowed,
            integer=True,
            lower=0,
            upper=inst.max_modules,
        )

    intake = flow.sum("node")  # (site, commodity, period)
    shipped = flow.sum("site")  # (node, commodity, period)
    made = (intake.rename(commodity="taken") * da(inst.yields, "site", "taken", "commodity")).sum(
        "taken"
    )
    sources, sites = np.arange(n_i), coords["site"]
    ship_rows = da(must_ship, "node", "commodity", "period")
    if n_i:
        supply = xr.DataArray(
            inst.supply_t.transpose(0, 2, 1),
            coords={"node": sources, "commodity": coords["commodity"], "period": coords["period"]},
            dims=("node", "commodity", "period"),
        )
        m.add_constraints(
            shipped.sel(node=sources) + left.sel(node=sources) == supply,
            name="supply",
            mask=ship_rows.sel(node=sources),
        )
    m.add_constraints(
        shipped.sel(node=sites) + left.sel(node=sites) - made.rename(site="node") == 0,
        name="made",
        mask=ship_rows.sel(node=sites),
    )
    capacity = da(inst.existing_t, "site", "period") + (
        build * da(inst.sizes_t, "site", "size")
    ).sum("size")
    m.add_constraints(intake.sum("commodity") - capacity <= 0, name="capacity")
    m.add_constraints(
        build - build.shift(period=1) >= 0,
        name="stay_open",
        mask=da(allowed, "site", "size", "period"),
    )
    _tier_cuts(m, inst, build, left, da)

    weight = da(inst.weight, "period")
    per_tkm = inst.price_eur_per_tkm + inst.carbon_price_eur_per_t * inst.ghg_kg_per_tkm / 1000.0
    per_t = inst.variable_eur_per_t + inst.carbon_price_eur_per_t * inst.plant_ghg_kg_per_t / 1000.0
    flow_cost = (
        inst.distance_km[:, :, None] * per_tkm[None, None, :] + per_t[None, :, :]
    )  # (node, site, commodity) EUR/t
    m.add_objective(
        (flow * (da(flow_cost, "node", "site", "commodity") * weight)).sum()
        + (build * (da(inst.size_fixed_eur, "site", "size") * weight)).sum()
        + (left * (da(inst.penalty_eur_per_t, "commodity") * weight)).sum()
    )
    return m, {"flow": flow, "left": left, "build": build}


def _tier_cuts(m: linopy.Model, inst: Instance, build: Any, left: Any, da: Any) -> None:
    """Valid inequalities per tier and period that round capacity up at the tier's level.

    From :func:`tier_reach`: ``sum_j,s size_js build_jst + s_t >= beta_t`` with
    ``s_t = sum most_c left_nct`` and ``beta_t`` the tier's least intake less its existing
    capacity. Divided by a module size ``delta`` its mixed-integer rounding (Marchand and Wolsey
    2001, "Aggregation and mixed integer rounding to solve MIPs", Oper. Res. 49(3):363-371; the
    >= form: ``sum (floor(a) + min(frac(a), f) / f) x + s / f >= ceil(beta)`` with ``f =
    frac(beta)``) says how many modules a tier needs at least. The per-site capacity rows hide
    this from the solver, whose relaxation otherwise buys fractions of the cheapest-per-tonne
    module wherever it likes; one cut per module size.
    """
    least, most = tier_reach(inst)
    tiers = sorted(set(inst.tiers))
    for k, tier in enumerate(tiers):
        rows = np.flatnonzero(np.asarray(inst.tiers) == tier)
        need = np.einsum("itc,c->t", inst.supply_t, least[k]) - inst.existing_t[rows].sum(axis=0)
        sizes = inst.sizes_t[rows]  # (members, S)
        for d, delta in enumerate(np.unique(sizes[sizes > 0])):
            beta = need / delta
            f = beta - np.floor(beta)
            useful = (beta > 0) & (f > 1e-6)
            if not useful.any():
                continue
            f_safe = np.where(useful, f, 1.0)
            a = sizes / delta
            frac_a = a - np.floor(a)
            coef = np.floor(a)[:, :, None] + np.minimum(frac_a[:, :, None], f_safe) / f_safe
            coef = np.where(sizes[:, :, None] > 0, coef, 0.0)
            full = np.zeros((len(inst.sites), sizes.shape[1], len(inst.years)))
            full[rows] = coef
            per_left = most[k][:, None] / (delta * f_safe)[None, :]  # (C, T)
            m.add_constraints(
                (build * da(full, "site", "size", "period")).sum(["site", "size"])
                + (left * da(per_left, "commodity", "period")).sum(["node", "commodity"])
                >= da(np.ceil(beta), "period"),
                name=f"tier_{k}_{d}",
                mask=da(useful, "period"),
            )


def tier_reach(inst: Instance) -> tuple[np.ndarray, np.ndarray]:
    """(least, most): ``[tier, c]`` the fewest and most tonnes a tier must take in per tonne of
    commodity ``c`` put into the network, over every route through the tiers (tiers sorted by
    name), when nothing is left unprocessed.

    They give a valid inequality per tier and period: the tier's capacity plus ``most`` x the
    tonnes left anywhere is at least ``least`` x the supply. The MILP implies it, but as one row
    it lets the solver round capacity up at the level of the whole tier (mixed-integer rounding),
    which the per-site rows hide; it closes most of the gap the economies of scale open.
    """
    tiers = sorted(set(inst.tiers))
    site_tier = np.array([tiers.index(t) for t in inst.tiers])
    n_c = len(inst.commodities)
    least = np.zeros((len(tiers), n_c))
    most = np.zeros((len(tiers), n_c))
    for k in range(len(tiers)):
        memo: dict[int, tuple[float, float]] = {}
        for c in range(n_c):
            least[k, c], most[k, c] = _reach(inst, site_tier == k, c, memo, n_c)
    return least, most


def _reach(
    inst: Instance, in_tier: np.ndarray, c: int, memo: dict[int, tuple[float, float]], depth: int
) -> tuple[float, float]:
    """(fewest, most) tonnes the sites ``in_tier`` take in per tonne of ``c`` (see
    :func:`tier_reach`); ``depth`` stops a route that would loop."""
    if c not in memo:
        takers = np.flatnonzero(inst.accepts[:, c])
        if not inst.ships[c] or takers.size == 0 or depth <= 0:
            memo[c] = (0.0, 0.0)
        else:
            low, high = [], []
            for j in takers:
                here = 1.0 if in_tier[j] else 0.0
                made = np.flatnonzero(inst.yields[j, c] > 0).tolist()
                down = [
                    (inst.yields[j, c, d], _reach(inst, in_tier, d, memo, depth - 1)) for d in made
                ]
                low.append(here + sum(y * r[0] for y, r in down))
                high.append(here + sum(y * r[1] for y, r in down))
            memo[c] = (min(low), max(high))
    return memo[c]


def solve(
    inst: Instance,
    time_limit_s: float = 60.0,
    mip_gap: float = 0.01,
    progress: Progress | None = None,
) -> Solution:
    """Build and solve ``inst`` with HiGHS; the plan found and an honest status and gap."""
    from linopy import LinopySemanticsWarning

    say = progress or (lambda _stage: None)
    say("building the model")
    started = time.perf_counter()
    with warnings.catch_warnings():
        # linopy 0.10 warns that masked slots count as 0 in sums, which is the model's meaning
        warnings.simplefilter("ignore", LinopySemanticsWarning)
        m, var = build_model(inst)
    built = time.perf_counter()
    say(f"solving with HiGHS ({m.nvars} variables, {m.ncons} constraints)")
    with _quiet_stdout():
        m.solve(
            solver_name="highs",
            time_limit=float(time_limit_s),
            mip_rel_gap=float(mip_gap),
            io_api="direct",
            progress=False,
            output_flag=False,
            log_to_console=False,
        )
    solved = time.perf_counter()
    highs = m.solver_model
    condition = str(m.termination_condition)
    info = highs.getInfo() if highs is not None else None
    integers = int((var["build"].labels.values >= 0).sum())
    if integers and info is not None and np.isfinite(info.mip_gap):
        gap = float(info.mip_gap)
    else:
        gap = 0.0
    if m.objective.value is None or not np.isfinite(m.objective.value):
        status = "no_solution" if condition == "time_limit" else condition
        return Solution(
            status,
            False,
            float("inf"),
            float("nan"),
            built - started,
            solved - built,
            *_empty(inst),
            m.nvars,
            m.ncons,
            integers,
        )
    return Solution(
        status=condition,
        optimal=condition == "optimal",
        gap=gap,
        objective_eur=float(m.objective.value),
        build_seconds=built - started,
        solve_seconds=solved - built,
        flow=np.nan_to_num(var["flow"].solution.values),
        left=np.nan_to_num(var["left"].solution.values),
        build=np.rint(np.nan_to_num(var["build"].solution.values)),
        variables=int(m.nvars),
        constraints=int(m.ncons),
        integers=integers,
    )


def _empty(inst: Instance) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n_n, n_j = len(inst.nodes), len(inst.sites)
    n_c, n_t = len(inst.commodities), len(inst.years)
    return (
        np.zeros((n_n, n_j, n_c, n_t)),
        np.zeros((n_n, n_c, n_t)),
        np.zeros((n_j, inst.sizes_t.shape[1], n_t)),
    )
