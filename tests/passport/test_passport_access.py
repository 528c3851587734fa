"""The Battery Pass v1.2 catalogue and the access matrix of Art. 77(2) / Annex XIII.

Expected values come from reference/regulation-passport.md: §1.9 (who reads which Annex XIII point;
tiers not nested; point 2 read as the longlist does: legitimate interest + Commission) and the
longlist v1.2 counts quoted there (93 attributes: 60 P, 27 L, 5 L+C, 1 A; 73 static, 20 dynamic).
"""

from __future__ import annotations

import pytest

from urbanmine.errors import InputError
from urbanmine.passport import ROLES, access, catalogue, project

# Annex XIII point -> roles that may read it (reference §1.9), written out by hand.
READERS = {
    "1": {"public", "legitimate_interest", "notified_body", "market_surveillance", "commission"},
    "2": {"legitimate_interest", "commission"},
    "3": {"notified_body", "market_surveillance", "commission"},
    "4": {"legitimate_interest"},
}


@pytest.mark.parametrize("role", ROLES)
def test_every_field_follows_its_annex_xiii_point(role: str) -> None:
    for f in catalogue().fields.values():
        point = f.annex_xiii[:1] or "1"  # operatorInformation: ESPR data, public per the longlist
        assert access(role, f.name).allowed == (role in READERS[point]), (
            role,
            f.name,
            f.annex_xiii,
        )


@pytest.mark.parametrize(
    ("role", "field", "allowed", "point"),
    [
        ("public", "batteryCarbonFootprint", True, "1(c)"),
        ("public", "stateOfCertifiedEnergy", False, "4(b)"),
        ("legitimate_interest", "stateOfCertifiedEnergy", True, "4(b)"),
        ("commission", "stateOfCertifiedEnergy", False, "4(b)"),  # authorities do not see point 4
        ("legitimate_interest", "resultOfTestReport", False, "3"),  # LI does not see point 3
        ("notified_body", "resultOfTestReport", True, "3"),
        ("market_surveillance", "resultOfTestReport", True, "3"),
        ("commission", "resultOfTestReport", True, "3"),
        ("public", "resultOfTestReport", False, "3"),
        ("public", "batteryStatus", False, "4(c)"),
        ("commission", "dismantlingAndRemovalInformation", True, "2(c)"),
        ("notified_body", "dismantlingAndRemovalInformation", False, "2(c)"),
        ("public", "capacityThresholdForExhaustion", True, "1(k)"),
    ],
)
def test_named_fields(role: str, field: str, allowed: bool, point: str) -> None:
    a = access(role, field)
    assert (a.allowed, a.annex_xiii_point) == (allowed, point)


def test_unknown_role_or_field_is_bad_input() -> None:
    with pytest.raises(InputError, match="allowed: public, legitimate_interest"):
        access("auditor", "batteryCarbonFootprint")
    with pytest.raises(InputError, match="unknown passport field 'carbonFootprint'"):
        access("public", "carbonFootprint")


def test_longlist_rows_covered_once() -> None:
    """Every longlist row 1-93 once, except row 66 ("Ratio between nominal battery power and
    battery energy", DIN DKE SPEC 99100 6.7.3.6), which SAMM carries twice: powerCapabilityRatio
    and cRate (whose description cites 6.7.3.6)."""
    cat = catalogue()
    rows = [n for f in cat.fields.values() for n in f.longlist] + [
        n for a in cat.absent for n in a["longlist"]
    ]
    assert sorted(set(rows)) == list(range(1, 94))
    twice = {n for n in rows if rows.count(n) > 1}
    assert twice == {66}
    assert {f.name for f in cat.fields.values() if 66 in f.longlist} == {
        "powerCapabilityRatio",
        "cRate",
    }


def test_temperature_rows() -> None:
    """Longlist v1.2: row 84 "Temperature information" (legitimate interest), 85-86 idle-state
    lower and upper boundary (public), 87-90 time in extreme temperatures (legitimate interest)."""
    fields = catalogue().fields
    assert fields["temperatureRangeIdleState"].longlist == (85, 86)
    assert fields["temperatureInformation"].longlist == (84, 87, 88, 89, 90)
    assert fields["temperatureRangeIdleState"].access_code == "P"
    assert fields["temperatureInformation"].access_code == "L"


def test_access_codes_and_kinds_match_longlist_counts() -> None:
    """60 P, 27 L, 5 L+C, 1 A and 20 dynamic rows of 93 (reference §1.9); rows 91-92 (absent from
    SAMM) are L and dynamic; row 26 (not in §2.2) is the remaining public static row."""
    fields = catalogue().fields.values()
    count = {
        code: len({n for f in fields if f.access_code == code for n in f.longlist})
        for code in ("P", "L", "L+C", "A")
    }
    assert count == {"P": 60 - 1, "L": 27 - 2, "L+C": 5, "A": 1}
    dynamic = len({n for f in fields if f.kind == "dynamic" for n in f.longlist})
    assert dynamic == 20 - 2


def test_longlist_access_code_agrees_with_annex_point() -> None:
    group = {"P": "1", "L+C": "2", "A": "3", "L": "4"}
    for f in catalogue().fields.values():
        if f.annex_xiii:
            assert f.annex_xiii[0] == group[f.access_code], f.name


def test_requirements_cited_cases() -> None:
    """EC guidance (§1.10): CF declaration pending; SOCE and capacity threshold EV only; status
    mandatory everywhere; remaining capacity n/a for EV and mandatory for LMT."""
    fields = catalogue().fields
    assert set(fields["batteryCarbonFootprint"].requirement.values()) == {"pending"}
    assert fields["stateOfCertifiedEnergy"].requirement == {
        "ev": "mandatory",
        "lmt": "not_applicable",
        "industrial": "not_applicable",
        "stationary": "not_applicable",
    }
    assert fields["capacityThresholdForExhaustion"].requirement["lmt"] == "not_applicable"
    assert set(fields["batteryStatus"].requirement.values()) == {"mandatory"}
    assert fields["remainingCapacity"].requirement["ev"] == "not_applicable"
    assert fields["remainingCapacity"].requirement["lmt"] == "mandatory"


def test_project_keeps_only_allowed_paths() -> None:
    """Longlist row 32 "Critical raw materials" is public: the critical raw materials by name;
    the rest of the composition (row 33) is for legitimate interest and the Commission."""
    doc = {
        "MaterialComposition": {
            "batteryMaterials": [
                {"batteryMaterialName": "Graphite", "isCriticalRawMaterial": False},
                {
                    "batteryMaterialName": "Cobalt",
                    "batteryMaterialMass": 9.5,
                    "isCriticalRawMaterial": True,
                },
            ]
        },
        "Circularity": {
            "safetyMeasures": {"extinguishingAgent": ["CO2"], "safetyInstructions": "u"}
        },
    }
    crm = {"batteryMaterialName": "Cobalt", "isCriticalRawMaterial": True}
    assert project(doc, "public") == {
        "MaterialComposition": {"batteryMaterials": [crm]},
        "Circularity": {"safetyMeasures": {"extinguishingAgent": ["CO2"]}},
    }
    assert project(doc, "legitimate_interest") == doc
    assert project(doc, "notified_body") == {
        "MaterialComposition": {"batteryMaterials": [crm]},
        "Circularity": {"safetyMeasures": {"extinguishingAgent": ["CO2"]}},
    }


def test_project_adds_no_empty_parents() -> None:
    doc = {"PerformanceAndDurability": {"batteryCondition": {"stateOfCertifiedEnergy": 97.5}}}
    assert project(doc, "public") == {}
    assert project(doc, "legitimate_interest") == doc
