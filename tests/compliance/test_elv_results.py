"""ELV targets (Directive 2000/53/EC Art. 7(2): from 1 Jan 2015 reuse/recovery at least 95 % and
reuse/recycling at least 85 % by average weight per vehicle; from 2006 85 % and 80 %) judged from
flowsheet results: reuse/recovery = product + recycled + energy recovery, reuse/recycling =
product + recycled, as shares of the vehicle's own mass (feed-origin kg of each output). Results
built by hand at both sides of the thresholds; one from a run of the shipped ELV routes."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from urbanmine.cli import app
from urbanmine.compliance.check import check_flowsheet
from urbanmine.errors import InputError

ON = dt.date(2026, 1, 1)


def result(reused: float, recycled: float, energy: float, landfill: float) -> dict[str, Any]:
    """A flowsheet result of a 1000 kg car: feed-origin kg by fate, reagent mass on top."""
    outputs = [
        {"name": "parts", "fate": "product", "mass_kg": reused, "battery_origin_kg": reused},
        {"name": "scrap", "fate": "recycled", "mass_kg": recycled, "battery_origin_kg": recycled},
        {
            "name": "asr",
            "fate": "energy_recovery",
            "mass_kg": 3 * energy,
            "battery_origin_kg": energy,
        },
        {"name": "fines", "fate": "landfill", "mass_kg": landfill, "battery_origin_kg": landfill},
        {"name": "flue", "fate": "emission", "mass_kg": 50.0, "battery_origin_kg": 0.0},
    ]
    return {
        "feed": {"name": "ICE-car", "mass_kg": 1000.0},
        "outputs": outputs,
        "counting": {"input_fraction_kg": 1000.0},
    }


def verdicts(res: dict[str, Any], on: dt.date = ON) -> dict[str, str]:
    found = check_flowsheet(res, on, elv=True)
    return {v.rule.split("/")[-1]: v.verdict for v in found.verdicts}


def test_both_sides_of_the_2015_thresholds() -> None:
    assert verdicts(result(50, 800, 100, 50)) == {
        "reuse-recovery": "pass",
        "reuse-recycling": "pass",
    }
    # reuse + recycling 84.99 %: fails only that rule
    assert verdicts(result(50, 799.9, 100.1, 50)) == {
        "reuse-recovery": "pass",
        "reuse-recycling": "fail",
    }
    # 50.1 kg landfilled: reuse/recovery 94.99 %
    assert verdicts(result(50, 800, 99.9, 50.1)) == {
        "reuse-recovery": "fail",
        "reuse-recycling": "pass",
    }


def test_energy_recovery_counts_for_recovery_only_and_reuse_for_both() -> None:
    assert verdicts(result(0, 600, 350, 50)) == {
        "reuse-recovery": "pass",
        "reuse-recycling": "fail",
    }
    assert verdicts(result(300, 550, 100, 50)) == {
        "reuse-recovery": "pass",
        "reuse-recycling": "pass",
    }


def test_the_2006_stage_has_the_lower_thresholds() -> None:
    """From 1 Jan 2006 to 2014: 85 % reuse/recovery, 80 % reuse/recycling (Art. 7(2)(a))."""
    res = result(0, 810, 50, 140)  # 86 % and 81 %
    assert verdicts(res, dt.date(2010, 1, 1)) == {
        "reuse-recovery": "pass",
        "reuse-recycling": "pass",
    }
    assert verdicts(res) == {"reuse-recovery": "fail", "reuse-recycling": "fail"}


@pytest.mark.parametrize(
    ("res", "kwargs", "named"),
    [
        ({"feed": {}, "outputs": []}, {"elv": True}, "ELV shares need"),
        (
            {**result(0, 900, 50, 50), "counting": {"input_fraction_kg": 0.0}},
            {"elv": True},
            "positive",
        ),
        (result(0, 900, 50, 50), {"elv": True, "weee_category": 4}, "not both"),
        (result(0, 900, 50, 50), {"elv": True, "counting": "element_capped"}, "counting"),
    ],
)
def test_bad_elv_input_is_named(res: dict[str, Any], kwargs: dict[str, Any], named: str) -> None:
    with pytest.raises(InputError, match=named):
        check_flowsheet(res, ON, **kwargs)


def test_comply_takes_a_car_result_and_flowsheet_judges_it(tmp_path: Path) -> None:
    runner = CliRunner()
    route = "elv_depollution+elv_dismantling+elv_shredding+asr"
    made = runner.invoke(app, ["flowsheet", "ICE-car", "--route", route, "--json"])
    assert made.exit_code == 0, made.output
    path = tmp_path / "car.json"
    path.write_text(made.output)
    r = runner.invoke(app, ["comply", str(path), "--on", "2026-01-01", "--elv", "--json"])
    assert r.exit_code == 0, r.output
    got = {v["rule"]: v for v in json.loads(r.output)["verdicts"]}
    assert set(got) == {
        "eu-elv-2000-53/targets/reuse-recovery",
        "eu-elv-2000-53/targets/reuse-recycling",
    }
    # a car's own mass cannot be recycled more than it is recovered
    rec = got["eu-elv-2000-53/targets/reuse-recovery"]["value"]
    assert got["eu-elv-2000-53/targets/reuse-recycling"]["value"] <= rec <= 1.0
    inline = runner.invoke(
        app, ["flowsheet", "ICE-car", "--route", route, "--comply", "--on", "2026-01-01", "--elv"]
    )
    assert inline.exit_code == 0 and "eu-elv-2000-53/targets/reuse-recycling" in inline.output
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps({"kind": "elv_treatment", "recovery_rates": {}}))
    bad = runner.invoke(app, ["comply", str(facts), "--on", "2026-01-01", "--elv"])
    assert bad.exit_code == 2 and "flowsheet results only" in bad.output
    unused = runner.invoke(app, ["flowsheet", "ICE-car", "--route", route, "--elv"])
    assert unused.exit_code == 2 and "--comply" in unused.output
