"""Edges of the compliance checks that mutation testing found untested (docs/testing.md): exact
days, zero masses, scope limits, and the fields every verdict carries. Expected values follow from
the legal text cited per test, applied by hand."""

from __future__ import annotations

import datetime as dt

import pytest

from urbanmine.compliance import check_facts, collection_rate, load_ruleset, parse_facts
from urbanmine.compliance.battery import (
    active_metals,
    check_passport,
    check_recycled_content,
    passport_scope,
)
from urbanmine.compliance.collection import check_collection
from urbanmine.compliance.engine import judge
from urbanmine.compliance.model import Act, Notice, RuleSet
from urbanmine.compliance.recycling import (
    check_efficiency,
    check_recovery,
    counted_masses,
    efficiency_class,
    ratio,
)
from urbanmine.compliance.rules import select
from urbanmine.errors import InputError

D = dt.date
EU = "eu-2023-1542"
SHARES = {"Co": 0.16, "Li": 0.06, "Ni": 0.06}


def by_rule(verdicts):  # type: ignore[no-untyped-def]
    return {v.rule: v for v in verdicts}


def eu() -> RuleSet:
    return load_ruleset(EU)


def with_act(rs: RuleSet, name: str, in_force: dt.date | None) -> RuleSet:
    acts = dict(rs.acts)
    acts[name] = Act(title=f"act {name}", in_force=in_force, source="test: act dated by hand")
    return rs.model_copy(update={"acts": acts})


def with_notice(rs: RuleSet, start: dt.date, text: str) -> RuleSet:
    notice = Notice.model_validate({"from": start, "text": text, "source": "test"})
    return rs.model_copy(update={"notices": (*rs.notices, notice)})


# --- the verdict and its fields ----------------------------------------------------------------


def test_every_verdict_carries_the_rules_unit_legal_basis_and_source() -> None:
    """Art. 77(1) is a capacity rule in kWh; Annex XII Part B a share; the verdict says so."""
    rs = eu()
    passport = judge(rs, rs.rule(f"{EU}/passport/scope"), D(2027, 2, 18), True)
    # legal = the rule set's act, then the rule's article (the act is named in every verdict)
    assert passport.unit == "kWh" and passport.legal == f"{rs.act}: Art. 77(1)"
    assert passport.comparison == "more_than"
    assert "Art. 77(1)" in passport.source
    eff = judge(rs, rs.rule(f"{EU}/recycling-efficiency/lithium"), D(2026, 1, 1), 0.7)
    assert eff.unit == "fraction" and eff.comparison == "at_least"
    assert "Annex XII Part B" in eff.legal
    assert eff.note == ""  # nothing to add to a plain pass
    for name in ("cn-miit-2024", "cn-traceability-2018", "eu-elv-2000-53"):
        ruleset = load_ruleset(name)
        for r in ruleset.rules:
            v = judge(ruleset, r, D(2026, 6, 1), r.stages[-1].threshold)
            assert (v.unit, v.legal, v.source, v.comparison) == (
                r.unit,
                f"{ruleset.act}: {r.legal}",
                r.source,
                r.comparison,
            )


def test_a_bool_value_passes_when_true() -> None:
    """Art. 77(1): an EV battery placed on the market on 18 Feb 2027 with a passport passes."""
    rs = eu()
    found = check_passport(rs, D(2027, 2, 18), "ev", 75, True)
    assert found.verdicts[0].verdict == "pass"
    assert found.verdicts[0].value is True


def test_a_verdict_needs_a_value_or_a_pending_reason() -> None:
    rs = load_ruleset("eu-elv-2000-53")
    with pytest.raises(ValueError, match="needs a value"):
        judge(rs, rs.rules[0], D(2020, 1, 1), None)


def test_a_category_no_stage_covers_is_not_applicable() -> None:
    """Art. 8 has no stage for portable batteries."""
    rs = eu()
    v = judge(rs, rs.rule(f"{EU}/recycled-content/Co"), D(2040, 1, 1), 0.5, category="portable")
    assert v.verdict == "not_applicable"
    assert v.note == "the rule does not cover category 'portable'"
    assert v.threshold is None and v.applies_from is None


def test_a_superseded_rule_without_successor_says_only_its_last_day() -> None:
    rs = load_ruleset("cn-miit-2019")
    rule = rs.rules[0].model_copy(update={"superseded_by": ""})
    assert judge(rs, rule, D(2025, 1, 1), 0.9).note == "no longer applies after 2024-12-23"


