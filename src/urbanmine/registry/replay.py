"""Replay one subject's hash chain with the write rules (``rules``) to derive the state the registry
must hold for it: what ``verify`` compares with the stored columns.

A battery's chain gives its responsible operator (who registered it), custody, status, ``closed``,
element masses, the lots it took material from, its predecessor, the successors it names and the
ledger line of each ``placed_on_market`` and ``collected`` event; a lot's chain gives its operator
and custody (its element masses by origin follow from its specification, ``lot_origins``); a
producer's chain gives its aggregate EPR declarations. Nothing here reads the database.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from urbanmine.registry.domain import (
    BATTERY_EVENTS,
    EPR_EVENTS,
    INPUT_ORIGIN,
    LOT_EVENTS,
    NEW_PASSPORT_EVENTS,
    PRODUCER_EVENTS,
    Elements,
    Origins,
    add_origins,
    check_elements,
    input_origins,
    share_of,
)
from urbanmine.registry.errors import RegistryError
from urbanmine.registry.rules import (
    SubjectState,
    apply_battery_event,
    apply_lot_event,
    declared_line,
    epr_line,
)

UNKNOWN: Any = object()
"""A value the chain cannot give (reported where it is needed, never compared)."""
CONTENT_EVENTS = ("registered", "updated")
LOT_FIRST_EVENTS = ("shredded", "refined")
LOT_INPUT_KINDS = ("lot", *INPUT_ORIGIN)


class Ev(NamedTuple):
    """One stored event: its row id, hashed record (payload parsed), prev_hash and hash."""

    row_id: Any
    record: dict[str, Any]
    prev_hash: Any
    hash: Any

    @property
    def seq(self) -> Any:
        return self.record["seq"]

    @property
    def type(self) -> Any:
        return self.record["type"]

    @property
    def operator(self) -> Any:
        return self.record["operator_id"]

    @property
    def payload(self) -> dict[str, Any]:
        """The payload when it is an object, else ``{}`` (the hash check reports the edit)."""
        p = self.record["payload"]
        return p if isinstance(p, dict) else {}


@dataclass
class Replayed:
    """What a chain says about its subject, and where it breaks the write rules."""

    state: SubjectState
    problems: list[tuple[Any, str]] = field(default_factory=list)
    content: Any = None
    """The last ``document_sha256`` / ``spec_sha256`` the chain recorded."""
    ledger: list[tuple[Any, Any, dict[str, Any] | None]] = field(default_factory=list)
    """(event row id, seq, ledger line or ``None`` when it cannot be derived)."""
    elements_kg: Any = UNKNOWN
    made_from: list[tuple[int, Any, Elements]] = field(default_factory=list)
    """(position, lot id, kg) taken from lots at registration."""
    predecessor: Any = None
    successor_of: Any = None
    """Set when repurposing or remanufacturing registered the passport (elements and drawn are
    then the predecessor's)."""
    successors: list[tuple[Any, Any]] = field(default_factory=list)
    """(seq, new passport id) of ``repurposed`` / ``remanufactured`` events."""
    shredded_into: set[Any] = field(default_factory=set)

    def problem(self, seq: Any, reason: str) -> None:
        self.problems.append((seq, reason))


def _start(ident: str, first: Ev) -> SubjectState:
    return SubjectState(ident, first.operator, first.operator, None, first.seq, first.hash)


def _apply(
    out: Replayed, ev: Ev, rule: Callable[..., None], is_operator: Callable[[str], bool]
) -> None:
    """Apply the write ``rule`` of ``ev`` to the replayed state; a refusal is a problem of the
    chain."""
    try:
        rule(out.state, ev.type, ev.operator, ev.payload, is_operator)
    except RegistryError as exc:
        out.problem(ev.seq, f"{ev.type} event breaks the write rules: {exc}")


def battery(
    ident: str,
    events: Sequence[Ev],
    category: Any,
    stored_document: tuple[str, Any, Any],
    is_operator: Callable[[str], bool],
) -> Replayed:
    """Replay a battery's chain. ``stored_document``: (digest, status, mass) of the stored
    document. The status is not in the chain's payloads: at every ``registered`` and ``updated``
    event the document carries the status of that moment, so the stored document (when its digest
    is the last one recorded) gives the status from the last such event on."""
    first = events[0]
    out = Replayed(_start(ident, first))
    if first.type != "registered":
        out.problem(first.seq, f"first event is {first.type!r}, not 'registered'")
        return out
    last_content = max(i for i, ev in enumerate(events) if ev.type in CONTENT_EVENTS)
    doc_digest, doc_status, doc_mass = stored_document
    mass: Any = UNKNOWN
    for i, ev in enumerate(events):
        if ev.type in CONTENT_EVENTS:
            out.content = ev.payload.get("document_sha256")
            mass = ev.payload.get("battery_mass_kg", UNKNOWN)
            if mass is UNKNOWN and out.content == doc_digest:
                mass = doc_mass  # recorded before masses were: the stored document is in force
        if i == 0:
            _registration(out, ev)
        elif ev.type == "updated":
            pass  # a new document (its digest, above): no other state changes
        elif ev.type not in BATTERY_EVENTS:
            out.problem(ev.seq, f"{ev.type!r} is not a battery event")
        else:
            _battery_event(out, ev, category, mass, is_operator)
        if i == last_content:
            out.state.status = doc_status if out.content == doc_digest else UNKNOWN
        out.state.head_seq, out.state.head_hash = ev.seq, ev.hash
    return out


def _registration(out: Replayed, ev: Ev) -> None:
    payload = ev.payload
    if "elements_kg" not in payload:  # a successor's registration (service._successor)
        out.successor_of = out.predecessor = payload.get("predecessor")
        return
    out.predecessor = payload.get("predecessor")
    try:
        out.elements_kg = check_elements(payload.get("elements_kg") or {}, "elements_kg")
        made_from = payload.get("made_from") or []
        for i, item in enumerate(made_from):
            where = f"made_from[{i}].elements_kg"
            out.made_from.append((i, item.get("lot"), check_elements(item["elements_kg"], where)))
    except (RegistryError, AttributeError, KeyError, TypeError) as exc:
        out.elements_kg = UNKNOWN
        out.problem(ev.seq, f"registration payload cannot be replayed: {exc!r}")


def _battery_event(
    out: Replayed, ev: Ev, category: Any, mass: Any, is_operator: Callable[[str], bool]
) -> None:
    state, payload = out.state, ev.payload
    _apply(out, ev, apply_battery_event, is_operator)
    if ev.type in NEW_PASSPORT_EVENTS:
        out.successors.append((ev.seq, payload.get("new_passport_id")))
    elif ev.type == "shredded":
        out.shredded_into.add(payload.get("lot"))
    elif ev.type in EPR_EVENTS:
        line = None
        if mass is UNKNOWN:
            out.problem(
                ev.seq, "ledger line cannot be derived: the battery mass in force then is unknown"
            )
        else:
            producer = state.operator_id
            try:
                line = epr_line(producer, category, mass, ev.type, ev.record["time"], payload)
            except (RegistryError, ValueError, TypeError) as exc:
                out.problem(ev.seq, f"{ev.type} event yields no ledger line: {exc}")
        out.ledger.append((ev.row_id, ev.seq, line))


def lot(ident: str, events: Sequence[Ev], is_operator: Callable[[str], bool]) -> Replayed:
    """Replay a lot's chain: its creator, custody and the specification digest it recorded."""
    first = events[0]
    out = Replayed(_start(ident, first))
    if first.type not in LOT_FIRST_EVENTS:
        out.problem(first.seq, f"first event is {first.type!r}, not one of {LOT_FIRST_EVENTS}")
    out.content = first.payload.get("spec_sha256")
    for ev in events[1:]:
        if ev.type not in LOT_EVENTS:
            out.problem(ev.seq, f"{ev.type!r} is not a lot event")
        else:
            _apply(out, ev, apply_lot_event, is_operator)
        out.state.head_seq, out.state.head_hash = ev.seq, ev.hash
    return out


def producer(ident: str, events: Sequence[Ev]) -> Replayed:
    """Replay a producer's chain of aggregate declarations: one ledger line per event."""
    out = Replayed(_start(ident, events[0]))
    for ev in events:
        line = None
        if ev.type not in PRODUCER_EVENTS or ev.operator != ident:
            out.problem(ev.seq, f"{ev.type!r} by {ev.operator!r} is not a declaration by {ident}")
        else:
            try:
                line = declared_line(ident, ev.payload)
            except KeyError as exc:
                out.problem(ev.seq, f"declaration lacks {exc}")
        out.ledger.append((ev.row_id, ev.seq, line))
        out.state.head_seq, out.state.head_hash = ev.seq, ev.hash
    return out


# ---------------------------------------------------------------- lots' mixtures
def lot_inputs(spec: Mapping[str, Any]) -> list[tuple[str, Any, Elements]]:
    """(kind, named subject, kg) of each input of a lot's specification."""
    out = []
    for i, item in enumerate(spec["inputs"]):
        kind = next(k for k in LOT_INPUT_KINDS if k in item)
        out.append((kind, item[kind], check_elements(item["elements_kg"] or {}, f"inputs[{i}]")))
    return out


def lot_origins(spec: Mapping[str, Any], origins_of: Callable[[Any], Origins]) -> Origins:
    """Element masses by origin of a lot (``service.create_lot``): its inputs mixed, its outputs
    split in the mixture's proportions. ``origins_of``: a source lot's origins."""
    mix: Origins = {}
    for kind, name, elements in lot_inputs(spec):
        add_origins(mix, input_origins(kind, elements, origins_of(name) if kind == "lot" else None))
    return share_of(mix, check_elements(spec["elements_kg"], "elements_kg"))
