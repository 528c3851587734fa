"""Checks of processes, batteries, producers and reports. Expected values follow from the legal
definitions (cited per test) applied by hand to small inputs, never from our own output."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from urbanmine.compliance import (
    check_facts,
    check_flowsheet_result,
    collection_rate,
    load_ruleset,
    parse_facts,
    passport_scope,
)
from urbanmine.compliance.battery import check_recycled_content
from urbanmine.compliance.model import Act
from urbanmine.compliance.workdays import WorkCalendar, china_calendar
from urbanmine.errors import InputError

D = dt.date


def by_rule(verdicts):  # type: ignore[no-untyped-def]
    return {v.rule: v for v in verdicts}


# A flowsheet result built by hand: 10 kg feed (Li 1, Co 2, Ni 3, C 2, O 2 kg: the cathode's
# oxygen). The salts hold 2 kg of oxygen, all of it from the leaching acid (battery origin 0): the
# battery's own oxygen left as water and O2.
HAND_RESULT = {
    "feed": {
        "name": "NMC622-cell",
        "mass_kg": 10.0,
        "elements_kg": {"Li": 1.0, "Co": 2.0, "Ni": 3.0, "C": 2.0, "O": 2.0},
        "input_fraction_elements_kg": {"Li": 1.0, "Co": 2.0, "Ni": 3.0, "C": 2.0, "O": 2.0},
    },
    "outputs": [
        {
            "name": "salts",
            "fate": "product",
            "elements_kg": {"Co": 1.8, "Ni": 2.9, "O": 2.0},
            "battery_origin_elements_kg": {"Co": 1.8, "Ni": 2.9},
        },
        {
            "name": "li2co3",
            "fate": "recycled",
            "elements_kg": {"Li": 0.6},
            "battery_origin_elements_kg": {"Li": 0.6},
        },
        {
            "name": "graphite_burnt",
            "fate": "energy_recovery",
            "elements_kg": {"C": 2.0},
            "battery_origin_elements_kg": {"C": 2.0},
        },
        {
            "name": "slag",
            "fate": "landfill",
            "elements_kg": {"Li": 0.4, "Co": 0.2, "Ni": 0.1},
            "battery_origin_elements_kg": {"Li": 0.4, "Co": 0.2, "Ni": 0.1},
        },
    ],
}


def test_flowsheet_recycling_efficiency_counts_only_recycled_fates() -> None:
    """Art. 3(60), 493/2012 Art. 2(3)-(5): counted outputs / input. Energy recovery (2 kg C) and
    landfill do not count; the acid's oxygen in the salts (2 kg O) was not produced from the
    battery, although the feed held 2 kg of its own. (1.8 + 2.9 + 0.6) / 10 = 0.53."""
    v = by_rule(check_flowsheet_result(HAND_RESULT, D(2028, 1, 1), ["eu-2023-1542"]))
    eff = v["eu-2023-1542/recycling-efficiency/lithium"]
    assert eff.value == pytest.approx(0.53, abs=1e-12)
    assert eff.verdict == "fail" and eff.threshold == 0.65
    assert "battery_origin" in eff.note and "493/2012" in eff.note
    assert v["eu-2023-1542/recycling-efficiency/lead-acid"].verdict == "not_applicable"
    # Annex XII Part C: Co 1.8/2 = 0.90 meets "at least 90 %" exactly; Ni 2.9/3; Li 0.6/1 vs 50 %
    assert v["eu-2023-1542/material-recovery/Co"].value == pytest.approx(0.9)
    assert v["eu-2023-1542/material-recovery/Co"].verdict == "pass"
    assert v["eu-2023-1542/material-recovery/Ni"].value == pytest.approx(2.9 / 3)
    assert v["eu-2023-1542/material-recovery/Li"].verdict == "pass"
    # no copper or lead in the feed
    assert v["eu-2023-1542/material-recovery/Cu"].verdict == "not_applicable"
    assert v["eu-2023-1542/material-recovery/Pb"].verdict == "not_applicable"


def test_element_capped_counting_is_the_upper_bound_that_counts_reagent_oxygen() -> None:
    """The old counting lets the acid's 2 kg of oxygen stand in for the feed's own 2 kg:
    (1.8 + 2.9 + 0.6 + 2.0) / 10 = 0.73, a pass where the law's counting fails."""
    verdicts = check_flowsheet_result(
        HAND_RESULT, D(2028, 1, 1), ["eu-2023-1542"], counting="element_capped"
    )
    eff = by_rule(verdicts)["eu-2023-1542/recycling-efficiency/lithium"]
    assert eff.value == pytest.approx(0.73, abs=1e-12)
    assert eff.verdict == "pass"
    assert "element_capped" in eff.note and "upper bound" in eff.note