def test_a_rule_applies_on_the_day_its_act_enters_into_force() -> None:
    """A rule that depends on a delegated act is pending until the act is in force, and judged on
    the very day it enters into force."""
    rs = with_act(eu(), "recycled-content-methodology", D(2032, 3, 1))
    rule = rs.rule(f"{EU}/recycled-content/Co")
    before = judge(rs, rule, D(2032, 2, 29), 0.10, category="ev")
    assert before.verdict == "pending"
    assert before.note == (
        "depends on act recycled-content-methodology, in force only from 2032-03-01; "
        "the value would fail"
    )
    assert before.threshold == 0.16 and before.applies_from == D(2031, 8, 18)
    assert judge(rs, rule, D(2032, 3, 1), 0.10, category="ev").verdict == "fail"
    assert judge(rs, rule, D(2032, 3, 1), 0.16, category="ev").verdict == "pass"


def test_a_rule_whose_act_is_not_adopted_is_pending_with_the_status_date() -> None:
    rs = eu()  # the Art. 8(1) methodology act has no in_force date in the shipped data
    v = judge(rs, rs.rule(f"{EU}/recycled-content/Ni"), D(2031, 8, 18), 0.06, category="ev")
    assert v.verdict == "pending"
    assert f"not adopted as of {rs.status_as_of.isoformat()}" in v.note
    assert v.note.endswith("; the value would pass")


def test_a_notice_is_added_from_its_first_day_to_every_verdict() -> None:
    """cn-traceability-2018's notice about the 2026 Interim Measures applies from 2026-04-01."""
    rs = load_ruleset("cn-traceability-2018")
    notice = rs.notices[0]
    rule = rs.rules[0]
    assert notice.text not in judge(rs, rule, notice.applies_from - dt.timedelta(1), 10).note
    assert judge(rs, rule, notice.applies_from, 10).note == notice.text
    with_reason = judge(rs, rule, notice.applies_from, None, pending="not reported yet")
    assert with_reason.note == f"not reported yet; {notice.text}"


def test_out_of_scope_verdicts_carry_the_rule_sets_notices_too() -> None:
    rs = with_notice(eu(), D(2030, 1, 1), "NOTICE")
    recovery = check_recovery(rs, D(2030, 1, 1), {}, {"Pb"})
    pb = by_rule(recovery.verdicts)[f"{EU}/material-recovery/Pb"]
    assert pb.verdict == "not_applicable" and pb.note == "no Pb in the input; NOTICE"
    rc = check_recycled_content(rs, D(2030, 1, 1), "ev", 60, False, "LFP", {"Li": 0.1})
    assert by_rule(rc.verdicts)[f"{EU}/recycled-content/Co"].note.endswith("; NOTICE")
    coll = check_collection(rs, D(2030, 1, 1), "portable", {2027: 63.0}, POM)
    lmt = by_rule(coll.verdicts)[f"{EU}/collection/lmt"]
    assert lmt.verdict == "not_applicable" and lmt.note.endswith("; NOTICE")
    assert lmt.note.startswith("the producer reports portable batteries")
    passport = check_passport(rs, D(2030, 1, 1), "portable", None, False).verdicts[0]
    assert passport.verdict == "not_applicable" and passport.note.endswith("; NOTICE")


def test_select_returns_only_the_named_rule_sets() -> None:
    assert [rs.id for rs in select(["cn-miit-2019"])] == ["cn-miit-2019"]
    assert len(select(None)) == 6
    with pytest.raises(InputError, match="unknown ruleset 'eu'"):
        select(["eu"])


# --- batteries: categories, passport, recycled content -----------------------------------------


def test_category_mass_limits_of_each_category_only() -> None:
    """Art. 3(11): an LMT battery is "25 kg or less"; its check judges the LMT limit only."""
    lmt = by_rule(
        check_facts(
            parse_facts({"kind": "battery", "category": "lmt", "mass_kg": 25.0}), D(2025, 1, 1)
        ).verdicts
    )
    assert lmt[f"{EU}/category/lmt"].verdict == "pass"
    assert f"{EU}/category/portable" not in lmt
    heavy = parse_facts({"kind": "battery", "category": "lmt", "mass_kg": 25.1})
    assert (
        by_rule(check_facts(heavy, D(2025, 1, 1)).verdicts)[f"{EU}/category/lmt"].verdict == "fail"
    )
    unknown_mass = check_facts(
        parse_facts({"kind": "battery", "category": "portable"}), D(2025, 1, 1)
    )
    assert {"rule": f"{EU}/category/portable", "missing": "mass_kg"} in unknown_mass.unchecked
    assert {"rule": f"{EU}/passport/scope", "missing": "has_passport"} in unknown_mass.unchecked


