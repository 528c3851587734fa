"""Find route files by name and preset, and join routes into one flowsheet.

``"pretreatment+hydro+precursor"`` joins routes left to right: each route's ``feed`` takes the
streams an earlier route hands off under the route's ``intake`` kind (black mass, sulfates,
lithium...). Handed-off streams stop being sinks, and the units that used to process them in the
earlier route are dropped. When the feed's form is not one the first route accepts, the preparation
routes (dismantling, pretreatment) that lead from the feed form to the route's intake are put in
front, as EverBatt 2023 puts its generic preprocessing before hydro and direct recycling.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from urbanmine.errors import InputError
from urbanmine.flowsheet.flowsheet import FEED, Flowsheet
from urbanmine.flowsheet.params import Parameter
from urbanmine.flowsheet.reaction import Reaction
from urbanmine.flowsheet.units import Unit, Value
from urbanmine.routes.loader import RouteSpec, read_route_file

PRESETS = ("everbatt2019", "everbatt2020", "everbatt2023", "batpac5")
"""Data presets: bills of materials and, where EverBatt defines them, route inventories."""

DEFAULT_PRESET = "everbatt2023"

PREPARATION = ("dismantling", "pretreatment")
"""Routes that may be put in front of a route to bring a feed to the route's intake."""


def _route_dir() -> Path:
    return Path(str(resources.files("urbanmine.data").joinpath("routes")))


def route_names() -> list[str]:
    """Names of the shipped routes (the default variants)."""
    return sorted(p.stem for p in _route_dir().glob("*.toml"))


def route_path(name: str, preset: str = DEFAULT_PRESET) -> Path:
    """File of route ``name`` under ``preset`` (its EverBatt variant if one exists)."""
    if preset not in PRESETS:
        raise InputError(f"unknown preset {preset!r}; allowed: {', '.join(PRESETS)}")
    if name.endswith(".toml"):
        return Path(name)
    if Path(name).suffix or "/" in name or "\\" in name:
        raise InputError(
            f"route {name!r}: a route file is TOML and its name ends in .toml; shipped routes: "
            f"{', '.join(route_names())}"
        )
    variant = _route_dir() / preset / f"{name}.toml"
    if variant.exists():
        return variant
    default = _route_dir() / f"{name}.toml"
    if not default.exists():
        raise InputError(
            f"unknown route {name!r}; routes: {', '.join(route_names())} "
            "(join them with '+', or give a path to your own .toml route file)"
        )
    return default


def load_route(name: str, preset: str = DEFAULT_PRESET) -> RouteSpec:
    return read_route_file(route_path(name, preset))


@dataclass(frozen=True)
class ComposedRoute:
    """A flowsheet built from one or more routes, with its parameters (names as in the flowsheet)."""

    name: str
    specs: tuple[RouteSpec, ...]
    flowsheet: Flowsheet
    parameters: Mapping[str, Parameter]


def _preparation_chain(form: str, intake: str, preset: str) -> list[RouteSpec]:
    """Shortest chain of preparation routes taking feed ``form`` to a route with ``intake``."""
    preps = [load_route(n, preset) for n in PREPARATION]
    frontier: list[list[RouteSpec]] = [[p] for p in preps if form in p.accepts]
    for _ in range(len(preps)):
        for chain in frontier:
            if intake in chain[-1].handoff:
                return chain
        frontier = [
            [*c, p] for c in frontier for p in preps if p not in c and p.intake in c[-1].handoff
        ]
    return []


def compose(route: str, feed_form: str, preset: str = DEFAULT_PRESET) -> ComposedRoute:
    """Build the flowsheet of ``route`` (names joined by '+') for a feed of the given form."""
    names = [n.strip() for n in route.split("+")]
    if not all(names):
        raise InputError(f"route {route!r}: empty name between '+' signs")
    specs = [load_route(n, preset) for n in names]
    if feed_form not in specs[0].accepts:
        chain = _preparation_chain(feed_form, specs[0].intake, preset)
        if not chain:
            raise InputError(
                f"route {specs[0].name!r} takes {specs[0].intake} ({', '.join(specs[0].accepts) or 'no feed form'}"
                f" as feed); a {feed_form} feed cannot be brought to it"
            )
        specs = [*chain, *specs]
    return _join(specs)


