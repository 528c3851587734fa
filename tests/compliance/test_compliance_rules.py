"""Rule data and verdict semantics. Expected thresholds and dates are the regulation's, as cited in
/work/shared/reference/regulation-passport.md (RP) and other-loops.md (OL); never our own output."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from urbanmine.compliance import load_ruleset, ruleset_names
from urbanmine.compliance.engine import judge
from urbanmine.compliance.model import meets
from urbanmine.compliance.workdays import WorkCalendar

D = dt.date
DAY = dt.timedelta(days=1)

# (rule id, first day of the stage, threshold), from the reference tables.
CITED = [
    # RP §1.4, Annex XII Part B: "by 31 Dec 2025 / by 31 Dec 2030"
    ("eu-2023-1542/recycling-efficiency/lead-acid", D(2025, 12, 31), 0.75),
    ("eu-2023-1542/recycling-efficiency/lead-acid", D(2030, 12, 31), 0.80),
    ("eu-2023-1542/recycling-efficiency/lithium", D(2025, 12, 31), 0.65),
    ("eu-2023-1542/recycling-efficiency/lithium", D(2030, 12, 31), 0.70),
    ("eu-2023-1542/recycling-efficiency/nickel-cadmium", D(2025, 12, 31), 0.80),
    ("eu-2023-1542/recycling-efficiency/other", D(2025, 12, 31), 0.50),
    # RP §1.5, Annex XII Part C: by 31 Dec 2027 / 31 Dec 2031
    *[
        (f"eu-2023-1542/material-recovery/{m}", D(2027, 12, 31), 0.90)
        for m in ("Co", "Cu", "Pb", "Ni")
    ],
    *[
        (f"eu-2023-1542/material-recovery/{m}", D(2031, 12, 31), 0.95)
        for m in ("Co", "Cu", "Pb", "Ni")
    ],
    ("eu-2023-1542/material-recovery/Li", D(2027, 12, 31), 0.50),
    ("eu-2023-1542/material-recovery/Li", D(2031, 12, 31), 0.80),
    # RP §1.6, Art. 8(2)/(3): from 18 Aug 2031 / 18 Aug 2036
    ("eu-2023-1542/recycled-content/Co", D(2031, 8, 18), 0.16),
    ("eu-2023-1542/recycled-content/Co", D(2036, 8, 18), 0.26),
    ("eu-2023-1542/recycled-content/Pb", D(2031, 8, 18), 0.85),
    ("eu-2023-1542/recycled-content/Pb", D(2036, 8, 18), 0.85),
    ("eu-2023-1542/recycled-content/Li", D(2031, 8, 18), 0.06),
    ("eu-2023-1542/recycled-content/Li", D(2036, 8, 18), 0.12),
    ("eu-2023-1542/recycled-content/Ni", D(2031, 8, 18), 0.06),
    ("eu-2023-1542/recycled-content/Ni", D(2036, 8, 18), 0.15),
    # RP §1.3, Art. 59: portable 45/63/73 %, LMT 51/61 %
    ("eu-2023-1542/collection/portable", D(2023, 12, 31), 0.45),
    ("eu-2023-1542/collection/portable", D(2027, 12, 31), 0.63),
    ("eu-2023-1542/collection/portable", D(2030, 12, 31), 0.73),
    ("eu-2023-1542/collection/lmt", D(2028, 12, 31), 0.51),
    ("eu-2023-1542/collection/lmt", D(2031, 12, 31), 0.61),
    # RP §1.2, Art. 77(1): > 2 kWh industrial, 18 Feb 2027
    ("eu-2023-1542/passport/scope", D(2027, 2, 18), 2.0),
    # RP §1.1, Art. 3(9), 3(11): 5 kg, 25 kg
    ("eu-2023-1542/category/portable", D(2024, 2, 18), 5.0),
    ("eu-2023-1542/category/lmt", D(2024, 2, 18), 25.0),
    # RP §3.3, MIIT 2019 and 2024 editions
    ("cn-miit-2019/recovery/Li", D(2019, 12, 16), 0.85),
    *[(f"cn-miit-2019/recovery/{m}", D(2019, 12, 16), 0.98) for m in ("Ni", "Co", "Mn")],
    ("cn-miit-2024/recovery/Li", D(2024, 12, 24), 0.90),
    *[(f"cn-miit-2024/recovery/{m}", D(2024, 12, 24), 0.98) for m in ("Ni", "Co", "Mn")],
    ("cn-miit-2024/recovery/electrode-powder", D(2024, 12, 24), 0.98),
    ("cn-miit-2024/recovery/material-repair", D(2024, 12, 24), 0.99),
    ("cn-miit-2024/impurity/Al", D(2024, 12, 24), 0.015),
    ("cn-miit-2024/impurity/Cu", D(2024, 12, 24), 0.015),
    # RP §3.2, traceability provisions Art. 9-15 (working days), from 2018-08-01
    ("cn-traceability-2018/vehicle-maker/battery-binding", D(2018, 8, 1), 15),
    ("cn-traceability-2018/importer/battery-binding", D(2018, 8, 1), 15),
    ("cn-traceability-2018/vehicle-maker/repair-replacement", D(2018, 8, 1), 30),
    ("cn-traceability-2018/vehicle-maker/collection-in", D(2018, 8, 1), 30),
    ("cn-traceability-2018/vehicle-maker/collection-out", D(2018, 8, 1), 30),
    ("cn-traceability-2018/dismantler/vehicle-received", D(2018, 8, 1), 15),
    ("cn-traceability-2018/dismantler/battery-handover", D(2018, 8, 1), 15),
    ("cn-traceability-2018/cascade-user/product-out", D(2018, 8, 1), 15),
    ("cn-traceability-2018/cascade-user/waste-in", D(2018, 8, 1), 15),
    ("cn-traceability-2018/cascade-user/waste-out", D(2018, 8, 1), 15),
    ("cn-traceability-2018/recycler/received", D(2018, 8, 1), 30),
    ("cn-traceability-2018/recycler/disposal-complete", D(2018, 8, 1), 30),
    # OL §1.4, WEEE Annex V Part 3 from 15 Aug 2018
    ("eu-weee-2012-19/recovery/cat1", D(2018, 8, 15), 0.85),
    ("eu-weee-2012-19/reuse-recycling/cat1", D(2018, 8, 15), 0.80),
    ("eu-weee-2012-19/recovery/cat4", D(2018, 8, 15), 0.85),
    ("eu-weee-2012-19/reuse-recycling/cat4", D(2018, 8, 15), 0.80),
    ("eu-weee-2012-19/recovery/cat2", D(2018, 8, 15), 0.80),
    ("eu-weee-2012-19/reuse-recycling/cat2", D(2018, 8, 15), 0.70),
    ("eu-weee-2012-19/recycling/cat3", D(2018, 8, 15), 0.80),
    ("eu-weee-2012-19/recovery/cat5", D(2018, 8, 15), 0.75),
    ("eu-weee-2012-19/reuse-recycling/cat5", D(2018, 8, 15), 0.55),
    ("eu-weee-2012-19/recovery/cat6", D(2018, 8, 15), 0.75),
    ("eu-weee-2012-19/reuse-recycling/cat6", D(2018, 8, 15), 0.55),
    # OL §2.3, ELV Art. 7(2): 85/80 % from 2006, 95/85 % from 2015
    ("eu-elv-2000-53/targets/reuse-recovery", D(2006, 1, 1), 0.85),
    ("eu-elv-2000-53/targets/reuse-recovery", D(2015, 1, 1), 0.95),
    ("eu-elv-2000-53/targets/reuse-recycling", D(2006, 1, 1), 0.80),
    ("eu-elv-2000-53/targets/reuse-recycling", D(2015, 1, 1), 0.85),
]


def rule(rule_id: str):  # type: ignore[no-untyped-def]
    return load_ruleset(rule_id.split("/")[0]).rule(rule_id)


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


@pytest.mark.parametrize(("rule_id", "start", "threshold"), CITED)
def test_cited_threshold_applies_from_its_day_not_the_day_before(
    rule_id: str, start: dt.date, threshold: float
) -> None:
    r = rule(rule_id)
    assert r.stage_on(start) is not None
    assert r.stage_on(start).threshold == pytest.approx(threshold, rel=0, abs=0)  # type: ignore[union-attr]
    before = r.stage_on(start - DAY)
    assert before is None or before.applies_from < start


def test_every_shipped_rule_is_cited_in_a_test() -> None:
    cited = {rid for rid, _, _ in CITED}
    shipped = {r.id for n in ruleset_names() for r in load_ruleset(n).rules}
    assert shipped == cited


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
