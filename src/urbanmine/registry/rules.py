"""Write rules shared by the single-request path (``service``) and the batch path (``batch``).

What a request must hold (client event id, time, place, payload, passport registration), whether a
repeated client event id replays the stored event, who may write to a subject, what an event does
to it (lifecycle, custody), the producer-responsibility line it yields, and how it is chained onto
the subject's hash chain. Subjects are ORM rows on the single path and ``SubjectState`` snapshots on
the batch path; the functions here only read and set the attributes both have. No I/O: questions
about the database come in as arguments (``is_operator``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from urbanmine.registry import documents
from urbanmine.registry.domain import (
    BATTERY_EVENTS,
    CONSENT_EVENT,
    GENESIS,
    LOT_EVENTS,
    NEW_PASSPORT_EVENTS,
    STATUS_AFTER,
    canonical_text,
    check_elements,
    check_mass,
    digest,
    link_hash,
    normalise_status,
    normalise_time,
)
from urbanmine.registry.errors import Conflict, Forbidden, Invalid
from urbanmine.registry.identifiers import check_identifier

COUNTRY = re.compile(r"^[A-Z]{2}$")


@dataclass
class SubjectState:
    """What the write rules need of a battery or lot (the batch path's stand-in for the ORM row)."""

    id: str
    operator_id: str
    custodian_id: str
    ship_to: str | None
    head_seq: int
    head_hash: str
    status: str | None = None
    closed: str | None = None

    def lifecycle(self) -> tuple[str, str | None, str | None, str | None]:
        """Custody and status: what an event may change besides the head."""
        return self.custodian_id, self.ship_to, self.status, self.closed


# ---------------------------------------------------------------- request fields
def client_event_id(body: dict[str, Any], default: str | None = None) -> str:
    """The request's ``client_event_id`` (or ``default``): 1-128 characters."""
    cid = body.get("client_event_id") or default
    if not isinstance(cid, str) or not cid or len(cid) > 128:
        raise Invalid(
            "client_event_id is required: a string of 1-128 characters, unique per operator"
        )
    return cid


def place_of(body: dict[str, Any]) -> str:
    place = body.get("place", "")
    if not isinstance(place, str) or len(place) > 200:
        raise Invalid("place must be a string of at most 200 characters")
    return place


def common(body: dict[str, Any]) -> tuple[str, str, str, dict[str, Any]]:
    """client_event_id, time (UTC ISO), place and payload of an event request."""
    cid, place = client_event_id(body), place_of(body)
    payload = body.get("payload") or {}
    if not isinstance(payload, dict):
        raise Invalid("payload must be a JSON object")
    return cid, normalise_time(body.get("time", "")), place, payload


def event_type(body: dict[str, Any], subject_type: str) -> str:
    """The event type, one of the battery or lot event types."""
    etype = body.get("type")
    allowed = BATTERY_EVENTS if subject_type == "battery" else LOT_EVENTS
    if etype not in allowed:
        raise Invalid(f"unknown {subject_type} event type {etype!r}; allowed: {', '.join(allowed)}")
    return str(etype)


@dataclass(frozen=True)
class Registration:
    """A validated passport registration request."""

    ident: str
    document: dict[str, Any]
    category: str
    status: str
    client_event_id: str
    time: str
    place: str
    elements_kg: dict[str, float]
    made_from: list[Any]
    predecessor: str | None

    @property
    def payload(self) -> dict[str, Any]:
        """Payload of the ``registered`` event: what the passport's state starts from (the
        predecessor only when one is named, so that registrations without one hash as before)."""
        lineage = {} if self.predecessor is None else {"predecessor": self.predecessor}
        return content_payload(
            self.document, elements_kg=self.elements_kg, made_from=self.made_from, **lineage
        )


def battery_mass(document: Any) -> Any:
    """The document's ``GeneralProductInformation.batteryMass`` (``None`` when absent)."""
    gpi = document.get("GeneralProductInformation") if isinstance(document, dict) else None
    return gpi.get("batteryMass") if isinstance(gpi, dict) else None


def content_payload(document: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """Payload of an event that sets a passport's document (``registered``, ``updated``): its
    SHA-256 and its battery mass, which the ledger lines of later events use (``verify`` derives
    them from the chain, whatever document is stored by then)."""
    return {"document_sha256": digest(document), "battery_mass_kg": battery_mass(document), **extra}


def registration(body: dict[str, Any]) -> Registration:
    """Check a passport registration: Battery Pass document, identifier, element masses, lots."""
    doc = documents.validate(body.get("document"))
    ident = documents.identifier_of(doc)
    check_identifier(ident)
    time = normalise_time(body.get("time") or datetime.now(UTC).isoformat())
    cid = client_event_id(body, f"register:{ident}")
    elements = check_elements(body.get("elements_kg") or {}, "elements_kg")
    made_from = draws(body.get("made_from") or [])
    gpi = battery_mass_checked(doc)["GeneralProductInformation"]
    status = normalise_status(gpi.get("batteryStatus", "original"))
    predecessor = body.get("predecessor")
    return Registration(
        ident=ident,
        document=documents.with_status(doc, status, ident),
        category=gpi["batteryCategory"],
        status=status,
        client_event_id=cid,
        time=time,
        place=place_of(body),
        elements_kg=elements,
        made_from=made_from,
        predecessor=predecessor if isinstance(predecessor, str) else None,
    )


def battery_mass_checked(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` (validated), once its ``batteryMass``, if given, is a mass the registry can
    add up in ledgers (``check_mass``)."""
    gpi = document["GeneralProductInformation"]
    if "batteryMass" in gpi:
        check_mass(gpi["batteryMass"], "document.GeneralProductInformation.batteryMass")
    return document


def draws(made_from: Any) -> list[dict[str, Any]]:
    """``made_from`` of a registration: a list of ``{"lot": id, "elements_kg": {...}}``."""
    if not isinstance(made_from, list):
        raise Invalid("made_from must be a list of {lot, elements_kg}")
    for i, item in enumerate(made_from):
        where = f"made_from[{i}]"
        _shape(item, where, ("lot",))
        check_elements(item.get("elements_kg") or {}, f"{where}.elements_kg")
    return made_from


LOT_INPUTS = ("battery", "lot", "scrap", "primary")
"""What a lot may be made from; each input names one of them (an id or a description)."""


def lot_inputs(inputs: Any) -> list[tuple[str, str, dict[str, float]]]:
    """A lot's ``inputs``: (kind, id or description, element masses) of each, checked for shape.

    Each input is an object naming exactly one of ``LOT_INPUTS`` (a string of 1-128 characters)
    and ``elements_kg``; a battery may be named once (its passport ends in the lot).
    """
    if not isinstance(inputs, list) or not inputs:
        raise Invalid("inputs must be a non-empty list of {battery|lot|scrap|primary, elements_kg}")
    out: list[tuple[str, str, dict[str, float]]] = []
    batteries: set[str] = set()
    for i, item in enumerate(inputs):
        where = f"inputs[{i}]"
        kind = _shape(item, where, LOT_INPUTS)
        ref = item[kind]
        if kind == "battery":
            if ref in batteries:
                raise Invalid(f"{where}: battery {ref} is already an input of this lot")
            batteries.add(ref)
        out.append(
            (kind, ref, check_elements(item.get("elements_kg") or {}, f"{where}.elements_kg"))
        )
    return out


def _shape(item: Any, where: str, kinds: tuple[str, ...]) -> str:
    """The one key of ``kinds`` that ``item`` (an object of it and ``elements_kg``) names, its
    value a string of 1-128 characters."""
    named = [k for k in kinds if isinstance(item, dict) and k in item]
    allowed = " or ".join(kinds)
    if len(named) != 1 or set(item) - {named[0], "elements_kg"}:
        raise Invalid(f"{where} must be an object of exactly one of {allowed}, and elements_kg")
    ref = item[named[0]]
    if not isinstance(ref, str) or not 0 < len(ref) <= 128:
        raise Invalid(f"{where}.{named[0]} must be a string of 1-128 characters, got {ref!r}")
    return named[0]


def passport_columns(reg: Registration, operator_id: str) -> dict[str, Any]:
    """Columns of the new ``Passport`` row of a registration, before its first event."""
    return {
        "id": reg.ident,
        "operator_id": operator_id,
        "custodian_id": operator_id,
        "category": reg.category,
        "status": reg.status,
        "document": reg.document,
        "elements_kg": reg.elements_kg,
        "predecessor_id": reg.predecessor,
        "head_seq": 0,
        "head_hash": GENESIS,
    }


# ---------------------------------------------------------------- replays
def registration_replays(stored: Any, reg: Registration, exists: bool, operator_id: str) -> bool:
    """Whether a registration repeats a stored one (``stored``: the event with its client event id).

    ``Conflict`` when the passport exists already, or the client event id was used for another event.
    """
    if stored is not None and (stored.subject_id, stored.type, stored.payload) == (
        reg.ident,
        "registered",
        reg.payload,
    ):
        return True
    if exists:
        raise Conflict(
            f"passport {reg.ident} already exists; update it with PUT /api/v1/passports/{reg.ident}"
        )
    if stored is not None:
        raise Conflict(
            f"client event id {reg.client_event_id!r} was already used by {operator_id} for a different event"
        )
    return False


def replays(
    stored: Any,
    operator_id: str,
    cid: str,
    subject_type: str,
    subject_id: str,
    etype: str,
    time: str,
    place: str,
    payload: dict[str, Any],
) -> bool:
    """Whether ``stored`` (an event with this client event id, or ``None``) is this very request.

    ``Conflict`` when the id was used for a different event: client event ids are unique per
    operator.
    """
    if stored is None:
        return False
    same = (
        stored.subject_type,
        stored.subject_id,
        stored.type,
        stored.time,
        stored.place,
        stored.payload,
    ) == (subject_type, subject_id, etype, time, place, payload)
    if not same:
        raise Conflict(
            f"client event id {cid!r} was already used by {operator_id} for a different "
            f"event ({stored.type} on {stored.subject_type} {stored.subject_id}); client event ids must be unique"
        )
    return True


# ---------------------------------------------------------------- effects
def apply_battery_event(
    battery: Any,
    etype: str,
    operator_id: str,
    payload: dict[str, Any],
    is_operator: Callable[[str], bool],
) -> None:
    """Check that ``operator_id`` may record ``etype`` on ``battery`` and apply its effects.

    Writers: the responsible operator and the holder (and, for ``received``, the operator it was
    shipped to). A closed passport is read-only. Custody, status and the end of the passport
    (``shredded``) follow from the type; the successor passport of ``repurposed`` and
    ``remanufactured`` is the caller's job.
    """
    writers = {battery.operator_id, battery.custodian_id} | (
        {battery.ship_to} if etype == "received" else set()
    )
    if operator_id not in writers:
        raise Forbidden(f"{operator_id} neither is responsible for nor holds battery {battery.id}")
    if battery.closed:
        raise Conflict(
            f"passport {battery.id} is read-only ({battery.closed}); its history stays readable"
        )
    custody(battery, etype, operator_id, payload, is_operator)
    if etype == CONSENT_EVENT:
        consent_payload(payload, is_operator)
    if etype in STATUS_AFTER:
        battery.status = STATUS_AFTER[etype]
    elif etype == "shredded":
        battery.status, battery.closed = "waste", "recycled"
    elif etype in NEW_PASSPORT_EVENTS:
        battery.status, battery.closed = NEW_PASSPORT_EVENTS[etype], "superseded"


def consent_payload(payload: dict[str, Any], is_operator: Callable[[str], bool]) -> None:
    """A ``successor_consented`` event names the new passport and the operator registering it."""
    new_id = payload.get("new_passport_id")
    if not isinstance(new_id, str):
        raise Invalid(f"{CONSENT_EVENT} needs payload.new_passport_id: the successor's identifier")
    check_identifier(new_id)
    who = payload.get("operator")
    if not isinstance(who, str) or not is_operator(who):
        raise Invalid(
            f"{CONSENT_EVENT} needs payload.operator: the id of the registered operator that will "
            "register the successor"
        )


def may_succeed(
    predecessor: Any, operator_id: str, new_id: str, consents: Iterable[dict[str, Any]]
) -> None:
    """May ``operator_id`` register ``new_id`` naming ``predecessor`` as its predecessor?

    Yes for the predecessor's responsible operator and its holder (custody was handed over by the
    previous holder's own ``shipped``), and for an operator the responsible operator or holder named
    in a ``successor_consented`` event on the predecessor for exactly ``new_id``; ``Forbidden``
    otherwise."""
    if operator_id in (predecessor.operator_id, predecessor.custodian_id):
        return
    for c in consents:
        if c.get("new_passport_id") == new_id and c.get("operator") == operator_id:
            return
    raise Forbidden(
        f"predecessor {predecessor.id} belongs to {predecessor.operator_id}: naming it needs that "
        f"operator's or the holder's consent, a {CONSENT_EVENT} event on {predecessor.id} with "
        f"payload new_passport_id {new_id!r} and operator {operator_id!r}"
    )


def apply_lot_event(
    lot: Any,
    etype: str,
    operator_id: str,
    payload: dict[str, Any],
    is_operator: Callable[[str], bool],
) -> None:
    """Check that ``operator_id`` holds ``lot`` (or receives it) and apply the custody change."""
    if operator_id not in ({lot.custodian_id} | ({lot.ship_to} if etype == "received" else set())):
        raise Forbidden(f"{operator_id} does not hold lot {lot.id}")
    custody(lot, etype, operator_id, payload, is_operator)


def custody(
    subject: Any,
    etype: str,
    operator_id: str,
    payload: dict[str, Any],
    is_operator: Callable[[str], bool],
) -> None:
    """``shipped``/``delivered`` name the receiver (``payload.to``); ``received`` passes custody."""
    if etype in ("shipped", "delivered"):
        to = payload.get("to")
        if not isinstance(to, str) or not is_operator(to):
            raise Invalid(f"{etype} needs payload.to: the id of a registered operator")
        if operator_id != subject.custodian_id:
            raise Forbidden(f"only the holder {subject.custodian_id} may ship {subject.id}")
        subject.ship_to = to
    elif etype == "received":
        if subject.ship_to != operator_id:
            raise Conflict(f"{subject.id} was not shipped to {operator_id}")
        subject.custodian_id, subject.ship_to = operator_id, None


def epr_line(
    producer: str,
    category: str,
    mass: Any,
    etype: str,
    time: str,
    payload: dict[str, Any],
) -> dict[str, Any]:
    """The ledger line of a ``placed_on_market`` or ``collected`` event (columns of ``EprEntry``);
    ``mass``: the passport's ``battery_mass`` when the event is recorded."""
    country = payload.get("country")
    if not isinstance(country, str) or not COUNTRY.match(country):
        raise Invalid(f"{etype} needs payload.country: ISO 3166-1 alpha-2 code such as DE")
    if isinstance(mass, bool) or not isinstance(mass, int | float) or mass <= 0:
        raise Invalid(f"{etype} needs the passport's GeneralProductInformation.batteryMass (kg)")
    check_mass(mass, "the passport's GeneralProductInformation.batteryMass")
    return {
        "producer_id": producer,
        "category": category,
        "country": country,
        "year": int(time[:4]),
        "kind": etype,
        "mass_kg": float(mass),
        "declared": False,
    }


def declared_line(producer: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The ledger line of a producer's aggregate declaration (its ``declared`` event's payload:
    kind, category, country, year, mass_kg)."""
    keys = ("kind", "category", "country", "year", "mass_kg")
    return {"producer_id": producer, **{k: payload[k] for k in keys}, "declared": True}


# ---------------------------------------------------------------- hash chain
def link(
    subject: Any,
    subject_type: str,
    operator_id: str,
    cid: str,
    etype: str,
    time: str,
    place: str,
    payload_text: str,
) -> tuple[int, str, str]:
    """Sequence number, previous hash and hash of the next event on ``subject``'s chain (its
    payload given as ``canonical_text``); advances the subject's head.

    The caller holds the subject's write lock (see ``docs/registry.md``, Hash chain).
    """
    seq, prev = subject.head_seq + 1, subject.head_hash
    record = (subject_type, subject.id, seq, cid, etype, time, operator_id, place, payload_text)
    subject.head_seq, subject.head_hash = seq, link_hash(*record, prev)
    return seq, prev, subject.head_hash


def chain(
    subject: Any,
    subject_type: str,
    operator_id: str,
    cid: str,
    etype: str,
    time: str,
    place: str,
    payload: dict[str, Any],
) -> dict[str, Any]:
    """The next event on ``subject``'s chain (columns of ``Event``); advances the subject's head."""
    text = canonical_text(payload)
    seq, prev, hash_ = link(subject, subject_type, operator_id, cid, etype, time, place, text)
    return {
        "subject_type": subject_type,
        "subject_id": subject.id,
        "seq": seq,
        "client_event_id": cid,
        "type": etype,
        "time": time,
        "operator_id": operator_id,
        "place": place,
        "payload": payload,
        "prev_hash": prev,
        "hash": hash_,
    }
