"""The dated verdict: one rule, one ``on`` date, one measured value -> pass/fail/... with numbers.

Verdict kinds:

- ``not_applicable``: the rule does not cover the subject (category, chemistry, material absent
  from the input) or no longer applies (superseded edition).
- ``not_yet_applicable``: the subject is covered but the first stage starts after ``on``.
- ``pending``: the rule applies on ``on`` but cannot be decided yet: an act it depends on is not in
  force, the period it is measured over has not closed, or a deadline has not passed.
- ``pass`` / ``fail``: the value meets / misses the threshold of the stage in force.
"""

from __future__ import annotations

import datetime as dt

from urbanmine.compliance.model import Rule, RuleSet, Stage, Verdict, VerdictKind, meets


def _notes(ruleset: RuleSet, on: dt.date, *notes: str) -> str:
    extra = [n.text for n in ruleset.notices if n.applies_from <= on]
    return "; ".join(n for n in (*notes, *extra) if n)


def judge(
    ruleset: RuleSet,
    rule: Rule,
    on: dt.date,
    value: float | bool | None,
    *,
    category: str | None = None,
    out_of_scope: str = "",
    measured_on: dt.date | None = None,
    pending: str = "",
    period: str | None = None,
    note: str = "",
) -> Verdict:
    """Verdict of ``rule`` on ``on`` for ``value``.

    ``category`` picks the stages that cover it (Art. 8 stages differ by category);
    ``out_of_scope`` (a reason) makes the verdict ``not_applicable``; ``measured_on`` picks the
    stage for a value measured over a period ending that day (default ``on``); ``pending`` (a
    reason) makes an applicable rule ``pending``. A bool ``value`` passes when True.
    """

    def make(kind: VerdictKind, stage: Stage | None = None, *notes: str) -> Verdict:
        return Verdict(
            rule=rule.id,
            verdict=kind,
            value=value,
            threshold=stage.threshold if stage else None,
            comparison=rule.comparison,
            unit=rule.unit,
            applies_from=stage.applies_from if stage else None,
            period=period,
            legal=f"{ruleset.act}: {rule.legal}",
            source=rule.source,
            note=_notes(ruleset, on, *notes, note),
        )

    stages = rule.stages_for(category)
    first = stages[0] if stages else None
    if out_of_scope or first is None:
        why = out_of_scope or f"the rule does not cover category {category!r}"
        return make("not_applicable", None, why)
    if rule.applies_until is not None and on > rule.applies_until:
        why = f"no longer applies after {rule.applies_until.isoformat()}" + (
            f" (superseded by {rule.superseded_by})" if rule.superseded_by else ""
        )
        return make("not_applicable", None, why)
    stage = rule.stage_on(measured_on or on, category)
    if stage is None:
        return make("not_yet_applicable", first)
    ok = None
    if value is not None:
        ok = value if isinstance(value, bool) else meets(value, rule.comparison, stage.threshold)
    if rule.requires_act:
        act = ruleset.acts[rule.requires_act]
        if act.in_force is None or act.in_force > on:
            status = (
                "not adopted as of " + ruleset.status_as_of.isoformat()
                if act.in_force is None
                else "in force only from " + act.in_force.isoformat()
            )
            if not pending:
                pending = f"depends on {act.title}, {status}"
                if ok is not None:
                    pending += f"; the value would {'pass' if ok else 'fail'}"
    if pending:
        return make("pending", stage, pending)
    if ok is None:
        raise ValueError(f"{rule.id}: a verdict needs a value or a pending reason")
    return make("pass" if ok else "fail", stage)
