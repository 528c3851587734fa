"""The scenario file: built-in scenarios validate and compose the pillars' sections; every kind
of bad input is one message naming the file and the field; ``urbanmine scenarios``."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from urbanmine.cli import app
from urbanmine.errors import InputError
from urbanmine.scenario import builtin
from urbanmine.scenario.model import fleet_section, network_section, read

runner = CliRunner()


def test_built_in_scenarios_validate_and_compose() -> None:
    assert builtin.names() == ["china-2050", "europe-2050"]
    europe = builtin.load("europe-2050")
    assert europe.scenario.region == "europe"
    assert [a.refining for a in europe.alternatives] == ["pyro", "direct"]
    assert network_section(europe).routes.refining == "hydro+precursor"
    assert network_section(europe).options.time_limit_s == 30
    china = builtin.load("china-2050")
    assert fleet_section(china).region == "china" and fleet_section(china).spatial == "province"
    assert network_section(china).region == "china"
    assert china.compliance.rulesets == ["cn-miit-2024", "cn-traceability-2018"]


def test_collection_and_routes_reach_the_pillars(tmp_path: Path) -> None:
    f = tmp_path / "s.toml"
    f.write_text(
        '[scenario]\nname = "mine"\n[collection]\nrate = { "2030" = 0.8 }\n'
        '[routes]\nrefining = "pyro"\n[network.routes]\npretreatment = "pretreatment"\n'
    )
    s = read(f)
    assert fleet_section(s).collection == {"2030": 0.8}
    routes = network_section(s).routes
    assert (routes.refining, routes.pretreatment) == ("pyro", "pretreatment")


BAD = [
    ("", "scenario"),
    ('[scenario]\nname = "My Scenario"\n', "scenario.name"),
    ('[scenario]\nname = "s"\nstart = 2040\nend = 2030\n', "end 2030 is before start"),
    ('[scenario]\nname = "s"\nregion = "mars"\n', "scenario.region"),
    ('[scenario]\nname = "s"\n[fleet]\nregion = "china"\n', "say the region once"),
    ('[scenario]\nname = "s"\n[fleet]\n[feedstock]\npacks_t = { LFP = 10 }\n', "not both"),
    ('[scenario]\nname = "s"\n[feedstock]\npacks_t = { NMC999 = 10 }\n', "NMC999"),
    ('[scenario]\nname = "s"\n[feedstock]\npacks_t = { LFP = nan }\n', "packs_t.LFP"),
    ('[scenario]\nname = "s"\n[feedstock]\npacks_t = { LFP = { "20x0" = 1 } }\n', "not a year"),
    ('[scenario]\nname = "s"\n[collection]\nrate = 1.5\n', "shares from 0 to 1"),
    ('[scenario]\nname = "s"\n[routes]\nrefining = "hydrox"\n', "hydrox"),
    (
        '[scenario]\nname = "s"\n[[alternatives]]\nname = "a"\n[[alternatives]]\nname = "a"\n',
        "repeated",
    ),
    ('[scenario]\nname = "s"\n[compliance]\nrulesets = ["eu-1999"]\n', "eu-1999"),
    ('[scenario]\nname = "s"\n[compliance]\non = ["2031-13-01"]\n', "compliance.on"),
    ('[scenario]\nname = "s"\n[uncertainty]\nsamples = -1\n', "uncertainty.samples"),
    ('[scenario]\nname = "s"\n[economics]\nfactor_set = "greet1999"\n', "economics.factor_set"),
    ('[scenario]\nname = "s"\n[surprise]\nx = 1\n', "surprise"),
    ('[scenario]\nname = "s"\n[fleet]\nsales_growth = 2\n', "fleet.sales_growth"),
    ('[scenario]\nname = "s"\n[network.options]\nmip_gap = 2\n', "mip_gap"),
    ("[scenario\nname = 's'\n", "not valid TOML"),
    (
        '[scenario]\nname = "s"\n[[feeds]]\nfeed = "PCB-gold"\nroute = "hydro"\ntonnes = 5\n',
        "PCB-gold",
    ),
    (
        '[scenario]\nname = "s"\n[[feeds]]\nfeed = "NMC622-blackmass"\nroute = "hydrox"\n'
        "tonnes = 5\n",
        "hydrox",
    ),
    (
        '[scenario]\nname = "s"\n[[feeds]]\nfeed = "NMC622-blackmass"\nroute = "hydro"\n'
        "tonnes = -5\n",
        "feeds.0",
    ),
    ('[scenario]\nname = "s"\n[[feeds]]\nfeed = "NMC622-blackmass"\nroute = "hydro"\n', "tonnes"),
]


@pytest.mark.parametrize(("text", "named"), BAD)
def test_bad_scenario_names_file_and_field(tmp_path: Path, text: str, named: str) -> None:
    f = tmp_path / "bad.toml"
    f.write_text(text)
    with pytest.raises(InputError) as caught:
        read(f)
    message = str(caught.value)
    assert message.startswith(str(f))
    assert named in message


def test_not_utf8(tmp_path: Path) -> None:
    f = tmp_path / "latin.toml"
    f.write_bytes('[scenario]\nname = "s"\ntitle = "Köln"\n'.encode("latin-1"))
    with pytest.raises(InputError, match="UTF-8"):
        read(f)


def test_scenarios_commands() -> None:
    r = runner.invoke(app, ["scenarios", "list", "--json"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    assert {r["name"] for r in rows} == {"europe-2050", "china-2050"}
    assert [r["name"] for r in rows if r["default"] and r["region"] == "europe"] == ["europe-2050"]
    shown = runner.invoke(app, ["scenarios", "show", "europe-2050"])
    assert shown.exit_code == 0
    assert shown.stdout == builtin.text("europe-2050")
    assert tomllib.loads(shown.stdout)["scenario"]["name"] == "europe-2050"
    missing = runner.invoke(app, ["scenarios", "show", "mars"])
    assert missing.exit_code == 2 and "europe-2050" in missing.output


def test_uncertainty_refuses_what_a_run_does_not_draw(tmp_path: Path) -> None:
    f = tmp_path / "s.toml"
    f.write_text('[scenario]\nname = "s"\n[uncertainty]\nparameters = ["fleet", "weather"]\n')
    with pytest.raises(InputError, match=r"uncertainty\.parameters") as caught:
        read(f)
    assert "routes" in str(caught.value)  # the message lists what is allowed
