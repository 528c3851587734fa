"""A flowsheet: units, the streams that link them, the fates of the streams that leave.

Evaluation is vectorised over samples: the feed has shape (samples, species) and any parameter may
be a scalar or an array of shape (samples,). With parameters fixed, the flowsheet is linear in its
feed, so each recycle loop is solved exactly: the loop's response to its tear streams is a matrix A
(found by pushing unit vectors through the loop), its response to outside inputs a vector b, and
the tear streams follow from (I - A) t = b, per sample when the loop's parameters vary by sample.

Every stream also carries its battery-origin tracer (``origin``). Given the solved masses it is
piecewise linear (reactions hand released atoms to products in a fill order), so inside a recycle
loop it is found by Newton steps with the loop's masses held at their exact solution, to 1e-12 of
the largest tracked mass in the loop.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from urbanmine.errors import InputError
from urbanmine.flowsheet.errors import RouteError
from urbanmine.flowsheet.graph import Step, schedule
from urbanmine.flowsheet.origin import OriginElements, feed_origin
from urbanmine.flowsheet.plan import Stream, UnitPlan, UnitRun, plan_unit, run_plan
from urbanmine.flowsheet.species_sets import expand_split
from urbanmine.flowsheet.units import FATES, Unit, Value
from urbanmine.materials.species import SpeciesIndex

FEED = "feed"
"""Name of the stream that carries the flowsheet's feed."""

ORIGIN_NEWTON_STEPS = 20
"""Most Newton steps for the battery-origin tracer of one recycle loop (a piecewise-linear map:
a step is exact once it lands on the solution's linear piece)."""


@dataclass(frozen=True)
class Flowsheet:
    """Units and sink fates. Streams that no unit consumes must each have a fate in ``sinks``."""

    name: str
    units: tuple[Unit, ...]
    sinks: Mapping[str, str]
    parameters: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_structure(self)

    def species(self) -> list[str]:
        """Species the units name (reactions, doses, split tables)."""
        names: list[str] = []
        for u in self.units:
            for r in u.reactions:
                names.extend(r.stoichiometry)
            names.extend(d.species for d in u.doses)
            names.extend(u.burn)
            names.extend(u.reagent_species() | u.product_species())
        return names

    def compile(
        self, feed_species: list[str], params: Mapping[str, float | np.ndarray] | None = None
    ) -> CompiledFlowsheet:
        """Fix the species set and evaluation order; ``params`` are the values the evaluations
        will use (their fixed values let recycle solves skip species that cannot be present)."""
        index = SpeciesIndex.of([*feed_species, *self.species()])
        steps = schedule(list(self.units))
        values = {**self.parameters, **(params or {})}
        relied: dict[str, float] = {}
        active = activity(steps, index, feed_species, values, relied)
        reagents = sorted({n for u in self.units for n in u.reagent_species()})
        elements = OriginElements.of(index, feed_species, reagents)
        plans = {u.name: plan_unit(u, index, active, elements) for u in self.units}
        return CompiledFlowsheet(self, index, steps, active, plans, relied, elements)


def activity(
    steps: list[Step],
    index: SpeciesIndex,
    feed_species: list[str],
    values: Mapping[str, float | np.ndarray],
    relied: dict[str, float] | None = None,
) -> dict[str, np.ndarray]:
    """Which species can be non-zero in each stream (boolean mask per stream), by propagation.

    Fixed parameter values sharpen it: a split share fixed at 0 keeps a species out of an outlet,
    a conversion fixed at 1 removes its reactant, and a reagent dosed with no excess leaves none.
    Parameters that vary by sample count as "could be anything". Named parameters whose fixed
    value is 0 or 1 (the values that sharpen) are recorded in ``relied``.
    """
    relied = {} if relied is None else relied

    def fixed(v: Value) -> float | None:
        x = values.get(v, 0.0) if isinstance(v, str) else v
        if np.ndim(x) != 0:
            return None
        if isinstance(v, str) and float(x) in (0.0, 1.0):
            relied[v] = float(x)
        return float(x)

    names = np.array(index.names)
    active = {FEED: np.isin(names, feed_species)}
    for step in steps:
        for _ in range(len(step.units) + 1 if step.is_loop else 1):
            for unit in step.units:
                mask = np.zeros(len(index), dtype=bool)
                for s in unit.inlets:
                    mask |= active.get(s, False)
                mask |= np.isin(names, [d.species for d in unit.doses])
                for r in unit.reactions:
                    for name, nu in r.stoichiometry.items():
                        j = index.position(name)
                        if nu > 0 or (name in r.dosed and fixed(r.dosed[name]) != 0.0):
                            mask[j] = True
                    if fixed(r.conversion) == 1.0:
                        mask[index.position(r.reactant)] = False
                mask |= np.isin(names, [*unit.burn_products()])
                _split_activity(unit, mask, active, index, fixed)
    return active


