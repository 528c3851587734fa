"""Check facts or a flowsheet result against the selected rule sets on a date."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from urbanmine.compliance.battery import (
    check_category,
    check_passport,
    check_recycled_content,
    normalise_category,
)
from urbanmine.compliance.collection import check_collection
from urbanmine.compliance.counting import counting_note, counting_summary, load_counting_method
from urbanmine.compliance.facts import Facts, is_flowsheet_result, parse_facts, read_document
from urbanmine.compliance.findings import Findings
from urbanmine.compliance.model import RuleSet, Verdict
from urbanmine.compliance.recycling import (
    check_efficiency,
    check_impurities,
    check_recovery,
    counted_masses,
    efficiency_class,
    recovery_values,
)
from urbanmine.compliance.rules import select
from urbanmine.compliance.traceability import check_report
from urbanmine.compliance.waste import (
    TREATED_FRACTION_NOTE,
    check_elv,
    check_weee,
    elv_rates,
    weee_rates,
)
from urbanmine.compliance.workdays import calendar_named
from urbanmine.errors import InputError

RULESETS_BY_KIND = {
    "recycling_process": ("eu-2023-1542", "cn-miit-2019", "cn-miit-2024"),
    "battery": ("eu-2023-1542",),
    "producer": ("eu-2023-1542",),
    "traceability": ("cn-traceability-2018",),
    "weee_treatment": ("eu-weee-2012-19",),
    "elv_treatment": ("eu-elv-2000-53",),
}
"""Which rule sets speak to which kind of facts."""


def _recycling(rs: RuleSet, on: dt.date, f: Facts) -> Findings:
    found = Findings()
    if rs.id == "eu-2023-1542":
        if f.input_kg is not None and f.recycled_output_kg is not None and f.chemistry:
            found.extend(
                check_efficiency(rs, on, f.chemistry, f.input_kg, f.recycled_output_kg, f.counting)
            )
        else:
            found.skip(f"{rs.id}/recycling-efficiency/*", "chemistry, input_kg, recycled_output_kg")
    values = recovery_values(f.elements_in_kg, f.elements_recovered_kg, f.recovery_rates)
    absent = (
        {el for el in ("Co", "Cu", "Pb", "Ni", "Li", "Mn") if f.elements_in_kg.get(el, 0.0) == 0.0}
        if f.elements_in_kg
        else set()
    )
    found.extend(check_recovery(rs, on, values, absent, f.counting))
    found.extend(check_impurities(rs, on, f.impurities))
    return found


def _category(f: Facts) -> str:
    if not isinstance(f.category, str):
        raise InputError(f"category is needed for kind {f.kind}: a battery category")
    return normalise_category(f.category)


def _battery(rs: RuleSet, on: dt.date, f: Facts) -> Findings:
    cat = _category(f)
    found = check_category(rs, on, cat, f.mass_kg)
    if f.recycled_content_share or f.chemistry:
        found.extend(
            check_recycled_content(
                rs,
                on,
                cat,
                f.capacity_kWh,
                f.external_storage_only,
                f.chemistry,
                f.recycled_content_share,
            )
        )
    if f.has_passport is not None:
        found.extend(check_passport(rs, on, cat, f.capacity_kWh, f.has_passport))
    else:
        found.skip(f"{rs.id}/passport/scope", "has_passport")
    return found


def _producer(rs: RuleSet, on: dt.date, f: Facts) -> Findings:
    if not f.collected_t:
        raise InputError("a producer facts file needs collected_t and placed_on_market_t by year")
    return check_collection(rs, on, _category(f), f.collected_t, f.placed_on_market_t)


def _traceability(rs: RuleSet, on: dt.date, f: Facts) -> Findings:
    if not f.reports:
        raise InputError("a traceability facts file needs reports = [{actor, event, event_date}]")
    calendar = calendar_named(f.calendar).with_days(f.holidays, f.workdays)
    found = Findings()
    for r in f.reports:
        found.extend(check_report(rs, on, r.actor, r.event, r.event_date, r.reported_on, calendar))
    return found


def _weee(rs: RuleSet, on: dt.date, f: Facts) -> Findings:
    try:
        category = int(f.category) if f.category is not None else None
    except ValueError:
        category = None
    if category is None:
        raise InputError(f"category must be a WEEE category 1-6, got {f.category!r}")
    return check_weee(rs, on, category, f.recovery_rates)


def _elv(rs: RuleSet, on: dt.date, f: Facts) -> Findings:
    return check_elv(rs, on, f.recovery_rates)


_CHECKS: dict[str, Callable[[RuleSet, dt.date, Facts], Findings]] = {
    "recycling_process": _recycling,
    "battery": _battery,
    "producer": _producer,
    "traceability": _traceability,
    "weee_treatment": _weee,
    "elv_treatment": _elv,
}


def check_facts(facts: Facts, on: dt.date, rulesets: Sequence[str] | None = None) -> Findings:
    """Verdicts of the selected rule sets (all by default) that speak to this kind of facts."""
    chosen = [rs for rs in select(rulesets) if rs.id in RULESETS_BY_KIND[facts.kind]]
    if not chosen:
        raise InputError(
            f"nothing to check: facts of kind {facts.kind} are checked by "
            f"{', '.join(RULESETS_BY_KIND[facts.kind])}; selected: {', '.join(rulesets or [])}"
        )
    found = Findings()
    for rs in chosen:
        found.extend(_CHECKS[facts.kind](rs, on, facts))
    return found


def flowsheet_facts(
    result: dict[str, Any], counting: str = "battery_origin", exclude_negative_list: bool = False
) -> Facts:
    """Facts of a recycling process from a flowsheet result (its outputs and their fates),
    counted as ``counting`` says (``battery_origin``, the law's counting, or the
    ``element_capped`` upper bound), with the counting method's optional negative list left out
    of numerator and denominator if asked.

    The chemistry comes from the result's ``chemistry`` key if present, else from the feed name
    (``NMC622-cell`` -> NMC622, lithium-based).
    """
    method = load_counting_method()
    exclude = method.negative_list if exclude_negative_list else ()
    input_kg, recycled_kg, elements_in, recovered = counted_masses(result, counting, exclude)
    chemistry = result.get("chemistry") or str(result["feed"].get("name", "")).split("-")[0]
    if not chemistry:
        raise InputError("the flowsheet result names no feed; add a 'chemistry' key")
    efficiency_class(chemistry)  # unknown chemistry: one clear message
    facts = {
        "kind": "recycling_process",
        "chemistry": chemistry,
        "input_kg": input_kg,
        "recycled_output_kg": recycled_kg,
        "elements_in_kg": {el: kg for el, kg in elements_in.items() if kg > 0},
        "elements_recovered_kg": {el: recovered[el] for el, kg in elements_in.items() if kg > 0},
        "counting": counting_summary(method, counting, exclude),
    }
    return parse_facts(facts, "flowsheet result")


def weee_facts(result: dict[str, Any], category: int) -> Facts:
    """``weee_treatment`` facts of WEEE category ``category`` (1-6) from a flowsheet result of a
    WEEE feed (circuit boards...): recovery and re-use/recycling shares per :func:`weee_rates`."""
    rates = weee_rates(result)
    return parse_facts(
        {"kind": "weee_treatment", "category": category, "recovery_rates": rates},
        "flowsheet result",
    )


def elv_facts(result: dict[str, Any]) -> Facts:
    """``elv_treatment`` facts from a flowsheet result of a vehicle feed: reuse/recovery and
    reuse/recycling shares of the vehicle's own mass per :func:`elv_rates`."""
    return parse_facts(
        {"kind": "elv_treatment", "recovery_rates": elv_rates(result)}, "flowsheet result"
    )


