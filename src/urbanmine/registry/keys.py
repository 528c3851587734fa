"""API keys: issued once, stored as argon2 hashes, bound to an operator and a role; revocable,
optionally expiring.

A key reads ``um_<key_id>_<secret>``; ``key_id`` finds the row, argon2 checks the whole key. Every
request reads its key's row (one lookup on the unique ``key_id`` index): a key revoked, expired or
deleted is refused at once, by every worker process, and a changed role applies at once. Only the
argon2 check is remembered, in memory, by the key's SHA-256 together with the hash it was checked
against, so a busy client does not pay argon2 (tens of milliseconds, by design) on every call.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from urbanmine.passport import ROLES
from urbanmine.registry.errors import Invalid, NotFound, Unauthorized
from urbanmine.registry.store import ApiKey, Operator, now

KEY_ROLES = ("admin", "operator", *ROLES[1:])
"""admin manages operators and keys; operator writes its own batteries and lots; the others read
the passport tier of the same name (Art. 77(2))."""

_hasher = PasswordHasher()
_verified: dict[str, str] = {}
"""SHA-256 of a key -> the argon2 hash it was verified against."""
_CACHE_SIZE = 10_000


@dataclass(frozen=True)
class Principal:
    """Who is calling: an operator and a role, or nobody (``role == "public"``)."""

    operator_id: str | None
    role: str


PUBLIC = Principal(None, "public")


def utc(t: datetime) -> datetime:
    """``t`` as an aware UTC time (SQLite hands back naive times; they were stored in UTC)."""
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def parse_expiry(value: str) -> datetime:
    """When a new key stops working: an ISO 8601 time with a timezone, or a date (the key is
    refused from the start of that day, UTC); it must lie in the future."""
    where = "expires_at"
    try:
        t = (
            datetime.combine(date.fromisoformat(value), datetime.min.time(), UTC)
            if len(value) == 10
            else datetime.fromisoformat(value)
        )
    except (TypeError, ValueError):
        raise Invalid(
            f"{where} {value!r} is not ISO 8601; give a date (2027-12-31) or a time with a "
            "timezone (2027-12-31T18:00:00+01:00)"
        ) from None
    if t.tzinfo is None:
        raise Invalid(f"{where} {value!r} needs a timezone offset (e.g. +00:00) or no time at all")
    if t <= now():
        raise Invalid(f"{where} {value!r} must be in the future")
    return t.astimezone(UTC)


def issue_key(
    session: Session, operator_id: str, role: str, expires_at: datetime | None = None
) -> str:
    """Create a key for ``operator_id`` with ``role``; the plain key is returned once, never stored."""
    if role not in KEY_ROLES:
        raise Invalid(f"unknown key role {role!r}; allowed: {', '.join(KEY_ROLES)}")
    if session.get(Operator, operator_id) is None:
        raise Invalid(f"operator {operator_id!r} does not exist; create it first")
    key_id = secrets.token_hex(8)
    key = f"um_{key_id}_{secrets.token_urlsafe(32)}"
    session.add(
        ApiKey(
            key_id=key_id,
            key_hash=_hasher.hash(key),
            operator_id=operator_id,
            role=role,
            expires_at=expires_at,
        )
    )
    session.flush()
    return key


def key_id_of(key: str) -> str:
    """The public part of a key (``um_<key_id>_<secret>``)."""
    return key.split("_")[1]


def key_view(row: ApiKey) -> dict[str, Any]:
    """What may be shown of a key: everything but its hash (the secret is never stored)."""
    return {
        "key_id": row.key_id,
        "operator": row.operator_id,
        "role": row.role,
        "created_at": utc(row.created_at).isoformat(),
        "expires_at": utc(row.expires_at).isoformat() if row.expires_at else None,
        "revoked_at": utc(row.revoked_at).isoformat() if row.revoked_at else None,
    }


def revoke(session: Session, key_id: str, operator_id: str | None = None) -> ApiKey:
    """Revoke a key (of ``operator_id``, when given); revoking it again keeps the first time."""
    row = session.scalar(select(ApiKey).where(ApiKey.key_id == key_id).with_for_update())
    if row is None or operator_id not in (None, row.operator_id):
        owner = f" of operator {operator_id!r}" if operator_id else ""
        raise NotFound(f"API key {key_id!r}{owner} not found")
    if row.revoked_at is None:
        row.revoked_at = now()
        session.flush()
    return row


def list_keys(session: Session, operator_id: str | None = None) -> list[ApiKey]:
    """Keys (of ``operator_id``, when given), oldest first."""
    q = select(ApiKey).order_by(ApiKey.id)
    if operator_id is not None:
        q = q.where(ApiKey.operator_id == operator_id)
    return list(session.scalars(q))


def usable(row: Any, at: datetime) -> str | None:
    """Why the key row cannot be used at ``at`` (revoked, expired), or ``None`` if it can."""
    if row.revoked_at is not None:
        return f"API key {row.key_id} was revoked at {utc(row.revoked_at).isoformat()}"
    if row.expires_at is not None and utc(row.expires_at) <= at:
        return f"API key {row.key_id} expired at {utc(row.expires_at).isoformat()}"
    return None


_KEYS = ApiKey.__table__
_ROW = select(
    *(
        _KEYS.c[name]
        for name in ("key_id", "key_hash", "operator_id", "role", "revoked_at", "expires_at")
    )
).where(_KEYS.c.key_id == bindparam("key_id"))
"""The key row a request reads: one statement built once, Core (no ORM per-call overhead)."""


def authenticate(session: Session, key: str | None) -> Principal:
    """The principal a bearer key stands for; no key is the public; a wrong, revoked or expired
    key is ``Unauthorized``."""
    if not key:
        return PUBLIC
    parts = key.split("_")
    row = None
    if len(parts) >= 3 and parts[0] == "um":
        row = session.connection().execute(_ROW, {"key_id": parts[1]}).first()
    if row is None:
        raise Unauthorized("invalid API key")
    fingerprint = hashlib.sha256(key.encode()).hexdigest()
    if _verified.get(fingerprint) != row.key_hash:
        try:
            _hasher.verify(row.key_hash, key)
        except (VerificationError, InvalidHashError):
            raise Unauthorized("invalid API key") from None
        if len(_verified) >= _CACHE_SIZE:
            _verified.clear()
        _verified[fingerprint] = row.key_hash
    refused = usable(row, now())
    if refused:
        raise Unauthorized(refused)
    return Principal(row.operator_id, row.role)
