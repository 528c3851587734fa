"""Pure registry rules: lifecycle, hash chain, lot mass balance, recycled content, collection rate.

No I/O here; ``service`` applies these rules inside database transactions.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from urbanmine.registry.errors import Invalid
from urbanmine.registry.limits import MAX_MASS_KG

RECORD = (
    "subject_type",
    "subject_id",
    "seq",
    "client_event_id",
    "type",
    "time",
    "operator_id",
    "place",
    "payload",
)
"""The hashed columns of an event, as ``Event.record`` names them (in this order)."""

# ---------------------------------------------------------------- lifecycle (Art. 77, Annex XIII 4(c))
STATUSES = ("original", "repurposed", "re-used", "remanufactured", "waste")
"""Battery status, regulation spelling (Annex XIII point 4(c))."""

BATTERYPASS_STATUS = {
    "original": "Original",
    "repurposed": "Repurposed",
    "re-used": "Reused",
    "remanufactured": "Remanufactured",
    "waste": "Waste",
}
"""Regulation spelling -> Battery Pass v1.2 ``batteryStatus`` enum (reference §2.2, §2.3)."""

BATTERY_EVENTS = (
    "manufactured",
    "placed_on_market",
    "installed",
    "removed",
    "collected",
    "diagnosed",
    "repurposed",
    "reused",
    "remanufactured",
    "dismantled",
    "shipped",
    "received",
    "shredded",
    "successor_consented",
)
LOT_EVENTS = ("shipped", "received", "delivered")
SYSTEM_EVENTS = ("registered", "updated", "lot_created")
"""Written by the registry itself: passport created, passport data changed, lot created."""

NEW_PASSPORT_EVENTS = {"repurposed": "repurposed", "remanufactured": "remanufactured"}
"""Events that create a successor passport under the new operator (Art. 77(6)-(7)), with its status."""

CONSENT_EVENT = "successor_consented"
"""Recorded on a passport by its responsible operator or holder: ``payload.operator`` may register
``payload.new_passport_id`` naming this passport as its predecessor (no other effect)."""

STATUS_AFTER = {"reused": "re-used", "collected": "waste", "dismantled": "waste"}
"""Events that change the status of the same passport."""

EPR_EVENTS = ("placed_on_market", "collected")
PRODUCER_EVENTS = ("declared",)
"""Events on a producer's own chain (subject type ``producer``): aggregate EPR declarations."""


def normalise_status(value: str) -> str:
    """Regulation spelling of a status given in either spelling ("Reused" -> "re-used")."""
    by_any = {s: s for s in STATUSES} | {v.lower(): k for k, v in BATTERYPASS_STATUS.items()}
    key = value.lower() if isinstance(value, str) else ""
    if key not in by_any:
        raise Invalid(f"unknown battery status {value!r}; allowed: {', '.join(STATUSES)}")
    return by_any[key]


FIRST_YEAR, LAST_YEAR = 1990, 2100
"""Years an event (in UTC) or a producer-responsibility declaration may fall in. From 1990: before
the first lithium-ion cells went on sale (1991) and the EU's first battery directive (91/157/EEC),
so before any battery this registry follows was made. To 2100: beyond the working life of any
battery made today (EV packs: 10-20 years), yet wide enough for dates recorded ahead of time. Both
ends lie far inside what ``datetime`` holds, so the conversion to UTC cannot overflow."""


def normalise_time(value: str) -> str:
    """ISO 8601 time with a timezone -> UTC ``YYYY-MM-DDTHH:MM:SS.ffffff+00:00``, in the years
    ``FIRST_YEAR`` to ``LAST_YEAR``."""
    try:
        t = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise Invalid(f"time {value!r} is not ISO 8601 (e.g. 2027-03-01T12:00:00+00:00)") from None
    if t.tzinfo is None:
        raise Invalid(f"time {value!r} needs a timezone offset (e.g. +00:00)")
    try:
        utc = t.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+01:00 is in the year 0 in UTC
        utc = None
    if utc is None or not FIRST_YEAR <= utc.year <= LAST_YEAR:
        raise Invalid(f"time {value!r} must fall in the years {FIRST_YEAR} to {LAST_YEAR} (UTC)")
    return utc.isoformat(timespec="microseconds")


# ---------------------------------------------------------------- hash chain
GENESIS = "0" * 64


CANONICAL = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)
"""The canonical JSON encoder (one instance: ``json.dumps`` would build one per call)."""


