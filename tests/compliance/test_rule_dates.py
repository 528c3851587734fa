"""Dates and thresholds of every shipped rule, checked two independent ways.

1. ``LEGAL``, a table typed by hand from the legal texts (citations per block), must equal the
   stages in the rule data exactly: a stage moved by one day, a changed threshold or category, a
   stage added or dropped all fail here.
2. Every stage boundary in the rule data is judged on both sides: the day before a stage starts the
   verdict is ``not_yet_applicable`` (first stage) or still under the previous stage, and on the day
   itself the stage applies ("no later than 31 December 2025" applies from that day on). This
   guards the engine's date comparison whatever the data say.
"""

from __future__ import annotations

import datetime as dt

import pytest

from urbanmine.compliance import load_ruleset, ruleset_names
from urbanmine.compliance.engine import judge
from urbanmine.compliance.model import Rule, RuleSet

D = dt.date
DAY = dt.timedelta(days=1)

_EU_MARKET = ("industrial", "ev", "sli")
_EU_MARKET_LMT = (*_EU_MARKET, "lmt")

# rule id -> [(first day, threshold, categories)], typed from the legal texts.
LEGAL: dict[str, list[tuple[dt.date, float, tuple[str, ...]]]] = {
    # Regulation (EU) 2023/1542 of 12 July 2023 concerning batteries and waste batteries,
    # OJ L 191, 28.7.2023, p. 1 (CELEX 32023R1542).
    # Art. 3(9) portable "5 kg or less", Art. 3(11) LMT "25 kg or less"; Art. 96: applies from
    # 18 February 2024.
    "eu-2023-1542/category/portable": [(D(2024, 2, 18), 5.0, ())],
    "eu-2023-1542/category/lmt": [(D(2024, 2, 18), 25.0, ())],
    # Annex XII Part B(2): "no later than 31 December 2025" lead-acid 75 %, lithium-based 65 %,
    # nickel-cadmium 80 %, other 50 %; Part B(3): "no later than 31 December 2030" lead-acid 80 %,
    # lithium-based 70 % (also EC DG ENV news of 4 July 2025 on Delegated Regulation (EU) 2025/606).
    "eu-2023-1542/recycling-efficiency/lead-acid": [
        (D(2025, 12, 31), 0.75, ()),
        (D(2030, 12, 31), 0.80, ()),
    ],
    "eu-2023-1542/recycling-efficiency/lithium": [
        (D(2025, 12, 31), 0.65, ()),
        (D(2030, 12, 31), 0.70, ()),
    ],
    "eu-2023-1542/recycling-efficiency/nickel-cadmium": [(D(2025, 12, 31), 0.80, ())],
    "eu-2023-1542/recycling-efficiency/other": [(D(2025, 12, 31), 0.50, ())],
    # Annex XII Part C(1): "no later than 31 December 2027" 90 % for cobalt, copper, lead and
    # nickel, 50 % for lithium; Part C(2): "no later than 31 December 2031" 95 % and 80 %.
    **{
        f"eu-2023-1542/material-recovery/{m}": [
            (D(2027, 12, 31), 0.90, ()),
            (D(2031, 12, 31), 0.95, ()),
        ]
        for m in ("Co", "Cu", "Pb", "Ni")
    },
    "eu-2023-1542/material-recovery/Li": [(D(2027, 12, 31), 0.50, ()), (D(2031, 12, 31), 0.80, ())],
    # Art. 8(2): "from 18 August 2031" industrial (> 2 kWh, except exclusively external storage),
    # EV and SLI batteries: 16 % cobalt, 85 % lead, 6 % lithium, 6 % nickel; Art. 8(3): "from
    # 18 August 2036", the same and LMT batteries: 26 % cobalt, 85 % lead, 12 % lithium, 15 % nickel.
    "eu-2023-1542/recycled-content/Co": [
        (D(2031, 8, 18), 0.16, _EU_MARKET),
        (D(2036, 8, 18), 0.26, _EU_MARKET_LMT),
    ],
    "eu-2023-1542/recycled-content/Pb": [
        (D(2031, 8, 18), 0.85, _EU_MARKET),
        (D(2036, 8, 18), 0.85, _EU_MARKET_LMT),
    ],
    "eu-2023-1542/recycled-content/Li": [
        (D(2031, 8, 18), 0.06, _EU_MARKET),
        (D(2036, 8, 18), 0.12, _EU_MARKET_LMT),
    ],
    "eu-2023-1542/recycled-content/Ni": [
        (D(2031, 8, 18), 0.06, _EU_MARKET),
        (D(2036, 8, 18), 0.15, _EU_MARKET_LMT),
    ],
    # Art. 59(3): portable 45 % by 31 December 2023, 63 % by 31 December 2027, 73 % by
    # 31 December 2030; Art. 59(3)/60: LMT 51 % by 31 December 2028, 61 % by 31 December 2031.
    "eu-2023-1542/collection/portable": [
        (D(2023, 12, 31), 0.45, ()),
        (D(2027, 12, 31), 0.63, ()),
        (D(2030, 12, 31), 0.73, ()),
    ],
    "eu-2023-1542/collection/lmt": [(D(2028, 12, 31), 0.51, ()), (D(2031, 12, 31), 0.61, ())],
    # Art. 77(1): LMT, EV and industrial batteries "with a capacity greater than 2 kWh" placed on
    # the market or put into service "from 18 February 2027".
    "eu-2023-1542/passport/scope": [(D(2027, 2, 18), 2.0, ())],
    # MIIT 《新能源汽车废旧动力电池综合利用行业规范条件》 2019 edition (MIIT announcement 2019
    # No. 59, 16 December 2019): Li recovery >= 85 %, Ni, Co, Mn >= 98 % (hydrometallurgy).
    "cn-miit-2019/recovery/Li": [(D(2019, 12, 16), 0.85, ())],
    **{f"cn-miit-2019/recovery/{m}": [(D(2019, 12, 16), 0.98, ())] for m in ("Ni", "Co", "Mn")},
    # Same conditions, 2024 edition, published by MIIT on 24 December 2024: 冶炼过程锂回收率应不低于
    # 90 %; 镍、钴、锰回收率不低于 98 %; 电极粉料回收率不低于 98 %; 材料修复 不低于 99 %;
    # 杂质铝、铜含量低于 1.5 %.
    "cn-miit-2024/recovery/Li": [(D(2024, 12, 24), 0.90, ())],
    **{f"cn-miit-2024/recovery/{m}": [(D(2024, 12, 24), 0.98, ())] for m in ("Ni", "Co", "Mn")},
    "cn-miit-2024/recovery/electrode-powder": [(D(2024, 12, 24), 0.98, ())],
    "cn-miit-2024/recovery/material-repair": [(D(2024, 12, 24), 0.99, ())],
    "cn-miit-2024/impurity/Al": [(D(2024, 12, 24), 0.015, ())],
    "cn-miit-2024/impurity/Cu": [(D(2024, 12, 24), 0.015, ())],
    # 《新能源汽车动力蓄电池回收利用溯源管理暂行规定》 (MIIT, in force 1 August 2018), Art. 9-15:
    # reporting within 15 or 30 working days (工作日) of the event.
    **{
        f"cn-traceability-2018/{item}": [(D(2018, 8, 1), days, ())]
        for item, days in (
            ("vehicle-maker/battery-binding", 15),
            ("importer/battery-binding", 15),
            ("vehicle-maker/repair-replacement", 30),
            ("vehicle-maker/collection-in", 30),
            ("vehicle-maker/collection-out", 30),
            ("dismantler/vehicle-received", 15),
            ("dismantler/battery-handover", 15),
            ("cascade-user/product-out", 15),
            ("cascade-user/waste-in", 15),
            ("cascade-user/waste-out", 15),
            ("recycler/received", 30),
            ("recycler/disposal-complete", 30),
        )
    },
    # Directive 2012/19/EU (WEEE), OJ L 197, 24.7.2012, p. 38, Art. 11(1) and Annex V Part 3
    # (minimum targets "from 15 August 2018"): categories 1 and 4 recovered 85 %, prepared for
    # re-use and recycled 80 %; category 2 80 % / 70 %; category 3 (lamps) recycled 80 %;
    # categories 5 and 6 75 % / 55 %.
    **{
        f"eu-weee-2012-19/{kind}/cat{c}": [(D(2018, 8, 15), share, ())]
        for c, kind, share in (
            (1, "recovery", 0.85),
            (1, "reuse-recycling", 0.80),
            (4, "recovery", 0.85),
            (4, "reuse-recycling", 0.80),
            (2, "recovery", 0.80),
            (2, "reuse-recycling", 0.70),
            (3, "recycling", 0.80),
            (5, "recovery", 0.75),
            (5, "reuse-recycling", 0.55),
            (6, "recovery", 0.75),
            (6, "reuse-recycling", 0.55),
        )
    },
    # Directive 2000/53/EC (ELV), OJ L 269, 21.10.2000, p. 34, Art. 7(2)(a) "no later than
    # 1 January 2006" re-use and recovery 85 %, re-use and recycling 80 %; Art. 7(2)(b) "no later
    # than 1 January 2015" 95 % and 85 %.
    "eu-elv-2000-53/targets/reuse-recovery": [(D(2006, 1, 1), 0.85, ()), (D(2015, 1, 1), 0.95, ())],
    "eu-elv-2000-53/targets/reuse-recycling": [
        (D(2006, 1, 1), 0.80, ()),
        (D(2015, 1, 1), 0.85, ()),
    ],
}

