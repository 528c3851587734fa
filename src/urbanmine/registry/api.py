"""HTTP API under ``/api/v1`` (FastAPI; OpenAPI at ``/api/v1/openapi.json``).

Every request runs in one database transaction; errors are JSON ``{"message": ...}`` with 401
(bad or missing key where one is needed), 403 (key may not do this), 404, 409 (conflicts with what is
stored: mass balance, read-only passport, reused client event id), 422 (malformed input), 400 (bytes
that are not UTF-8) or 413 (body too large); the limits are in ``limits.py`` (docs/registry.md,
"Limits and bad input")."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from urbanmine.registry import batch, service
from urbanmine.registry.batch import MAX_BATCH
from urbanmine.registry.domain import DEFAULT_TOLERANCE
from urbanmine.registry.intake import CheckedRoute
from urbanmine.registry.keys import Principal
from urbanmine.registry.transaction import run

PREFIX = "/api/v1"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NamespacesIn(Strict):
    urn_prefix: str | None = Field(
        None, description="namespace of the urn:<prefix>:<id> identifiers only this operator issues"
    )
    gbt_manufacturer: str | None = Field(
        None, description="GB/T 34014 manufacturer code (3 characters) only this operator issues"
    )


class OperatorIn(NamespacesIn):
    id: str = Field(description="Lower-case id, e.g. acme-cells")
    name: str


class KeyIn(Strict):
    role: str = Field(
        description="admin, operator, legitimate_interest, notified_body, market_surveillance or commission"
    )
    expires_at: str | None = Field(
        None,
        description="optional: the key is refused from this time on (ISO 8601 with timezone, "
        "or a date: from the start of that day, UTC)",
    )


class DrawIn(Strict):
    lot: str
    elements_kg: dict[str, float]


class PassportIn(Strict):
    document: dict[str, Any] = Field(
        description="Battery Pass v1.2 document: aspect name -> properties"
    )
    elements_kg: dict[str, float] | None = Field(
        None, description="kg of each element in the battery (Co, Li, Ni: in active materials)"
    )
    made_from: list[DrawIn] | None = Field(None, description="kg taken from registered lots")
    predecessor: str | None = None
    client_event_id: str | None = None
    time: str | None = None
    place: str = ""


class PassportUpdate(Strict):
    document: dict[str, Any]
    client_event_id: str
    time: str
    place: str = ""


class EventIn(Strict):
    client_event_id: str
    type: str
    time: str = Field(description="ISO 8601 with timezone")
    place: str = ""
    payload: dict[str, Any] = Field(default_factory=dict)


class BatchEventIn(EventIn):
    subject_type: Literal["battery", "lot"] = "battery"
    subject_id: str = Field(description="The passport (battery) or lot id")


class EventBatchIn(Strict):
    events: list[BatchEventIn] = Field(
        min_length=1,
        max_length=MAX_BATCH,
        description="Applied in order, as if posted one by one; all stored or none",
    )


class PassportBatchIn(Strict):
    passports: list[PassportIn] = Field(
        min_length=1,
        max_length=MAX_BATCH,
        description="Registered in order, as if posted one by one; all stored or none",
    )


class LotIn(Strict):
    id: str
    product: str
    inputs: list[dict[str, Any]] = Field(
        description="each {battery|lot|scrap|primary: id, elements_kg}"
    )
    elements_kg: dict[str, float]
    tolerance: float = DEFAULT_TOLERANCE
    client_event_id: str | None = None
    time: str
    place: str = ""


class EprIn(Strict):
    kind: str
    category: str
    country: str
    year: int
    mass_kg: float


def _created(result: tuple[Any, bool], view: Callable[[Any], dict[str, Any]]) -> JSONResponse:
    obj, created = result
    return JSONResponse(view(obj), status_code=201 if created else 200)


router = APIRouter(prefix=PREFIX, route_class=CheckedRoute)  # JSON bodies: intake.parse


@router.post("/operators", status_code=201)
def create_operator(request: Request, body: OperatorIn) -> dict[str, Any]:
    spaces = body.model_dump(include={"urn_prefix", "gbt_manufacturer"})
    return run(
        request,
        lambda s, p: service.operator_view(
            service.create_operator(s, p, body.id, body.name, spaces)
        ),
    )


@router.patch("/operators/{operator_id}")
def update_operator(request: Request, operator_id: str, body: NamespacesIn) -> dict[str, Any]:
    """Register the operator's identifier namespaces (admin only)."""
    spaces = body.model_dump()
    return run(
        request,
        lambda s, p: service.operator_view(service.update_operator(s, p, operator_id, spaces)),
    )


@router.post("/operators/{operator_id}/keys", status_code=201)
def create_key(request: Request, operator_id: str, body: KeyIn) -> dict[str, Any]:
    """A new key for the operator (admin only): ``key`` is shown in this answer only."""
    return run(
        request, lambda s, p: service.create_key(s, p, operator_id, body.role, body.expires_at)
    )


@router.get("/operators/{operator_id}/keys")
def list_keys(request: Request, operator_id: str) -> list[dict[str, Any]]:
    """The operator's keys, revoked and expired ones included, without secrets (admin only)."""
    return run(request, lambda s, p: service.list_keys(s, p, operator_id))


@router.delete("/operators/{operator_id}/keys/{key_id}")
def revoke_key(request: Request, operator_id: str, key_id: str) -> dict[str, Any]:
    """Revoke a key (admin only): every later request with it is a 401, in every worker."""
    return run(request, lambda s, p: service.revoke_key(s, p, key_id, operator_id))


