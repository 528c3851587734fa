"""Who sees what the registry derives from passports: event payloads, the inputs of recycled
content, lineage and end of life. Each is shown to the roles that may read the passport field it
discloses, by the catalogue's access rules (Annex XIII, Battery Pass longlist v1.2;
``urbanmine.passport.access``). ``tier`` is the passport tier a reader reads (``None``: the whole
passport, for the responsible operator, the holder and admins).

Event payload keys map to catalogue fields in ``PAYLOAD_FIELDS``; a payload key that is itself a
catalogue field name (``remainingCapacity``, ``stateOfCertifiedEnergy``...) maps to that field; any
other key is shown to whole-passport readers only (nothing says who else may read it).
"""

from __future__ import annotations

from typing import Any

from urbanmine.passport import access
from urbanmine.passport.catalogue import catalogue

COMPOSITION = "batteryMaterials"
"""Element masses of a battery are its detailed composition (Annex XIII 2(a), longlist row 33)."""
STATUS = "batteryStatus"
"""Custody, lineage and end of life tell the battery's status (Annex XIII 4(c), row 11)."""
EVERY_KEY = ""
"""Shown to every key holder (event histories need a key): discloses no passport field."""

PAYLOAD_FIELDS: dict[str, str] = {
    "document_sha256": EVERY_KEY,  # a hash of the document: no field's value
    "spec_sha256": EVERY_KEY,  # a hash of a lot's specification
    "elements_kg": COMPOSITION,  # registered: kg of each element in the battery
    "made_from": COMPOSITION,  # registered: kg of each element taken from lots
    "to": STATUS,  # shipped: the next holder (custody is shown with the status)
    "new_passport_id": STATUS,  # repurposed, remanufactured, successor_consented: lineage
    "operator": STATUS,  # successor_consented: who registers the successor
    "predecessor": STATUS,  # registered (successor): lineage
    "lot": STATUS,  # shredded: the lot the battery went into (end of life, status waste)
    "stateOfHealth": "stateOfCertifiedEnergy",  # state of health, Art. 14 and Annex XIII 4(b):
    # for EV batteries the state of certified energy (longlist row 57)
}
"""Event payload key -> the catalogue field whose readers may see it."""


def sees(tier: str | None, field: str) -> bool:
    """Whether a reader of ``tier`` may see data disclosing catalogue field ``field``."""
    return tier is None or field == EVERY_KEY or access(tier, field).allowed


def payload_field(key: str) -> str | None:
    """The catalogue field a payload key discloses; ``None`` when nothing maps it."""
    if key in PAYLOAD_FIELDS:
        return PAYLOAD_FIELDS[key]
    return key if key in catalogue().fields else None


def payload_view(payload: dict[str, Any], tier: str | None) -> tuple[dict[str, Any], list[str]]:
    """The part of an event payload a reader of ``tier`` may see, and the keys withheld."""
    if tier is None:
        return payload, []
    shown, withheld = {}, []
    for key, value in payload.items():
        field = payload_field(key)
        if field is not None and sees(tier, field):
            shown[key] = value
        else:
            withheld.append(key)
    return shown, withheld
