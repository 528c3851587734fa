"""Compliance: dated verdicts under the EU Battery Regulation (EU) 2023/1542, China's MIIT recycler
conditions and 2018 traceability provisions, GB/T 34014 battery codes, WEEE and ELV directives.

Rules are data (``urbanmine/data/rules/<ruleset>.toml``), each with its legal source and dates of
application; every check takes an ``on`` date and returns one :class:`Verdict` per rule.
"""

from urbanmine.compliance.battery import CATEGORIES, PassportScope, passport_scope
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