def _check_waste_result(
    result: dict[str, Any],
    on: dt.date,
    category: int | None,
    rulesets: Sequence[str] | None,
    counting: str,
    exclude_negative_list: bool,
) -> Findings:
    """WEEE (``category`` given) or ELV (``category`` None) verdicts of a flowsheet result."""
    if counting != "battery_origin" or exclude_negative_list:
        raise InputError(
            "--counting and --exclude-negative-list are battery counting rules; a WEEE or ELV "
            "check counts the feed's own mass in the outputs (leave both at their defaults)"
        )
    if category is None:
        return check_facts(elv_facts(result), on, rulesets)
    return _check_weee_result(result, on, category, rulesets)


def _check_weee_result(
    result: dict[str, Any],
    on: dt.date,
    category: int,
    rulesets: Sequence[str] | None,
) -> Findings:
    found = check_facts(weee_facts(result, category), on, rulesets)
    found.verdicts = [
        v.model_copy(update={"note": "; ".join(n for n in (v.note, TREATED_FRACTION_NOTE) if n)})
        for v in found.verdicts
    ]
    return found


def check_flowsheet(
    result: dict[str, Any],
    on: dt.date,
    rulesets: Sequence[str] | None = None,
    counting: str = "battery_origin",
    exclude_negative_list: bool = False,
    weee_category: int | None = None,
    elv: bool = False,
) -> Findings:
    """Verdicts, and unchecked rules, for the recycling process a flowsheet result describes:
    the one path both ``urbanmine flowsheet --comply`` and ``urbanmine comply RESULT.json`` take.

    Recycling efficiency and material recovery are computed from ``outputs[]`` and their fates
    (``product`` and ``recycled`` count; energy recovery, landfill and emissions do not), not taken
    from the result's own summary fields. With ``weee_category`` the result is a WEEE treatment
    of that category instead (:func:`weee_facts`), judged for the treated fraction only; with
    ``elv`` it is the treatment of end-of-life vehicles (:func:`elv_facts`).
    """
    if elv and weee_category is not None:
        raise InputError("give --elv or --weee-category, not both: a feed is a vehicle or WEEE")
    if weee_category is not None or elv:
        return _check_waste_result(
            result, on, weee_category, rulesets, counting, exclude_negative_list
        )
    facts = flowsheet_facts(result, counting, exclude_negative_list)
    found = check_facts(facts, on, rulesets)
    found.counting = counting_note(load_counting_method(), counting, exclude_negative_list)
    return found


