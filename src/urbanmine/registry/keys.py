"""API keys: issued once, stored as argon2 hashes, bound to an operator and a role.

A key reads ``um_<key_id>_<secret>``; ``key_id`` finds the row, argon2 checks the whole key. Verified
keys are remembered in memory by their SHA-256 so a busy client does not pay argon2 on every call.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from urbanmine.passport import ROLES
from urbanmine.registry.errors import Invalid, Unauthorized
from urbanmine.registry.store import ApiKey, Operator

KEY_ROLES = ("admin", "operator", *ROLES[1:])
"""admin manages operators and keys; operator writes its own batteries and lots; the others read
the passport tier of the same name (Art. 77(2))."""

_hasher = PasswordHasher()
_verified: dict[str, Principal] = {}
_CACHE_SIZE = 10_000


@dataclass(frozen=True)
class Principal:
    """Who is calling: an operator and a role, or nobody (``role == "public"``)."""

    operator_id: str | None
    role: str


PUBLIC = Principal(None, "public")


def issue_key(session: Session, operator_id: str, role: str) -> str:
    """Create a key for ``operator_id`` with ``role``; the plain key is returned once, never stored."""
    if role not in KEY_ROLES:
        raise Invalid(f"unknown key role {role!r}; allowed: {', '.join(KEY_ROLES)}")
    if session.get(Operator, operator_id) is None:
        raise Invalid(f"operator {operator_id!r} does not exist; create it first")
    key_id = secrets.token_hex(8)
    key = f"um_{key_id}_{secrets.token_urlsafe(32)}"
    session.add(
        ApiKey(key_id=key_id, key_hash=_hasher.hash(key), operator_id=operator_id, role=role)
    )
    return key


def authenticate(session: Session, key: str | None) -> Principal:
    """The principal a bearer key stands for; no key is the public; a wrong key is ``Unauthorized``."""
    if not key:
        return PUBLIC
    fingerprint = hashlib.sha256(key.encode()).hexdigest()
    if fingerprint in _verified:
        return _verified[fingerprint]
    parts = key.split("_")
    row = None
    if len(parts) >= 3 and parts[0] == "um":
        row = session.scalar(select(ApiKey).where(ApiKey.key_id == parts[1]))
    try:
        if row is None or not _hasher.verify(row.key_hash, key):
            raise Unauthorized("invalid API key")
    except VerificationError:
        raise Unauthorized("invalid API key") from None
    principal = Principal(row.operator_id, row.role)
    if len(_verified) >= _CACHE_SIZE:
        _verified.clear()
    _verified[fingerprint] = principal
    return principal
