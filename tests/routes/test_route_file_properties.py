"""Property tests (Hypothesis): a shipped route file corrupted at random, and number options given
any text, end in exit 2 with one message, or in a clean success when the change happens to be
valid; never a traceback, never exit 1.

Route corruptions: a key or list entry deleted, a number replaced by NaN, infinity, a negative, a
huge number, text or another type, a text replaced by another type or by another text of the
same file, a unit duplicated or given another unit's name.
"""

from __future__ import annotations

import copy
import json
import math
import re
import tomllib
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from urbanmine.cli import app
from urbanmine.commands.common import LARGEST, SMALLEST
from urbanmine.routes.compose import route_path

SHIPPED = ("hydro", "pyro")
"""Routes corrupted (each takes black mass or cells; hydro has a recycle loop)."""
FEED = {"hydro": "NMC622-blackmass", "pyro": "NMC622-cell"}

NUMBERS: list[Any] = [math.nan, math.inf, -math.inf, -1.0, -1e-9, 0.0, 2.0, 1e6, 1e300, "0.5"]
OTHERS: list[Any] = [True, [], {}, [1.0], {"a": 1}, 7]

Path_ = tuple[Any, ...]


def _leaves(doc: Any, path: Path_ = ()) -> list[tuple[Path_, Any]]:
    """Every (path, value) in a parsed TOML document, containers included."""
    out: list[tuple[Path_, Any]] = [(path, doc)] if path else []
    if isinstance(doc, dict):
        for k, v in doc.items():
            out.extend(_leaves(v, (*path, k)))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out.extend(_leaves(v, (*path, i)))
    return out


def _parent(doc: Any, path: Path_) -> Any:
    for key in path[:-1]:
        doc = doc[key]
    return doc


