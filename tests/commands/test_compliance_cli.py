"""``urbanmine comply``, ``code check`` and ``passport scope``: JSON shapes and exit codes
(0 success, 2 bad input with one message)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import RECYCLING_FACTS
from typer.testing import CliRunner

from urbanmine.cli import app

runner = CliRunner()

FACTS = RECYCLING_FACTS


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args))


@pytest.fixture
def facts_json(tmp_path: Path) -> Path:
    p = tmp_path / "facts.json"
    p.write_text(json.dumps(FACTS))
    return p


def test_comply_json(facts_json: Path) -> None:
    r = invoke(
        "comply", str(facts_json), "--on", "2030-01-01", "--ruleset", "eu-2023-1542", "--json"
    )
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["on"] == "2030-01-01"
    v = {x["rule"]: x for x in d["verdicts"]}
    # 650 / 1000 = 65 %: "at least 65 %" (Annex XII Part B, lithium-based, by 31 Dec 2025)
    eff = v["eu-2023-1542/recycling-efficiency/lithium"]
    assert (
        eff["verdict"] == "pass"
        and eff["threshold"] == 0.65
        and eff["applies_from"] == "2025-12-31"
    )
    assert v["eu-2023-1542/material-recovery/Li"]["value"] == pytest.approx(0.6)
    assert all(x["rule"].startswith("eu-2023-1542/") for x in d["verdicts"])


def test_comply_toml_facts(tmp_path: Path) -> None:
    p = tmp_path / "producer.toml"
    p.write_text(
        'kind = "producer"\ncategory = "portable"\n'
        "[collected_t]\n2027 = 63.0\n[placed_on_market_t]\n2025 = 90.0\n2026 = 100.0\n2027 = 110.0\n"
    )
    r = invoke("comply", str(p), "--on", "2028-01-01", "--json")
    assert r.exit_code == 0, r.output
    v = [x for x in json.loads(r.stdout)["verdicts"] if x["rule"].endswith("/portable")]
    assert v[0]["verdict"] == "pass" and v[0]["value"] == pytest.approx(0.63)


def test_comply_flowsheet_result(tmp_path: Path) -> None:
    r = invoke("flowsheet", "NMC622-cell", "--route", "hydro", "--json")
    assert r.exit_code == 0, r.output
    p = tmp_path / "result.json"
    p.write_text(r.stdout)
    r = invoke("comply", str(p), "--on", "2026-01-01", "--json")
    assert r.exit_code == 0, r.output
    rules = {x["rule"] for x in json.loads(r.stdout)["verdicts"]}
    assert "eu-2023-1542/recycling-efficiency/lithium" in rules
    assert "cn-miit-2024/recovery/Li" in rules


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--on", "2030-02-30"], "--on must be a date"),
        (["--on", "2030-01-01", "--ruleset", "eu-2006-66"], "unknown ruleset"),
        (["--on", "2030-01-01", "--ruleset", "eu-weee-2012-19"], "nothing to check"),
    ],
)
def test_comply_bad_input_exit_2(facts_json: Path, args: list[str], message: str) -> None:
    r = invoke("comply", str(facts_json), *args, "--json")
    assert r.exit_code == 2 and message in r.output


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "neither valid JSON nor TOML"),
        ('{"kind": "spaceship"}', "kind is one of"),
        ('{"kind": "battery", "category": "bus"}', "unknown battery category"),
        ('{"kind": "battery", "recycled_content_share": {"Co": 16}}', "fractions between 0 and 1"),
    ],
)
def test_comply_malformed_file_exit_2(tmp_path: Path, content: str, message: str) -> None:
    p = tmp_path / "bad.json"
    p.write_text(content)
    r = invoke("comply", str(p), "--on", "2030-01-01", "--json")
    assert r.exit_code == 2 and message in r.output


def test_comply_missing_file_exit_2(tmp_path: Path) -> None:
    r = invoke("comply", str(tmp_path / "nope.json"), "--on", "2030-01-01")
    assert r.exit_code == 2 and "cannot read" in r.output


def test_code_check_json() -> None:
    r = invoke("code", "check", "001PE01ABCDEFGF3A0000123", "--json")
    assert r.exit_code == 0
    d = json.loads(r.stdout)
    assert d["valid"] is True and d["errors"] == [] and d["fields"]["serial"]["value"] == 123
    r = invoke("code", "check", "001PE01", "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["valid"] is False


def test_passport_scope_json() -> None:
    r = invoke(
        "passport", "scope", "--category", "EV", "--kwh", "75", "--on", "2027-03-01", "--json"
    )
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["required"] is True and "Art. 77(1)" in d["reason"]
    r = invoke(
        "passport",
        "scope",
        "--category",
        "industrial",
        "--kwh",
        "2",
        "--on",
        "2027-03-01",
        "--json",
    )
    assert json.loads(r.stdout)["required"] is False
    r = invoke("passport", "scope", "--category", "tram", "--on", "2027-03-01", "--json")
    assert r.exit_code == 2 and "unknown battery category" in r.output
    r = invoke("passport", "scope", "--category", "industrial", "--on", "2027-03-01", "--json")
    assert r.exit_code == 2 and "kWh" in r.output


def test_counting_options_change_the_verdict_and_say_so(tmp_path: Path) -> None:
    """The same NMC622 hydro result: the law's battery-origin counting fails the 65 % target
    (oxygen and hydrogen of the hydroxides are NaOH's), the element-capped upper bound passes it;
    both name the counting in the verdict and in the output's ``counting``."""
    from urbanmine.materials.feeds import get_feed
    from urbanmine.routes.run import run

    result = tmp_path / "r.json"
    d = run(get_feed("NMC622-cell").scaled(mass_kg=1.0), "hydro").to_dict()
    result.write_text(json.dumps(d))
    rule = "eu-2023-1542/recycling-efficiency/lithium"
    seen = {}
    for counting in ("battery_origin", "element_capped"):
        out = CliRunner().invoke(
            app, ["comply", str(result), "--on", "2026-06-01", "--counting", counting, "--json"]
        )
        assert out.exit_code == 0, out.output
        body = json.loads(out.stdout)
        assert body["counting"]["counting"] == counting
        seen[counting] = next(v for v in body["verdicts"] if v["rule"] == rule)
        assert counting in seen[counting]["note"]
    assert seen["battery_origin"]["verdict"] == "fail"
    assert seen["element_capped"]["verdict"] == "pass"
    bad = CliRunner().invoke(app, ["comply", str(result), "--on", "2026-06-01", "--counting", "x"])
    assert bad.exit_code == 2 and "battery_origin" in bad.output
