"""Identifiers: Battery Pass URNs by the data model's pattern; GB/T 34014 codes through the
compliance pillar's ``check_code`` (its own tests cover the code rules)."""

from __future__ import annotations

import sys
import types
from dataclasses import dataclass, field

import pytest

from urbanmine.registry.errors import Invalid
from urbanmine.registry.identifiers import check_identifier


def test_battery_pass_urn() -> None:
    assert check_identifier("urn:acme:bat0001") == "urn"
    for bad in ("urn:acme:bat-0001", "urn:Acme:b1", "urn:acme", "urn:a:b:c"):
        with pytest.raises(Invalid, match="Battery Pass pattern"):
            check_identifier(bad)


@dataclass
class _Check:
    valid: bool
    fields: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)


def test_gbt_codes_go_through_check_code(monkeypatch: pytest.MonkeyPatch) -> None:
    """Wiring only: whatever ``check_code`` says decides; its errors reach the message."""
    seen = []

    def check_code(code: str) -> _Check:
        seen.append(code)
        return (
            _Check(True)
            if code == "GOOD"
            else _Check(False, errors=["position 4 must be P, M or C"])
        )

    module = types.ModuleType("urbanmine.compliance.gbt34014")
    module.check_code = check_code  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "urbanmine.compliance.gbt34014", module)
    assert check_identifier("GOOD") == "gbt34014"
    with pytest.raises(Invalid, match="position 4 must be P, M or C"):
        check_identifier("BAD")
    assert seen == ["GOOD", "BAD"]


def test_real_gbt_check_when_available() -> None:
    """After merging the compliance pillar: the Catena-X example code (reference §3.1) is accepted."""
    pytest.importorskip("urbanmine.compliance.gbt34014")
    assert check_identifier("X12MCPM27KLPCLX2M2382320") == "gbt34014"
    with pytest.raises(Invalid):
        check_identifier("X12QCPM27KLPCLX2M2382320")  # Q is not a product type (P, M, C)
