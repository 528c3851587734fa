"""Checks of a parsed route file before the loader builds it.

Every key the loader reads is checked for its type, every number for being finite and not
negative, every distribution for the order of its bounds, every species named in a split table,
dose or burn for being a species of ``data/species.toml``, and unit names for being unique. Each
failure is one :class:`RouteError` naming the table and key, the value given and what is allowed;
the loader then builds the route without meeting a wrong type.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from typing import Any

from urbanmine.flowsheet.errors import RouteError
from urbanmine.flowsheet.species_sets import is_set, set_species
from urbanmine.materials.species import registry

DISTRIBUTION_NUMBERS = ("low", "mode", "high", "mean", "sd", "median", "sigma")
"""Keys of a ``distribution`` table that hold numbers (others, e.g. ``*_source``, are text)."""

KEYS = {
    "file": ("route", "parameters", "units", "sinks", "handoff"),
    "[route]": ("name", "title", "intake", "accepts", "source"),
    "parameter": ("value", "source", "unit", "assumption", "distribution"),
    "distribution": (
        "kind",
        *DISTRIBUTION_NUMBERS,
        *(f"{k}_source" for k in DISTRIBUTION_NUMBERS),
        "source",
    ),
    "unit": (
        "name",
        "inlets",
        "outlets",
        "label",
        "source",
        "equipment",
        "split",
        "reactions",
        "burn",
        "doses",
        "utilities",
    ),
    "reaction": ("equation", "reactant", "conversion", "dosed", "origin_first"),
    "dose": ("species", "amount", "basis"),
    "utility": ("kind", "amount", "basis"),
    "basis": ("kind", "names", "stream", "per_mol"),
}
"""The keys each table of a route file may hold (docs/routes.md documents every one): a key
outside them is a typo (``outlet`` for ``outlets``) that would otherwise be ignored."""


def _known(rec: Mapping[str, Any], table: str, where: str) -> None:
    """Refuse keys ``table`` does not take, naming the closest allowed one."""
    allowed = KEYS[table]
    for key in rec:
        if key not in allowed:
            near = difflib.get_close_matches(str(key), allowed, n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            raise RouteError(
                f"{where}: unknown key {key!r} in {table}{hint}; allowed: {', '.join(allowed)}"
            )


def _fail(where: str, what: str, value: Any, allowed: str) -> RouteError:
    shown = repr(value) if not isinstance(value, Mapping | list) else type(value).__name__
    return RouteError(f"{where}: {what} = {shown[:60]}; allowed: {allowed}")


def _table(rec: Any, where: str, what: str) -> Mapping[str, Any]:
    if not isinstance(rec, Mapping):
        raise _fail(where, what, rec, "a table")
    return rec


def _text(rec: Mapping[str, Any], key: str, where: str, required: bool = False) -> None:
    if key not in rec:
        if required:
            raise RouteError(f"{where}: missing key {key!r} (text)")
        return
    if not isinstance(rec[key], str):
        raise _fail(where, key, rec[key], "text in quotes")


def _texts(rec: Mapping[str, Any], key: str, where: str) -> None:
    v = rec.get(key, [])
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        raise _fail(where, key, v, "a list of names in quotes")


def _number(v: Any, where: str, what: str) -> float:
    """``v`` as a finite number >= 0, or a :class:`RouteError` naming it."""
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise _fail(where, what, v, "a number")
    if not math.isfinite(v) or v < 0:
        raise _fail(where, what, v, "a finite number >= 0")
    return float(v)


def _value(v: Any, where: str, what: str) -> None:
    """A unit's number: a literal (finite, >= 0) or the name of a parameter."""
    if not isinstance(v, str):
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise _fail(where, what, v, "a number or the name of a parameter in quotes")
        _number(v, where, what)


