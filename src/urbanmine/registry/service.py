"""Registry operations. Each public function runs inside the caller's transaction (one request).

Write rules: only ``operator`` keys write, and only their own subjects: a passport's responsible
operator or its current custodian; a lot's custodian. ``admin`` keys manage operators and keys.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from urbanmine.passport import project
from urbanmine.passport.catalogue import CATEGORIES
from urbanmine.registry import disclosure, documents, keys, namespaces
from urbanmine.registry.domain import (
    CONSENT_EVENT,
    DEFAULT_TOLERANCE,
    EPR_EVENTS,
    FIRST_YEAR,
    GENESIS,
    LAST_YEAR,
    NEW_PASSPORT_EVENTS,
    Origins,
    add_elements,
    add_origins,
    balance_excess,
    check_elements,
    check_mass,
    collection_rate,
    digest,
    input_origins,
    normalise_time,
    recycled_content,
    share_of,
    totals,
)
from urbanmine.registry.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
from urbanmine.registry.identifiers import check_identifier, check_lot_id
from urbanmine.registry.keys import Principal
from urbanmine.registry.rules import (
    COUNTRY,
    SubjectState,
    apply_battery_event,
    apply_lot_event,
    battery_mass,
    battery_mass_checked,
    chain,
    client_event_id,
    common,
    content_payload,
    declared_line,
    epr_line,
    event_type,
    lot_inputs,
    may_succeed,
    passport_columns,
    place_of,
    registration,
    registration_replays,
    replays,
)
from urbanmine.registry.store import ApiKey, EprEntry, Event, Lot, Operator, Passport

OPERATOR_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
AUTHORITY_ROLES = ("market_surveillance", "commission")


# ---------------------------------------------------------------- permissions
def require_admin(p: Principal) -> None:
    if p.role == "public":
        raise Unauthorized("an admin API key is required (Authorization: Bearer KEY)")
    if p.role != "admin":
        raise Forbidden("only an admin key may manage operators and keys")


def require_operator(p: Principal) -> str:
    """The operator id of a writing principal."""
    if p.role == "public" or p.operator_id is None:
        raise Unauthorized("writing needs an operator API key (Authorization: Bearer KEY)")
    if p.role != "operator":
        raise Forbidden(f"a {p.role} key may not write; only operator keys write")
    return p.operator_id


def read_tier(p: Principal, passport: Passport) -> str | None:
    """Passport tier the principal reads: ``None`` means the whole document."""
    if p.role == "admin":
        return None
    if p.role == "operator":
        own = p.operator_id in (passport.operator_id, passport.custodian_id)
        return None if own else "legitimate_interest"
    return p.role


# ---------------------------------------------------------------- operators and keys
def create_operator(
    s: Session,
    p: Principal,
    operator_id: str,
    name: str,
    spaces: dict[str, str | None] | None = None,
) -> Operator:
    """A new operator, with the identifier namespaces it alone issues (``namespaces``)."""
    require_admin(p)
    if not OPERATOR_ID.match(operator_id or ""):
        raise Invalid(f"operator id {operator_id!r} must match {OPERATOR_ID.pattern}")
    if not 0 < len(name) <= 200:
        raise Invalid("operator name must have 1-200 characters")
    if s.get(Operator, operator_id) is not None:
        raise Conflict(f"operator {operator_id!r} already exists")
    op = Operator(id=operator_id, name=name)
    s.add(op)
    s.flush()
    namespaces.set_namespaces(s, op, spaces or {})
    return op


def update_operator(
    s: Session, p: Principal, operator_id: str, spaces: dict[str, str | None]
) -> Operator:
    """Register identifier namespaces on an existing operator (admin)."""
    require_admin(p)
    op = s.get(Operator, operator_id, with_for_update=True)
    if op is None:
        raise NotFound(f"operator {operator_id!r} not found")
    namespaces.set_namespaces(s, op, spaces)
    return op


def operator_view(op: Operator) -> dict[str, Any]:
    return {
        "id": op.id,
        "name": op.name,
        "urn_prefix": op.urn_prefix,
        "gbt_manufacturer": op.gbt_manufacturer,
    }


def create_key(
    s: Session, p: Principal, operator_id: str, role: str, expires_at: str | None = None
) -> dict[str, Any]:
    """A new key (shown once, in ``key``) and what is stored of it (``keys.key_view``)."""
    require_admin(p)
    if s.get(Operator, operator_id) is None:
        raise NotFound(f"operator {operator_id!r} not found")
    expiry = None if expires_at is None else keys.parse_expiry(expires_at)
    key = keys.issue_key(s, operator_id, role, expiry)
    row = s.scalar(select(ApiKey).where(ApiKey.key_id == keys.key_id_of(key)))
    assert row is not None
    return {"key": key, **keys.key_view(row)}


def revoke_key(
    s: Session, p: Principal, key_id: str, operator_id: str | None = None
) -> dict[str, Any]:
    """Revoke a key: refused from the next request on, by every worker process."""
    require_admin(p)
    return keys.key_view(keys.revoke(s, key_id, operator_id))


def list_keys(s: Session, p: Principal, operator_id: str | None = None) -> list[dict[str, Any]]:
    """The keys (of ``operator_id``) without their secrets or hashes."""
    require_admin(p)
    if operator_id is not None and s.get(Operator, operator_id) is None:
        raise NotFound(f"operator {operator_id!r} not found")
    return [keys.key_view(row) for row in keys.list_keys(s, operator_id)]


# ---------------------------------------------------------------- events
def _existing(s: Session, operator_id: str, client_event_id: str) -> Event | None:
    return s.scalar(
        select(Event).where(
            Event.operator_id == operator_id, Event.client_event_id == client_event_id
        )
    )


def _append(
    s: Session,
    subject: Passport | Lot | SubjectState,
    subject_type: str,
    operator_id: str,
    client_event_id: str,
    etype: str,
    time: str,
    place: str,
    payload: dict[str, Any],
) -> Event:
    """Append one event to a subject's hash chain (the subject row is locked by the caller)."""
    ev = Event(
        **chain(subject, subject_type, operator_id, client_event_id, etype, time, place, payload)
    )
    s.add(ev)
    s.flush()
    return ev


