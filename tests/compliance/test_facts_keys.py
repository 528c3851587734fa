"""Facts files: element keys are element symbols as written; every key a rule reads is allowed;
masses are finite and cannot overflow."""

import pytest

from urbanmine.compliance.facts import parse_facts
from urbanmine.compliance.rules import load_ruleset, ruleset_names
from urbanmine.compliance.waste import _key
from urbanmine.errors import InputError


def _rate_keys_the_rules_read() -> set[str]:
    keys = set()
    for name in ruleset_names():
        for rule in load_ruleset(name).rules:
            if name == "eu-weee-2012-19":
                keys.add(_key(rule.topic))
            elif name == "eu-elv-2000-53":
                keys.add(_key(rule.item))
            elif rule.topic in ("recovery", "material-recovery"):
                keys.add(rule.item)
    return keys


def test_every_rate_key_a_rule_reads_is_accepted():
    keys = _rate_keys_the_rules_read()
    assert {"Li", "electrode-powder", "reuse_recycling", "reuse_recovery", "recycling"} <= keys
    facts = parse_facts({"kind": "recycling_process", "recovery_rates": dict.fromkeys(keys, 0.5)})
    assert set(facts.recovery_rates) == keys


@pytest.mark.parametrize(
    ("table", "key", "needle"),
    [
        ("elements_in_kg", "li", "did you mean 'Li'"),
        ("elements_recovered_kg", "CO", "did you mean 'Co'"),
        ("elements_in_kg", "Lithium", "element symbols"),
        ("recycled_content_share", "ni", "did you mean 'Ni'"),
        ("impurities", "Xx", "element symbols"),
        ("recovery_rates", "li", "did you mean 'Li'"),
        ("recovery_rates", "electrode_powder", "electrode-powder"),
    ],
)
def test_element_keys_must_be_symbols_as_written(table, key, needle):
    with pytest.raises(InputError, match=needle) as info:
        parse_facts({"kind": "recycling_process", table: {key: 0.5}}, "f.toml")
    assert f"f.toml: {table}" in str(info.value) and repr(key) in str(info.value)


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        ({"input_kg": float("inf")}, "input_kg: got inf; allowed: a finite number"),
        ({"mass_kg": float("nan")}, "mass_kg: got nan"),
        ({"elements_in_kg": {"Li": float("inf")}}, "elements_in_kg.Li: got inf"),
        ({"input_kg": 10**400}, "input_kg: got 1000"),
        ({"collected_t": {2021: 1.7e308}}, "allowed: masses from 0 to 1e+300"),
        ({"capacity_kWh": 1e301}, "allowed: a number from 0 up to 1e+300"),
    ],
)
def test_infinite_or_overflowing_masses_are_refused(data, needle):
    with pytest.raises(InputError, match=needle.replace("+", r"\+")):
        parse_facts({"kind": "recycling_process", **data})
