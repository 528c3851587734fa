"""Verdicts cite the legal text: every verdict's ``legal`` starts with the official citation of the
act its rule set declares, that citation has the form of a reference to that act (worked out from
the rule set's id, not copied from our output), and ``source`` names the act and is no internal
note."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from urbanmine.compliance.engine import judge
from urbanmine.compliance.rules import load_ruleset, ruleset_names

INTERNAL_NOTE = re.compile(r"\.md\b|shared/|NOTES|\[[SVM]\b|\bK\d+\b|assumed|lead's estimate")
"""What an internal note looks like: a notes file, a reference-file key, a confidence tag."""


def act_reference(ruleset_id: str) -> re.Pattern[str]:
    """The form a citation of the rule set's act takes, from the rule set id.

    ``eu-<...>-<year>-<number>``: an EU regulation ``(EU) <year>/<number>`` or directive
    ``<year>/<number>/EU|EC``, with its Official Journal reference (``OJ L <issue>, d.m.yyyy``).
    ``cn-<...>-<year>``: a Chinese measure by its official name in title marks 《...》, issued by the
    MIIT, with the year of the rule set in the name or the issue date.
    """
    parts = ruleset_id.split("-")
    if parts[0] == "eu":
        year, number = parts[-2], parts[-1]
        act = rf"(\(EU\) {year}/{number}\b|\b{year}/{number}/E[UC]\b)"
        return re.compile(rf"{act}.*\(OJ L \d+, \d{{1,2}}\.\d{{1,2}}\.{year}, p\. \d+\)")
    if parts[0] == "cn":
        year = parts[-1]
        return re.compile(rf"《[^》]+》.*MIIT.*{year}|《[^》]*{year}[^》]*》.*MIIT")
    raise AssertionError(f"no citation form known for rule set {ruleset_id!r}")


def act_number(ruleset_id: str) -> str:
    """What a source must contain to name the act: ``2023/1542`` (EU) or the title marks (CN)."""
    parts = ruleset_id.split("-")
    return f"{parts[-2]}/{parts[-1]}" if parts[0] == "eu" else "《"


@pytest.mark.parametrize("name", ruleset_names())
def test_each_rule_set_declares_its_act_as_an_official_citation(name: str):
    rs = load_ruleset(name)
    assert act_reference(rs.id).search(rs.act), rs.act
    assert not INTERNAL_NOTE.search(rs.source), rs.source


@pytest.mark.parametrize("name", ruleset_names())
def test_every_verdict_names_the_act_in_legal_and_source(name: str):
    rs = load_ruleset(name)
    for rule in rs.rules:
        stage = rule.stages_for()[-1]
        v = judge(rs, rule, stage.applies_from + dt.timedelta(days=1), stage.threshold)
        assert v.legal.startswith(f"{rs.act}: ") and v.legal.endswith(rule.legal), v.legal
        assert act_reference(rs.id).search(v.legal), v.legal
        assert act_number(rs.id) in v.source, (rule.id, v.source)
        assert not INTERNAL_NOTE.search(v.source), (rule.id, v.source)


def test_acts_and_notices_cite_publications_not_notes():
    for name in ruleset_names():
        rs = load_ruleset(name)
        for key, act in rs.acts.items():
            assert not INTERNAL_NOTE.search(act.source), (name, key, act.source)
        for notice in rs.notices:
            assert not INTERNAL_NOTE.search(notice.source), (name, notice.source)