def event_view(ev: Event) -> dict[str, Any]:
    return {**ev.record(), "prev_hash": ev.prev_hash, "hash": ev.hash}


def _is_operator(s: Session) -> Callable[[str], bool]:
    return lambda operator_id: s.get(Operator, operator_id) is not None


# ---------------------------------------------------------------- passports
def _draw(
    s: Session, operator_id: str, made_from: list[dict[str, Any]]
) -> tuple[Origins, list[tuple[Lot, dict[str, float]]]]:
    """Element masses taken from lots (caller must hold each lot), split by origin."""
    drawn: Origins = {}
    takes = []
    for i, item in enumerate(made_from):
        lot = s.get(Lot, item.get("lot"), with_for_update=True) if isinstance(item, dict) else None
        if lot is None:
            raise NotFound(
                f"made_from[{i}]: lot {item.get('lot') if isinstance(item, dict) else item!r} not found"
            )
        if lot.custodian_id != operator_id:
            raise Forbidden(
                f"made_from[{i}]: lot {lot.id} is held by {lot.custodian_id}, not {operator_id}"
            )
        elements = check_elements(item.get("elements_kg") or {}, f"made_from[{i}].elements_kg")
        _withdraw(lot, elements, f"made_from[{i}]")
        add_origins(drawn, share_of(lot.origins, elements))
        takes.append((lot, elements))
    return drawn, takes


def _withdraw(lot: Lot, elements: dict[str, float], where: str) -> None:
    """Take ``elements`` from ``lot``; ``Conflict`` if that is more than what is left in it."""
    have = totals(lot.origins)
    left = {el: have.get(el, 0.0) - lot.withdrawn.get(el, 0.0) for el in set(have) | set(elements)}
    tol = lot.spec.get("tolerance", DEFAULT_TOLERANCE)
    excess = balance_excess(left, elements, tol)
    if excess:
        raise Conflict(
            f"{where}: more taken from lot {lot.id} than it still holds: "
            + "; ".join(
                f"{e.element}: taking {e.output_kg:.6g} kg, {e.input_kg:.6g} kg left"
                for e in excess
            )
        )
    lot.withdrawn = add_elements(lot.withdrawn, elements)


