"""Recompute every hash chain in the registry and name each break (``urbanmine registry verify``).

Checks per battery and per lot: sequence numbers run 1..n, each event's ``prev_hash`` is the hash
of the event before, each stored hash matches the event's content, the subject's head is the last
event, and the stored document (passport) or specification (lot) is the one the chain recorded.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import groupby
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from urbanmine.registry.domain import GENESIS, RECORD, Break, digest, verify_chain
from urbanmine.registry.store import Event, Lot, Passport

EVENTS: Table = Event.__table__  # type: ignore[assignment]
CONTENT_EVENTS = ("registered", "updated", "shredded", "refined")
"""Events that record the SHA-256 of a passport's document or a lot's specification."""
STREAM = 20_000
"""Rows fetched at a time: verify streams the events in chain order instead of loading them."""


def verify(s: Session) -> list[Break]:
    """All breaks in the database (empty when every chain is intact)."""
    breaks: list[Break] = []
    heads: dict[tuple[str, str], tuple[int, str]] = {}
    recorded: dict[tuple[str, str], str] = {}
    for key, events in groupby(
        _events(s), key=lambda e: (e[0]["subject_type"], e[0]["subject_id"])
    ):
        last = (0, GENESIS)
        checked = []
        for record, prev, stored in events:
            checked.append((record["seq"], record, prev, stored))
            last = (record["seq"], stored)
            payload = record["payload"]
            content = payload.get("document_sha256") or payload.get("spec_sha256")
            if record["type"] in CONTENT_EVENTS and content:
                recorded[key] = content
        breaks += verify_chain(f"{key[0]} {key[1]}", checked)
        heads[key] = last
    for table, kind, content in (
        (Passport.__table__, "battery", "document"),
        (Lot.__table__, "lot", "spec"),
    ):
        q = select(table.c.id, table.c.head_seq, table.c.head_hash, table.c[content])
        for ident, head_seq, head_hash, stored in s.execute(q.execution_options(yield_per=STREAM)):
            breaks += _subject((kind, ident), head_seq, head_hash, digest(stored), heads, recorded)
    return breaks


def _events(s: Session) -> Iterator[tuple[dict[str, Any], str, str]]:
    """Every event as (hashed record, prev_hash, hash), ordered by subject and sequence number."""
    c = EVENTS.c
    q = (
        select(*(c[k] for k in RECORD), c.prev_hash, c.hash)
        .order_by(c.subject_type, c.subject_id, c.seq)
        .execution_options(yield_per=STREAM)
    )
    for row in s.execute(q):
        yield dict(zip(RECORD, row[:9], strict=True)), row[9], row[10]


def _subject(
    key: tuple[str, str],
    head_seq: int,
    head_hash: str,
    content: str,
    heads: dict[tuple[str, str], tuple[int, str]],
    recorded: dict[tuple[str, str], str],
) -> list[Break]:
    name = f"{key[0]} {key[1]}"
    last = heads.get(key, (0, GENESIS))
    out = []
    if last != (head_seq, head_hash):
        out.append(
            Break(
                name,
                head_seq,
                "subject head does not match its last event (events deleted or added)",
            )
        )
    if recorded.get(key) != content:
        out.append(Break(name, last[0], "stored content differs from the hash its chain recorded"))
    return out
