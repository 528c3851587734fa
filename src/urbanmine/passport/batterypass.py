"""The Battery Pass data model 1.2.0 as published: one JSON schema and one example payload per
aspect, shipped byte for byte in ``data/passport/batterypass-1.2.0`` (source and licence in its
README).

``schema(aspect)`` is the aspect's JSON Schema (draft-04); ``example(aspect)`` the consortium's
example payload; ``example_document()`` all seven examples assembled into one passport document
(aspect name -> payload), optionally with another identifier, category or mass.
"""

from __future__ import annotations

import copy
from functools import cache
from importlib import resources
from typing import Any

from urbanmine import jsonbytes

FOLDER = ("passport", "batterypass-1.2.0")
ASPECTS = (
    "GeneralProductInformation",
    "CarbonFootprintForBatteries",
    "SupplyChainDueDiligence",
    "MaterialComposition",
    "Circularity",
    "Labeling",
    "PerformanceAndDurability",
)
"""The seven aspects of the data model, in the longlist's order."""

GPI = "GeneralProductInformation"


def schema_file(aspect: str) -> str:
    """File name of an aspect's published JSON schema."""
    return f"{aspect}-schema.json"


def example_file(aspect: str) -> str:
    """File name of an aspect's published example (Circularity's has no ``-payload`` suffix)."""
    return "Circularity.json" if aspect == "Circularity" else f"{aspect}-payload.json"


def raw(name: str) -> bytes:
    """The bytes of a shipped file, as published."""
    return resources.files("urbanmine.data").joinpath(*FOLDER, name).read_bytes()


@cache
def _parsed(name: str) -> Any:
    return jsonbytes.loads(raw(name))


def schema(aspect: str) -> dict[str, Any]:
    """An aspect's published JSON schema (parsed once; do not modify)."""
    parsed: dict[str, Any] = _parsed(schema_file(aspect))
    return parsed


def example(aspect: str) -> dict[str, Any]:
    """A copy of an aspect's published example payload."""
    return copy.deepcopy(_parsed(example_file(aspect)))


def example_document(
    identifier: str | None = None,
    category: str | None = None,
    mass_kg: float | None = None,
    aspects: tuple[str, ...] = ASPECTS,
) -> dict[str, Any]:
    """The published examples of ``aspects`` as one document; the general product information's
    ``batteryPassportIdentifier``, ``batteryCategory`` and ``batteryMass`` replaced when given."""
    doc = {aspect: example(aspect) for aspect in aspects}
    replace = {
        "batteryPassportIdentifier": identifier,
        "batteryCategory": category,
        "batteryMass": mass_kg,
    }
    for key, value in replace.items():
        if value is not None and GPI in doc:
            doc[GPI][key] = value
    return doc