def create_passport(s: Session, p: Principal, body: dict[str, Any]) -> tuple[Passport, bool]:
    """Register a battery: Battery Pass document, optional element masses and lots it was made from."""
    operator_id = require_operator(p)
    reg = registration(body)
    stored = _existing(s, operator_id, reg.client_event_id)
    if registration_replays(stored, reg, s.get(Passport, reg.ident) is not None, operator_id):
        return _get_passport(s, reg.ident), False
    drawn, _ = _draw(s, operator_id, reg.made_from)
    over = balance_excess(reg.elements_kg, totals(drawn), DEFAULT_TOLERANCE)
    if over:
        raise Invalid(
            "made_from takes more of an element than elements_kg says the battery holds: "
            + "; ".join(e.explain() for e in over)
        )
    namespaces.may_issue(s, operator_id, reg.ident)
    if reg.predecessor is not None:
        _may_succeed(s, operator_id, reg.ident, reg.predecessor)
    passport = Passport(**passport_columns(reg, operator_id), drawn=drawn)
    s.add(passport)
    s.flush()
    _append(
        s,
        passport,
        "battery",
        operator_id,
        reg.client_event_id,
        "registered",
        reg.time,
        reg.place,
        reg.payload,
    )
    return passport, True


def _may_succeed(s: Session, operator_id: str, new_id: str, predecessor_id: str) -> None:
    """``rules.may_succeed`` with the predecessor's recorded consents."""
    predecessor = s.get(Passport, predecessor_id)
    if predecessor is None:
        raise Invalid(f"predecessor {predecessor_id} is not a registered passport")
    consents = s.scalars(
        select(Event.payload).where(
            Event.subject_type == "battery",
            Event.subject_id == predecessor_id,
            Event.type == CONSENT_EVENT,
        )
    )
    may_succeed(predecessor, operator_id, new_id, consents)


def _get_passport(s: Session, ident: str, lock: bool = False) -> Passport:
    passport = s.get(Passport, ident, with_for_update=lock)
    if passport is None:
        raise NotFound(f"passport {ident} not found")
    return passport


def update_passport(s: Session, p: Principal, ident: str, body: dict[str, Any]) -> Passport:
    """Replace a passport's document (Art. 77(4): by the responsible operator only)."""
    operator_id = require_operator(p)
    passport = _get_passport(s, ident, lock=True)
    if passport.operator_id != operator_id:
        raise Forbidden(
            f"only the responsible operator {passport.operator_id} may update passport {ident}"
        )
    if passport.closed:
        raise Conflict(f"passport {ident} is read-only ({passport.closed})")
    doc = battery_mass_checked(documents.validate(body.get("document"), ident))
    if doc.get("GeneralProductInformation", {}).get("batteryPassportIdentifier", ident) != ident:
        raise Invalid("the document's batteryPassportIdentifier differs from the passport id")
    if doc["GeneralProductInformation"]["batteryCategory"] != passport.category:
        raise Invalid(f"batteryCategory cannot change (passport is {passport.category})")
    doc = documents.with_status(doc, passport.status, ident)
    cid, time, place, _ = common({**body, "payload": None})
    payload = content_payload(doc)
    stored = _existing(s, operator_id, cid)
    if not replays(stored, operator_id, cid, "battery", ident, "updated", time, place, payload):
        passport.document = doc
        _append(s, passport, "battery", operator_id, cid, "updated", time, place, payload)
    return passport


def passport_view(s: Session, p: Principal, passport: Passport) -> dict[str, Any]:
    """What ``p`` may see of a passport: the document projected to its tier, lineage, state."""
    tier = read_tier(p, passport)
    current = documents.with_status(passport.document, passport.status, passport.id)
    doc = current if tier is None else project(current, tier)
    view: dict[str, Any] = {
        "id": passport.id,
        "category": passport.category,
        "operator": passport.operator_id,
        "tier": tier or "full",
        "document": doc,
    }
    if disclosure.sees(tier, disclosure.STATUS):  # custody, lineage, end of life
        successors = s.scalars(select(Passport.id).where(Passport.predecessor_id == passport.id))
        view["status"] = passport.status
        view["custodian"] = passport.custodian_id
        view["predecessor"] = passport.predecessor_id
        view["successors"] = list(successors)
        view["closed"] = passport.closed
    return view


def get_passport(s: Session, p: Principal, ident: str) -> dict[str, Any]:
    """What ``p`` may see of passport ``ident`` (``NotFound`` if there is none)."""
    return passport_view(s, p, _get_passport(s, ident))


def list_passports(
    s: Session, p: Principal, operator: str | None, limit: int, offset: int
) -> list[dict[str, Any]]:
    q = select(Passport).order_by(Passport.id).limit(limit).offset(offset)
    if operator:
        q = q.where(Passport.operator_id == operator)
    return [passport_view(s, p, row) for row in s.scalars(q)]


