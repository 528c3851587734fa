"""Battery Pass v1.2 JSON documents: one object per battery, aspect name -> the aspect's properties.

``{"GeneralProductInformation": {"batteryPassportIdentifier": ..., "batteryCategory": "ev", ...},
"CarbonFootprintForBatteries": {...}, "PerformanceAndDurability": {"batteryTechicalProperties":
{...}, "batteryCondition": {...}}, ...}``. Every property must be one of the catalogue's fields
(data/passport/battery-pass-v1.2.toml) or sit inside one.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from urbanmine.passport.catalogue import CATEGORIES, catalogue
from urbanmine.registry.domain import BATTERYPASS_STATUS, normalise_status
from urbanmine.registry.errors import Invalid

GPI = "GeneralProductInformation"


@cache
def _shape() -> dict[str, dict[str, Any]]:
    """Aspect -> nested dict of path keys; a field's last key maps to ``None`` (any value)."""
    tree: dict[str, dict[str, Any]] = {}
    for f in catalogue().fields.values():
        node = tree.setdefault(f.aspect, {})
        keys = [k.removesuffix("[]") for k in f.path]
        # a field nested inside another field (batteryMaterials[].isCriticalRawMaterial) is covered
        # by its parent field: stop at the first key that is already a whole field
        for k in keys[:-1]:
            if node.get(k, {}) is None:
                break
            node = node.setdefault(k, {})
        else:
            node[keys[-1]] = None
    return tree


def _check(node: Any, shape: dict[str, Any], where: str) -> None:
    if not isinstance(node, dict):
        raise Invalid(f"{where} must be a JSON object")
    for key, value in node.items():
        if key not in shape:
            raise Invalid(
                f"{where}.{key} is not a Battery Pass v1.2 property here; allowed: {', '.join(sorted(shape))}"
            )
        if shape[key] is not None:
            _check(value, shape[key], f"{where}.{key}")


def validate(document: Any) -> dict[str, Any]:
    """Check a Battery Pass document's structure and identity fields; return a normalised copy."""
    if not isinstance(document, dict):
        raise Invalid("a Battery Pass document must be a JSON object of aspects")
    shape = _shape()
    for aspect, body in document.items():
        if aspect not in shape:
            raise Invalid(f"unknown aspect {aspect!r}; allowed: {', '.join(sorted(shape))}")
        _check(body, shape[aspect], aspect)
    gpi = document.get(GPI, {})
    category = gpi.get("batteryCategory")
    if category not in CATEGORIES:
        raise Invalid(
            f"{GPI}.batteryCategory must be one of {', '.join(CATEGORIES)}, got {category!r}"
        )
    doc = copy.deepcopy(document)
    if "batteryStatus" in gpi:
        doc[GPI]["batteryStatus"] = BATTERYPASS_STATUS[normalise_status(gpi["batteryStatus"])]
    return doc


def identifier_of(document: dict[str, Any]) -> str:
    """The document's ``batteryPassportIdentifier``; ``Invalid`` when it is missing."""
    ident = document.get(GPI, {}).get("batteryPassportIdentifier")
    if not isinstance(ident, str):
        raise Invalid(f"{GPI}.batteryPassportIdentifier is required (a string)")
    return ident


def with_status(document: dict[str, Any], status: str, identifier: str) -> dict[str, Any]:
    """A copy carrying the registry's status (Battery Pass spelling) and identifier."""
    doc = copy.deepcopy(document)
    gpi = doc.setdefault(GPI, {})
    gpi["batteryStatus"] = BATTERYPASS_STATUS[status]
    gpi["batteryPassportIdentifier"] = identifier
    return doc