@pytest.mark.parametrize(
    ("category", "kwh", "required", "reason"),
    [
        ("industrial", 0.0, False, "this one has 0 kWh"),  # zero capacity: out of scope, no error
        ("EV", 75, True, "each EV battery placed"),
        ("lmt", None, True, "each LMT battery placed"),
        ("bess", 3, True, "each industrial battery placed"),
        ("portable", None, False, "a portable battery needs no passport"),
    ],
)
def test_passport_scope_reasons(
    category: str, kwh: float | None, required: bool, reason: str
) -> None:
    scope = passport_scope(category, kwh, D(2027, 2, 18))
    assert scope.required is required
    assert reason in scope.reason
    assert scope.rule == f"{EU}/passport/scope" and scope.applies_from == D(2027, 2, 18)


def test_negative_capacity_is_bad_input() -> None:
    with pytest.raises(InputError, match=r"capacity must not be negative, got -0.5 kWh"):
        passport_scope("ev", -0.5, D(2028, 1, 1))


def test_check_passport_for_out_of_scope_batteries_is_not_applicable() -> None:
    """Art. 77(1) covers neither portable batteries nor industrial ones of 2 kWh or less."""
    rs = eu()
    for category, kwh in (("portable", None), ("industrial", 2.0), ("sli", None)):
        v = check_passport(rs, D(2028, 1, 1), category, kwh, False).verdicts[0]
        assert v.verdict == "not_applicable", category
        assert v.note == passport_scope(category, kwh, D(2028, 1, 1)).reason
        assert v.value is False and v.rule == f"{EU}/passport/scope"
    # in scope but before 18 Feb 2027: not yet applicable (Art. 77(1) date), with the reason
    early = check_passport(rs, D(2026, 1, 1), "industrial", 3.0, False).verdicts[0]
    assert early.verdict == "not_yet_applicable" and early.applies_from == D(2027, 2, 18)
    assert "2026-01-01 is earlier" in early.note
    assert check_passport(rs, D(2028, 1, 1), "industrial", 3.0, False).verdicts[0].verdict == "fail"


def _rc(
    rs: RuleSet,
    category: str,
    kwh: float | None,
    external: bool = False,
    chem: str = "NMC622",
    shares=SHARES,
):  # type: ignore[no-untyped-def]
    return check_recycled_content(rs, D(2032, 1, 1), category, kwh, external, chem, shares)


def test_recycled_content_of_an_industrial_battery_above_2_kWh_is_checked() -> None:
    """Art. 8(2): industrial batteries "with a capacity greater than 2 kWh" are covered."""
    rs = with_act(eu(), "recycled-content-methodology", D(2027, 1, 1))
    big = by_rule(_rc(rs, "industrial", 3.0).verdicts)
    assert big[f"{EU}/recycled-content/Co"].verdict == "pass"
    assert big[f"{EU}/recycled-content/Co"].note == "basis: cobalt in active materials"
    # an EV battery is covered whatever its capacity; exclusively external storage is an
    # exclusion for industrial batteries only
    ev = by_rule(_rc(rs, "ev", 1.0, external=True).verdicts)
    assert ev[f"{EU}/recycled-content/Ni"].verdict == "pass"
    ext = by_rule(_rc(rs, "industrial", 100.0, external=True).verdicts)
    assert ext[f"{EU}/recycled-content/Ni"].verdict == "not_applicable"
    assert "exclusively external storage" in ext[f"{EU}/recycled-content/Ni"].note
    small = by_rule(_rc(rs, "industrial", 2.0).verdicts)[f"{EU}/recycled-content/Li"]
    assert small.note == "Art. 8 covers industrial batteries with a capacity greater than 2 kWh"