def test_negative_list_leaves_its_elements_out_of_numerator_and_denominator() -> None:
    """Carbon is on the negative list (cell-level carbon sources): without the feed's 2 kg C
    (burnt, not counted) the efficiency is 5.3 / 8."""
    verdicts = check_flowsheet_result(
        HAND_RESULT, D(2028, 1, 1), ["eu-2023-1542"], exclude_negative_list=True
    )
    eff = by_rule(verdicts)["eu-2023-1542/recycling-efficiency/lithium"]
    assert eff.value == pytest.approx(5.3 / 8.0, abs=1e-12)
    assert "negative list left out" in eff.note


def test_result_without_battery_origin_masses_is_refused_for_the_legal_counting() -> None:
    bare = {**HAND_RESULT, "outputs": [{"name": "x", "fate": "product", "elements_kg": {"Co": 1}}]}
    with pytest.raises(InputError, match="battery_origin_elements_kg"):
        check_flowsheet_result(bare, D(2028, 1, 1))


def test_moving_output_from_energy_recovery_to_product_counts_it() -> None:
    result = {**HAND_RESULT, "outputs": [dict(o) for o in HAND_RESULT["outputs"]]}
    result["outputs"][2]["fate"] = "product"
    v = by_rule(check_flowsheet_result(result, D(2028, 1, 1), ["eu-2023-1542"]))
    assert v["eu-2023-1542/recycling-efficiency/lithium"].value == pytest.approx(0.73)
    assert v["eu-2023-1542/recycling-efficiency/lithium"].verdict == "pass"


def test_flowsheet_result_unknown_fate_is_bad_input() -> None:
    bad = {**HAND_RESULT, "outputs": [{"fate": "backfill", "elements_kg": {}}]}
    with pytest.raises(InputError, match="fate"):
        check_flowsheet_result(bad, D(2028, 1, 1))


def test_real_flowsheet_agrees_with_engine_efficiency() -> None:
    """Two independent computations of Art. 3(60) on the same run: the engine's per-sample metric
    and this check's sum over outputs and fates."""
    from urbanmine.materials.feeds import DEFAULT_PRESET, get_feed
    from urbanmine.routes.run import run

    d = run(get_feed("NMC622-cell", DEFAULT_PRESET).scaled(mass_kg=1.0), "hydro", 1, 0).to_dict()
    v = by_rule(check_flowsheet_result(d, D(2026, 1, 1)))
    assert v["eu-2023-1542/recycling-efficiency/lithium"].value == pytest.approx(
        d["recycling_efficiency"], rel=1e-9
    )
    assert v["cn-miit-2024/recovery/Li"].value == pytest.approx(d["recovery"]["Li"], rel=1e-9)


def test_facts_recovery_rates_and_impurities_miit_2024() -> None:
    facts = parse_facts(
        {
            "kind": "recycling_process",
            "recovery_rates": {
                "Li": 0.90,
                "Ni": 0.98,
                "Co": 0.979,
                "Mn": 0.99,
                "electrode-powder": 0.98,
            },
            "impurities": {"Al": 0.015, "Cu": 0.0149},
        }
    )
    v = by_rule(check_facts(facts, D(2025, 6, 1), ["cn-miit-2024"]).verdicts)
    assert v["cn-miit-2024/recovery/Li"].verdict == "pass"  # 不低于90%: 90 % passes
    assert v["cn-miit-2024/recovery/Co"].verdict == "fail"
    assert v["cn-miit-2024/recovery/electrode-powder"].verdict == "pass"
    assert v["cn-miit-2024/impurity/Al"].verdict == "fail"  # 低于1.5%: 1.5 % fails
    assert v["cn-miit-2024/impurity/Cu"].verdict == "pass"