# Editions replaced by a newer one: rule id prefix -> last day it applies. MIIT 2019 conditions
# give way to the 2024 edition published on 24 December 2024.
LEGAL_UNTIL = {"cn-miit-2019/": D(2024, 12, 23)}


def _shipped() -> list[tuple[RuleSet, Rule]]:
    return [(rs, r) for name in ruleset_names() for rs in [load_ruleset(name)] for r in rs.rules]


SHIPPED = _shipped()
IDS = [r.id for _, r in SHIPPED]


def test_every_shipped_rule_is_in_the_legal_table() -> None:
    assert sorted(IDS) == sorted(LEGAL)


@pytest.mark.parametrize(("rs", "rule"), SHIPPED, ids=IDS)
def test_rule_data_stages_equal_the_legal_text(rs: RuleSet, rule: Rule) -> None:
    data = sorted((s.applies_from, s.threshold, tuple(sorted(s.categories))) for s in rule.stages)
    legal = sorted((day, share, tuple(sorted(cats))) for day, share, cats in LEGAL[rule.id])
    assert data == legal
    until = next((d for prefix, d in LEGAL_UNTIL.items() if rule.id.startswith(prefix)), None)
    assert rule.applies_until == until


def _categories(rule: Rule) -> list[str | None]:
    cats = sorted({c for s in rule.stages for c in s.categories})
    return list(cats) or [None]