def test_recycled_content_says_which_fact_is_missing() -> None:
    rs = eu()
    unknown = _rc(rs, "industrial", None)
    assert [v.rule for v in unknown.verdicts] == [f"{EU}/recycled-content/Pb"]  # no Pb in NMC
    assert {"rule": f"{EU}/recycled-content/Co", "missing": "capacity_kWh"} in unknown.unchecked
    ev = _rc(rs, "ev", None, shares={"Co": 0.2})
    assert by_rule(ev.verdicts)[f"{EU}/recycled-content/Co"].verdict == "pending"
    assert {
        "rule": f"{EU}/recycled-content/Li",
        "missing": "recycled_content_share.Li",
    } in ev.unchecked


def test_lead_acid_holds_lead_only() -> None:
    """Art. 8(2)(b): a lead-acid SLI battery is checked for lead; Co, Li, Ni do not apply."""
    assert active_metals("Lead-Acid ") == {"Pb"}
    assert active_metals("NMC622") == {"Co", "Li", "Ni"}
    assert active_metals("unobtainium") is None
    rs = with_act(eu(), "recycled-content-methodology", D(2027, 1, 1))
    v = by_rule(_rc(rs, "sli", None, chem="lead-acid", shares={"Pb": 0.85}).verdicts)
    assert v[f"{EU}/recycled-content/Pb"].verdict == "pass"
    assert v[f"{EU}/recycled-content/Co"].note == "no Co in the active materials of lead-acid"


# --- collection (Annex XI) --------------------------------------------------------------------

POM = {2025: 90.0, 2026: 100.0, 2027: 110.0}


def test_collection_rate_edges() -> None:
    """Annex XI: collected(N) / mean POM(N, N-1, N-2). Zero collected is a rate of 0; zero placed
    on the market cannot be divided by; a missing year is named."""
    assert collection_rate({2027: 0.0}, POM, 2027) == 0.0
    small = {2025: 0.5, 2026: 0.5, 2027: 0.5}
    assert collection_rate({2027: 0.3}, small, 2027) == pytest.approx(0.6)
    with pytest.raises(InputError, match=r"placed on the market around 2027 must be positive"):
        collection_rate({2027: 1.0}, {2025: 0.0, 2026: 0.0, 2027: 0.0}, 2027)
    with pytest.raises(InputError, match=r"collected_t.2027 must not be negative"):
        collection_rate({2027: -1.0}, POM, 2027)
    with pytest.raises(InputError, match=r"lacks year\(s\) 2024: .* over years 2026, 2025, 2024"):
        collection_rate({2026: 63.0}, POM, 2026)
    with pytest.raises(InputError, match=r"collected_t has no year 2028"):
        collection_rate({2027: 1.0}, POM, 2028)


def test_collection_is_judged_on_31_december_of_the_collected_year() -> None:
    """The year has closed on 31 Dec: judged that day (63 % applies from 31 Dec 2027), pending the
    day before."""
    rs = eu()
    v = check_collection(rs, D(2027, 12, 31), "portable", {2027: 63.0}, POM)
    portable = by_rule(v.verdicts)[f"{EU}/collection/portable"]
    assert portable.verdict == "pass" and portable.threshold == 0.63 and portable.period == "2027"
    v = check_collection(rs, D(2027, 12, 30), "portable", {2027: 63.0}, POM)
    pending = by_rule(v.verdicts)[f"{EU}/collection/portable"]
    assert pending.verdict == "pending"
    assert pending.note == "the year 2027 has not closed on 2027-12-30"


def test_collection_target_is_the_one_in_force_at_the_end_of_the_collected_year() -> None:
    """2029 is judged against the 63 % of 31 Dec 2029, not the 73 % in force on the check date."""
    pom = {2027: 100.0, 2028: 100.0, 2029: 100.0}
    v = check_collection(eu(), D(2031, 3, 1), "portable", {2029: 70.0}, pom)
    portable = by_rule(v.verdicts)[f"{EU}/collection/portable"]
    assert portable.verdict == "pass" and portable.threshold == 0.63


def test_collection_years_back_come_from_the_rule_data() -> None:
    rs = eu()
    rule = rs.rule(f"{EU}/collection/portable")
    one_year = rule.model_copy(update={"scope": {"pom_years_back": [0]}})
    default = rule.model_copy(update={"scope": {}})
    for r, expected in ((one_year, 63.0 / 110.0), (default, 0.63)):
        changed = rs.model_copy(update={"rules": (r,)})
        v = check_collection(changed, D(2028, 3, 1), "portable", {2027: 63.0}, POM).verdicts
        assert v[0].value == pytest.approx(expected)


