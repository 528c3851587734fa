"""Anchors: every chain's head at one moment, exported to a file kept outside the database
(``urbanmine registry anchor``), so that ``verify --against FILE`` can tell a rewritten history.

Someone who can write to the database can rewrite a chain whole: edit an event, recompute every
hash after it and the head. The chain then verifies on its own; only a copy of its head taken
earlier and kept elsewhere shows the change. The file (JSON)::

    {"format": "urbanmine-registry-anchor/1", "created_at": "<UTC ISO 8601>", "subjects": N,
     "digest": "<SHA-256 of the canonical JSON of heads>",
     "signature": null | {"algorithm": "HMAC-SHA256", "value": "<hex>"},
     "heads": {"battery": {"<id>": [seq, "<hash>"], ...}, "lot": {...}, "producer": {...}}}

The digest binds the heads to the file; the signature (when ``URBANMINE_ANCHOR_KEY`` is set) is
an HMAC-SHA256 with that key over the canonical JSON of format, created_at, subjects and digest,
so that an anchor cannot be forged by whoever can write the database but does not hold the key.
Without a key the anchor is only timestamped: keep it where the database's writers cannot
change it.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import groupby
from operator import itemgetter
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from urbanmine.errors import InputError
from urbanmine.registry.domain import canonical, digest
from urbanmine.registry.store import Event

FORMAT = "urbanmine-registry-anchor/1"
KEY_ENV = "URBANMINE_ANCHOR_KEY"
KINDS = ("battery", "lot", "producer")
HASH = re.compile(r"^[0-9a-f]{64}$")
STREAM = 20_000
Heads = dict[str, dict[str, tuple[int, str]]]


@dataclass(frozen=True)
class Anchor:
    """A checked anchor file: when it was made, the heads it holds, whether it was signed."""

    created_at: str
    heads: Heads
    signed: bool


def key() -> bytes | None:
    """The HMAC key from ``URBANMINE_ANCHOR_KEY`` (``None`` when unset or empty)."""
    value = os.environ.get(KEY_ENV)
    return value.encode() if value else None


def current_heads(s: Session) -> Heads:
    """Every chain's last event (seq, hash), read in chain order ``STREAM`` rows at a time."""
    c = Event.__table__.c
    q = (
        select(c.subject_type, c.subject_id, c.seq, c.hash)
        .order_by(c.subject_type, c.subject_id, c.seq)
        .execution_options(yield_per=STREAM)
    )
    heads: Heads = {kind: {} for kind in KINDS}
    for (kind, ident), rows in groupby(s.execute(q), key=itemgetter(0, 1)):
        *_, last = rows
        heads.setdefault(kind, {})[ident] = (last[2], last[3])
    return heads


def _signed_part(anchor: dict[str, Any]) -> bytes:
    return canonical({k: anchor[k] for k in ("format", "created_at", "subjects", "digest")})


def _sign(secret: bytes, anchor: dict[str, Any]) -> str:
    return hmac.new(secret, _signed_part(anchor), hashlib.sha256).hexdigest()


def export(s: Session, secret: bytes | None) -> dict[str, Any]:
    """The anchor of the database now (signed when ``secret`` is given)."""
    heads = current_heads(s)
    anchor: dict[str, Any] = {
        "format": FORMAT,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "subjects": sum(len(v) for v in heads.values()),
        "digest": digest(heads),
        "signature": None,
    }
    if secret is not None:
        anchor["signature"] = {"algorithm": "HMAC-SHA256", "value": _sign(secret, anchor)}
    return {**anchor, "heads": heads}


def load(data: Any, secret: bytes | None, where: str) -> Anchor:
    """Check a parsed anchor file; ``InputError`` naming what is wrong with it."""

    def bad(why: str) -> InputError:
        return InputError(f"anchor {where}: {why}")

    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise bad(f"not an anchor file (format must be {FORMAT!r})")
    heads, created = data.get("heads"), data.get("created_at")
    if not isinstance(created, str) or not _utc(created):
        raise bad("created_at must be a UTC ISO 8601 time")
    if not isinstance(heads, dict) or not set(heads) <= set(KINDS):
        raise bad(f"heads must be an object of {', '.join(KINDS)}")
    checked: Heads = {}
    for kind, subjects in heads.items():
        if not isinstance(subjects, dict):
            raise bad(f"heads.{kind} must be an object of id -> [seq, hash]")
        for ident, head in subjects.items():
            if not (
                isinstance(head, list)
                and len(head) == 2
                and type(head[0]) is int
                and head[0] >= 1
                and isinstance(head[1], str)
                and HASH.match(head[1])
            ):
                raise bad(f"heads.{kind}[{ident!r}] must be [seq >= 1, 64 hex digits]")
        checked[kind] = {ident: (head[0], head[1]) for ident, head in subjects.items()}
    if data.get("subjects") != sum(len(v) for v in checked.values()):
        raise bad("subjects does not count the heads")
    if data.get("digest") != digest(heads):
        raise bad("digest does not match its heads (the file was changed)")
    signature = data.get("signature")
    if signature is not None:
        if secret is None:
            raise bad(f"it is signed; set {KEY_ENV} to the key it was signed with")
        value = signature.get("value") if isinstance(signature, dict) else None
        if not isinstance(value, str) or not hmac.compare_digest(value, _sign(secret, data)):
            raise bad("signature does not match (another key, or the file was changed)")
    elif secret is not None:
        raise bad(f"it is not signed, but {KEY_ENV} is set: anchors must be signed")
    return Anchor(created, checked, signature is not None)


def _utc(text: str) -> bool:
    try:
        t = datetime.fromisoformat(text)
    except ValueError:
        return False
    return t.utcoffset() is not None and t.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