def test_recovered_more_than_input_is_bad_input() -> None:
    facts = parse_facts(
        {
            "kind": "recycling_process",
            "elements_in_kg": {"Co": 10},
            "elements_recovered_kg": {"Co": 12},
        }
    )
    with pytest.raises(InputError, match="exceeds"):
        check_facts(facts, D(2028, 1, 1))


def test_share_outside_0_1_is_bad_input() -> None:
    with pytest.raises(InputError, match="fractions between 0 and 1"):
        parse_facts({"kind": "battery", "recycled_content_share": {"Co": 16}})
    with pytest.raises(InputError, match="allowed keys"):
        parse_facts({"kind": "battery", "colour": "red"})


# --- Art. 77(1) passport scope -------------------------------------------------------------


@pytest.mark.parametrize(
    ("category", "kwh", "on", "required"),
    [
        ("EV", 75, D(2027, 2, 17), False),  # the day before 18 Feb 2027
        ("EV", 75, D(2027, 2, 18), True),
        ("LMT", None, D(2027, 2, 18), True),
        ("industrial", 2.0, D(2028, 1, 1), False),  # "greater than 2 kWh": 2 kWh is out
        ("industrial", 2.01, D(2028, 1, 1), True),
        ("stationary", 100, D(2028, 1, 1), True),  # a stationary BESS is an industrial battery
        ("portable", None, D(2028, 1, 1), False),
        ("SLI", None, D(2028, 1, 1), False),
    ],
)
def test_passport_scope(category: str, kwh: float | None, on: dt.date, required: bool) -> None:
    assert passport_scope(category, kwh, on).required is required


def test_passport_scope_needs_capacity_for_industrial_and_known_category() -> None:
    with pytest.raises(InputError, match="kWh"):
        passport_scope("industrial", None, D(2028, 1, 1))
    with pytest.raises(InputError, match="allowed"):
        passport_scope("bus", None, D(2028, 1, 1))


def test_battery_facts_passport_and_category_mass() -> None:
    facts = parse_facts({"kind": "battery", "category": "portable", "mass_kg": 5.0})
    v = by_rule(check_facts(facts, D(2025, 1, 1)).verdicts)
    assert v["eu-2023-1542/category/portable"].verdict == "pass"  # Art. 3(9): "5 kg or less"
    facts = parse_facts({"kind": "battery", "category": "ev", "has_passport": False})
    assert (
        by_rule(check_facts(facts, D(2027, 2, 17)).verdicts)["eu-2023-1542/passport/scope"].verdict
        == "not_yet_applicable"
    )
    assert (
        by_rule(check_facts(facts, D(2027, 2, 18)).verdicts)["eu-2023-1542/passport/scope"].verdict
        == "fail"
    )


# --- Art. 8 recycled content --------------------------------------------------------------

SHARES = {"Co": 0.16, "Li": 0.06, "Ni": 0.06}


def test_recycled_content_pending_without_the_methodology_act() -> None:
    rs = load_ruleset("eu-2023-1542")
    found = check_recycled_content(rs, D(2031, 8, 18), "ev", 75, False, "NMC622", SHARES)
    v = by_rule(found.verdicts)
    assert v["eu-2023-1542/recycled-content/Co"].verdict == "pending"
    assert "would pass" in v["eu-2023-1542/recycled-content/Co"].note
    assert v["eu-2023-1542/recycled-content/Pb"].verdict == "not_applicable"  # no Pb in NMC
    before = by_rule(
        check_recycled_content(rs, D(2031, 8, 17), "ev", 75, False, "NMC622", SHARES).verdicts
    )
    assert before["eu-2023-1542/recycled-content/Co"].verdict == "not_yet_applicable"


