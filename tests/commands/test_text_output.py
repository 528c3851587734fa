"""What a person reads: the text output (no ``--json``) shows everything that was asked for,
names whole when piped, shares as percentages; ``comply --fail-on-fail`` exits 3 on a failed rule;
``flowsheet --comply`` and ``comply`` on the same result leave the same rules unchecked."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import RECYCLING_FACTS

UM = [sys.executable, "-m", "urbanmine.cli"]
FLOWSHEET = [
    "flowsheet", "NMC622-cell", "--route", "hydro", "--samples", "40", "--seed", "7",
    "--impacts", "--economics", "--comply", "--on", "2032-01-01",
]  # fmt: skip


def call(*args: str) -> subprocess.CompletedProcess[str]:
    """The command as a user pipes it (stdout is not a terminal)."""
    return subprocess.run([*UM, *args], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def runs() -> tuple[dict, str]:
    """The same Monte Carlo run (same seed) as JSON and as text."""
    as_json, as_text = call(*FLOWSHEET, "--json"), call(*FLOWSHEET)
    assert as_json.returncode == 0, as_json.stderr
    assert as_text.returncode == 0, as_text.stderr
    return json.loads(as_json.stdout), as_text.stdout


def test_text_labels_monte_carlo_means_and_gives_their_range(runs):
    d, text = runs
    assert f"mean of {d['samples']} samples" in text
    li = d["quantiles"]["recovery.Li"]
    # recovery as a percentage, with its p05-p95 range on the same line
    line = next(x for x in text.splitlines() if re.search(r"\bLi\b.*%", x))
    assert f"{d['recovery']['Li']:.1%}" in line
    assert f"{li['p05']:.1%} - {li['p95']:.1%}" in line
    assert f"{d['recycling_efficiency']:.1%}" in text


def test_text_shows_impacts_costs_with_currency_and_verdicts(runs):
    d, text = runs
    ghg = d["impacts"]["quantiles"]["ghg_kg_co2e"]
    assert re.search(rf"greenhouse gas .*kg CO2e .*{d['impacts']['ghg_kg_co2e']:.4g}", text)
    assert f"{ghg['p05']:.4g} - {ghg['p95']:.4g}" in text
    code = d["economics"]["currency"]["code"]  # the currency the costs are in, from the result
    assert re.search(rf"\bprofit\b.*\b{code}\b.*{d['economics']['profit_usd']:.4g}", text)
    assert (
        f"currency: {code} (equipment {d['economics']['currency']['equipment_dollar_year']}" in text
    )
    for v in d["compliance"]["verdicts"]:
        assert re.search(rf"^{v['verdict']}\s+{re.escape(v['rule'])}\b", text, re.M), v["rule"]


def test_text_says_how_outputs_were_counted(runs):
    d, text = runs
    assert f"counting: {d['counting']['rule'].replace('_', '-')}" in text
    assert f"{d['recycling_efficiency_element_capped']:.1%}" in text
    for o in d["outputs"]:
        for why in o["left_out"].values():
            assert why["why"] in text


def test_text_summary_counts_the_verdicts(runs):
    d, text = runs
    summary = next(x for x in text.splitlines() if x.startswith("summary:"))
    kinds = [v["verdict"] for v in d["compliance"]["verdicts"]]
    for kind in set(kinds):
        assert f"{kinds.count(kind)} {kind.replace('_', ' ')}" in summary
    assert f"{len(d['compliance']['unchecked'])} unchecked" in summary


def test_names_are_whole_when_piped(runs):
    d, text = runs
    assert "…" not in text
    for o in d["outputs"]:
        assert re.search(rf"^\S+ {re.escape(o['name'])} +\S+ {o['fate']} ", text, re.M), o["name"]
    for row in d["impacts"]["contributions"]:
        assert re.search(rf"{re.escape(row['unit'])} +\S+ {re.escape(row['input'])} ", text)


def test_flowsheet_comply_and_comply_leave_the_same_rules_unchecked(runs, tmp_path: Path):
    d, _ = runs
    result = tmp_path / "result.json"
    result.write_text(json.dumps(d))
    r = call("comply", str(result), "--on", "2032-01-01", "--json")
    assert r.returncode == 0, r.stderr
    comply = json.loads(r.stdout)
    assert comply["unchecked"]  # MIIT 2024 impurity limits need facts a flowsheet lacks
    assert comply["unchecked"] == d["compliance"]["unchecked"]
    assert comply["verdicts"] == d["compliance"]["verdicts"]


FACTS = RECYCLING_FACTS
"""65 % efficiency, 60 % Li and 95 % Co recovered. Annex XII of (EU) 2023/1542: lithium-based
efficiency at least 65 % from 31 Dec 2025 and 70 % from 31 Dec 2030 (Part B); Li recovery 50 %
from 31 Dec 2027 and 80 % from 31 Dec 2031, Co 90 % then 95 % (Part C). So every rule passes in
2030 and efficiency and Li fail in 2032."""


@pytest.mark.parametrize(
    ("on", "flag", "code"),
    [
        ("2030-01-01", True, 0),  # all pass
        ("2032-01-01", False, 0),  # rules fail, but no flag: the report is the result
        ("2032-01-01", True, 3),  # a rule fails: exit 3, distinct from 1 (bug) and 2 (input)
    ],
)
def test_comply_fail_on_fail_exit_code(tmp_path: Path, on: str, flag: bool, code: int):
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps(FACTS))
    args = ["comply", str(facts), "--on", on, "--ruleset", "eu-2023-1542"]
    r = call(*args, *(["--fail-on-fail"] if flag else []))
    assert r.returncode == code, r.stderr
    fails = 2 if on.startswith("2032") else 0
    assert re.search(
        rf"^summary: .*\b{fails} fail\b" if fails else r"^summary: (?!.*fail)", r.stdout, re.M
    )
    # the JSON is printed whole before the exit code says a rule failed
    j = call(*args, "--json", *(["--fail-on-fail"] if flag else []))
    assert j.returncode == code
    assert [v["verdict"] for v in json.loads(j.stdout)["verdicts"]].count("fail") == fails
