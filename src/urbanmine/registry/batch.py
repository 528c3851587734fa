"""Batch ingest: many events, or many passports, in one transaction with bulk Core statements.

The rules are the single-request path's (``rules``): a batch stores exactly what posting its
entries one by one, in order, would store — same checks, same hash chains — or nothing at all
(the caller's transaction commits once, after every entry passed). An error names the entry
(``events[3]: ...``) with the status the single path would give (403, 404, 409, 422).

Statements per event batch, whatever its size: lock the subjects (one ``SELECT ... FOR UPDATE``
per subject type on PostgreSQL, in id order so concurrent batches cannot deadlock; SQLite's
``BEGIN IMMEDIATE`` already made this the only writer), look up the client event ids already
stored (one query), the receivers of shipments and the passports' masses for ledger lines (one
query each, only when the batch has such events), one multi-row insert of the events, one
executemany update of the subjects' heads and state, and the ledger lines. Hashes are computed in
Python, subject by subject in the order given.

Events that create a successor passport (``repurposed``, ``remanufactured``) are refused: post
them one at a time. Passports made from lots (``made_from``) or naming a predecessor (whose
consent is read) go through the single path inside the same transaction.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from operator import itemgetter
from typing import Any, NamedTuple

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from urbanmine.registry import bulk, namespaces, service
from urbanmine.registry.domain import (
    CONSENT_EVENT,
    EPR_EVENTS,
    GENESIS,
    NEW_PASSPORT_EVENTS,
    canonical_text,
)
from urbanmine.registry.errors import Invalid, NotFound, RegistryError
from urbanmine.registry.keys import Principal
from urbanmine.registry.rules import (
    Registration,
    SubjectState,
    apply_battery_event,
    apply_lot_event,
    battery_mass,
    chain,
    common,
    epr_line,
    event_type,
    link,
    passport_columns,
    registration,
    registration_replays,
    replays,
)
from urbanmine.registry.store import EprEntry, Event, Lot, Operator, Passport

MAX_BATCH = 10_000
"""Most entries in one batch (bounds the time one transaction holds the write lock)."""

EVENTS: Table = Event.__table__  # type: ignore[assignment]
PASSPORTS: Table = Passport.__table__  # type: ignore[assignment]
LOTS: Table = Lot.__table__  # type: ignore[assignment]
EPR_ENTRIES: Table = EprEntry.__table__  # type: ignore[assignment]
SUBJECT_TABLES = {"battery": PASSPORTS, "lot": LOTS}
HEAD_COLUMNS = ("head_seq", "head_hash")
LIFECYCLE_COLUMNS = ("custodian_id", "ship_to", "status", "closed")
"""Subject columns events may change besides the head (lots have no status)."""


@contextmanager
def entry(kind: str, index: int) -> Iterator[None]:
    """Prefix any registry error raised inside with the entry it is about: ``events[3]: ...``."""
    try:
        yield
    except RegistryError as exc:
        raise about(exc, kind, index) from None


def about(exc: RegistryError, kind: str, index: int) -> RegistryError:
    """The same error, its message prefixed with the entry it is about."""
    return type(exc)(f"{kind}[{index}]: {exc}")


def _size(items: Sequence[Any], kind: str) -> None:
    if not 0 < len(items) <= MAX_BATCH:
        raise Invalid(f"{kind} must be a list of 1 to {MAX_BATCH} entries, got {len(items)}")


class Item(NamedTuple):
    """One validated event of a batch (a named tuple: cheaper to make than a frozen dataclass)."""

    position: int
    subject_type: str
    subject_id: str
    type: str
    client_event_id: str
    time: str
    place: str
    payload: dict[str, Any]


def _item(index: int, body: dict[str, Any]) -> Item:
    subject_type = body.get("subject_type", "battery")
    if subject_type not in SUBJECT_TABLES:
        raise Invalid(f"subject_type must be battery or lot, got {subject_type!r}")
    subject_id = body.get("subject_id")
    if not isinstance(subject_id, str) or not subject_id:
        raise Invalid("subject_id is required: the passport or lot id")
    etype = event_type(body, subject_type)
    if etype in NEW_PASSPORT_EVENTS:
        raise Invalid(
            f"{etype} creates a new passport and is not accepted in a batch; post it to "
            f"/api/v1/passports/{subject_id}/events"
        )
    cid, time, place, payload = common(body)
    return Item(index, subject_type, subject_id, etype, cid, time, place, payload)


def _stored(s: Session, operator_id: str, cids: set[str]) -> dict[str, Any]:
    """Events already stored under these client event ids of ``operator_id``, by id."""
    if not cids:
        return {}
    q = select(EVENTS).where(
        EVENTS.c.operator_id == operator_id, bulk.among(s, EVENTS.c.client_event_id, cids)
    )
    return {row.client_event_id: row._asdict() for row in s.execute(q)}


def _lock(s: Session, items: Sequence[Item]) -> dict[tuple[str, str], SubjectState]:
    """Lock and load every subject the batch names (``NotFound`` for the first unknown one)."""
    states: dict[tuple[str, str], SubjectState] = {}
    for subject_type, table in SUBJECT_TABLES.items():
        ids = sorted({i.subject_id for i in items if i.subject_type == subject_type})
        if not ids:
            continue
        extra = ("status", "closed") if subject_type == "battery" else ()
        columns = ("id", "operator_id", "custodian_id", "ship_to", *HEAD_COLUMNS, *extra)
        for row in bulk.lock_subjects(s, table.name, columns, ids):  # SubjectState's field order
            states[(subject_type, row[0])] = SubjectState(*row)
    for i in items:
        if (i.subject_type, i.subject_id) not in states:
            name = "passport" if i.subject_type == "battery" else "lot"
            raise NotFound(f"events[{i.position}]: {name} {i.subject_id} not found")
    return states


def _operators(s: Session, items: Sequence[Item]) -> Callable[[str], bool]:
    """Whether an id is a registered operator, for the receivers and consented successors' operators
    the batch names."""
    named = {
        i.payload["to"]
        for i in items
        if i.type in ("shipped", "delivered") and isinstance(i.payload.get("to"), str)
    } | {
        i.payload["operator"]
        for i in items
        if i.type == CONSENT_EVENT and isinstance(i.payload.get("operator"), str)
    }
    known = set(s.scalars(select(Operator.id).where(Operator.id.in_(named)))) if named else set()
    return known.__contains__


def _ledger_facts(s: Session, items: Sequence[Item]) -> dict[str, tuple[str, str, dict[str, Any]]]:
    """Producer, category and document of each battery with a ledger event in the batch."""
    ids = {i.subject_id for i in items if i.type in EPR_EVENTS and i.subject_type == "battery"}
    if not ids:
        return {}
    q = select(PASSPORTS.c.id, PASSPORTS.c.operator_id, PASSPORTS.c.category, PASSPORTS.c.document)
    return {
        r.id: (r.operator_id, r.category, r.document)
        for r in s.execute(q.where(bulk.among(s, PASSPORTS.c.id, ids)))
    }


def parse_events(bodies: Sequence[dict[str, Any]]) -> list[Item]:
    """Check every entry of an event batch (no database needed: callers may do it outside the
    write transaction)."""
    _size(bodies, "events")
    items: list[Item] = []
    try:
        for body in bodies:
            items.append(_item(len(items), body))
    except RegistryError as exc:
        raise about(exc, "events", len(items)) from None
    return items


def add_events(s: Session, p: Principal, items: Sequence[Item]) -> list[dict[str, Any]]:
    """Record a batch of events (from ``parse_events``); per entry: where it sits and if it is new.

    Each result: ``index``, ``client_event_id``, ``subject_type``, ``subject_id``, ``seq``,
    ``hash`` and ``created`` (false when the client event id was stored already, by an earlier
    request or earlier in this batch).
    """
    operator_id = service.require_operator(p)
    states = _lock(s, items)
    stored = _stored(s, operator_id, {i.client_event_id for i in items})
    is_operator = _operators(s, items)
    facts = _ledger_facts(s, items)
    rows: dict[str, tuple[Any, ...]] = {}
    ledger: list[tuple[str, dict[str, Any]]] = []
    changed: set[tuple[str, str]] = set()
    results = []
    i = items[0]
    try:
        for i in items:
            prior = stored.get(i.client_event_id) or _pending(rows.get(i.client_event_id))
            if prior is not None and replays(
                _Stored(prior),
                operator_id,
                i.client_event_id,
                *(i.subject_type, i.subject_id, i.type, i.time, i.place, i.payload),
            ):
                results.append(_result(i.position, _RESULT(prior), created=False))
                continue
            state = states[(i.subject_type, i.subject_id)]
            before = state.lifecycle()
            if i.subject_type == "battery":
                apply_battery_event(state, i.type, operator_id, i.payload, is_operator)
            else:
                apply_lot_event(state, i.type, operator_id, i.payload, is_operator)
            text = canonical_text(i.payload)
            seq, prev, hash_ = link(
                state, i.subject_type, operator_id, i.client_event_id, i.type, i.time, i.place, text
            )
            rows[i.client_event_id] = (
                *(i.subject_type, i.subject_id, seq, i.client_event_id, i.type, i.time),
                *(operator_id, i.place, text, prev, hash_),
            )
            if state.lifecycle() != before:
                changed.add((i.subject_type, i.subject_id))
            if i.type in EPR_EVENTS and i.subject_type == "battery":
                producer, category, document = facts[i.subject_id]
                line = epr_line(
                    producer, category, battery_mass(document), i.type, i.time, i.payload
                )
                ledger.append((i.client_event_id, line))
            results.append(
                _result(i.position, (i.client_event_id, i.subject_type, i.subject_id, seq, hash_))
            )
    except RegistryError as exc:
        raise about(exc, "events", i.position) from None
    if rows:
        bulk.insert_events(s, list(rows.values()))
        _store_states(s, states, changed)
        _store_ledger(s, operator_id, ledger)
    return results


class _Stored:
    """Attribute access to a pending event row, like a stored one."""

    def __init__(self, row: dict[str, Any]) -> None:
        self.__dict__.update(row)


def _as_event(row: dict[str, Any] | None) -> Any:
    return None if row is None else _Stored(row)


def _pending(row: tuple[Any, ...] | None) -> dict[str, Any] | None:
    """A row ``add_events`` has yet to insert as a stored event reads (payload parsed back)."""
    if row is None:
        return None
    event = dict(zip(bulk.EVENT_COLUMNS, row, strict=True))
    return {**event, "payload": json.loads(event["payload"])}


RESULT_FIELDS = ("client_event_id", "subject_type", "subject_id", "seq", "hash")
_RESULT = itemgetter(*RESULT_FIELDS)


def _result(index: int, fields: tuple[Any, ...], created: bool = True) -> dict[str, Any]:
    """One entry of the answer: the event's place in its chain (``RESULT_FIELDS``) and whether
    it is new."""
    return {"index": index, **dict(zip(RESULT_FIELDS, fields, strict=True)), "created": created}


def _store_states(
    s: Session, states: dict[tuple[str, str], SubjectState], changed: set[tuple[str, str]]
) -> None:
    """Write back the subjects' heads, and custody and status where an event ``changed`` them:
    one statement per table and kind."""
    for subject_type, table in SUBJECT_TABLES.items():
        lifecycle = LIFECYCLE_COLUMNS[: 4 if subject_type == "battery" else 2]
        heads = [vars(st) for (kind, _), st in states.items() if kind == subject_type]
        if heads:
            bulk.update_subjects(s, table.name, HEAD_COLUMNS, heads)
        moved = [vars(states[key]) for key in changed if key[0] == subject_type]
        if moved:
            bulk.update_subjects(s, table.name, lifecycle, moved)


def _store_ledger(s: Session, operator_id: str, ledger: list[tuple[str, dict[str, Any]]]) -> None:
    """Ledger lines of ``placed_on_market`` and ``collected`` events, linked to their event rows."""
    if not ledger:
        return
    q = select(EVENTS.c.client_event_id, EVENTS.c.id).where(
        EVENTS.c.operator_id == operator_id,
        bulk.among(s, EVENTS.c.client_event_id, [cid for cid, _ in ledger]),
    )
    ids = {cid: event_id for cid, event_id in s.execute(q)}
    s.execute(insert(EPR_ENTRIES), [{**line, "event_id": ids[cid]} for cid, line in ledger])


# ---------------------------------------------------------------- passports
def add_passports(
    s: Session, p: Principal, bodies: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Register a batch of batteries; per entry: ``index``, ``id``, ``client_event_id``, ``created``.

    Registrations with ``made_from`` (lots) or a ``predecessor`` go through the single path in
    this transaction.
    """
    operator_id = service.require_operator(p)
    _size(bodies, "passports")
    regs: list[Registration] = []
    for index, body in enumerate(bodies):
        with entry("passports", index):
            regs.append(registration(body))
    ids = {r.ident for r in regs} | {r.predecessor for r in regs if r.predecessor}
    existing = set(s.scalars(select(PASSPORTS.c.id).where(bulk.among(s, PASSPORTS.c.id, ids))))
    issuers = namespaces.owners(s, {r.ident for r in regs})
    stored = _stored(s, operator_id, {r.client_event_id for r in regs})
    passports: list[dict[str, Any]] = []
    events: dict[str, dict[str, Any]] = {}
    via_single: list[tuple[int, dict[str, Any]]] = []
    results = []
    for index, (reg, body) in enumerate(zip(regs, bodies, strict=True)):
        with entry("passports", index):
            prior = stored.get(reg.client_event_id) or events.get(reg.client_event_id)
            if registration_replays(_as_event(prior), reg, reg.ident in existing, operator_id):
                results.append(_registered(index, reg, created=False))
                continue
            namespaces.check_issuer(operator_id, reg.ident, issuers)
            if reg.predecessor is not None and reg.predecessor not in existing:
                raise Invalid(f"predecessor {reg.predecessor} is not a registered passport")
            existing.add(reg.ident)
            if reg.made_from or reg.predecessor is not None:  # lots, consent: the single path
                via_single.append((index, body))
                events[reg.client_event_id] = {
                    "subject_id": reg.ident,
                    "type": "registered",
                    "payload": reg.payload,
                }
            else:
                columns = passport_columns(reg, operator_id)
                state = SubjectState(reg.ident, operator_id, operator_id, None, 0, GENESIS)
                events[reg.client_event_id] = chain(
                    state,
                    "battery",
                    operator_id,
                    reg.client_event_id,
                    "registered",
                    reg.time,
                    reg.place,
                    reg.payload,
                )
                passports.append(
                    {
                        **columns,
                        "drawn": {},
                        "head_seq": state.head_seq,
                        "head_hash": state.head_hash,
                    }
                )
            results.append(_registered(index, reg, created=True))
    if passports:
        s.execute(insert(PASSPORTS), passports)
        bulk.insert_events(s, [bulk.event_row(ev) for ev in events.values() if "hash" in ev])
    for index, body in via_single:
        with entry("passports", index):
            service.create_passport(s, p, body)
    return results


def _registered(index: int, reg: Registration, created: bool) -> dict[str, Any]:
    return {
        "index": index,
        "id": reg.ident,
        "client_event_id": reg.client_event_id,
        "created": created,
    }