@pytest.mark.parametrize(("rs", "rule"), SHIPPED, ids=IDS)
def test_both_sides_of_every_stage_boundary(rs: RuleSet, rule: Rule) -> None:
    """The day before a stage: not yet applicable or the previous stage; the day itself: it."""
    for category in _categories(rule):
        stages = rule.stages_for(category)
        for i, stage in enumerate(stages):
            day = stage.applies_from
            value = stage.threshold  # any number: the verdict kind is not what is tested here
            on = judge(rs, rule, day, value, category=category)
            assert on.verdict in ("pass", "fail", "pending"), (category, day)
            assert (on.applies_from, on.threshold) == (day, stage.threshold), (category, day)
            before = judge(rs, rule, day - DAY, value, category=category)
            if i == 0:
                assert before.verdict == "not_yet_applicable", (category, day)
                assert (before.applies_from, before.threshold) == (day, stage.threshold)
            else:
                prev = stages[i - 1]
                assert before.verdict in ("pass", "fail", "pending"), (category, day)
                assert (before.applies_from, before.threshold) == (
                    prev.applies_from,
                    prev.threshold,
                )


@pytest.mark.parametrize(
    ("rs", "rule"),
    [(rs, r) for rs, r in SHIPPED if r.applies_until],
    ids=[r.id for _, r in SHIPPED if r.applies_until],
)
def test_both_sides_of_the_last_day_of_a_superseded_edition(rs: RuleSet, rule: Rule) -> None:
    last = rule.applies_until
    assert last is not None
    value = rule.stages[-1].threshold
    assert judge(rs, rule, last, value).verdict == "pass"
    gone = judge(rs, rule, last + DAY, value)
    assert gone.verdict == "not_applicable"
    assert gone.note == f"no longer applies after {last.isoformat()} (superseded by cn-miit-2024)"