def add_battery_event(
    s: Session, p: Principal, ident: str, body: dict[str, Any]
) -> tuple[Event, bool]:
    """Record what happened to a battery; lifecycle, custody and EPR follow from the event type."""
    operator_id = require_operator(p)
    etype = event_type(body, "battery")
    cid, time, place, payload = common(body)
    passport = _get_passport(s, ident, lock=True)
    stored = _existing(s, operator_id, cid)
    if replays(stored, operator_id, cid, "battery", ident, etype, time, place, payload):
        assert stored is not None
        return stored, False
    apply_battery_event(passport, etype, operator_id, payload, _is_operator(s))
    if etype in NEW_PASSPORT_EVENTS:
        _successor(s, passport, operator_id, etype, time, place, payload)
    ev = _append(s, passport, "battery", operator_id, cid, etype, time, place, payload)
    if etype in EPR_EVENTS:
        mass = battery_mass(passport.document)
        line = epr_line(passport.operator_id, passport.category, mass, etype, time, payload)
        s.add(EprEntry(**line, event_id=ev.id))
    return ev, True


def _successor(
    s: Session,
    old: Passport,
    operator_id: str,
    etype: str,
    time: str,
    place: str,
    payload: dict[str, Any],
) -> None:
    """Repurposing or remanufacturing: a new passport under the new operator, linked to the old
    (``apply_battery_event`` has superseded the old one)."""
    new_id = payload.get("new_passport_id")
    if not isinstance(new_id, str):
        raise Invalid(f"{etype} needs payload.new_passport_id: the identifier of the new passport")
    check_identifier(new_id)
    namespaces.may_issue(s, operator_id, new_id)
    if s.get(Passport, new_id) is not None:
        raise Conflict(f"passport {new_id} already exists")
    status = NEW_PASSPORT_EVENTS[etype]
    doc = documents.with_status(old.document, status, new_id)
    new = Passport(
        id=new_id,
        operator_id=operator_id,
        custodian_id=operator_id,
        category=old.category,
        status=status,
        document=doc,
        elements_kg=old.elements_kg,
        drawn=old.drawn,
        predecessor_id=old.id,
        head_seq=0,
        head_hash=GENESIS,
    )
    s.add(new)
    s.flush()
    reg = content_payload(doc, predecessor=old.id)
    _append(
        s, new, "battery", operator_id, f"{etype}:{old.id}:{new_id}", "registered", time, place, reg
    )


def list_events(s: Session, p: Principal, subject_type: str, ident: str) -> list[dict[str, Any]]:
    """A battery's or lot's history; a battery's event payloads show each field only to the roles
    that may read the matching passport field (``disclosure``), listing the keys ``withheld``."""
    if p.role == "public":
        raise Unauthorized("the event history needs an API key (Authorization: Bearer KEY)")
    model = Passport if subject_type == "battery" else Lot
    subject = s.get(model, ident)
    if subject is None:
        raise NotFound(f"{'passport' if subject_type == 'battery' else 'lot'} {ident} not found")
    tier = read_tier(p, subject) if isinstance(subject, Passport) else None
    q = (
        select(Event)
        .where(Event.subject_type == subject_type, Event.subject_id == ident)
        .order_by(Event.seq)
    )
    views = []
    for ev in s.scalars(q):
        view = event_view(ev)
        view["payload"], withheld = disclosure.payload_view(ev.payload, tier)
        if withheld:
            view["withheld"] = withheld
        views.append(view)
    return views


