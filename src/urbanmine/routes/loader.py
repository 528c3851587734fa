"""Read route TOML files into route specifications.

A route file has ``[route]`` (name, title, intake, accepts, source), ``[parameters.*]`` (value,
source, optional distribution), ``[[units]]`` (inlets, outlets, split, reactions, doses,
utilities, equipment), ``[sinks]`` (stream -> fate) and ``[handoff]`` (kind -> streams passed on to a
following route). The stream called ``feed`` is the route's intake. Electricity may be given in
MJ (``electricity_MJ``) and water in US gallons (``water_gal``), as EverBatt does; they are
converted exactly (1 kWh = 3.6 MJ; 1 US gal = 3.785411784 L of water = 3.785411784 kg).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from urbanmine.errors import InputError
from urbanmine.flowsheet.errors import RouteError
from urbanmine.flowsheet.params import Parameter
from urbanmine.flowsheet.reaction import Reaction
from urbanmine.flowsheet.units import UTILITIES, Basis, Dose, Unit, Utility
from urbanmine.materials.feeds import FORMS, all_forms
from urbanmine.routes.validate import check_route_data

UTILITY_ALIASES = {
    "electricity_MJ": ("electricity_kWh", 1 / 3.6),
    "water_gal": ("water_kg", 3.785411784),
}
BASIS_KINDS = ("inlet", "species", "element", "outlet")


@dataclass(frozen=True)
class RouteSpec:
    """One route as written in its TOML file."""

    name: str
    title: str
    intake: str
    accepts: tuple[str, ...]
    source: str
    units: tuple[Unit, ...]
    sinks: Mapping[str, str]
    parameters: Mapping[str, Parameter]
    handoff: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    path: str = ""
    equipment: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """EverBatt unit operations (``Unit Ops`` names) each unit stands for, by unit name; the
    costing reads them (``urbanmine.impacts.plant``), the mass balance does not."""


def _basis(rec: Any, where: str) -> Basis:
    if rec is None or rec == "inlet":
        return Basis()
    if not isinstance(rec, Mapping):
        raise RouteError(f"{where}: basis must be 'inlet' or a table with 'kind'")
    kind = rec.get("kind", "inlet")
    if kind not in BASIS_KINDS:
        raise RouteError(f"{where}: basis kind {kind!r} is not one of {', '.join(BASIS_KINDS)}")
    names = rec.get("names", ())
    return Basis(
        kind,
        tuple([names] if isinstance(names, str) else names),
        rec.get("stream"),
        bool(rec.get("per_mol", False)),
    )


def _value(v: Any, where: str, params: Mapping[str, Parameter]) -> float | str:
    if isinstance(v, bool) or not isinstance(v, int | float | str):
        raise RouteError(f"{where}: expected a number or a parameter name, got {v!r}")
    if isinstance(v, str) and v not in params:
        raise RouteError(f"{where}: unknown parameter {v!r} (define it under [parameters.{v}])")
    return float(v) if not isinstance(v, str) else v


def _unit(rec: Mapping[str, Any], params: Mapping[str, Parameter]) -> Unit:
    name = rec.get("name")
    if not isinstance(name, str):
        raise RouteError("every [[units]] entry needs a 'name'")
    where = f"unit {name!r}"
    for key in ("inlets", "outlets"):
        if not rec.get(key):
            raise RouteError(f"{where}: needs a non-empty {key!r} list")
    split = {
        outlet: {sp: _value(v, f"{where} split {outlet}.{sp}", params) for sp, v in table.items()}
        for outlet, table in rec.get("split", {}).items()
    }
    reactions = tuple(
        Reaction.build(
            r["equation"],
            r["reactant"],
            _value(r.get("conversion", 1.0), f"{where} conversion", params),
            {k: _value(v, f"{where} dosed {k}", params) for k, v in r.get("dosed", {}).items()},
            r.get("origin_first"),
        )
        for r in rec.get("reactions", [])
    )
    burn = {sp: _value(v, f"{where} burn {sp}", params) for sp, v in rec.get("burn", {}).items()}
    doses = tuple(
        Dose(
            d["species"],
            _value(d["amount"], f"{where} dose", params),
            _basis(d.get("basis"), where),
        )
        for d in rec.get("doses", [])
    )
    utilities = []
    for u in rec.get("utilities", []):
        kind, scale = UTILITY_ALIASES.get(u.get("kind"), (u.get("kind"), 1.0))
        if kind not in UTILITIES:
            allowed = ", ".join([*UTILITIES, *UTILITY_ALIASES])
            raise RouteError(f"{where}: utility kind {u.get('kind')!r} is not one of {allowed}")
        utilities.append(
            Utility(
                kind,
                _value(u["amount"], f"{where} utility", params),
                _basis(u.get("basis"), where),
                scale,
            )
        )
    return Unit(
        name,
        tuple(rec["inlets"]),
        tuple(rec["outlets"]),
        split,
        reactions,
        burn,
        doses,
        tuple(utilities),
        rec.get("label", name),
        rec.get("source", ""),
    )


def _kind(value: Any, where: str) -> str:
    """A material kind (``intake``, ``handoff`` key): any name, but a feed form is written as the
    feed names write it (``blackmass``, as in ``NMC811-blackmass``), never another spelling."""
    if not isinstance(value, str) or not value:
        raise RouteError(f"{where}: expected a name, got {value!r}")
    plain = value.replace("_", "").replace("-", "").replace(" ", "").lower()
    if value not in FORMS and plain in FORMS:
        raise RouteError(f"{where}: {value!r} is spelled {plain!r} (as in the feed names)")
    return value


def _accepts(value: Any, where: str) -> tuple[str, ...]:
    """Feed forms a route takes directly: battery forms and composition feeds' forms."""
    forms = all_forms()
    if not isinstance(value, list):
        raise RouteError(f"{where}: expected a list of feed forms ({', '.join(forms)})")
    for form in value:
        if form not in forms:
            raise RouteError(f"{where}: {form!r} is not a feed form; allowed: {', '.join(forms)}")
    return tuple(value)


