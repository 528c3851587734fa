"""China's 2018 traceability provisions: did each actor report each event within its deadline
(in working days, counted from the day after the event)?"""

from __future__ import annotations

import datetime as dt

from urbanmine.compliance.engine import judge
from urbanmine.compliance.findings import Findings
from urbanmine.compliance.model import Rule, RuleSet
from urbanmine.compliance.rules import load_ruleset
from urbanmine.compliance.workdays import WorkCalendar
from urbanmine.errors import InputError

CN_TRACE = "cn-traceability-2018"


def deadline_rule(actor: str, event: str, ruleset: RuleSet | None = None) -> Rule:
    """The rule ``cn-traceability-2018/<actor>/<event>``; unknown pairs are bad input."""
    rs = ruleset or load_ruleset(CN_TRACE)
    try:
        return rs.rule(f"{rs.id}/{actor}/{event}")
    except KeyError:
        allowed = ", ".join(f"{r.topic}/{r.item}" for r in rs.rules)
        raise InputError(f"unknown actor/event {actor}/{event}; allowed: {allowed}") from None


def reporting_deadline(
    actor: str, event: str, event_date: dt.date, calendar: WorkCalendar
) -> dt.date:
    """Last day to report ``event`` of ``actor`` that happened on ``event_date``."""
    rule = deadline_rule(actor, event)
    stage = rule.stage_on(event_date) or rule.stages[0]
    return calendar.add_working_days(event_date, int(stage.threshold))


def check_report(
    ruleset: RuleSet,
    on: dt.date,
    actor: str,
    event: str,
    event_date: dt.date,
    reported_on: dt.date | None,
    calendar: WorkCalendar,
) -> Findings:
    """Verdict for one event: working days taken (or elapsed so far) against the deadline.

    A report dated after ``on`` counts as not made yet. Unreported and still within the deadline:
    ``pending``; unreported past it: ``fail``. The stage is the one in force on the event date.
    """
    rule = deadline_rule(actor, event, ruleset)
    if event_date > on:
        raise InputError(f"event_date {event_date.isoformat()} is after --on {on.isoformat()}")
    if reported_on is not None and reported_on < event_date:
        raise InputError(
            f"reported_on {reported_on.isoformat()} is before event_date {event_date.isoformat()}"
        )
    period = f"{event} on {event_date.isoformat()}"
    stage = rule.stage_on(event_date)
    if stage is None:  # before the provisions applied
        return Findings(
            verdicts=[judge(ruleset, rule, on, None, measured_on=event_date, period=period)]
        )
    deadline = calendar.add_working_days(event_date, int(stage.threshold))
    note = f"deadline {deadline.isoformat()} ({calendar.name})"
    if reported_on is not None and reported_on <= on:
        taken = calendar.working_days_between(event_date, reported_on)
        verdict = judge(
            ruleset,
            rule,
            on,
            float(taken),
            measured_on=event_date,
            period=period,
            note=f"reported {reported_on.isoformat()}; {note}",
        )
    else:
        elapsed = calendar.working_days_between(event_date, on)
        waiting = f"not reported by {on.isoformat()}" if on <= deadline else ""
        verdict = judge(
            ruleset,
            rule,
            on,
            float(elapsed),
            measured_on=event_date,
            period=period,
            pending=waiting,
            note=note,
        )
    return Findings(verdicts=[verdict])