# ---------------------------------------------------------------- lots
def create_lot(s: Session, p: Principal, body: dict[str, Any]) -> tuple[Lot, bool]:
    """A lot made from batteries, other lots, pre-consumer scrap and primary material.

    Refused (409) when its element masses exceed the inputs' element by element beyond
    ``tolerance`` (relative, default 1e-9). Battery inputs are shredded: their passports end.
    """
    operator_id = require_operator(p)
    ident = check_lot_id(body.get("id"))
    product = body.get("product")
    if not isinstance(product, str) or not 0 < len(product) <= 64:
        raise Invalid(
            "product is required (1-64 characters), e.g. black_mass, NiSO4, pCAM, cathode"
        )
    tolerance = body.get("tolerance", DEFAULT_TOLERANCE)
    if (
        isinstance(tolerance, bool)
        or not isinstance(tolerance, int | float)
        or not 0 <= tolerance < 1
    ):
        raise Invalid("tolerance must be a relative number in [0, 1)")
    inputs = body.get("inputs")
    checked = lot_inputs(inputs)
    out = check_elements(body.get("elements_kg") or {}, "elements_kg")
    cid = client_event_id(body, f"lot:{ident}")
    time = normalise_time(body.get("time", ""))
    place = place_of(body)
    spec = {"product": product, "inputs": inputs, "elements_kg": out, "tolerance": tolerance}
    etype = "shredded" if any(kind == "battery" for kind, _, _ in checked) else "refined"
    payload = {"spec_sha256": digest(spec)}
    stored = _existing(s, operator_id, cid)
    if replays(stored, operator_id, cid, "lot", ident, etype, time, place, payload):
        return s.get(Lot, ident), False  # type: ignore[return-value]
    if s.get(Lot, ident) is not None:
        raise Conflict(f"lot {ident} already exists")
    mix: Origins = {}
    shredded: list[Passport] = []
    for i, (kind, ref, elements) in enumerate(checked):
        if kind == "lot":
            src = s.get(Lot, ref, with_for_update=True)
            if src is None:
                raise NotFound(f"inputs[{i}]: lot {ref} not found")
            if src.custodian_id != operator_id:
                raise Forbidden(
                    f"inputs[{i}]: lot {src.id} is held by {src.custodian_id}, not {operator_id}"
                )
            _withdraw(src, elements, f"inputs[{i}]")
            add_origins(mix, input_origins(kind, elements, src.origins))
            continue
        if kind == "battery":
            battery = _get_passport(s, ref, lock=True)
            if operator_id not in (battery.custodian_id,):
                raise Forbidden(
                    f"inputs[{i}]: battery {battery.id} is held by {battery.custodian_id}, not {operator_id}"
                )
            if battery.closed:
                raise Conflict(
                    f"inputs[{i}]: passport {battery.id} is read-only ({battery.closed})"
                )
            shredded.append(battery)
        add_origins(mix, input_origins(kind, elements))
    excess = balance_excess(totals(mix), out, float(tolerance))
    if excess:
        raise Conflict(
            f"lot {ident}: outputs exceed inputs beyond the tolerance {tolerance:g} (relative): "
            + "; ".join(e.explain() for e in excess)
        )
    lot = Lot(
        id=ident,
        operator_id=operator_id,
        custodian_id=operator_id,
        product=product,
        spec=spec,
        origins=share_of(mix, out),
        withdrawn={},
        head_seq=0,
        head_hash=GENESIS,
    )
    s.add(lot)
    s.flush()
    _append(s, lot, "lot", operator_id, cid, etype, time, place, payload)
    for battery in shredded:
        battery.status, battery.closed = "waste", "recycled"
        _append(
            s,
            battery,
            "battery",
            operator_id,
            f"{cid}:shredded:{battery.id}",
            "shredded",
            time,
            place,
            {"lot": ident},
        )
    return lot, True


def lot_view(lot: Lot) -> dict[str, Any]:
    return {
        "id": lot.id,
        "operator": lot.operator_id,
        "custodian": lot.custodian_id,
        "product": lot.product,
        "elements_kg": totals(lot.origins),
        "origins_kg": lot.origins,
        "withdrawn_kg": lot.withdrawn,
        "inputs": lot.spec["inputs"],
        "tolerance": lot.spec["tolerance"],
    }


def get_lot(s: Session, p: Principal, ident: str) -> dict[str, Any]:
    if p.role == "public":
        raise Unauthorized("lots need an API key (Authorization: Bearer KEY)")
    lot = s.get(Lot, ident)
    if lot is None:
        raise NotFound(f"lot {ident} not found")
    return lot_view(lot)


def add_lot_event(s: Session, p: Principal, ident: str, body: dict[str, Any]) -> tuple[Event, bool]:
    """Record a lot's shipment, delivery or receipt."""
    operator_id = require_operator(p)
    etype = event_type(body, "lot")
    cid, time, place, payload = common(body)
    lot = s.get(Lot, ident, with_for_update=True)
    if lot is None:
        raise NotFound(f"lot {ident} not found")
    stored = _existing(s, operator_id, cid)
    if replays(stored, operator_id, cid, "lot", ident, etype, time, place, payload):
        assert stored is not None
        return stored, False
    apply_lot_event(lot, etype, operator_id, payload, _is_operator(s))
    return _append(s, lot, "lot", operator_id, cid, etype, time, place, payload), True