def _species(name: str, where: str) -> None:
    known = registry()
    if name not in known:
        close = difflib.get_close_matches(name, list(known), n=3)
        hint = (
            f"did you mean {', '.join(close)}?" if close else f"one of {', '.join(sorted(known))}"
        )
        raise RouteError(f"{where}: unknown species {name!r}; {hint}")


def _values(rec: Mapping[str, Any], key: str, where: str, species: bool) -> None:
    table = _table(rec.get(key, {}), where, key)
    for name, v in table.items():
        if species and name != "*":
            _species(name, f"{where}, {key}")
        _value(v, where, f"{key}.{name}")


def _basis(rec: Any, where: str) -> None:
    if rec is None or isinstance(rec, str):
        return  # the loader names the allowed words
    basis = _table(rec, where, "basis")
    _known(basis, "basis", where)
    _text(basis, "kind", where)
    _text(basis, "stream", where)
    names = basis.get("names", [])
    if not isinstance(names, str):
        _texts(basis, "names", where)
    if not isinstance(basis.get("per_mol", False), bool):
        raise _fail(where, "basis.per_mol", basis["per_mol"], "true or false")


def _entries(rec: Mapping[str, Any], key: str, where: str) -> list[Mapping[str, Any]]:
    entries = rec.get(key, [])
    if not isinstance(entries, list):
        raise _fail(where, key, entries, f"an array of tables ([[units.{key}]])")
    return [_table(e, where, f"{key} entry") for e in entries]


def _check_unit(rec: Any, where: str) -> str:
    """Types and numbers of one ``[[units]]`` entry; returns its name."""
    unit = _table(rec, where, "[[units]] entry")
    _text(unit, "name", where, required=True)
    where = f"{where}, unit {unit['name']!r}"
    _known(unit, "unit", where)
    for key in ("inlets", "outlets", "equipment"):
        _texts(unit, key, where)
    for key in ("label", "source"):
        _text(unit, key, where)
    for outlet, table in _table(unit.get("split", {}), where, "split").items():
        for sp, v in _table(table, where, f"split.{outlet}").items():
            if is_set(sp):
                set_species(sp)  # an unknown set: a RouteError naming it
            elif sp != "*":
                _species(sp, f"{where}, split.{outlet}")
            _value(v, where, f"split.{outlet}.{sp}")
    _values(unit, "burn", where, species=True)
    for r in _entries(unit, "reactions", where):
        _known(r, "reaction", f"{where}, reaction")
        _text(r, "equation", f"{where}, reaction", required=True)
        _text(r, "reactant", f"{where}, reaction", required=True)
        _value(r.get("conversion", 1.0), f"{where}, reaction {r['equation']!r}", "conversion")
        _values(r, "dosed", f"{where}, reaction {r['equation']!r}", species=False)
    for d in _entries(unit, "doses", where):
        _known(d, "dose", f"{where}, dose")
        _text(d, "species", f"{where}, dose", required=True)
        _species(d["species"], f"{where}, dose")
        _value(d.get("amount"), f"{where}, dose of {d['species']}", "amount")
        _basis(d.get("basis"), f"{where}, dose of {d['species']}")
    for u in _entries(unit, "utilities", where):
        _known(u, "utility", f"{where}, utility")
        _text(u, "kind", f"{where}, utility", required=True)
        _value(u.get("amount"), f"{where}, utility {u['kind']}", "amount")
        _basis(u.get("basis"), f"{where}, utility {u['kind']}")
    return str(unit["name"])


