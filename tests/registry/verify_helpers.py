"""A small registry built through the API for the tamper-evidence tests: a lot, passports made
from it, custody passing, a collection, a shredding lot, a repurposing, an aggregate EPR
declaration."""

from __future__ import annotations

from typing import Any

from registry.registry_helpers import Registry, document, event

P = "/api/v1"
A, B, C, D = (f"urn:acme:v{n}" for n in range(1, 5))
A2 = "urn:refurb:v1"
T = "2027-03-01T10:00:00+00:00"


def _ok(r: Any) -> Any:
    assert r.status_code in (200, 201), r.text
    return r.json()


def build(reg: Registry) -> None:
    """acme makes A from lot L1 (bought from the recycler), B, C (successor of A by acme's own
    declaration) and D; places A on the market; B goes to the recycler, is collected and shredded
    into L2; A goes to refurb and is repurposed as A2; acme declares an aggregate EPR line."""
    c = reg.client
    acme, recycler, refurb = reg.key("acme"), reg.key("recycler"), reg.key("refurb")
    lot1 = {
        "id": "L1",
        "product": "NiSO4",
        "inputs": [
            {"scrap": "electrode scrap", "elements_kg": {"Co": 10.0, "Ni": 30.0}},
            {"primary": "mine", "elements_kg": {"Co": 10.0}},
        ],
        "elements_kg": {"Co": 19.0, "Ni": 29.0},
        "time": T,
    }
    _ok(c.post(f"{P}/lots", json=lot1, headers=recycler))
    _ok(c.post(f"{P}/lots/L1/events", json=event("l1s", "shipped", to="acme"), headers=recycler))
    _ok(c.post(f"{P}/lots/L1/events", json=event("l1r", "received"), headers=acme))
    made = [{"lot": "L1", "elements_kg": {"Co": 2.0, "Ni": 3.0}}]
    body = {"document": document(A), "elements_kg": {"Co": 5.0, "Ni": 10.0}, "made_from": made}
    _ok(c.post(f"{P}/passports", json=body, headers=acme))
    for ident in (B, D):
        _ok(c.post(f"{P}/passports", json={"document": document(ident)}, headers=acme))
    _ok(c.post(f"{P}/passports", json={"document": document(C), "predecessor": A}, headers=acme))
    pom = event("pom", "placed_on_market", "2027-04-01T00:00:00+00:00", country="DE")
    _ok(c.post(f"{P}/passports/{A}/events", json=pom, headers=acme))
    _ok(
        c.post(
            f"{P}/passports/{B}/events", json=event("bs", "shipped", to="recycler"), headers=acme
        )
    )
    _ok(c.post(f"{P}/passports/{B}/events", json=event("br", "received"), headers=recycler))
    col = event("col", "collected", "2027-09-01T00:00:00+00:00", country="DE")
    _ok(c.post(f"{P}/passports/{B}/events", json=col, headers=recycler))
    lot2 = {
        "id": "L2",
        "product": "black_mass",
        "inputs": [{"battery": B, "elements_kg": {"Co": 5.0}}],
        "elements_kg": {"Co": 4.9},
        "time": "2027-10-01T00:00:00+00:00",
    }
    _ok(c.post(f"{P}/lots", json=lot2, headers=recycler))
    _ok(c.post(f"{P}/passports/{A}/events", json=event("as", "shipped", to="refurb"), headers=acme))
    _ok(c.post(f"{P}/passports/{A}/events", json=event("ar", "received"), headers=refurb))
    rep = event("rep", "repurposed", new_passport_id=A2)
    _ok(c.post(f"{P}/passports/{A}/events", json=rep, headers=refurb))
    epr = {"kind": "collected", "category": "ev", "country": "DE", "year": 2027, "mass_kg": 600.0}
    _ok(c.post(f"{P}/epr/entries", json=epr, headers=acme))
