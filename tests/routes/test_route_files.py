"""Route files as a user writes them: the template ``urbanmine routes template`` prints is valid
and runs; ``urbanmine routes check`` accepts every shipped route and refuses a broken one with the
loader's message (exit 2); feed forms have one spelling (``blackmass``) in routes and feeds."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

from urbanmine.materials.feeds import all_forms, get_feed
from urbanmine.routes.check import check_route_file

UM = [sys.executable, "-m", "urbanmine.cli"]
SHIPPED = sorted(
    Path(str(resources.files("urbanmine.data").joinpath("routes"))).rglob("*.toml"),
    key=str,
)


def call(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*UM, *args], capture_output=True, text=True, timeout=120, cwd=cwd)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    r = call("routes", "template")
    assert r.returncode == 0, r.stderr
    path = tmp_path_factory.mktemp("route") / "my_route.toml"
    path.write_text(r.stdout, encoding="utf-8")
    return path


def test_template_passes_check(template: Path):
    r = call("routes", "check", str(template), "--json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["accepts"] == ["blackmass"] and d["intake"] == "blackmass"
    # every stream the units produce ends in a unit or a sink
    produced = {s for u in d["units"] for s in u["outlets"]}
    consumed = {s for u in d["units"] for s in u["inlets"]}
    assert produced - consumed == set(d["sinks"])
    text = call("routes", "check", str(template))
    assert text.returncode == 0 and "is valid" in text.stdout


def test_template_runs_a_blackmass_feed_and_conserves_mass(template: Path):
    r = call("flowsheet", "NMC811-blackmass", "--route", str(template), "--json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    # conservation of mass: what leaves = the feed + every reagent taken in (O2 for burning)
    out = sum(o["mass_kg"] for o in d["outputs"])
    assert out == pytest.approx(1.0 + sum(d["inventory"]["reagents_kg"].values()), rel=1e-9)
    # conservation of each element of the feed that burning does not touch
    feed = get_feed("NMC811-blackmass").scaled(mass_kg=1.0).elements_kg()
    for el in ("Ni", "Co", "Mn", "Li", "Cu", "Al"):
        assert sum(o["elements_kg"].get(el, 0.0) for o in d["outputs"]) == pytest.approx(feed[el])


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_shipped_route_passes_check(path: Path):
    d = check_route_file(path)
    assert d["units"] and d["sinks"]
    assert set(d["accepts"]) <= set(all_forms())


def test_check_refuses_a_broken_route_with_the_loaders_message(tmp_path: Path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[route]\nname = 'x'\n[[units]]\nname = 'u'\ninlets = ['feed']\n")
    r = call("routes", "check", str(bad))
    assert r.returncode == 2
    assert r.stderr.startswith("error:") and "outlets" in r.stderr
    assert "Traceback" not in r.stderr and r.stdout == ""


ROUTE = """[route]
name = "r"
intake = "{intake}"
accepts = [{accepts}]
[[units]]
name = "u"
inlets = ["feed"]
outlets = ["o"]
[sinks]
o = "product"
"""


@pytest.mark.parametrize(
    ("intake", "accepts", "message"),
    [
        ("black_mass", '"blackmass"', "'black_mass' is spelled 'blackmass'"),
        ("blackmass", '"black_mass"', "'black_mass' is not a feed form; allowed: pack, module"),
        ("Black-Mass", "", "is spelled 'blackmass'"),
    ],
)
def test_feed_forms_have_one_spelling(tmp_path: Path, intake: str, accepts: str, message: str):
    route = tmp_path / "r.toml"
    route.write_text(ROUTE.format(intake=intake, accepts=accepts))
    for args in (
        ["routes", "check", str(route)],
        ["flowsheet", "NMC811-blackmass", "--route", str(route)],
    ):
        r = call(*args)
        assert r.returncode == 2 and message in r.stderr, r.stderr