@router.post(
    "/passports", responses={201: {"description": "created"}, 200: {"description": "replayed"}}
)
def create_passport(request: Request, body: PassportIn) -> JSONResponse:
    def do(s: Session, p: Principal) -> JSONResponse:
        return _created(
            service.create_passport(s, p, body.model_dump(exclude_none=True)),
            lambda x: service.passport_view(s, p, x),
        )

    return run(request, do)


def _batch(results: list[dict[str, Any]], kind: str) -> JSONResponse:
    """201 when the batch stored anything, 200 when every entry was stored already."""
    created = sum(r["created"] for r in results)
    body = {"created": created, "replayed": len(results) - created, kind: results}
    return JSONResponse(body, status_code=201 if created else 200)


BATCH_RESPONSES: dict[int | str, dict[str, Any]] = {
    201: {"description": "at least one entry stored"},
    200: {"description": "every entry was stored already (replay)"},
}


@router.post("/passports/batch", responses=BATCH_RESPONSES)
def create_passports(request: Request, body: PassportBatchIn) -> JSONResponse:
    """Register many batteries in one transaction; per entry whether it was new."""
    entries = [b.model_dump(exclude_none=True) for b in body.passports]
    return _batch(run(request, lambda s, p: batch.add_passports(s, p, entries)), "passports")


@router.post("/events/batch", responses=BATCH_RESPONSES)
def add_events(request: Request, body: EventBatchIn) -> JSONResponse:
    """Record events on many batteries and lots in one transaction; per entry whether it was new."""
    items = batch.parse_events([b.model_dump() for b in body.events])  # outside the transaction
    return _batch(run(request, lambda s, p: batch.add_events(s, p, items)), "events")


@router.get("/passports")
def list_passports(
    request: Request,
    operator: str | None = None,
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=2**31 - 1),
) -> list[dict[str, Any]]:
    return run(request, lambda s, p: service.list_passports(s, p, operator, limit, offset))


@router.get("/passports/{ident}")
def get_passport(request: Request, ident: str) -> dict[str, Any]:
    return run(request, lambda s, p: service.get_passport(s, p, ident))


@router.get("/passports/{ident}/export")
def export_passport(request: Request, ident: str) -> dict[str, Any]:
    """The Battery Pass v1.2 document, limited to the fields the caller may read."""
    doc: dict[str, Any] = run(request, lambda s, p: service.get_passport(s, p, ident))["document"]
    return doc


@router.put("/passports/{ident}")
def update_passport(request: Request, ident: str, body: PassportUpdate) -> JSONResponse:
    """The answer is rendered inside the transaction: if it cannot be, nothing is stored."""
    return run(
        request,
        lambda s, p: JSONResponse(
            service.passport_view(s, p, service.update_passport(s, p, ident, body.model_dump()))
        ),
    )


@router.post("/passports/{ident}/events")
def add_battery_event(request: Request, ident: str, body: EventIn) -> JSONResponse:
    return run(
        request,
        lambda s, p: _created(
            service.add_battery_event(s, p, ident, body.model_dump()), service.event_view
        ),
    )


@router.get("/passports/{ident}/events")
def list_battery_events(request: Request, ident: str) -> list[dict[str, Any]]:
    return run(request, lambda s, p: service.list_events(s, p, "battery", ident))


@router.get("/passports/{ident}/recycled-content")
def recycled_content(request: Request, ident: str) -> dict[str, Any]:
    return run(request, lambda s, p: service.passport_recycled_content(s, p, ident))


@router.post("/lots")
def create_lot(request: Request, body: LotIn) -> JSONResponse:
    return run(
        request,
        lambda s, p: _created(
            service.create_lot(s, p, body.model_dump(exclude_none=True)), service.lot_view
        ),
    )


@router.get("/lots/{ident}")
def get_lot(request: Request, ident: str) -> dict[str, Any]:
    return run(request, lambda s, p: service.get_lot(s, p, ident))


@router.post("/lots/{ident}/events")
def add_lot_event(request: Request, ident: str, body: EventIn) -> JSONResponse:
    return run(
        request,
        lambda s, p: _created(
            service.add_lot_event(s, p, ident, body.model_dump()), service.event_view
        ),
    )


@router.get("/lots/{ident}/events")
def list_lot_events(request: Request, ident: str) -> list[dict[str, Any]]:
    return run(request, lambda s, p: service.list_events(s, p, "lot", ident))


@router.post("/epr/entries", status_code=201)
def declare_epr(request: Request, body: EprIn) -> dict[str, Any]:
    entry = run(request, lambda s, p: service.declare_epr(s, p, body.model_dump()))
    return {"id": entry.id, "producer": entry.producer_id, **body.model_dump()}


@router.get("/epr/{producer}/ledger")
def ledger(request: Request, producer: str) -> list[dict[str, Any]]:
    return run(request, lambda s, p: service.ledger(s, p, producer))


LEDGER_COLUMNS = (
    "producer",
    "category",
    "country",
    "year",
    "placed_on_market_kg",
    "collected_kg",
    "collection_rate_percent",
)


def ledger_csv(rows: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=LEDGER_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


@router.get("/epr/{producer}/ledger.csv", response_class=PlainTextResponse)
def ledger_as_csv(request: Request, producer: str) -> PlainTextResponse:
    rows = run(request, lambda s, p: service.ledger(s, p, producer))
    return PlainTextResponse(ledger_csv(rows), media_type="text/csv")
