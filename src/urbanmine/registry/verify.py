"""Recompute every hash chain, derive the state it implies and name each break (``urbanmine registry
verify``).

Per chain (battery, lot, producer): sequence numbers run 1..n, each ``prev_hash`` is the hash of
the event before, each stored hash matches the event's content, the subject's head is its last
event; against an anchor (``anchor.py``), the event at each anchored sequence number still has the
anchored hash. Per subject, the chain is replayed with the write rules (``replay``) and every
stored column that changes what the registry publishes or who may write is compared with what
the chain gives: a passport's operator, custodian, receiver, status, ``closed``, element masses,
what it drew from lots, predecessor and document; a lot's operator, custody, product,
specification, element masses by origin and what was taken from it; every ledger line (from a
battery event or a producer's declaration, one line per event, none without one). References
between subjects (lot inputs, successors, predecessors, lots drawn from) must name subjects that
still have chains.

Streaming: events are read in chain order ``STREAM`` rows at a time and checked ``CHUNK``
subjects at a time, with one look-up of the chunk's stored rows and ledger lines; what is kept
for the whole run is per lot (mixtures, withdrawals) and per cross reference, not per event.
``verify`` never stops at a bad row: invalid JSON, a payload of the wrong type, a NULL or a
missing row is a break, and the other checks go on.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import groupby
from operator import itemgetter
from typing import Any

from sqlalchemy import Table, Text, cast, exists, select
from sqlalchemy.orm import Session

from urbanmine.registry import bulk, replay
from urbanmine.registry.anchor import Anchor
from urbanmine.registry.domain import (
    EPR_EVENTS,
    PRODUCER_EVENTS,
    RECORD,
    Break,
    Elements,
    Origins,
    add_elements,
    add_origins,
    digest,
    normalise_status,
    share_of,
    verify_chain,
)
from urbanmine.registry.errors import RegistryError
from urbanmine.registry.replay import UNKNOWN, Ev, Replayed
from urbanmine.registry.rules import battery_mass
from urbanmine.registry.store import EprEntry, Event, Lot, Operator, Passport

EVENTS: Table = Event.__table__  # type: ignore[assignment]
PASSPORTS: Table = Passport.__table__  # type: ignore[assignment]
LOTS: Table = Lot.__table__  # type: ignore[assignment]
LEDGER: Table = EprEntry.__table__  # type: ignore[assignment]
SUBJECT_TYPES = ("lot", "battery", "producer")
"""In the order verify reads them: lots first (passports draw on their mixtures)."""
STREAM = 20_000
"""Event rows fetched at a time."""
CHUNK = 1_000
"""Subjects checked together: one look-up of their stored rows and ledger lines."""
JSON_COLUMNS = {"document", "elements_kg", "drawn", "spec", "origins", "withdrawn"}
PASSPORT_COLUMNS = (
    *("id", "operator_id", "custodian_id", "ship_to", "category", "status", "closed"),
    *("predecessor_id", "head_seq", "head_hash", "document", "elements_kg", "drawn"),
)
LOT_COLUMNS = (
    *("id", "operator_id", "custodian_id", "ship_to", "product", "head_seq", "head_hash"),
    *("spec", "origins", "withdrawn"),
)
LINE_FIELDS = ("producer_id", "category", "country", "year", "kind", "mass_kg", "declared")
MASS_TOLERANCE = (1e-9, 1e-9)
"""Masses compare equal within 1e-9 relative or 1e-9 kg (1 µg): a lot's withdrawals are summed
here in chain order, the registry summed them in commit order, and float sums depend on order."""


class BadJson(str):
    """A JSON column's text that does not parse (kept as text: its hash then fails to match)."""