def test_recycled_content_once_the_act_is_in_force() -> None:
    rs = load_ruleset("eu-2023-1542")
    acts = dict(rs.acts)
    acts["recycled-content-methodology"] = Act(
        title="methodology", in_force=D(2027, 1, 1), source="test"
    )
    adopted = rs.model_copy(update={"acts": acts})
    v = by_rule(
        check_recycled_content(adopted, D(2031, 8, 18), "ev", 75, False, "NMC622", SHARES).verdicts
    )
    assert all(
        v[f"eu-2023-1542/recycled-content/{m}"].verdict == "pass" for m in SHARES
    )  # 16/6/6 %
    v36 = by_rule(
        check_recycled_content(adopted, D(2036, 8, 18), "ev", 75, False, "NMC622", SHARES).verdicts
    )
    assert v36["eu-2023-1542/recycled-content/Co"].verdict == "fail"  # 26 % from 2036
    assert v36["eu-2023-1542/recycled-content/Co"].threshold == 0.26
    # LFP holds no Co or Ni in its active material; LMT only from the 2036 stage (Art. 8(3))
    lfp = by_rule(
        check_recycled_content(adopted, D(2032, 1, 1), "ev", 60, False, "LFP", {"Li": 0.1}).verdicts
    )
    assert lfp["eu-2023-1542/recycled-content/Co"].verdict == "not_applicable"
    assert lfp["eu-2023-1542/recycled-content/Li"].verdict == "pass"
    lmt = by_rule(
        check_recycled_content(adopted, D(2032, 1, 1), "lmt", 1, False, "NMC622", SHARES).verdicts
    )
    assert lmt["eu-2023-1542/recycled-content/Co"].verdict == "not_yet_applicable"
    assert lmt["eu-2023-1542/recycled-content/Co"].applies_from == D(2036, 8, 18)
    small = by_rule(
        check_recycled_content(
            adopted, D(2032, 1, 1), "industrial", 2.0, False, "NMC622", SHARES
        ).verdicts
    )
    assert small["eu-2023-1542/recycled-content/Co"].verdict == "not_applicable"


# --- Annex XI collection rate ---------------------------------------------------------------

POM = {2025: 90.0, 2026: 100.0, 2027: 110.0}


def test_collection_rate_divides_by_three_year_mean() -> None:
    """Annex XI: collected(N) / mean(POM(N), POM(N-1), POM(N-2)) = 63 / 100."""
    assert collection_rate({2027: 63.0}, POM, 2027) == pytest.approx(0.63)
    with pytest.raises(InputError, match="2024"):
        collection_rate({2026: 63.0}, POM, 2026)


def test_collection_target_verdicts() -> None:
    facts = parse_facts(
        {
            "kind": "producer",
            "category": "portable",
            "collected_t": {"2027": 63.0},
            "placed_on_market_t": {str(k): v for k, v in POM.items()},
        }
    )
    v = check_facts(facts, D(2028, 3, 1)).verdicts
    portable = next(x for x in v if x.rule == "eu-2023-1542/collection/portable")
    assert portable.verdict == "pass" and portable.threshold == 0.63 and portable.period == "2027"
    assert next(x for x in v if x.rule == "eu-2023-1542/collection/lmt").verdict == "not_applicable"
    open_year = next(
        x for x in check_facts(facts, D(2027, 6, 1)).verdicts if x.rule.endswith("portable")
    )
    assert open_year.verdict == "pending"
    lmt = parse_facts({**facts.model_dump(), "category": "lmt"})
    v = next(x for x in check_facts(lmt, D(2028, 3, 1)).verdicts if x.rule.endswith("/lmt"))
    assert v.verdict == "not_yet_applicable" and v.applies_from == D(2028, 12, 31)


# --- China traceability: working days -------------------------------------------------------


def test_working_days_across_weekends_match_numpy_busday() -> None:
    cal = WorkCalendar()
    for start in (D(2024, 1, 1), D(2024, 1, 5), D(2024, 1, 6)):
        for n in (1, 5, 15, 30):
            # a weekend start rolls back to Friday: the n-th working day after it is the same
            expected = np.busday_offset(np.datetime64(start), n, roll="backward")
            assert np.datetime64(cal.add_working_days(start, n)) == expected


