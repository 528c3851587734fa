"""Every kind of bad input of issue 11 section 4: exit code 2, one message naming the file, field
or option, no traceback, and nothing created or changed on disk.

Each case was exit 1 or exit 0 (with wrong or NaN numbers, or silently ignored) before; the
table says what the message must mention. Commands run in-process (typer's CliRunner).
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from urbanmine.cli import app

TINY = """
[route]
name = "tiny"
title = "A separation with a bleed and a recycle, for tests"
intake = "blackmass"
accepts = ["blackmass"]
source = "test route"

[parameters.share]
value = 0.9
unit = "-"
source = "test value"
distribution = { kind = "triangular", low = 0.8, mode = 0.9, high = 0.95 }

[parameters.recycle]
value = 0.5
unit = "-"
source = "test value"
distribution = { kind = "uniform", low = 0.4, high = 0.6 }

[parameters.power]
value = 0.9
unit = "MJ/kg"
source = "test value"

[[units]]
name = "mix"
inlets = ["feed", "back"]
outlets = ["mixed"]
[[units.utilities]]
kind = "electricity_MJ"
amount = "power"

[[units]]
name = "separate"
inlets = ["mixed"]
outlets = ["product", "rest"]
[units.split.product]
graphite = "share"
Cu = 0.5

[[units]]
name = "bleed"
inlets = ["rest"]
outlets = ["back", "waste"]
[units.split.back]
"*" = "recycle"