def parse_route(data: Mapping[str, Any], path: str = "") -> RouteSpec:
    """Build a route from parsed TOML; any mistake raises :class:`RouteError` naming it."""
    meta = data.get("route")
    if not isinstance(meta, Mapping) or "name" not in meta:
        raise RouteError(f"{path or 'route'}: missing [route] table with a 'name'")
    check_route_data(data, f"route file {path}" if path else f"route {meta['name']!r}")
    try:
        params = {k: Parameter.from_record(k, v) for k, v in data.get("parameters", {}).items()}
        units = tuple(_unit(u, params) for u in data.get("units", []))
    except KeyError as exc:
        raise RouteError(f"route {meta['name']!r}: missing key {exc}") from None
    except InputError as exc:
        raise RouteError(f"route {meta['name']!r}: {exc}") from None
    if not units:
        raise RouteError(f"route {meta['name']!r}: no [[units]]")
    return RouteSpec(
        name=meta["name"],
        title=meta.get("title", meta["name"]),
        intake=_kind(meta.get("intake", "cells"), f"route {meta['name']!r} intake"),
        accepts=_accepts(meta.get("accepts", []), f"route {meta['name']!r} accepts"),
        source=meta.get("source", ""),
        units=units,
        sinks=dict(data.get("sinks", {})),
        parameters=params,
        handoff={
            _kind(k, f"route {meta['name']!r} [handoff]"): tuple(v)
            for k, v in data.get("handoff", {}).items()
        },
        path=path,
        equipment={u["name"]: tuple(u["equipment"]) for u in data["units"] if "equipment" in u},
    )


def read_route_file(path: Path) -> RouteSpec:
    """Read and build one route file; a file that cannot be read or parsed is a RouteError."""
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise RouteError(f"route file {str(path)!r} does not exist") from None
    except IsADirectoryError:
        raise RouteError(f"route file {str(path)!r} is a directory; give a .toml file") from None
    except OSError as exc:
        raise RouteError(f"route file {str(path)!r} cannot be read: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise RouteError(
            f"route file {str(path)!r} is not UTF-8 text (byte {exc.object[exc.start]:#04x} at "
            f"position {exc.start}); save it as UTF-8"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise RouteError(f"route file {str(path)!r} is not valid TOML: {exc}") from None
    return parse_route(data, str(path))