def check_flowsheet_result(
    result: dict[str, Any],
    on: dt.date,
    rulesets: list[str] | None = None,
    counting: str = "battery_origin",
    exclude_negative_list: bool = False,
) -> list[Verdict]:
    """The verdicts of :func:`check_flowsheet`."""
    return check_flowsheet(result, on, rulesets, counting, exclude_negative_list).verdicts


def check_file(
    path: Path,
    on: dt.date,
    rulesets: Sequence[str] | None = None,
    counting: str = "battery_origin",
    exclude_negative_list: bool = False,
    weee_category: int | None = None,
    elv: bool = False,
) -> Findings:
    """Check a flowsheet result or a facts file (JSON or TOML); ``counting`` and
    ``exclude_negative_list`` say how a flowsheet result's outputs are counted, ``weee_category``
    that it is judged as WEEE treatment of that category, ``elv`` as ELV treatment."""
    data = read_document(path)
    if is_flowsheet_result(data):
        return check_flowsheet(
            data, on, rulesets, counting, exclude_negative_list, weee_category, elv
        )
    if weee_category is not None or elv:
        raise InputError(
            f"{path}: --weee-category and --elv apply to flowsheet results only; a facts file "
            "gives kind = 'weee_treatment' (with its category) or 'elv_treatment' itself"
        )
    if counting != "battery_origin" or exclude_negative_list:
        raise InputError(
            f"{path}: --counting and --exclude-negative-list apply to flowsheet results only; a "
            "facts file gives its counted masses itself (input_kg, recycled_output_kg)"
        )
    return check_facts(parse_facts(data, str(path)), on, rulesets)
