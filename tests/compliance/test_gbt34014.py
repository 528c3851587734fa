"""GB/T 34014-2017 codes: examples and rules from regulation-passport.md §3.1 (Catena-X pattern
[V K9], NIO test utility [S K14])."""

from __future__ import annotations

import re

import pytest

from urbanmine.compliance import check_code

CATENA_X = re.compile(
    r"(^[A-Z0-9]{3}[PMC][A-GZ][A-Z0-9]{2}[A-Z0-9]{7}[1-9A-GH-NPR-Y][1-9A-C][0-9A-GH-NPR-Y][0-9]{7}$)"
    r"|(^[A-Z0-9]{3}[PMC][A-GZ][A-Z0-9]{2}[1-9A-GH-NPR-Y][1-9A-C][0-9A-GH-NPR-Y][0-9]{7}R[PMC]$)"
)
"""The Catena-X traction-battery-code pattern, verbatim (an independent validator)."""


def test_reference_example_constructed() -> None:
    """001PE01ABCDEFGF3A0000123: CATL pack, ternary, spec 01, date 2025-03-10, serial 123."""
    c = check_code("001PE01ABCDEFGF3A0000123")
    assert c.valid and c.form == "full" and not c.errors
    f = c.fields
    assert "CATL" in f["manufacturer"]["meaning"]
    assert f["product_type"]["meaning"] == "pack"
    assert f["battery_type"]["meaning"].startswith("ternary")
    assert f["specification"]["code"] == "01"
    assert f["traceability"]["code"] == "ABCDEFG"
    assert f["production_date"]["value"] == "2025-03-10"
    assert f["serial"]["value"] == 123


def test_reference_example_catena_x() -> None:
    """X12MCPM27KLPCLX2M2382320: module, chemistry C, year X (2039), February, day 21."""
    c = check_code("X12MCPM27KLPCLX2M2382320")
    assert c.valid
    assert c.fields["product_type"]["meaning"] == "module"
    assert c.fields["traceability"]["code"] == "27KLPCL"
    assert c.fields["production_date"]["value"] == "2039-02-21"
    assert c.fields["serial"]["value"] == 2382320


def test_cascade_use_form_and_day_31() -> None:
    c = check_code("001PE01F3A0000123RP")
    assert c.valid and c.form == "cascade" and "traceability" not in c.fields
    assert c.fields["cascade_use"]["code"] == "RP"
    assert check_code("001PE01ABCDEFGF100000123").fields["production_date"]["value"] == "2025-01-31"


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("001PE01ABCDEFGF3A000012", "length 23"),
        ("001XE01ABCDEFGF3A0000123", "position 4 (product type)"),
        ("001PH01ABCDEFGF3A0000123", "position 5 (battery type)"),
        ("001PE0#ABCDEFGF3A0000123", "position 6-7 (specification)"),
        ("001PE01ABCDEFGO3A0000123", "position 15 (year)"),
        ("001PE01ABCDEFGFD10000123", "position 16 (month)"),
        ("001PE01ABCDEFGF3Z0000123", "position 17 (day)"),
        ("001PE01ABCDEFGF200000123", "has no day 31"),  # 31 February
        ("001PE01ABCDEFGF3A0000000", "0000000 not allowed"),
        ("001PE01ABCDEFGF3A00001X3", "position 18-24 (serial)"),
        ("001PE01F3A0000123XP", "position 18 (cascade marker)"),
        ("00aPE01ABCDEFGF3A0000123", "position 1-3 (manufacturer)"),
    ],
)
def test_each_kind_of_error(code: str, fragment: str) -> None:
    c = check_code(code)
    assert not c.valid
    assert any(fragment in e for e in c.errors), c.errors


def test_lenient_letters_warn() -> None:
    """Catena-X admits I and U in the date letters; table T leaves them out: valid, warned."""
    c = check_code("001PE01ABCDEFGI3A0000123")
    assert c.valid and c.warnings and "production_date" not in c.fields


@pytest.mark.parametrize(
    "code",
    [
        "001PE01ABCDEFGF3A0000123",
        "X12MCPM27KLPCLX2M2382320",
        "001PE01F3A0000123RP",
        "001QE01ABCDEFGF3A0000123",
        "001PE01ABCDEFGO3A0000123",
        "001PE01ABCDEFGF3Z0000123",
        "001PE01F3A0000123XP",
        "001PE01ABCDEFG13A0000123",
    ],
)
def test_agrees_with_catena_x_pattern(code: str) -> None:
    """Where the code has no impossible date, validity equals a match of the Catena-X pattern."""
    assert check_code(code).valid == bool(CATENA_X.match(code))
