"""WEEE targets (Directive 2012/19/EU Annex V Part 3, from 15 Aug 2018) judged from flowsheet
results: recovery = product + recycled + energy recovery, prepared for re-use and recycled =
product + recycled, as shares of the feed's mass (feed-origin kg of each output). Results built
by hand at both sides of the category 5/6 thresholds (recovered 75 %, re-use + recycling 55 %:
Annex V Part 3; ElektroG §22; COM(2017) 173); the verdicts say they are for the treated fraction."""

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


def result(recycled: float, energy: float, landfill: float) -> dict[str, Any]:
    """A flowsheet result of 1 kg of boards: feed-origin kg by fate (and reagent mass on top)."""
    outputs = [
        {"name": "metal", "fate": "product", "mass_kg": recycled, "battery_origin_kg": recycled},
        {
            "name": "gas",
            "fate": "energy_recovery",
            "mass_kg": energy * 3,
            "battery_origin_kg": energy,
        },
        {"name": "slag", "fate": "landfill", "mass_kg": landfill, "battery_origin_kg": landfill},
    ]
    return {
        "feed": {"name": "PCB-computer", "mass_kg": 1.0},
        "outputs": outputs,
        "counting": {"input_fraction_kg": 1.0},
    }


def verdicts(res: dict[str, Any], category: int = 6) -> dict[str, str]:
    found = check_flowsheet(res, ON, weee_category=category)
    for v in found.verdicts:
        assert "treated" in v.note and "not the whole appliance" in v.note
    return {v.rule.split("/")[1]: v.verdict for v in found.verdicts}


@pytest.mark.parametrize("category", [5, 6])
def test_both_sides_of_the_small_equipment_thresholds(category: int) -> None:
    assert verdicts(result(0.55, 0.20, 0.25), category) == {
        "recovery": "pass",
        "reuse-recycling": "pass",
    }
    assert verdicts(result(0.5499, 0.2001, 0.25), category) == {
        "recovery": "pass",
        "reuse-recycling": "fail",
    }
    assert verdicts(result(0.55, 0.1999, 0.2501), category) == {
        "recovery": "fail",
        "reuse-recycling": "pass",
    }


def test_energy_recovery_counts_for_recovery_but_not_for_recycling() -> None:
    assert verdicts(result(0.30, 0.50, 0.20)) == {"recovery": "pass", "reuse-recycling": "fail"}


def test_large_equipment_has_its_own_thresholds() -> None:
    """Category 4: recovered 85 %, re-use + recycling 80 % (Annex V Part 3)."""
    assert verdicts(result(0.80, 0.04, 0.16), 4) == {"recovery": "fail", "reuse-recycling": "pass"}


@pytest.mark.parametrize(
    ("res", "category", "named"),
    [
        (result(0.5, 0.2, 0.3), 7, "WEEE category"),
        ({"feed": {}, "outputs": []}, 6, "input_fraction_kg"),
        ({**result(0.5, 0.2, 0.3), "counting": {"input_fraction_kg": 0.0}}, 6, "positive"),
    ],
)
def test_bad_weee_input_is_named(res: dict[str, Any], category: int, named: str) -> None:
    with pytest.raises(InputError, match=named):
        check_flowsheet(res, ON, weee_category=category)


def test_comply_takes_a_board_result_with_its_category(tmp_path: Path) -> None:
    runner = CliRunner()
    made = runner.invoke(app, ["flowsheet", "PCB-computer", "--route", "pcb_smelter", "--json"])
    assert made.exit_code == 0, made.output
    path = tmp_path / "boards.json"
    path.write_text(made.output)
    r = runner.invoke(app, ["comply", str(path), "--on", "2026-01-01", "--weee-category", "6"])
    assert r.exit_code == 0, r.output
    assert "eu-weee-2012-19/recovery/cat6" in r.output and "treated" in r.output
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps({"kind": "weee_treatment", "category": 6}))
    bad = runner.invoke(app, ["comply", str(facts), "--on", "2026-01-01", "--weee-category", "6"])
    assert bad.exit_code == 2 and "flowsheet results only" in bad.output