def single_route(spec: RouteSpec) -> ComposedRoute:
    """The flowsheet of one route on its own, its ``feed`` stream as the intake (no preparation
    routes in front): what ``urbanmine routes check`` builds to validate a route file."""
    return _join([spec])


def _join(specs: list[RouteSpec]) -> ComposedRoute:
    single = len(specs) == 1
    units: list[Unit] = []
    sinks: dict[str, str] = {}
    params: dict[str, Parameter] = {}
    open_handoffs: list[tuple[int, str, tuple[str, ...]]] = []
    owner: dict[str, int] = {}
    for k, spec in enumerate(specs):
        prefix = "" if single else f"{spec.name}/"
        feed_streams: tuple[str, ...] = (FEED,)
        if k > 0:
            match = [h for h in open_handoffs if h[1] == spec.intake]
            if not match:
                before = "+".join(s.name for s in specs[:k])
                raise InputError(
                    f"route {spec.name!r} takes {spec.intake}, which {before} does not hand off"
                )
            provider = match[-1]
            open_handoffs.remove(provider)
            feed_streams = provider[2]
            units, sinks = _divert(units, sinks, set(feed_streams))
        rename = {s: prefix + s for u in spec.units for s in (*u.inlets, *u.outlets)}
        rename[FEED] = FEED
        for u in spec.units:
            units.append(_renamed(u, prefix, rename, feed_streams))
            owner[prefix + u.name] = k
        for s, fate in spec.sinks.items():
            sinks[prefix + s] = fate
        for name, p in spec.parameters.items():
            params[prefix + name] = dataclasses.replace(p, name=prefix + name)
        for kind, streams in spec.handoff.items():
            open_handoffs.append((k, kind, tuple(prefix + s for s in streams)))
    name = "+".join(s.name for s in specs)
    values = {n: p.value for n, p in params.items()}
    return ComposedRoute(name, tuple(specs), Flowsheet(name, tuple(units), sinks, values), params)


def _divert(
    units: list[Unit], sinks: dict[str, str], streams: set[str]
) -> tuple[list[Unit], dict[str, str]]:
    """Stop treating ``streams`` as sinks; drop the units downstream of them."""
    gone = set(streams)
    kept = list(units)
    changed = True
    while changed:
        changed = False
        for u in list(kept):
            if gone & set(u.inlets):
                kept.remove(u)
                gone.update(u.outlets)
                changed = True
    return kept, {s: f for s, f in sinks.items() if s not in gone}


def _renamed(
    unit: Unit, prefix: str, streams: Mapping[str, str], feed_streams: tuple[str, ...]
) -> Unit:
    if not prefix:
        return unit

    def value(v: Value) -> Value:
        return prefix + v if isinstance(v, str) else v

    inlets: list[str] = []
    for s in unit.inlets:
        inlets.extend(feed_streams if s == FEED else (streams[s],))
    return dataclasses.replace(
        unit,
        name=prefix + unit.name,
        inlets=tuple(inlets),
        outlets=tuple(streams[s] for s in unit.outlets),
        split={streams[o]: {sp: value(v) for sp, v in t.items()} for o, t in unit.split.items()},
        reactions=tuple(
            Reaction(
                r.equation,
                r.stoichiometry,
                r.reactant,
                value(r.conversion),
                {k: value(v) for k, v in r.dosed.items()},
            )
            for r in unit.reactions
        ),
        burn={sp: value(v) for sp, v in unit.burn.items()},
        doses=tuple(dataclasses.replace(d, amount=value(d.amount)) for d in unit.doses),
        utilities=tuple(
            dataclasses.replace(
                x,
                amount=value(x.amount),
                basis=dataclasses.replace(x.basis, stream=streams.get(x.basis.stream or "")),
            )
            if x.basis.stream
            else dataclasses.replace(x, amount=value(x.amount))
            for x in unit.utilities
        ),
    )