def _split_activity(
    unit: Unit,
    mask: np.ndarray,
    active: dict[str, np.ndarray],
    index: SpeciesIndex,
    fixed: Callable[[Value], float | None],
) -> None:
    remainder = np.zeros(len(index))  # fixed share sent to the named outlets (1 = none left)
    uncertain = np.zeros(len(index), dtype=bool)
    for outlet in unit.outlets[:-1]:
        table = expand_split(unit.split.get(outlet, {}))
        default = fixed(table.get("*", 0.0))
        share = np.full(len(index), 0.0 if default is None else default)
        vague = np.full(len(index), default is None)
        for name, v in table.items():
            if name != "*" and name in index.names:
                j = index.position(name)
                f = fixed(v)
                share[j], vague[j] = (0.0, True) if f is None else (f, False)
        active[outlet] = mask & ((share != 0) | vague)
        remainder += share
        uncertain |= vague
    active[unit.outlets[-1]] = mask & ((remainder < 1.0) | uncertain)


def check_structure(fs: Flowsheet) -> None:
    """Every stream has one producer (or is the feed) and ends in a unit or a sink with a fate."""
    produced: dict[str, str] = {}
    consumed: dict[str, str] = {}
    for u in fs.units:
        for s in u.outlets:
            if s in produced or s == FEED:
                raise RouteError(f"stream {s!r} is produced by more than one unit")
            produced[s] = u.name
        for s in u.inlets:
            if s in consumed:
                raise RouteError(f"stream {s!r} feeds both {consumed[s]!r} and {u.name!r}")
            consumed[s] = u.name
            if s != FEED and s not in produced and not any(s in v.outlets for v in fs.units):
                raise RouteError(f"unit {u.name!r}: inlet {s!r} is produced by no unit")
        unknown = set(u.split) - set(u.outlets[:-1])  # a one-outlet unit takes no split
        if unknown:
            raise RouteError(
                f"unit {u.name!r}: split names {sorted(unknown)}, which are not among its "
                f"outlets except the last ({list(u.outlets[:-1])}); the last outlet takes the rest"
            )
    if FEED not in consumed:
        raise RouteError("no unit takes the 'feed' stream")
    for s in produced:
        if s not in consumed and s not in fs.sinks:
            raise RouteError(f"stream {s!r} leaves the flowsheet without a fate in [sinks]")
    for s, fate in fs.sinks.items():
        if fate not in FATES:
            raise RouteError(f"sink {s!r}: fate {fate!r} is not one of {', '.join(FATES)}")
        if s not in produced:
            raise RouteError(f"sink {s!r} is produced by no unit")
        if s in consumed:
            raise RouteError(f"sink {s!r} is also an inlet of unit {consumed[s]!r}")


@dataclass
class Evaluation:
    """Raw arrays of one evaluation: streams on their own species, inventory per unit (rows,)."""

    index: SpeciesIndex
    feed: Stream
    parts: dict[str, Stream]
    reagents: dict[str, dict[str, np.ndarray]]
    utilities: dict[str, dict[str, np.ndarray]]
    elements: OriginElements

    @property
    def streams(self) -> dict[str, np.ndarray]:
        """Every stream on all species of the index, shape (rows, species)."""
        n = len(self.index)
        return {name: s.full(n) for name, s in self.parts.items()}