def passport_recycled_content(s: Session, p: Principal, ident: str) -> dict[str, Any]:
    """Recycled content (Art. 8; Battery Pass ``recycledContent``, public) by mass balance; the
    element masses behind it only for readers of the battery's composition."""
    passport = _get_passport(s, ident)
    shares = recycled_content(passport.elements_kg, passport.drawn)
    content: dict[str, Any] = {
        "id": ident,
        "recycledContent": [
            {"recycledMaterial": name, **shares[symbol]}
            for symbol, name in (
                ("Co", "Cobalt"),
                ("Li", "Lithium"),
                ("Ni", "Nickel"),
                ("Pb", "Lead"),
            )
        ],
    }
    if disclosure.sees(read_tier(p, passport), disclosure.COMPOSITION):
        content["elements_kg"] = passport.elements_kg
        content["drawn_kg"] = passport.drawn
    return content


# ---------------------------------------------------------------- producer responsibility
def declare_epr(s: Session, p: Principal, body: dict[str, Any]) -> EprEntry:
    """Aggregate declaration by a producer of kg placed on the market or collected."""
    operator_id = require_operator(p)
    kind, category, country, year, mass = (
        body.get(k) for k in ("kind", "category", "country", "year", "mass_kg")
    )
    if kind not in EPR_EVENTS:
        raise Invalid(f"kind must be one of {', '.join(EPR_EVENTS)}")
    if category not in CATEGORIES:
        raise Invalid(f"category must be one of {', '.join(CATEGORIES)}")
    if not isinstance(country, str) or not COUNTRY.match(country):
        raise Invalid("country must be an ISO 3166-1 alpha-2 code such as DE")
    if not isinstance(year, int) or not FIRST_YEAR <= year <= LAST_YEAR:
        raise Invalid(f"year must be an integer from {FIRST_YEAR} to {LAST_YEAR}")
    payload = {
        "kind": kind,
        "category": category,
        "country": country,
        "year": year,
        "mass_kg": check_mass(mass, "mass_kg"),
    }
    producer = _producer_chain(s, operator_id)
    cid = f"declared:{uuid4().hex}"
    time = normalise_time(datetime.now(UTC).isoformat())
    ev = _append(s, producer, "producer", operator_id, cid, "declared", time, "", payload)
    entry = EprEntry(**declared_line(operator_id, payload), event_id=ev.id)
    s.add(entry)
    s.flush()
    return entry


def _producer_chain(s: Session, producer: str) -> SubjectState:
    """The head of ``producer``'s chain of declarations, its operator row locked (declarations of
    one producer are chained one at a time; the head is its last event: producers have no row of
    their own to hold it)."""
    s.get(Operator, producer, with_for_update=True)
    last = s.execute(
        select(Event.seq, Event.hash)
        .where(Event.subject_type == "producer", Event.subject_id == producer)
        .order_by(Event.seq.desc())
        .limit(1)
    ).first()
    seq, head = (last[0], last[1]) if last else (0, GENESIS)
    return SubjectState(producer, producer, producer, None, seq, head)


def ledger(s: Session, p: Principal, producer: str) -> list[dict[str, Any]]:
    """Per category, country and year: kg placed on the market, kg collected, collection rate (%)."""
    if p.role == "public":
        raise Unauthorized("the EPR ledger needs an API key (Authorization: Bearer KEY)")
    if not (
        p.role in ("admin", *AUTHORITY_ROLES)
        or (p.role == "operator" and p.operator_id == producer)
    ):
        raise Forbidden(f"only {producer}, admins and authorities may read {producer}'s ledger")
    if s.get(Operator, producer) is None:
        raise NotFound(f"producer {producer} not found")
    q = (
        select(
            EprEntry.category,
            EprEntry.country,
            EprEntry.year,
            EprEntry.kind,
            func.sum(EprEntry.mass_kg),
        )
        .where(EprEntry.producer_id == producer)
        .group_by(EprEntry.category, EprEntry.country, EprEntry.year, EprEntry.kind)
    )
    sums: dict[tuple[str, str], dict[str, dict[int, float]]] = defaultdict(
        lambda: {k: {} for k in EPR_EVENTS}
    )
    for category, country, year, kind, mass in s.execute(q):
        sums[(category, country)][kind][year] = float(mass)
    rows = []
    for (category, country), by_kind in sorted(sums.items()):
        placed, collected = by_kind["placed_on_market"], by_kind["collected"]
        for year in sorted(set(placed) | set(collected)):
            rows.append(
                {
                    "producer": producer,
                    "category": category,
                    "country": country,
                    "year": year,
                    "placed_on_market_kg": placed.get(year, 0.0),
                    "collected_kg": collected.get(year, 0.0),
                    "collection_rate_percent": collection_rate(
                        collected.get(year, 0.0), placed, year
                    ),
                }
            )
    return rows
