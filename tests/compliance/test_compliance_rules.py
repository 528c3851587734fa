"""Rule data and verdict semantics. Expected thresholds and dates are the regulation's (the full
table of legal dates and both sides of every stage boundary: test_rule_dates.py); never our own
output."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from urbanmine.compliance import load_ruleset, ruleset_names
from urbanmine.compliance.engine import judge
from urbanmine.compliance.model import meets
from urbanmine.compliance.workdays import WorkCalendar

D = dt.date
DAY = dt.timedelta(days=1)


def test_all_rule_sets_load_with_sources() -> None:
    assert set(ruleset_names()) == {
        "eu-2023-1542",
        "cn-miit-2019",
        "cn-miit-2024",
        "cn-traceability-2018",
        "eu-weee-2012-19",
        "eu-elv-2000-53",
    }
    for name in ruleset_names():
        rs = load_ruleset(name)
        for r in rs.rules:
            assert r.source and r.legal and r.stages, r.id


def test_inclusive_and_strict_comparisons() -> None:
    # "at least 65 %": exactly 65 % passes, also when computed with rounding (650/1000)
    assert meets(650 / 1000, "at_least", 0.65)
    assert meets(0.1 + 0.55, "at_least", 0.65)  # 0.6500000000000001 in binary
    assert meets(0.1 * 6.5, "at_least", 0.65)  # 0.65 rounded the other way
    assert not meets(0.6499, "at_least", 0.65)
    # "lower than 1.5 %" (MIIT 2024 impurity): exactly 1.5 % fails
    assert not meets(0.015, "less_than", 0.015)
    assert meets(0.0149, "less_than", 0.015)
    assert meets(15, "at_most", 15) and not meets(16, "at_most", 15)
    assert not meets(2.0, "more_than", 2.0) and meets(2.01, "more_than", 2.0)


def test_dated_verdicts_day_before_and_day_of_application() -> None:
    rs = load_ruleset("eu-2023-1542")
    r = rs.rule("eu-2023-1542/recycling-efficiency/lithium")
    before = judge(rs, r, D(2025, 12, 30), 0.65)
    assert before.verdict == "not_yet_applicable"
    assert before.applies_from == D(2025, 12, 31) and before.threshold == 0.65
    on_day = judge(rs, r, D(2025, 12, 31), 0.65)
    assert on_day.verdict == "pass" and on_day.threshold == 0.65
    assert judge(rs, r, D(2025, 12, 31), 0.6499).verdict == "fail"
    # the 70 % stage takes over on 31 Dec 2030 (Annex XII Part B(2)(b))
    assert judge(rs, r, D(2030, 12, 30), 0.68).verdict == "pass"
    late = judge(rs, r, D(2030, 12, 31), 0.68)
    assert late.verdict == "fail" and late.threshold == 0.70


def test_superseded_edition_is_not_applicable() -> None:
    """MIIT 2019 (Li >= 85 %) until the 2024 edition (Li >= 90 %) of 2024-12-24."""
    old, new = load_ruleset("cn-miit-2019"), load_ruleset("cn-miit-2024")
    li_old, li_new = old.rule("cn-miit-2019/recovery/Li"), new.rule("cn-miit-2024/recovery/Li")
    assert judge(old, li_old, D(2024, 12, 23), 0.87).verdict == "pass"
    assert judge(new, li_new, D(2024, 12, 23), 0.87).verdict == "not_yet_applicable"
    gone = judge(old, li_old, D(2024, 12, 24), 0.87)
    assert gone.verdict == "not_applicable" and "cn-miit-2024" in gone.note
    assert judge(new, li_new, D(2024, 12, 24), 0.87).verdict == "fail"
    assert judge(new, li_new, D(2024, 12, 24), 0.90).verdict == "pass"


def test_verdict_json_has_the_issue_fields() -> None:
    rs = load_ruleset("eu-2023-1542")
    v = judge(rs, rs.rule("eu-2023-1542/material-recovery/Li"), D(2028, 1, 1), 0.5).to_json()
    for key in ("rule", "verdict", "value", "threshold", "applies_from", "source"):
        assert key in v
    assert v["verdict"] == "pass" and v["applies_from"] == "2027-12-31"


# --- invariants -----------------------------------------------------------------------------

shares = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)


@given(shares, shares, shares)
def test_more_recovered_never_turns_pass_into_fail(a: float, b: float, threshold: float) -> None:
    low, high = sorted((a, b))
    if meets(low, "at_least", threshold):
        assert meets(high, "at_least", threshold)
    if meets(high, "less_than", threshold):
        assert meets(low, "less_than", threshold)


@given(
    st.dates(min_value=D(2020, 1, 1), max_value=D(2030, 12, 31)),
    st.integers(min_value=1, max_value=40),
    st.sets(st.dates(min_value=D(2020, 1, 1), max_value=D(2031, 6, 30)), max_size=20),
    st.sets(st.dates(min_value=D(2020, 1, 1), max_value=D(2031, 6, 30)), max_size=5),
)
def test_deadline_is_exactly_n_working_days_after(
    start: dt.date, n: int, holidays: set[dt.date], workdays: set[dt.date]
) -> None:
    cal = WorkCalendar().with_days(holidays, workdays)
    deadline = cal.add_working_days(start, n)
    assert cal.is_working_day(deadline)
    assert cal.working_days_between(start, deadline) == n
    assert cal.working_days_between(start, deadline - DAY) == n - 1