def _json(text: Any) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        return BadJson(text)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _same(a: Any, b: Any) -> bool:
    """Equal, numbers within ``MASS_TOLERANCE``."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    numbers = (int, float)
    if isinstance(a, numbers) and isinstance(b, numbers) and not isinstance(a, bool):
        rel, abs_ = MASS_TOLERANCE
        return not isinstance(b, bool) and math.isclose(a, b, rel_tol=rel, abs_tol=abs_)
    return type(a) is type(b) and a == b


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 160 else text[:157] + "..."


@dataclass
class LotFacts:
    """What later chains need of a lot: its verified specification and stored masses."""

    seq: Any
    spec: dict[str, Any] | None = None
    origins: Any = UNKNOWN
    withdrawn: Any = UNKNOWN
    derived: Origins | None = None
    taken: Elements = field(default_factory=dict)


def verify(s: Session, anchor: Anchor | None = None) -> list[Break]:
    """All breaks in the database (empty when every chain is intact and every derived column
    matches); with ``anchor``, also every anchored head that the chains no longer hold."""
    return Verification(s, anchor).run()


class Verification:
    """One run of ``verify``: the breaks found and what is carried between chunks."""

    def __init__(self, s: Session, anchor: Anchor | None) -> None:
        self.s = s
        self.breaks: list[Break] = []
        self.anchored = {k: dict(v) for k, v in anchor.heads.items()} if anchor else None
        self.operators = set(s.scalars(select(Operator.id)))
        self.lots: dict[Any, LotFacts] = {}
        self.shreds: dict[Any, Any] = {}
        """battery -> lot whose specification takes it (its chain must say ``shredded``)."""
        self.created: dict[Any, tuple[Any, Any]] = {}
        """successor -> (predecessor, seq) from ``repurposed`` / ``remanufactured`` events."""
        self.registered: dict[Any, Any] = {}
        """successor -> predecessor from the successor's registration."""
        self.named: list[tuple[Any, Any]] = []
        """(passport, predecessor it names at registration)."""

    def run(self) -> list[Break]:
        self._each_chain("lot", self._lot)
        self._mixtures()
        self._each_chain("battery", self._battery)
        self._each_chain("producer", self._producer)
        for check in (self._strays, self._lineage, self._predecessors, self._withdrawn):
            self._guarded("registry", 0, check)
        self._shreds()
        self._anchor_leftovers()
        return self.breaks

    # ------------------------------------------------------------ helpers
    def _break(self, subject: str, seq: Any, reason: str) -> None:
        self.breaks.append(Break(subject, seq if isinstance(seq, int) else 0, reason))

    def _guarded(self, subject: str, seq: Any, check: Callable[..., None], *args: Any) -> None:
        """Run ``check(*args)``; whatever it trips on is a break about ``subject``, not the end
        of verify (it reports every row it cannot read)."""
        try:
            check(*args)
        except Exception as exc:
            self._break(subject, seq, f"cannot be checked: {type(exc).__name__}: {exc}")

    def _column(self, name: str, seq: Any, column: str, stored: Any, derived: Any) -> None:
        if derived is UNKNOWN:
            return
        if isinstance(stored, BadJson):
            self._break(name, seq, f"{column} is not valid JSON")
        elif not _same(stored, derived):
            self._break(
                name, seq, f"{column} is {_shown(stored)} but its chain gives {_shown(derived)}"
            )

    def _rows(
        self, table: Table, columns: Sequence[str], ids: Sequence[Any]
    ) -> dict[Any, dict[str, Any]]:
        """Stored rows by id (JSON columns parsed here: a bad one is a ``BadJson``)."""
        cols = [cast(table.c[c], Text) if c in JSON_COLUMNS else table.c[c] for c in columns]
        q = select(*cols).where(bulk.among(self.s, table.c.id, ids))
        out = {}
        for row in self.s.execute(q):
            values = dict(zip(columns, row, strict=True))
            for c in JSON_COLUMNS.intersection(columns):
                values[c] = _json(values[c])
            out[values["id"]] = values
        return out

    # ------------------------------------------------------------ chains
    def _chunks(self, kind: str) -> Iterator[list[tuple[Any, list[Ev]]]]:
        """The chains of one subject type, ``CHUNK`` subjects at a time, in id and seq order."""
        c = EVENTS.c
        q = (
            select(c.id, *(c[k] for k in RECORD[:8]), cast(c.payload, Text), c.prev_hash, c.hash)
            .where(c.subject_type == kind)
            .order_by(c.subject_id, c.seq)
            .execution_options(yield_per=STREAM)
        )
        chunk = []
        for ident, rows in groupby(self.s.execute(q), key=itemgetter(2)):
            chunk.append((ident, [_event(row) for row in rows]))
            if len(chunk) >= CHUNK:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    def _each_chain(self, kind: str, check: Callable[..., None]) -> None:
        """Check every chain of ``kind``: hashes and anchor, then ``check(ident, events, row,
        expected)`` with the stored row; then the chunk's ledger lines against ``expected``."""
        table = {"battery": PASSPORTS, "lot": LOTS}.get(kind)
        columns = PASSPORT_COLUMNS if kind == "battery" else LOT_COLUMNS
        for chunk in self._chunks(kind):
            ids = [ident for ident, _ in chunk]
            rows = self._rows(table, columns, ids) if table is not None else {}
            expected: dict[Any, tuple[str, Any, dict[str, Any] | None]] = {}
            successors: list[tuple[Any, Any]] = []
            for ident, events in chunk:
                name, last = f"{kind} {ident}", events[-1].seq
                self._guarded(name, last, self._chain, kind, ident, events)
                row = rows.get(ident)
                self._guarded(name, last, check, ident, events, row, expected, successors)
            self._guarded(f"{kind} chains", 0, self._ledger, expected)
            if successors:
                self._guarded(f"{kind} chains", 0, self._inherited, successors, rows)

    def _chain(self, kind: str, ident: Any, events: list[Ev]) -> None:
        name = f"{kind} {ident}"
        for ev in events:
            if isinstance(ev.record["payload"], BadJson):
                self._break(name, ev.seq, "payload is not valid JSON")
        records = [(ev.seq, ev.record, ev.prev_hash, ev.hash) for ev in events]
        self.breaks += verify_chain(name, records)
        if self.anchored is None:
            return
        head = self.anchored.get(kind, {}).pop(ident, None)
        if head is None:
            return
        seq, hash_ = head
        at = next((ev for ev in events if ev.seq == seq), None)
        if at is None:
            self._break(
                name,
                seq,
                f"the anchor holds event {seq} but the chain ends at event {events[-1].seq}: "
                "history shortened",
            )
        elif at.hash != hash_:
            self._break(name, seq, f"event {seq} differs from the anchor's: history rewritten")

    def _replayed(self, name: str, out: Replayed) -> None:
        for seq, reason in out.problems:
            self._break(name, seq, reason)

    def _head(self, name: str, row: dict[str, Any], out: Replayed) -> None:
        if (row["head_seq"], row["head_hash"]) != (out.state.head_seq, out.state.head_hash):
            self._break(
                name,
                row["head_seq"],
                "subject head does not match its last event (events deleted or added)",
            )

    def _lifecycle(self, name: str, seq: Any, row: dict[str, Any], out: Replayed) -> None:
        st = out.state
        for column, derived in (
            ("operator_id", st.operator_id),
            ("custodian_id", st.custodian_id),
            ("ship_to", st.ship_to),
        ):
            self._column(name, seq, column, row[column], derived)

    # ------------------------------------------------------------ lots
    def _lot(self, ident: Any, events: list[Ev], row: Any, *_: Any) -> None:
        name, last = f"lot {ident}", events[-1].seq
        out = replay.lot(ident, events, self.operators.__contains__)
        self._replayed(name, out)
        facts = self.lots[ident] = LotFacts(last)
        if row is None:
            self._break(name, last, "has events but no row in lots (deleted?)")
            return
        self._head(name, row, out)
        self._lifecycle(name, last, row, out)
        spec = row["spec"]
        if isinstance(spec, BadJson) or digest(spec) != out.content:
            self._break(name, 1, "stored content differs from the hash its chain recorded")
        else:
            facts.spec = spec
            self._column(name, last, "product", row["product"], spec.get("product"))
        facts.origins, facts.withdrawn = row["origins"], row["withdrawn"]

    def _mixtures(self) -> None:
        """Each lot's element masses by origin from its specification and its sources'; what
        lots took from each other; which batteries each lot shredded."""
        for ident, facts in self.lots.items():
            self._guarded(f"lot {ident}", facts.seq, self._mixture, ident, facts)

    def _mixture(self, ident: Any, facts: LotFacts) -> None:
        origins = self._origins(ident, set())
        if origins is not None and facts.origins is not UNKNOWN:
            self._column(f"lot {ident}", facts.seq, "origins", facts.origins, origins)
        for kind, named, elements in replay.lot_inputs(facts.spec) if facts.spec else ():
            if kind == "lot" and named in self.lots:
                source = self.lots[named]
                source.taken = add_elements(source.taken, elements)
            elif kind == "battery":
                self.shreds[named] = ident

    def _origins(self, ident: Any, visiting: set[Any]) -> Origins | None:
        facts = self.lots.get(ident)
        if facts is None or facts.spec is None or ident in visiting:
            return None
        if facts.derived is None:
            visiting.add(ident)

            def source(name: Any) -> Origins:
                origins = self._origins(name, visiting)
                if origins is None:
                    raise RegistryError(f"input lot {name} has no verified chain (deleted?)")
                return origins

            try:
                facts.derived = replay.lot_origins(facts.spec, source)
            except RegistryError as exc:
                self._break(f"lot {ident}", 1, f"origins cannot be derived: {exc}")
        return facts.derived

    def _withdrawn(self) -> None:
        for ident, facts in self.lots.items():
            if facts.withdrawn is not UNKNOWN:
                self._column(f"lot {ident}", facts.seq, "withdrawn", facts.withdrawn, facts.taken)

    # ------------------------------------------------------------ batteries
    def _battery(
        self,
        ident: Any,
        events: list[Ev],
        row: Any,
        expected: dict[Any, Any],
        successors: list[tuple[Any, Any]],
    ) -> None:
        name, last = f"battery {ident}", events[-1].seq
        if row is None:
            self._break(name, last, "has events but no row in passports (deleted?)")
            row = dict.fromkeys(PASSPORT_COLUMNS, UNKNOWN)
        doc = row["document"]
        facts = _document(doc)
        out = replay.battery(ident, events, row["category"], facts, self.operators.__contains__)
        self._replayed(name, out)
        for row_id, seq, line in out.ledger:  # without a row the lines cannot be derived
            expected[row_id] = (name, seq, None if doc is UNKNOWN else line)
        for seq, new in out.successors:
            self.created[new] = (ident, seq)
        if ident in self.shreds and self.shreds[ident] in out.shredded_into:
            del self.shreds[ident]
        drawn = self._drawn(name, out)
        if out.successor_of is not None:
            self.registered[ident] = out.successor_of
            successors.append((ident, out.successor_of))
        elif out.predecessor is not None:
            self.named.append((ident, out.predecessor))
        if doc is UNKNOWN:
            return
        self._head(name, row, out)
        if facts[0] != out.content:
            self._break(name, last, "stored content differs from the hash its chain recorded")
        elif isinstance(doc, dict):
            category = doc.get("GeneralProductInformation", {}).get("batteryCategory")
            self._column(name, 1, "category", row["category"], category)
        self._lifecycle(name, last, row, out)
        st = out.state
        for column, derived in (
            ("status", st.status),
            ("closed", st.closed),
            ("predecessor_id", out.predecessor),
            ("elements_kg", out.elements_kg if out.successor_of is None else UNKNOWN),
            ("drawn", drawn),
        ):
            self._column(name, last, column, row[column], derived)

    def _drawn(self, name: str, out: Replayed) -> Any:
        """What the passport took from lots, by origin (``service._draw``); adds each take to the
        lot's withdrawals."""
        if out.successor_of is not None or out.elements_kg is UNKNOWN:
            return UNKNOWN
        drawn: Origins = {}
        for i, named, elements in out.made_from:
            facts = self.lots.get(named)
            if facts is None:
                self._break(name, 1, f"made_from[{i}] names lot {named}, which has no chain")
                return UNKNOWN
            facts.taken = add_elements(facts.taken, elements)
            if facts.derived is None:
                return UNKNOWN  # the lot's own break says why
            add_origins(drawn, share_of(facts.derived, elements))
        return drawn

    def _inherited(self, successors: list[tuple[Any, Any]], rows: dict[Any, Any]) -> None:
        """A successor carries its predecessor's element masses and draws (``service._successor``)."""
        olds = self._rows(PASSPORTS, ("id", "elements_kg", "drawn"), [o for _, o in successors])
        for new, old in successors:
            for column in ("elements_kg", "drawn") if new in rows and old in olds else ():
                mine, theirs = rows[new][column], olds[old][column]
                if not _same(mine, theirs):
                    self._break(
                        f"battery {new}",
                        1,
                        f"{column} is {_shown(mine)} but its predecessor {old} holds "
                        f"{_shown(theirs)} (a successor carries its predecessor's)",
                    )

    # ------------------------------------------------------------ producers and the ledger
    def _producer(self, ident: Any, events: list[Ev], _row: Any, expected: Any, *_: Any) -> None:
        name = f"producer {ident}"
        if ident not in self.operators:
            self._break(name, events[-1].seq, "declares for an operator that does not exist")
        out = replay.producer(ident, events)
        self._replayed(name, out)
        for row_id, seq, line in out.ledger:
            expected[row_id] = (name, seq, line)

    def _ledger(self, expected: dict[Any, tuple[str, Any, dict[str, Any] | None]]) -> None:
        """The chunk's ledger lines: exactly one per ledger event, equal to what it gives."""
        if not expected:
            return
        c = LEDGER.c
        ids = list(expected)
        stored: dict[Any, list[Any]] = defaultdict(list)
        for start in range(0, len(ids), CHUNK):  # bounded IN lists
            q = select(c.id, c.event_id, *(c[f] for f in LINE_FIELDS))
            q = q.where(c.event_id.in_(ids[start : start + CHUNK])).order_by(c.id)
            for row in self.s.execute(q):
                stored[row.event_id].append(row)
        for row_id, (name, seq, line) in expected.items():
            lines = stored.get(row_id, [])
            if line is None:
                continue
            if not lines:
                self._break(f"ledger line of {name}", seq, "missing: its event yields a line")
                continue
            for extra in lines[1:]:
                self._break(f"ledger line {extra.id}", seq, f"a second line for {name} event {seq}")
            for f in LINE_FIELDS:
                got = getattr(lines[0], f)
                if not _same(got, line[f]) and not (f == "declared" and bool(got) == line[f]):
                    self._break(
                        f"ledger line {lines[0].id}",
                        seq,
                        f"{f} is {_shown(got)} but {name} event {seq} gives {_shown(line[f])}",
                    )

    # ------------------------------------------------------------ whole-registry checks
    def _strays(self) -> None:
        """Rows no chain accounts for: subjects without events, events of unknown subject types,
        ledger lines not tied to a ledger event."""
        e = EVENTS.c
        for table, kind in ((PASSPORTS, "battery"), (LOTS, "lot")):
            chained = exists().where(e.subject_type == kind, e.subject_id == table.c.id)
            for ident, head_seq in self.s.execute(
                select(table.c.id, table.c.head_seq).where(~chained)
            ):
                self._break(
                    f"{kind} {ident}",
                    head_seq,
                    "subject head does not match its last event (events deleted or added)",
                )
        q = select(e.subject_type, e.subject_id).where(e.subject_type.not_in(SUBJECT_TYPES))
        for kind, ident in self.s.execute(q.distinct()):
            self._break(f"{kind} {ident}", 0, f"events of unknown subject type {kind!r}")
        c = LEDGER.c
        ledger_event = ((e.subject_type == "battery") & e.type.in_(EPR_EVENTS)) | (
            (e.subject_type == "producer") & e.type.in_(PRODUCER_EVENTS)
        )
        q = (
            select(c.id, c.event_id, e.id, e.subject_type, e.subject_id, e.type)
            .select_from(LEDGER.outerjoin(EVENTS, e.id == c.event_id))
            .where(e.id.is_(None) | ~ledger_event)
        )
        strays: Any = self.s.execute(q)
        for line, event_id, found, kind, ident, etype in strays:
            if event_id is None:
                reason = "is tied to no event (not written by the registry)"
            elif found is None:
                reason = f"names event {event_id}, which does not exist (deleted?)"
            else:
                reason = f"names event {event_id} ({etype} on {kind} {ident}), which yields no line"
            self._break(f"ledger line {line}", 0, reason)

    def _lineage(self) -> None:
        """Each successor registration matches a ``repurposed`` / ``remanufactured`` event on its
        predecessor's chain, and the other way round."""
        for new in self.created.keys() | self.registered.keys():
            old, seq = self.created.get(new, (None, 0))
            if new not in self.registered:
                self._break(
                    f"battery {new}",
                    0,
                    f"battery {old} event {seq} created it, but it has no chain (deleted?)",
                )
            elif old != self.registered[new]:
                self._break(
                    f"battery {new}",
                    1,
                    f"registered as successor of {self.registered[new]}, whose chain does not "
                    "create it",
                )

    def _predecessors(self) -> None:
        """Predecessors named at registration still have chains."""
        e = EVENTS.c
        for start in range(0, len(self.named), CHUNK):
            part = self.named[start : start + CHUNK]
            q = select(e.subject_id).where(
                e.subject_type == "battery",
                e.seq == 1,
                bulk.among(self.s, e.subject_id, [p for _, p in part]),
            )
            found = set(self.s.scalars(q))
            for ident, predecessor in part:
                if predecessor not in found:
                    self._break(
                        f"battery {predecessor}",
                        0,
                        f"battery {ident} names it as predecessor, but it has no chain (deleted?)",
                    )

    def _shreds(self) -> None:
        for battery, lot in self.shreds.items():
            self._break(
                f"battery {battery}",
                0,
                f"lot {lot} took it as an input, but its chain has no shredded event into "
                f"{lot} (passport or events deleted?)",
            )

    def _anchor_leftovers(self) -> None:
        for kind, heads in (self.anchored or {}).items():
            for ident, (seq, _) in heads.items():
                self._break(f"{kind} {ident}", seq, "in the anchor but has no events now (deleted)")


def _event(row: Any) -> Ev:
    record = dict(zip(RECORD, row[1:10], strict=True))
    record["payload"] = _json(record["payload"])
    return Ev(row[0], record, row[10], row[11])


def _document(doc: Any) -> tuple[Any, Any, Any]:
    """(digest, status, battery mass) of a stored passport document; ``UNKNOWN`` parts when it
    cannot give them."""
    if doc is UNKNOWN or isinstance(doc, BadJson):
        return None, UNKNOWN, UNKNOWN
    try:
        hashed = digest(doc)
    except (ValueError, TypeError, RecursionError):
        return None, UNKNOWN, UNKNOWN
    gpi = doc.get("GeneralProductInformation") if isinstance(doc, dict) else None
    try:
        status = normalise_status(gpi["batteryStatus"])  # type: ignore[index]
    except (RegistryError, KeyError, TypeError):
        status = UNKNOWN
    return hashed, status, battery_mass(doc)