def _toml(value: Any) -> str:
    """TOML for a value (inline tables and arrays; keys and texts quoted as TOML basic strings)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    if isinstance(value, float) and math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, int | str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + "}"


def _dump(doc: dict[str, Any]) -> str:
    return "\n".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in doc.items()) + "\n"


@st.composite
def corrupted(draw: st.DrawFn) -> tuple[str, str]:
    """(route name, TOML text) of a shipped route with one to three corruptions."""
    name = draw(st.sampled_from(SHIPPED))
    doc = tomllib.loads(route_path(name).read_text(encoding="utf-8"))
    texts = sorted({v for _, v in _leaves(doc) if isinstance(v, str)})
    for _ in range(draw(st.integers(1, 3))):
        leaves = _leaves(doc)
        path, value = draw(st.sampled_from(leaves))
        parent = _parent(doc, path)
        kind = draw(st.sampled_from(["delete", "number", "type", "text", "unit"]))
        if kind == "delete":
            del parent[path[-1]]
        elif kind == "number" and isinstance(value, int | float) and not isinstance(value, bool):
            parent[path[-1]] = draw(st.sampled_from(NUMBERS))
        elif kind == "text" and isinstance(value, str):
            parent[path[-1]] = draw(st.sampled_from(texts))
        elif kind == "unit" and isinstance(doc.get("units"), list) and doc["units"]:
            units = doc["units"]
            i = draw(st.integers(0, len(units) - 1))
            named = [u for u in units if isinstance(u, dict) and "name" in u]
            if draw(st.booleans()) or not named or not isinstance(units[i], dict):
                units.append(copy.deepcopy(units[i]))
            else:
                units[i]["name"] = draw(st.sampled_from(named))["name"]
        else:
            # a fresh copy: the shared [1.0] put inside itself made a cycle (RecursionError)
            parent[path[-1]] = copy.deepcopy(draw(st.sampled_from([*NUMBERS, *OTHERS, "text"])))
    return name, _dump(doc)


def _clean(r: Any) -> None:
    """Exit 0 or 2, and on 2 one message (no traceback, no 'unexpected error')."""
    assert r.exit_code in (0, 2), r.output
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    assert "Traceback" not in r.output and "unexpected error" not in r.output, r.output


def test_the_serialiser_keeps_a_shipped_route_as_it_is(tmp_path: Path) -> None:
    for name in SHIPPED:
        doc = tomllib.loads(route_path(name).read_text(encoding="utf-8"))
        assert tomllib.loads(_dump(doc)) == doc


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=corrupted())
def test_a_corrupted_route_file_exits_2_or_runs_cleanly(case: tuple[str, str], tmp_path: Path):
    name, text = case
    path = tmp_path / f"{name}-corrupted.toml"
    path.write_text(text, encoding="utf-8")
    args = ["flowsheet", FEED[name], "--route", str(path), "--samples", "3", "--seed", "1"]
    r = CliRunner().invoke(app, [*args, "--json"])
    _clean(r)
    if r.exit_code == 0:
        d = json.loads(r.stdout)
        assert d["balance"]["max_relative_error"] <= 1e-9
    else:
        assert r.output.lstrip().startswith(("error:", "Usage:")), r.output


TRICKY = ["nan", "NaN", "inf", "-inf", "+inf", "infinity", "-0", "0", "1e400", "-1e400", "", "abc"]
TRICKY += ["1,5", "0x10", "1e-400", "5e-324", "1_000", " 3", "--json", "١٢"]


PLAIN = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", re.ASCII)
"""A number as anyone writes it (typer may accept more spellings, e.g. with '_')."""


def _in_range(text: str) -> bool:
    """Whether ``text`` reads as a number the range options accept (the test's oracle)."""
    try:
        x = float(text)
    except ValueError:
        return False
    return SMALLEST <= x <= LARGEST


OPTIONS = [
    (["feeds", "show", "NMC811-pack"], "--kwh"),
    (["feeds", "show", "NMC811-pack"], "--mass-kg"),
    (["passport", "scope", "--category", "industrial", "--on", "2028-01-01"], "--kwh"),
    (["flowsheet", "NMC811-blackmass", "--route", "hydro"], "--mass-kg"),
    (["flowsheet", "NMC811-blackmass", "--route", "hydro", "--economics"], "--capacity-t"),
    (["footprint", "NMC811-pack"], "--cycles"),
    (["closed-loop", "NMC811"], "--capacity-t"),
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    option=st.sampled_from(OPTIONS),
    text=st.one_of(
        st.sampled_from(TRICKY),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
        st.integers(-(10**30), 10**30).map(str),
    ),
)
def test_a_number_option_is_accepted_in_range_and_refused_otherwise(
    option: tuple[list[str], str], text: str
) -> None:
    command, flag = option
    r = CliRunner().invoke(app, [*command, f"{flag}={text}", "--json"])
    _clean(r)
    if r.exit_code == 0:
        assert _in_range(text)
        json.loads(r.stdout)
    else:
        assert flag in r.output, r.output
    if PLAIN.fullmatch(text) and _in_range(text):
        assert r.exit_code == 0, r.output


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    samples=st.one_of(
        st.integers(-5, 40), st.integers(10**13, 10**30), st.sampled_from(["x", "1.5", ""])
    ),
    seed=st.one_of(st.none(), st.integers(-(10**6), 10**6)),
)
def test_samples_and_seed_are_accepted_or_refused_with_exit_2(samples: Any, seed: int | None):
    args = ["flowsheet", "NMC811-blackmass", "--route", "hydro", f"--samples={samples}"]
    if seed is not None:
        args.append(f"--seed={seed}")
    r = CliRunner().invoke(app, [*args, "--json"])
    _clean(r)
    ok = isinstance(samples, int) and 1 <= samples <= 40 and (seed is None or seed >= 0)
    ok = ok and not (seed is not None and samples == 1)  # a seed with one run has no effect
    assert (r.exit_code == 0) == ok, r.output
