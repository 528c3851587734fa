"""Recompute every hash chain in the registry and name each break (``urbanmine registry verify``).

Checks per battery and per lot: sequence numbers run 1..n, each event's ``prev_hash`` is the hash
of the event before, each stored hash matches the event's content, the subject's head is the last
event, and the stored document (passport) or specification (lot) is the one the chain recorded.
"""

from __future__ import annotations

from itertools import groupby

from sqlalchemy import select
from sqlalchemy.orm import Session

from urbanmine.registry.domain import GENESIS, Break, digest, verify_chain
from urbanmine.registry.store import Event, Lot, Passport


def verify(s: Session) -> list[Break]:
    """All breaks in the database (empty when every chain is intact)."""
    breaks: list[Break] = []
    heads: dict[tuple[str, str], Event] = {}
    recorded: dict[tuple[str, str], str] = {}
    q = (
        select(Event)
        .order_by(Event.subject_type, Event.subject_id, Event.seq)
        .execution_options(yield_per=10_000)
    )
    for (stype, sid), group in groupby(s.scalars(q), key=lambda e: (e.subject_type, e.subject_id)):
        events = list(group)
        breaks += verify_chain(
            f"{stype} {sid}", ((e.seq, e.record(), e.prev_hash, e.hash) for e in events)
        )
        heads[(stype, sid)] = events[-1]
        for e in events:
            content = e.payload.get("document_sha256") or e.payload.get("spec_sha256")
            if e.type in ("registered", "updated", "shredded", "refined") and content:
                recorded[(stype, sid)] = content
    for passport in s.scalars(select(Passport)):
        breaks += _subject(
            ("battery", passport.id),
            passport.head_seq,
            passport.head_hash,
            digest(passport.document),
            heads,
            recorded,
        )
    for lot in s.scalars(select(Lot)):
        breaks += _subject(
            ("lot", lot.id), lot.head_seq, lot.head_hash, digest(lot.spec), heads, recorded
        )
    return breaks


def _subject(
    key: tuple[str, str],
    head_seq: int,
    head_hash: str,
    content: str,
    heads: dict[tuple[str, str], Event],
    recorded: dict[tuple[str, str], str],
) -> list[Break]:
    name = f"{key[0]} {key[1]}"
    last = heads.get(key)
    out = []
    actual = (last.seq, last.hash) if last else (0, GENESIS)
    if actual != (head_seq, head_hash):
        out.append(
            Break(
                name,
                head_seq,
                "subject head does not match its last event (events deleted or added)",
            )
        )
    if recorded.get(key) != content:
        out.append(
            Break(
                name,
                last.seq if last else 0,
                "stored content differs from the hash its chain recorded",
            )
        )
    return out