[sinks]
product = "recycled"
waste = "landfill"
"""

ROUTES = {
    "unknown_species": ("Cu = 0.5", "Cu = 0.5\nNickelsulfate = 0.5"),
    "duplicate_unit": ('name = "bleed"', 'name = "mix"'),
    "value_text": ('value = 0.9\nunit = "MJ/kg"', 'value = "high"\nunit = "MJ/kg"'),
    "value_nan": ('value = 0.9\nunit = "MJ/kg"', 'value = nan\nunit = "MJ/kg"'),
    "value_inf": ('value = 0.9\nunit = "MJ/kg"', 'value = inf\nunit = "MJ/kg"'),
    "value_negative": ('value = 0.9\nunit = "MJ/kg"', 'value = -0.9\nunit = "MJ/kg"'),
    "literal_nan": ("Cu = 0.5", "Cu = nan"),
    "low_above_high": ("low = 0.4, high = 0.6", "low = 0.6, high = 0.4"),
    "mode_outside": ("low = 0.8, mode = 0.9", "low = 0.8, mode = 0.7"),
    "bound_nan": ("low = 0.4, high = 0.6", "low = nan, high = 0.6"),
    "loop_no_exit": ('"*" = "recycle"', '"*" = 1.0'),
    "unknown_unit_key": ('outlets = ["back", "waste"]', 'outlet = ["back", "waste"]'),
    "unknown_parameter_key": ('value = 0.9\nunit = "MJ/kg"', 'value = 0.9\nunits = "MJ/kg"'),
}

FACTS = {
    "lowercase": {"elements_in_kg": {"li": 2.0}, "elements_recovered_kg": {"li": 0.5}},
    "unknown_element": {"elements_in_kg": {"Xx": 2.0}},
    "infinite": {"elements_in_kg": {"Li": float("inf")}},
}

FS = ["flowsheet", "NMC811-cell", "--route", "hydro"]
TINY_RUN = ["flowsheet", "NMC811-blackmass", "--route"]

CASES: dict[str, tuple[list[str], str]] = {
    # route files
    **{
        f"route {k}": ([*TINY_RUN, f"{{tmp}}/{k}.toml"], needle)
        for k, needle in [
            ("unknown_species", "unknown species 'Nickelsulfate'"),
            ("duplicate_unit", "two units are named 'mix'"),
            ("value_text", "[parameters.power]: value = 'high'"),
            ("value_nan", "[parameters.power]: value = nan"),
            ("value_inf", "[parameters.power]: value = inf"),
            ("value_negative", "[parameters.power]: value = -0.9"),
            ("literal_nan", "split.product.Cu = nan"),
            ("low_above_high", "[parameters.recycle]: distribution low = 0.6 > high = 0.4"),
            ("mode_outside", "mode = 0.7"),
            ("bound_nan", "distribution.low = nan"),
            ("loop_no_exit", "recycle loop mix -> separate -> bleed"),
            ("unknown_unit_key", "unknown key 'outlet' in unit (did you mean 'outlets'?)"),
            ("unknown_parameter_key", "unknown key 'units' in parameter (did you mean 'unit'?)"),
        ]
    },
    "route is a folder": ([*TINY_RUN, "{tmp}/folder.toml"], "is a directory"),
    "route is .json": ([*TINY_RUN, "{tmp}/route.json"], "ends in .toml"),
    "route not UTF-8": ([*TINY_RUN, "{tmp}/latin1.toml"], "is not UTF-8"),
    # numbers on the command line
    **{
        f"{' '.join(a[:2])} {a[-2]} {a[-1]}": (a, a[-2])
        for a in [
            [*FS, "--mass-kg", "nan"],
            [*FS, "--mass-kg", "inf"],
            [*FS, "--mass-kg", "0"],
            [*FS, "--mass-kg", "-1"],
            [*FS, "--kwh", "nan"],
            [*FS, "--kwh", "0"],
            [*FS, "--economics", "--capacity-t", "nan"],
            [*FS, "--economics", "--capacity-t", "0"],
            [*FS, "--samples", "0"],
            [*FS, "--samples", "10", "--seed", "-1"],
            ["feeds", "show", "NMC811-pack", "--kwh", "0"],
            ["feeds", "show", "NMC811-pack", "--mass-kg", "inf"],
            ["closed-loop", "NMC811", "--capacity-t", "-1"],
            ["footprint", "NMC811-pack", "--kwh", "nan"],
            ["footprint", "NMC811-pack", "--cycles", "inf"],
            ["footprint", "NMC811-pack", "--cycles", "0"],
            ["footprint", "NMC811-pack", "--distribution-km", "nan"],
            ["footprint", "NMC811-pack", "--distribution-km", "-5"],
            ["sensitivity", "NMC811-cell", "--route", "hydro", "--seed", "-1"],
            ["passport", "scope", "--category", "industrial", "--on", "2028-01-01", "--kwh", "nan"],
        ]
    },
    "flowsheet --samples too many": ([*FS, "--samples", str(10**12)], "GB of memory available"),
    "sensitivity --samples too many": (
        ["sensitivity", "NMC811-cell", "--route", "hydro", "--samples", str(2**40)],
        "GB of memory available",
    ),
    # options that would have no effect
    "--location without --impacts": ([*FS, "--location", "CN"], "--location has no effect"),
    "--on without --comply": ([*FS, "--on", "2030-01-01"], "--on has no effect without --comply"),
    "--capacity-t without --economics": ([*FS, "--capacity-t", "5000"], "--capacity-t has no"),
    "--factor-set without --impacts": ([*FS, "--factor-set", "greet2023"], "--factor-set has no"),
    "--allocation without --impacts": ([*FS, "--allocation", "mass"], "--allocation has no"),
    "--seed with one sample": ([*FS, "--seed", "3"], "--seed has no effect without --samples"),
    # facts files
    "facts lowercase element": (
        ["comply", "{tmp}/lowercase.json", "--on", "2026-01-01"],
        "elements_in_kg: 'li' is not an allowed key (did you mean 'Li'?)",
    ),
    "facts unknown element": (
        ["comply", "{tmp}/unknown_element.json", "--on", "2026-01-01"],
        "'Xx' is not an allowed key",
    ),
    "facts infinite mass": (
        ["comply", "{tmp}/infinite.json", "--on", "2026-01-01"],
        "elements_in_kg.Li: got inf",
    ),
    "facts overflowing mass": (
        ["comply", "{tmp}/overflow.json", "--on", "2026-01-01"],
        "input_kg: got inf",
    ),
    # databases and paths
    "--db malformed": (["registry", "init", "--db", "not a url"], "cannot be read"),
    "--db other backend": (
        ["registry", "init", "--db", "mysql://u@h/db"],
        "mysql is not supported",
    ),
    "--db missing folder": (
        ["registry", "init", "--db", "sqlite:///{tmp}/no/x.db"],
        "does not exist",
    ),
    "--db a folder": (["registry", "init", "--db", "sqlite:///{tmp}/folder.toml"], "is a folder"),
    "--db not a database": (
        ["registry", "init", "--db", "sqlite:///{tmp}/notdb.db"],
        "not a SQLite",
    ),
    "verify missing database": (
        ["registry", "verify", "--db", "sqlite:///{tmp}/missing.db"],
        "does not exist",
    ),
    "verify not a database": (
        ["registry", "verify", "--db", "sqlite:///{tmp}/notdb.db"],
        "not a SQLite",
    ),
    "verify empty database": (
        ["registry", "verify", "--db", "sqlite:///{tmp}/empty.db"],
        "holds no registry",
    ),
    "export --out a folder": (
        ["registry", "export", "X", "--out", "{tmp}/folder.toml", "--db", "sqlite:///{tmp}/e.db"],
        "--out",
    ),
    "export --out in a missing folder": (
        ["registry", "export", "X", "--out", "{tmp}/no/x.json", "--db", "sqlite:///{tmp}/e.db"],
        "--out",
    ),
    "serve --port 70000": (["serve", "--port", "70000"], "--port"),
    "serve --port in use": (
        ["serve", "--port", "{busy}", "--db", "sqlite:///{tmp}/s.db"],
        "in use",
    ),
    "serve --db other backend": (["serve", "--db", "mysql://u@h/db", "--port", "{free}"], "mysql"),
}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with every bad file the cases name (and nothing the commands may write)."""
    tmp = tmp_path_factory.mktemp("bad")
    (tmp / "good.toml").write_text(TINY)
    for name, (old, new) in ROUTES.items():
        assert old in TINY, name
        (tmp / f"{name}.toml").write_text(TINY.replace(old, new, 1))
    (tmp / "folder.toml").mkdir()
    (tmp / "route.json").write_text("{}")
    (tmp / "latin1.toml").write_bytes(TINY.replace("tests", "essais répétés").encode("latin-1"))
    (tmp / "notdb.db").write_text("not a database\n")
    (tmp / "empty.db").write_bytes(b"")
    for name, facts in FACTS.items():
        doc = {"kind": "recycling_process", "chemistry": "NMC622", **facts}
        (tmp / f"{name}.json").write_text(json.dumps(doc))
    (tmp / "overflow.json").write_text('{"kind": "recycling_process", "input_kg": 1e400}')
    return tmp