class _Resolver:
    """Resolves unit values to scalars or (rows, 1) arrays, repeating sample arrays if asked."""

    def __init__(self, params: Mapping[str, float | np.ndarray], repeat: int = 1) -> None:
        self.params = params
        self.repeat = repeat

    def __call__(self, v: Value) -> float | np.ndarray:
        if isinstance(v, str):
            try:
                p = self.params[v]
            except KeyError:
                raise RouteError(f"parameter {v!r} has no value") from None
        else:
            p = v
        if np.ndim(p) == 0:
            return float(p)
        arr = np.asarray(p, dtype=float).reshape(-1, 1)
        return np.repeat(arr, self.repeat, axis=0) if self.repeat > 1 else arr


@dataclass(frozen=True)
class CompiledFlowsheet:
    """A flowsheet fixed to a species index: evaluation order, the species each stream can hold,
    each unit compiled to its own columns, and the parameter values that analysis relied on."""

    flowsheet: Flowsheet
    index: SpeciesIndex
    steps: list[Step]
    active: dict[str, np.ndarray]
    plans: dict[str, UnitPlan]
    relied: dict[str, float]
    elements: OriginElements

    def tear_width(self) -> int:
        """Largest number of unknowns of any recycle loop (active species in its tear streams)."""
        return max(
            (sum(int(self.active[t].sum()) for t in st.tears) for st in self.steps if st.is_loop),
            default=0,
        )

    def work_width(self) -> int:
        """Largest number of species any unit works on."""
        return max((p.work.size for p in self.plans.values()), default=0)

    def pair_width(self) -> int:
        """Largest number of battery-origin tracer pairs any unit works on."""
        return max((p.pairs for p in self.plans.values()), default=0)

    def evaluate(
        self, feed: np.ndarray, params: Mapping[str, float | np.ndarray] | None = None
    ) -> Evaluation:
        """Run the flowsheet on ``feed`` (rows, species) with parameter values (scalar or (rows,))."""
        values = {**self.flowsheet.parameters, **(params or {})}
        self._check_relied(values)
        feed = np.asarray(feed, dtype=float)
        cols = np.flatnonzero(self.active[FEED])
        if feed.shape[1] != len(self.index) or (
            cols.size < feed.shape[1] and np.any(np.delete(feed, cols, axis=1))
        ):
            raise InputError(
                "the feed holds species the flowsheet was not compiled for; compile it with "
                "all the feed's species"
            )
        data = feed[:, cols]
        origin = feed_origin(data, cols, self.index, self.elements)
        streams: dict[str, Stream] = {FEED: Stream(cols, data, origin)}
        resolve = _Resolver(values)
        reagents: dict[str, dict[str, np.ndarray]] = {}
        utilities: dict[str, dict[str, np.ndarray]] = {}
        for step in self.steps:
            if step.is_loop:
                self._solve_loop(step, streams, values)
                self._solve_loop_origin(step, streams, values)
            for unit in step.units:
                run = self._run(unit, streams, resolve)
                streams.update(run.outlets)
                reagents[unit.name] = run.reagents
                utilities[unit.name] = run.utilities
        return Evaluation(self.index, streams[FEED], streams, reagents, utilities, self.elements)

    def _check_relied(self, values: Mapping[str, float | np.ndarray]) -> None:
        for name, fixed in self.relied.items():
            v = values.get(name, 0.0)
            if np.ndim(v) != 0 or float(v) != fixed:
                raise RouteError(
                    f"parameter {name!r} was {fixed:g} when the flowsheet was compiled and the "
                    "species each stream can hold follow from it; compile again with the values "
                    "you evaluate"
                )

    def _run(
        self, unit: Unit, streams: Mapping[str, Stream], resolve: _Resolver, book: bool = True
    ) -> UnitRun:
        return run_plan(self.plans[unit.name], [streams[s] for s in unit.inlets], resolve, book)

    def _loop_varies(self, step: Step, values: Mapping[str, float | np.ndarray]) -> int:
        depth = 1
        for unit in step.units:
            for v in unit.values():
                if isinstance(v, str) and np.ndim(values.get(v, 0.0)) > 0:
                    depth = max(depth, np.size(values[v]))
        return depth

    def _solve_loop(
        self, step: Step, streams: dict[str, Stream], values: Mapping[str, float | np.ndarray]
    ) -> None:
        """Set the loop's tear streams in ``streams`` to their exact solution."""
        rows = streams[FEED].data.shape[0]
        internal = {s for u in step.units for s in u.outlets}
        outside = {s for u in step.units for s in u.inlets if s not in internal}
        tears = step.tears
        cols = [np.flatnonzero(self.active[t]) for t in tears]
        m = sum(len(c) for c in cols)
        if m == 0:  # nothing can circulate: the tear streams are empty
            for s, c in zip(tears, cols, strict=True):
                streams[s] = Stream(c, np.zeros((rows, 0)))
            return
        # b: the loop's tear streams after one pass with real inputs and zero tears
        b = self._pass(step, {s: streams[s] for s in outside}, np.zeros((rows, m)), cols, values, 1)
        # A: response to unit tear vectors with zero outside inputs, per parameter sample
        depth = self._loop_varies(step, values)
        basis = np.tile(np.eye(m), (depth, 1))
        zero_inputs = {
            s: Stream(streams[s].cols, np.zeros((depth * m, streams[s].cols.size))) for s in outside
        }
        response = self._pass(step, zero_inputs, basis, cols, values, m)
        A = response.reshape(depth, m, m).transpose(0, 2, 1)
        lhs = np.eye(m) - A
        try:
            if depth == 1:
                t = np.linalg.solve(lhs[0], b.T).T
            else:
                t = np.linalg.solve(lhs, b[:, :, None])[:, :, 0]
        except np.linalg.LinAlgError:
            raise self._no_exit(step, lhs, cols) from None
        start = 0
        for s, c in zip(tears, cols, strict=True):
            streams[s] = Stream(c, t[:, start : start + len(c)])
            start += len(c)

    def tracer_width(self) -> int:
        """Largest number of tracer unknowns (species-element pairs of its tear streams) of any
        recycle loop."""
        return max(
            (
                sum(self.elements.pairs(np.flatnonzero(self.active[t])).size for t in st.tears)
                for st in self.steps
                if st.is_loop
            ),
            default=0,
        )

    def _solve_loop_origin(
        self, step: Step, streams: dict[str, Stream], values: Mapping[str, float | np.ndarray]
    ) -> None:
        """Give the loop's tear streams (masses already solved) their battery-origin tracer.

        With the masses fixed, one pass through the loop is a piecewise-linear map of the tear
        tracer; Newton steps on it (its slope from one pass per tear unknown, exact on a linear
        piece) reach the fixed point in a few steps."""
        rows = streams[FEED].data.shape[0]
        sizes = [self.elements.pairs(streams[s].cols).size for s in step.tears]
        m = sum(sizes)
        if m:
            self._origin_newton(step, streams, values, sizes)
        else:  # no tracer unknowns: nothing tracked circulates
            for s in step.tears:
                streams[s] = Stream(streams[s].cols, streams[s].data, np.zeros((rows, 0)))

    def _origin_newton(
        self,
        step: Step,
        streams: dict[str, Stream],
        values: Mapping[str, float | np.ndarray],
        sizes: list[int],
    ) -> None:
        """Newton steps on the tear tracer's unknowns (``sizes`` per tear, at least one)."""
        rows = streams[FEED].data.shape[0]
        m = sum(sizes)
        internal = {s for u in step.units for s in u.outlets}
        outside = {s for u in step.units for s in u.inlets if s not in internal}
        guess = np.zeros((rows, m))
        scale = max(float(np.abs(streams[FEED].origin).max(initial=0.0)), 1e-300)  # type: ignore[arg-type]
        step_size = 1e-6 * scale
        for _ in range(ORIGIN_NEWTON_STEPS):
            k = m + 1
            trial = np.repeat(guess, k, axis=0).reshape(rows, k, m)
            trial[:, 1:, :] += step_size * np.eye(m)
            image = self._origin_pass(
                step, streams, outside, sizes, trial.reshape(rows * k, m), k, values
            ).reshape(rows, k, m)
            now = image[:, 0, :]
            size = max(scale, float(np.abs(now).max(initial=0.0)))
            if np.abs(now - guess).max(initial=0.0) <= 1e-12 * size:
                guess = now
                break
            slope = (image[:, 1:, :] - now[:, None, :]) / step_size  # d image / d guess_i
            rhs = now - np.einsum("ri,rij->rj", guess, slope)
            guess = np.linalg.solve(np.eye(m) - np.transpose(slope, (0, 2, 1)), rhs[:, :, None])[
                :, :, 0
            ]
        else:
            raise RouteError(
                "battery-origin tracer of the recycle loop through "
                f"{', '.join(u.name for u in step.units)} did not settle in "
                f"{ORIGIN_NEWTON_STEPS} Newton steps"
            )
        start = 0
        for s, size in zip(step.tears, sizes, strict=True):
            held = guess[:, start : start + size]
            streams[s] = Stream(streams[s].cols, streams[s].data, held)
            start += size

    def _origin_pass(
        self,
        step: Step,
        streams: Mapping[str, Stream],
        outside: set[str],
        sizes: list[int],
        tear_origin: np.ndarray,
        repeat: int,
        values: Mapping[str, float | np.ndarray],
    ) -> np.ndarray:
        """One pass through the loop, each row of ``streams`` repeated ``repeat`` times, with the
        given tear tracer (the tears' pairs side by side); returns the tear tracer it leads to."""
        local: dict[str, Stream] = {}
        for s in outside:
            held = streams[s]
            local[s] = Stream(
                held.cols,
                np.repeat(held.data, repeat, axis=0),
                np.repeat(np.asarray(held.origin), repeat, axis=0),
            )
        start = 0
        for s, size in zip(step.tears, sizes, strict=True):
            held = streams[s]
            part = tear_origin[:, start : start + size]
            local[s] = Stream(held.cols, np.repeat(held.data, repeat, axis=0), part)
            start += size
        resolve = _Resolver(values, repeat)
        for unit in step.units:
            local.update(self._run(unit, local, resolve, book=False).outlets)
        return np.concatenate([np.asarray(local[s].origin) for s in step.tears], axis=1)

    def _no_exit(self, step: Step, lhs: np.ndarray, cols: list[np.ndarray]) -> RouteError:
        """Name the loop whose system (I - A) t = b is singular and the species that cannot
        leave it (the tear unknowns of the null direction of I - A: all of them returns)."""
        _, sv, vh = np.linalg.svd(lhs)
        k = int(np.argmin(sv[:, -1]))
        zero = sv[k] <= 1e-9 * max(float(sv[k, 0]), 1.0)
        zero[-1] = True  # the smallest singular value, at least
        null = np.abs(vh[k][zero]).max(axis=0)
        unknowns = [
            (t, self.index.names[j]) for t, c in zip(step.tears, cols, strict=True) for j in c
        ]
        stuck = sorted({sp for (_, sp), v in zip(unknowns, null, strict=True) if v > 1e-6})
        units = " -> ".join(u.name for u in step.units)
        return RouteError(
            f"recycle loop {units} (returning through {', '.join(step.tears)}) has no exit for "
            f"{', '.join(stuck)}: everything of them that enters goes round again, so the loop "
            "has no steady state; send part of them out of the loop (a recycle share below 1)"
        )

    def _pass(
        self,
        step: Step,
        inputs: dict[str, Stream],
        tear_values: np.ndarray,
        cols: list[np.ndarray],
        values: Mapping[str, float | np.ndarray],
        repeat: int,
    ) -> np.ndarray:
        """One pass through the loop from given tear values (active columns only)."""
        local = dict(inputs)
        start = 0
        for s, c in zip(step.tears, cols, strict=True):
            local[s] = Stream(c, tear_values[:, start : start + len(c)])
            start += len(c)
        resolve = _Resolver(values, repeat)
        for unit in step.units:
            local.update(self._run(unit, local, resolve, book=False).outlets)
        return np.concatenate([local[s].data for s in step.tears], axis=1)