def test_collection_out_of_scope_reasons() -> None:
    """Art. 61: no collection-rate target for SLI, industrial or EV batteries."""
    rs = eu()
    ev = by_rule(check_collection(rs, D(2028, 3, 1), "ev", {2027: 1.0}, POM).verdicts)
    assert all(v.verdict == "not_applicable" for v in ev.values())
    assert "(Art. 61)" in ev[f"{EU}/collection/portable"].note
    lmt = by_rule(
        check_collection(rs, D(2030, 3, 1), "lmt", {2029: 1.0}, {**POM, 2028: 1, 2029: 1}).verdicts
    )
    assert lmt[f"{EU}/collection/portable"].note == "the producer reports lmt batteries"


# --- recycling processes -----------------------------------------------------------------------


def test_zero_input_mass_is_bad_input() -> None:
    with pytest.raises(
        InputError, match="recycling efficiency: the input mass must be positive, got 0"
    ):
        check_efficiency(eu(), D(2026, 1, 1), "lithium", 0.0, 0.0)
    with pytest.raises(InputError, match="Co: the input mass must be positive"):
        ratio(0.0, 0.0, "Co")
    with pytest.raises(InputError, match="recovered mass must not be negative, got -1"):
        ratio(-1.0, 2.0, "Co")


def test_everything_recovered_is_a_share_of_one() -> None:
    assert ratio(2.0, 2.0, "Co") == 1.0
    v = by_rule(check_efficiency(eu(), D(2026, 1, 1), "lithium", 10.0, 10.0).verdicts)
    assert v[f"{EU}/recycling-efficiency/lithium"].value == 1.0


def test_facts_recovering_more_than_the_input_name_the_metal() -> None:
    facts = parse_facts(
        {
            "kind": "recycling_process",
            "elements_in_kg": {"Ni": 1.0, "Co": 1.0},
            "elements_recovered_kg": {"Co": 0.0, "Ni": 2.0},
        }
    )
    with pytest.raises(InputError, match=r"recovery of Ni: recovered 2.0 kg exceeds the input 1.0"):
        check_facts(facts, D(2028, 1, 1))


def test_facts_with_zero_input_of_a_metal_treat_it_as_absent() -> None:
    """facts.py: a metal with no input mass is absent, so its Annex XII Part C rule does not
    apply, also when the recovered masses list it with 0 kg (an LFP process listing every metal)."""
    facts = parse_facts(
        {
            "kind": "recycling_process",
            "elements_in_kg": {"Li": 1.0, "Co": 0.0, "Cu": 2.0},
            "elements_recovered_kg": {"Li": 0.9, "Co": 0.0, "Cu": 1.9},
        }
    )
    v = by_rule(check_facts(facts, D(2028, 1, 1), [EU]).verdicts)
    assert v[f"{EU}/material-recovery/Co"].verdict == "not_applicable"
    assert v[f"{EU}/material-recovery/Co"].note == "no Co in the input"
    assert v[f"{EU}/material-recovery/Cu"].value == pytest.approx(0.95)
    bad = parse_facts({**facts.model_dump(), "elements_recovered_kg": {"Co": 0.1}})
    with pytest.raises(
        InputError, match=r"recovery of Co: the input mass must be positive, got 0.0"
    ):
        check_facts(bad, D(2028, 1, 1))


def test_unknown_chemistry_names_the_allowed_ones() -> None:
    with pytest.raises(
        InputError,
        match=r"allowed: lead-acid, lithium, nickel-cadmium, other or a cell chemistry \(.*NMC622",
    ):
        efficiency_class("unobtainium")


def test_flowsheet_result_outputs_must_be_tables_with_a_fate() -> None:
    feed = {"mass_kg": 1.0, "elements_kg": {"Co": 1.0}, "input_fraction_elements_kg": {"Co": 1.0}}
    with pytest.raises(InputError, match=r"outputs\[0\].fate is None"):
        counted_masses({"feed": feed, "outputs": ["slag"]})
    with pytest.raises(InputError, match="flowsheet result lacks 'feed'"):
        counted_masses({"outputs": []})
    # a counted output that lists no elements counts nothing
    empty = {
        "feed": feed,
        "outputs": [{"fate": "product", "elements_kg": {}, "battery_origin_elements_kg": {}}],
    }
    assert counted_masses(empty) == (1.0, 0.0, {"Co": 1.0}, {"Co": 0.0})
    assert counted_masses(empty, "element_capped") == (1.0, 0.0, {"Co": 1.0}, {"Co": 0.0})