def canonical_text(obj: Any) -> str:
    """Canonical JSON text: sorted keys, no spaces, non-ASCII kept, NaN refused."""
    return CANONICAL.encode(obj)


def canonical(obj: Any) -> bytes:
    """Canonical JSON bytes: ``canonical_text`` in UTF-8."""
    return canonical_text(obj).encode()


def digest(obj: Any) -> str:
    """SHA-256 (hex) of the canonical JSON of ``obj``."""
    return hashlib.sha256(canonical(obj)).hexdigest()


def event_hash(record: Mapping[str, Any], prev_hash: str) -> str:
    """Hash of one event: SHA-256 over the canonical JSON of its fields and the previous hash."""
    return digest({**record, "prev_hash": prev_hash})


LINK = (
    '{"client_event_id":%s,"operator_id":%s,"payload":%s,"place":%s,"prev_hash":%s,"seq":%d,'
    '"subject_id":%s,"subject_type":%s,"time":%s,"type":%s}'
)
"""The canonical JSON of an event's record and previous hash, keys in sorted order."""
_quote = json.encoder.encode_basestring  # a string as the canonical encoder writes it


def link_hash(
    subject_type: str,
    subject_id: str,
    seq: int,
    client_event_id: str,
    etype: str,
    time: str,
    operator_id: str,
    place: str,
    payload_text: str,
    prev_hash: str,
) -> str:
    """``event_hash`` of the record of these fields, given the payload's ``canonical_text``.

    The same bytes, filled into ``LINK`` instead of encoding a new dict per event (the write
    path's cost); ``verify`` recomputes with ``event_hash`` itself.
    """
    text = LINK % (
        _quote(client_event_id),
        _quote(operator_id),
        payload_text,
        _quote(place),
        _quote(prev_hash),
        seq,
        _quote(subject_id),
        _quote(subject_type),
        _quote(time),
        _quote(etype),
    )
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Break:
    """Where a chain fails to verify."""

    subject: str
    seq: int
    reason: str


def verify_chain(
    subject: str, events: Iterable[tuple[int, Mapping[str, Any], str, str]]
) -> list[Break]:
    """Check one subject's chain: events as ``(seq, record, prev_hash, hash)`` in ``seq`` order."""
    breaks: list[Break] = []
    expected_prev, expected_seq = GENESIS, 1
    for seq, record, prev, stored in events:
        if seq != expected_seq:
            breaks.append(Break(subject, seq, f"sequence gap: expected {expected_seq}"))
        if prev != expected_prev:
            breaks.append(Break(subject, seq, "prev_hash does not match the previous event's hash"))
        if event_hash(record, prev) != stored:
            breaks.append(Break(subject, seq, "stored hash does not match the event's content"))
        expected_prev, expected_seq = stored, seq + 1
    return breaks


# ---------------------------------------------------------------- mass balance of lots
ORIGINS = ("post_consumer", "pre_consumer", "primary")
"""Where an element came from: a waste battery after use (Art. 3 post-consumer waste), manufacturing
waste (pre-consumer), or primary material."""

INPUT_ORIGIN = {"battery": "post_consumer", "scrap": "pre_consumer", "primary": "primary"}

DEFAULT_TOLERANCE = 1e-9
"""Default relative tolerance of the lot balance: numerical rounding only. A lot states its own
``tolerance`` (relative, per element) to allow for weighing and assay uncertainty."""

Elements = dict[str, float]
Origins = dict[str, dict[str, float]]
"""element -> origin -> kg"""


def check_mass(kg: Any, where: str) -> float:
    """A mass in kg: a number from 0 to ``MAX_MASS_KG``; ``Invalid`` naming ``where``."""
    if (
        isinstance(kg, bool)
        or not isinstance(kg, int | float)
        or not 0 <= kg <= MAX_MASS_KG  # also refuses NaN
    ):
        raise Invalid(f"{where} must be a number of kg from 0 to {MAX_MASS_KG:g}, got {kg!r}")
    return float(kg)


def check_elements(elements: Any, where: str) -> Elements:
    """Element symbol -> kg (``check_mass``); ``Invalid`` naming the bad entry."""
    if not isinstance(elements, Mapping):
        raise Invalid(f'{where} must be an object of element symbol -> kg, e.g. {{"Co": 1.5}}')
    out: Elements = {}
    for el, kg in elements.items():
        if not (isinstance(el, str) and el[:1].isupper() and el.isalpha() and len(el) <= 2):
            raise Invalid(f"{where}: {el!r} is not an element symbol (e.g. Co, Li, Ni)")
        out[el] = check_mass(kg, f"{where}.{el}")
    return out