@pytest.fixture(scope="module")
def busy_port() -> Iterator[int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield s.getsockname()[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(folder)): (p.stat().st_mtime_ns, p.stat().st_size)
        for p in sorted(folder.rglob("*"))
    }


def _never_serve(*args: object, **kwargs: object) -> None:
    raise AssertionError("the server was started on bad input")


def test_the_tiny_route_itself_runs(workspace: Path) -> None:
    r = CliRunner().invoke(app, [*TINY_RUN, str(workspace / "good.toml"), "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["balance"]["max_relative_error"] <= 1e-9


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_exits_2_with_one_message_and_writes_nothing(
    case: str, workspace: Path, busy_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    args, needle = CASES[case]
    fill = {"tmp": str(workspace), "busy": str(busy_port), "free": str(_free_port())}
    argv = [a.format(**fill) for a in args]
    monkeypatch.setattr("uvicorn.run", _never_serve)
    monkeypatch.chdir(workspace)  # a default database would land here and be seen
    monkeypatch.delenv("URBANMINE_DATABASE_URL", raising=False)
    before = _snapshot(workspace)
    r = CliRunner().invoke(app, argv)
    assert r.exit_code == 2, r.output
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
    assert needle.format(**fill) in " ".join(r.output.split()), r.output
    assert "Traceback" not in r.output and "unexpected error" not in r.output
    assert r.stdout.strip() == "" or r.stdout.startswith("Usage:")
    assert _snapshot(workspace) == before


def test_an_unreadable_route_file_exits_2(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # root reads any file whatever its mode, so the refusal is simulated where the file is opened
    target = workspace / "good.toml"
    real_open = Path.open

    def refuse(self: Path, *args: object, **kwargs: object) -> object:
        if self == target:
            raise PermissionError(13, os.strerror(13), str(self))
        return real_open(self, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(Path, "open", refuse)
    r = CliRunner().invoke(app, [*TINY_RUN, str(target)])
    assert r.exit_code == 2, r.output
    assert "cannot be read: Permission denied" in r.output and str(target) in r.output


def test_lowercase_element_used_to_turn_a_fail_into_not_applicable(workspace: Path) -> None:
    # the same facts with 'Li' are judged (a 25 % lithium recovery fails), with 'li' refused
    good = workspace / "lithium_ok.json"
    good.write_text(
        json.dumps(
            {
                "kind": "recycling_process",
                "chemistry": "NMC622",
                "elements_in_kg": {"Li": 2.0},
                "elements_recovered_kg": {"Li": 0.5},
            }
        )
    )
    r = CliRunner().invoke(app, ["comply", str(good), "--on", "2032-01-01", "--json"])
    good.unlink()
    assert r.exit_code == 0, r.output
    verdicts = {v["rule"]: v for v in json.loads(r.stdout)["verdicts"]}
    eu = verdicts["eu-2023-1542/material-recovery/Li"]  # Annex XII Part C: 80 % from end-2031
    assert eu["value"] == pytest.approx(0.25) and eu["verdict"] == "fail"
    bad = CliRunner().invoke(
        app, ["comply", str(workspace / "lowercase.json"), "--on", "2032-01-01"]
    )
    assert bad.exit_code == 2