def test_holidays_and_adjusted_workdays() -> None:
    base = WorkCalendar()
    assert base.add_working_days(D(2024, 1, 1), 15) == D(2024, 1, 22)  # 3 weeks of Mon-Fri
    with_holiday = base.with_days(holidays=[D(2024, 1, 10)])
    assert with_holiday.add_working_days(D(2024, 1, 1), 15) == D(2024, 1, 23)
    with_saturday = with_holiday.with_days(workdays=[D(2024, 1, 13)])
    assert with_saturday.add_working_days(D(2024, 1, 1), 15) == D(2024, 1, 22)


def test_china_calendar_national_day_2025() -> None:
    """State Council 2025 arrangement: 1-8 Oct off; Sun 28 Sep and Sat 11 Oct worked. From Fri
    26 Sep, 15 working days: 28, 29, 30 Sep, 9, 10, 11, 13-17, 20-23 Oct -> 23 Oct."""
    assert china_calendar().add_working_days(D(2025, 9, 26), 15) == D(2025, 10, 23)


def _report(reported: str | None, on: dt.date, event: str = "2025-09-26"):  # type: ignore[no-untyped-def]
    facts = parse_facts(
        {
            "kind": "traceability",
            "reports": [
                {
                    "actor": "vehicle-maker",
                    "event": "battery-binding",
                    "event_date": event,
                    **({"reported_on": reported} if reported else {}),
                }
            ],
        }
    )
    return check_facts(facts, on).verdicts[0]


def test_traceability_deadline_verdicts() -> None:
    """Art. 9: vehicle-battery binding within 15 working days of the certificate."""
    ok = _report("2025-10-23", D(2025, 12, 1))
    assert ok.verdict == "pass" and ok.value == 15 and ok.threshold == 15
    late = _report("2025-10-24", D(2025, 12, 1))
    assert late.verdict == "fail" and late.value == 16
    assert _report(None, D(2025, 10, 23)).verdict == "pending"
    assert _report(None, D(2025, 10, 24)).verdict == "fail"
    assert _report("2018-07-02", D(2019, 1, 1), event="2018-07-02").verdict == "not_yet_applicable"


def test_traceability_unknown_actor_and_uncovered_year() -> None:
    facts = parse_facts(
        {
            "kind": "traceability",
            "reports": [{"actor": "dealer", "event": "sale", "event_date": "2025-01-02"}],
        }
    )
    with pytest.raises(InputError, match="allowed"):
        check_facts(facts, D(2025, 3, 1))
    facts = parse_facts(
        {
            "kind": "traceability",
            "reports": [{"actor": "recycler", "event": "received", "event_date": "2026-12-20"}],
        }
    )
    with pytest.raises(InputError, match="covers 2004-01-01 to 2026-12-31"):
        check_facts(facts, D(2027, 3, 1))
    explicit = parse_facts({**facts.model_dump(), "calendar": "weekends"})
    assert check_facts(explicit, D(2027, 3, 1)).verdicts[0].verdict == "fail"


# --- WEEE and ELV ---------------------------------------------------------------------------


def test_weee_lamps_and_elv_stage_change() -> None:
    lamps = parse_facts(
        {"kind": "weee_treatment", "category": 3, "recovery_rates": {"recycling": 0.80}}
    )
    v = check_facts(lamps, D(2020, 1, 1)).verdicts
    assert [x.verdict for x in v] == ["pass"]
    assert check_facts(lamps, D(2018, 8, 14)).verdicts[0].verdict == "not_yet_applicable"
    elv = parse_facts(
        {
            "kind": "elv_treatment",
            "recovery_rates": {"reuse_recovery": 0.90, "reuse_recycling": 0.85},
        }
    )
    before = by_rule(check_facts(elv, D(2014, 12, 31)).verdicts)
    after = by_rule(check_facts(elv, D(2015, 1, 1)).verdicts)
    assert before["eu-elv-2000-53/targets/reuse-recovery"].verdict == "pass"  # 85 % until 2014
    assert after["eu-elv-2000-53/targets/reuse-recovery"].verdict == "fail"  # 95 % from 2015
    assert after["eu-elv-2000-53/targets/reuse-recycling"].verdict == "pass"  # 85 % exactly