def add_origins(total: Origins, part: Origins) -> None:
    """Add ``part`` into ``total`` in place."""
    for el, by_origin in part.items():
        slot = total.setdefault(el, dict.fromkeys(ORIGINS, 0.0))
        for origin, kg in by_origin.items():
            slot[origin] += kg


def single_origin(elements: Elements, origin: str) -> Origins:
    """All of ``elements`` from one origin."""
    return {el: {o: (kg if o == origin else 0.0) for o in ORIGINS} for el, kg in elements.items()}


def share_of(origins: Origins, elements: Elements) -> Origins:
    """Split ``elements`` drawn from a mixture with ``origins`` in the mixture's proportions."""
    out: Origins = {}
    for el, kg in elements.items():
        mix = origins.get(el, {})
        total = sum(mix.values())
        out[el] = {o: (kg * mix.get(o, 0.0) / total if total > 0 else 0.0) for o in ORIGINS}
        if total <= 0:
            out[el]["primary"] = kg
    return out


def input_origins(kind: str, elements: Elements, source: Origins | None = None) -> Origins:
    """What one input brings into a lot: a share of the ``source`` lot's mixture (kind ``lot``),
    else all of ``elements`` from the kind's origin (``INPUT_ORIGIN``)."""
    if kind == "lot":
        return share_of(source or {}, elements)
    return single_origin(elements, INPUT_ORIGIN[kind])


def add_elements(total: Elements, part: Elements) -> Elements:
    """``total`` plus ``part``, element by element (a new mapping)."""
    return {el: total.get(el, 0.0) + part.get(el, 0.0) for el in set(total) | set(part)}


def totals(origins: Origins) -> Elements:
    """Element masses of a mixture."""
    return {el: sum(by.values()) for el, by in origins.items()}


@dataclass(frozen=True)
class Excess:
    """One element whose output exceeds its input beyond the tolerance."""

    element: str
    input_kg: float
    output_kg: float

    def explain(self) -> str:
        return f"{self.element}: output {self.output_kg:.6g} kg > input {self.input_kg:.6g} kg"


def balance_excess(inputs: Elements, outputs: Elements, tolerance: float) -> list[Excess]:
    """Elements for which ``outputs`` exceed ``inputs`` by more than ``tolerance`` (relative)."""
    excess = []
    for el in sorted(set(inputs) | set(outputs)):
        i, o = inputs.get(el, 0.0), outputs.get(el, 0.0)
        if o > i * (1.0 + tolerance) + 1e-12:
            excess.append(Excess(el, i, o))
    return excess


# ---------------------------------------------------------------- recycled content (Art. 8)
RECYCLED_CONTENT_METALS = ("Co", "Li", "Ni", "Pb")
"""Art. 8 metals; the passport carries pre- and post-consumer shares of each (Battery Pass LL 40-47)."""


def recycled_content(
    battery_elements: Elements, drawn: Origins
) -> dict[str, dict[str, float | None]]:
    """Pre- and post-consumer recycled share (%) of Co, Li, Ni, Pb in a battery, by mass balance.

    ``battery_elements``: kg of each element in the battery (the denominator; for Co, Li and Ni the
    mass in active materials per Art. 8(2)). ``drawn``: element -> origin -> kg the battery took
    from registered lots. A metal the battery does not declare gets ``None``.
    """
    out: dict[str, dict[str, float | None]] = {}
    for metal in RECYCLED_CONTENT_METALS:
        total = battery_elements.get(metal, 0.0)
        by = drawn.get(metal, {})
        if total <= 0:
            out[metal] = {"preConsumerShare": None, "postConsumerShare": None}
            continue
        out[metal] = {
            "preConsumerShare": 100.0 * by.get("pre_consumer", 0.0) / total,
            "postConsumerShare": 100.0 * by.get("post_consumer", 0.0) / total,
        }
    return out


# ---------------------------------------------------------------- producer responsibility (Annex XI)
def collection_rate(collected_kg: float, placed_kg: Mapping[int, float], year: int) -> float | None:
    """Collection rate (%) in ``year``: collected in that year over the mean placed on the market in
    that year and the two previous years (Annex XI, carried over from Dir. 2006/66/EC Annex I;
    reference §1.3). Years without a declaration count as zero; ``None`` when the mean is zero.
    """
    mean = sum(placed_kg.get(y, 0.0) for y in (year, year - 1, year - 2)) / 3.0
    return None if mean <= 0 else 100.0 * collected_kg / mean