def _check_distribution(dist: Any, value: float, where: str) -> None:
    """A parameter's distribution: finite numbers in order (low <= mode <= high, low < high for a
    triangle), positive spreads, no draws below 0, and the point ``value`` inside its bounds."""
    d = _table(dist, where, "distribution")
    _known(d, "distribution", where)
    nums = {k: _number(d[k], where, f"distribution.{k}") for k in DISTRIBUTION_NUMBERS if k in d}
    kind = d.get("kind")
    low, high = nums.get("low"), nums.get("high")
    if low is not None and high is not None and low > high:
        raise RouteError(
            f"{where}: distribution low = {low:g} > high = {high:g}; allowed: low <= high"
        )
    if kind == "triangular" and low is not None and high is not None:
        mode = nums.get("mode", low)
        if not low <= mode <= high or low == high:
            raise RouteError(
                f"{where}: triangular distribution low = {low:g}, mode = {mode:g}, high = "
                f"{high:g}; allowed: low <= mode <= high with low < high"
            )
    for key in ("sd", "sigma", "median"):
        if nums.get(key) == 0:
            raise _fail(where, f"distribution.{key}", 0, "a finite number > 0")
    if kind == "normal" and low is None:
        raise RouteError(
            f"{where}: a normal distribution without 'low' can draw negative values; give "
            "low >= 0 to truncate it"
        )
    if (low is not None and value < low) or (high is not None and value > high):
        raise RouteError(
            f"{where}: value = {value:g} lies outside its distribution's range "
            f"[{low if low is not None else '-inf'}, {high if high is not None else 'inf'}]"
        )


def _check_parameter(name: str, rec: Any, where: str) -> None:
    """One ``[parameters.NAME]`` table: a finite value >= 0, text source and unit, and its
    distribution (see :func:`_check_distribution`)."""
    where = f"{where}, [parameters.{name}]"
    p = _table(rec, where, "parameter")
    _known(p, "parameter", where)
    if "value" not in p:
        raise RouteError(f"{where}: missing key 'value' (a finite number >= 0)")
    value = _number(p["value"], where, "value")
    _text(p, "source", where, required=True)
    _text(p, "unit", where)
    if "distribution" in p:
        _check_distribution(p["distribution"], value, where)


def _disjoint_sets(units: list[Any], where: str) -> None:
    """The species sets a route's split tables name share no species: a species in two sets
    would go wherever the first unit that names one sends it, taking another part's material
    along (e.g. a tank's PE liner and a battery pack's PE separator)."""
    keys = sorted(
        {sp for u in units for table in u.get("split", {}).values() for sp in table if is_set(sp)}
    )
    for i, a in enumerate(keys):
        for b in keys[i + 1 :]:
            shared = sorted(set_species(a) & set_species(b))
            if shared:
                raise RouteError(
                    f"{where}: species sets {a!r} and {b!r} share {', '.join(shared)}; the parts "
                    "a route separates by set must hold species of their own (name the part's "
                    "material apart in data/species.toml, as car_steel is named apart from steel)"
                )


def check_route_data(data: Mapping[str, Any], where: str) -> None:
    """Check a parsed route file (see module docstring); ``where`` names it in messages."""
    _known(data, "file", where)
    meta = _table(data.get("route"), where, "[route]")
    _known(meta, "[route]", f"{where}, [route]")
    _text(meta, "name", f"{where}, [route]", required=True)
    for key in ("title", "intake", "source"):
        _text(meta, key, f"{where}, [route]")
    _texts(meta, "accepts", f"{where}, [route]")
    for name, rec in _table(data.get("parameters", {}), where, "[parameters]").items():
        _check_parameter(name, rec, where)
    units = data.get("units", [])
    if not isinstance(units, list):
        raise _fail(where, "units", units, "an array of tables, each under [[units]]")
    seen: set[str] = set()
    for rec in units:
        name = _check_unit(rec, where)
        if name in seen:
            raise RouteError(f"{where}: two units are named {name!r}; unit names must be unique")
        seen.add(name)
    _disjoint_sets(units, where)
    for stream, fate in _table(data.get("sinks", {}), where, "[sinks]").items():
        if not isinstance(fate, str):
            raise _fail(f"{where}, [sinks]", stream, fate, "a fate in quotes")
    handoff = _table(data.get("handoff", {}), where, "[handoff]")
    for kind in handoff:
        _texts(handoff, kind, f"{where}, [handoff]")
