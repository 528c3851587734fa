"""Compliance: dated verdicts under the EU Battery Regulation (EU) 2023/1542, China's MIIT recycler
conditions and 2018 traceability provisions, GB/T 34014 battery codes, WEEE and ELV directives.

Rules are data (``urbanmine/data/rules/<ruleset>.toml``), each with its legal source and dates of
application; every check takes an ``on`` date and returns one :class:`Verdict` per rule.
"""

from typing import TYPE_CHECKING

from urbanmine.lazy import lazy_exports

if TYPE_CHECKING:
    from urbanmine.compliance.battery import PassportScope, passport_scope
    from urbanmine.compliance.categories import CATEGORIES
    from urbanmine.compliance.check import (
        check_facts,
        check_file,
        check_flowsheet_result,
        flowsheet_facts,
    )
    from urbanmine.compliance.collection import collection_rate
    from urbanmine.compliance.counting import CountingMethod, counting_note, load_counting_method
    from urbanmine.compliance.facts import Facts, parse_facts
    from urbanmine.compliance.findings import Findings
    from urbanmine.compliance.gbt34014 import CodeCheck, check_code
    from urbanmine.compliance.model import Rule, RuleSet, Verdict
    from urbanmine.compliance.rules import load_ruleset, ruleset_names
    from urbanmine.compliance.traceability import reporting_deadline
    from urbanmine.compliance.workdays import WorkCalendar, china_calendar

_EXPORTS = {
    "CATEGORIES": "categories",
    "PassportScope": "battery",
    "passport_scope": "battery",
    "check_facts": "check",
    "check_file": "check",
    "check_flowsheet_result": "check",
    "flowsheet_facts": "check",
    "collection_rate": "collection",
    "CountingMethod": "counting",
    "counting_note": "counting",
    "load_counting_method": "counting",
    "Facts": "facts",
    "parse_facts": "facts",
    "Findings": "findings",
    "CodeCheck": "gbt34014",
    "check_code": "gbt34014",
    "Rule": "model",
    "RuleSet": "model",
    "Verdict": "model",
    "load_ruleset": "rules",
    "ruleset_names": "rules",
    "reporting_deadline": "traceability",
    "WorkCalendar": "workdays",
    "china_calendar": "workdays",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = [
    "CATEGORIES",
    "CodeCheck",
    "CountingMethod",
    "Facts",
    "Findings",
    "PassportScope",
    "Rule",
    "RuleSet",
    "Verdict",
    "WorkCalendar",
    "check_code",
    "check_facts",
    "check_file",
    "check_flowsheet_result",
    "china_calendar",
    "collection_rate",
    "counting_note",
    "flowsheet_facts",
    "load_counting_method",
    "load_ruleset",
    "parse_facts",
    "passport_scope",
    "reporting_deadline",
    "ruleset_names",
]
