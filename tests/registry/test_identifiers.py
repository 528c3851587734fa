"""Identifiers: Battery Pass URNs by the data model's pattern; GB/T 34014 codes through the
compliance pillar's ``check_code`` (its own tests cover the code rules)."""

from __future__ import annotations

import pytest

from urbanmine.registry.errors import Invalid
from urbanmine.registry.identifiers import check_identifier


def test_battery_pass_urn() -> None:
    assert check_identifier("urn:acme:bat0001") == "urn"
    for bad in ("urn:acme:bat-0001", "urn:Acme:b1", "urn:acme", "urn:a:b:c"):
        with pytest.raises(Invalid, match="Battery Pass pattern"):
            check_identifier(bad)


def test_gbt_codes_are_checked_by_the_compliance_pillar() -> None:
    """The Catena-X example code (reference §3.1) is accepted; its errors reach the message."""
    assert check_identifier("X12MCPM27KLPCLX2M2382320") == "gbt34014"
    with pytest.raises(Invalid, match="position"):
        check_identifier("X12QCPM27KLPCLX2M2382320")  # Q is not a product type (P, M, C)
