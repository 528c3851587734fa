"""Who may read which passport field: Art. 77(2) and Annex XIII of Regulation (EU) 2023/1542.

The audiences are not nested (reference/regulation-passport.md §1.9): authorities do not see
point 4 and persons with a legitimate interest do not see point 3.

Annex XIII point 2 (detailed composition, part numbers and spare-part sources, dismantling, safety
measures): the Battery Pass longlist v1.2 (read directly, [V K8]) gives it to persons with a
legitimate interest and the Commission; a secondary memo [K6] adds notified bodies and market
surveillance authorities. We follow the longlist: point 2 is for ``legitimate_interest`` and
``commission`` only. Changing that reading is one line in ``TIER_ROLES``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from urbanmine.errors import InputError
from urbanmine.passport.catalogue import Field, catalogue, field

ROLES = ("public", "legitimate_interest", "notified_body", "market_surveillance", "commission")

TIER_ROLES: dict[str, frozenset[str]] = {
    "P": frozenset(ROLES),
    "L+C": frozenset({"legitimate_interest", "commission"}),
    "A": frozenset({"notified_body", "market_surveillance", "commission"}),
    "L": frozenset({"legitimate_interest"}),
}
"""Longlist access code -> roles that may read it (Annex XIII points 1, 2, 3, 4 in that order)."""


@dataclass(frozen=True)
class Access:
    """Whether a role may read a field, and the Annex XIII point that decides it."""

    allowed: bool
    annex_xiii_point: str


def check_role(role: str) -> str:
    """Return ``role`` if it is one of ``ROLES``; ``InputError`` otherwise."""
    if role not in ROLES:
        raise InputError(f"unknown role {role!r}; allowed: {', '.join(ROLES)}")
    return role


def access(role: str, field_name: str) -> Access:
    """May ``role`` read passport field ``field_name`` (a SAMM property name)?"""
    check_role(role)
    f = field(field_name)
    return Access(allowed=role in TIER_ROLES[f.access_code], annex_xiii_point=f.annex_xiii)


def allowed_fields(role: str) -> list[Field]:
    """Every catalogue field ``role`` may read."""
    check_role(role)
    return [f for f in catalogue().fields.values() if role in TIER_ROLES[f.access_code]]


def _copy_path(src: Any, dst: dict[str, Any], path: tuple[str, ...], names: str = "") -> None:
    """Copy the value at ``path`` in ``src`` into ``dst``; lists map element-wise. Parents are
    created only when something is copied into them. With ``names`` (``Field.names``) the last key
    is a flag: copied with the item's name where it is true, not at all otherwise."""
    key, rest = path[0], path[1:]
    name = key.removesuffix("[]")
    if not isinstance(src, dict) or name not in src:
        return
    if not rest:
        if not names:
            dst[name] = copy.deepcopy(src[name])
        elif src[name] is True:
            dst[name] = True
            if names in src:
                dst[names] = copy.deepcopy(src[names])
        return
    if key.endswith("[]"):
        items = src[name]
        if not isinstance(items, list):
            return
        targets = dst.get(name)
        if targets is None:  # items with nothing to show are left out
            mapped: list[dict[str, Any]] = [{} for _ in items]
            for item, target in zip(items, mapped, strict=True):
                _copy_path(item, target, rest, names)
            if any(mapped):
                dst[name] = [t for t in mapped if t]
            return
        for item, target in zip(items, targets, strict=True):
            _copy_path(item, target, rest, names)
        return
    sub = dst.get(name) or {}
    _copy_path(src[name], sub, rest, names)
    if sub:
        dst[name] = sub


def project(passport: dict[str, Any], role: str) -> dict[str, Any]:
    """The part of a Battery Pass document (aspect -> properties) that ``role`` may read."""
    view: dict[str, Any] = {}
    for f in allowed_fields(role):
        _copy_path(passport, view, (f.aspect, *f.path), f.names)
    return view