def test_recovery_rules_say_which_fact_is_missing() -> None:
    rs = load_ruleset("cn-miit-2024")
    found = check_recovery(rs, D(2025, 6, 1), {"Ni": 0.99}, set())
    assert {
        "rule": "cn-miit-2024/recovery/electrode-powder",
        "missing": "recovery_rates.electrode-powder",
    } in found.unchecked
    assert {
        "rule": "cn-miit-2024/recovery/Li",
        "missing": "elements_in_kg/elements_recovered_kg or recovery_rates.Li",
    } in found.unchecked
    facts = parse_facts({"kind": "recycling_process", "recovery_rates": {"Li": 0.95}})
    unchecked = check_facts(facts, D(2025, 6, 1), ["cn-miit-2024"]).unchecked
    assert {"rule": "cn-miit-2024/impurity/Al", "missing": "impurities.Al"} in unchecked


# A result by hand: 10 kg feed (Li 1, Co 2, O 3 and 4 kg C as graphite), two counted outputs that
# both hold Co, one of them with reagent oxygen that is not battery-origin.
TWO_OUTPUTS = {
    "feed": {
        "mass_kg": 10.0,
        "elements_kg": {"Li": 1.0, "Co": 2.0, "O": 3.0, "C": 4.0},
        "input_fraction_elements_kg": {"Li": 1.0, "Co": 2.0, "O": 3.0, "C": 4.0},
    },
    "outputs": [
        {
            "fate": "product",
            "elements_kg": {"Co": 1.2, "O": 2.5},
            "battery_origin_elements_kg": {"Co": 1.2, "O": 1.0},
        },
        {
            "fate": "recycled",
            "elements_kg": {"Co": 0.6, "C": 3.0},
            "battery_origin_elements_kg": {"Co": 0.6, "C": 3.0},
        },
    ],
}


def test_counted_masses_add_an_element_over_outputs_and_leave_out_the_negative_list() -> None:
    """Co counts 1.2 + 0.6 kg over the two outputs. Battery-origin counting: 1.8 Co + 1.0 O +
    3.0 C = 5.8 of 10 kg; leaving C out of numerator and denominator (negative list): 2.8 of 6."""
    input_kg, recycled, _, recovered = counted_masses(TWO_OUTPUTS)
    assert (input_kg, recycled) == (pytest.approx(10.0), pytest.approx(5.8))
    assert recovered["Co"] == pytest.approx(1.8)
    input_kg, recycled, elements_in, recovered = counted_masses(TWO_OUTPUTS, exclude=["C"])
    assert (input_kg, recycled) == (pytest.approx(6.0), pytest.approx(2.8))
    assert "C" not in elements_in and "C" not in recovered
    # element-capped: O counts up to its 3 kg input although 2.5 kg came out, Co 1.8 kg, C 3 kg
    _, capped, _, _ = counted_masses(TWO_OUTPUTS, counting="element_capped")
    assert capped == pytest.approx(1.8 + 2.5 + 3.0)


def test_efficiency_and_recovery_verdicts_carry_the_counting_note() -> None:
    rs = eu()
    eff = check_efficiency(rs, D(2026, 1, 1), "lithium", 10.0, 7.0, note="counted: X")
    assert by_rule(eff.verdicts)[f"{EU}/recycling-efficiency/lithium"].note == "counted: X"
    plain = check_efficiency(rs, D(2026, 1, 1), "lithium", 10.0, 7.0)
    assert by_rule(plain.verdicts)[f"{EU}/recycling-efficiency/lithium"].note == ""
    rec = check_recovery(rs, D(2028, 1, 1), {"Co": 0.95}, set(), note="counted: X")
    assert by_rule(rec.verdicts)[f"{EU}/material-recovery/Co"].note == "counted: X"
    assert (
        by_rule(check_recovery(rs, D(2028, 1, 1), {"Co": 0.95}, set()).verdicts)[
            f"{EU}/material-recovery/Co"
        ].note
        == ""
    )
