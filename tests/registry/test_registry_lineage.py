"""Lineage and identifiers cannot be forged: a passport names another operator's passport as its
predecessor only with that operator's (or holder's) recorded consent, and identifiers in a
namespace registered to another operator are refused."""

from __future__ import annotations

from registry.registry_helpers import Registry, document, event
from urbanmine.registry.verify import verify

P = "/api/v1"
BAT = "urn:acme:bat0001"
CATL_CODE = "001PE01ABCDEFGF3A0000123"
"""A valid GB/T 34014 code whose manufacturer code is 001 (CATL, per the NIO test utility)."""


def operator(reg: Registry, ident: str, **namespaces: str) -> dict[str, str]:
    """Create ``ident`` through the API (with its namespaces) and return an operator key."""
    r = reg.client.post(
        f"{P}/operators", json={"id": ident, "name": ident, **namespaces}, headers=reg.admin
    )
    assert r.status_code == 201, r.text
    return reg.key(ident)


def register(reg: Registry, key: dict[str, str], ident: str, **extra: object) -> int:
    r = reg.client.post(f"{P}/passports", json={"document": document(ident), **extra}, headers=key)
    return r.status_code


def hand_over(reg: Registry, sender: dict[str, str], to: str, receiver: dict[str, str]) -> None:
    """Custody of BAT from ``sender`` to operator ``to``: shipped by one, received by the other."""
    for key, ev in ((sender, event("s", "shipped", to=to)), (receiver, event("r", "received"))):
        assert (
            reg.client.post(f"{P}/passports/{BAT}/events", json=ev, headers=key).status_code == 201
        )


def test_another_operators_passport_is_no_predecessor_without_its_consent(reg: Registry) -> None:
    acme, mallory = operator(reg, "acme"), operator(reg, "mallory")
    assert register(reg, acme, BAT) == 201
    r = reg.client.post(
        f"{P}/passports",
        json={"document": document("urn:mallory:x1"), "predecessor": BAT},
        headers=mallory,
    )
    assert r.status_code == 403 and "consent" in r.json()["message"]
    batch = reg.client.post(
        f"{P}/passports/batch",
        json={"passports": [{"document": document("urn:mallory:x2"), "predecessor": BAT}]},
        headers=mallory,
    )
    assert batch.status_code == 403 and batch.json()["message"].startswith("passports[0]")
    assert reg.client.get(f"{P}/passports/urn:mallory:x1").status_code == 404
    successors = reg.client.get(f"{P}/passports/{BAT}", headers=acme).json()["successors"]
    assert successors == []
    assert register(reg, acme, "urn:acme:bat0002", predecessor=BAT) == 201  # its own


def test_consent_names_the_new_passport_and_its_operator(reg: Registry) -> None:
    acme, second, mallory = operator(reg, "acme"), operator(reg, "second"), operator(reg, "mallory")
    assert register(reg, acme, BAT) == 201
    consent = event("c1", "successor_consented", new_passport_id="urn:second:s1", operator="second")
    r = reg.client.post(f"{P}/passports/{BAT}/events", json=consent, headers=acme)
    assert r.status_code == 201, r.text
    # only the named operator, only for the named passport
    assert register(reg, mallory, "urn:second:s1", predecessor=BAT) == 403
    assert register(reg, second, "urn:second:s2", predecessor=BAT) == 403
    assert register(reg, second, "urn:second:s1", predecessor=BAT) == 201
    view = reg.client.get(f"{P}/passports/{BAT}", headers=acme).json()
    assert view["successors"] == ["urn:second:s1"]
    with reg.sessions.begin() as s:
        assert verify(s) == []  # the consent replays with the write rules
    # the consent is the predecessor's holder's own write: nobody else may record it
    forged = event("c2", "successor_consented", new_passport_id="urn:mallory:m", operator="mallory")
    assert (
        reg.client.post(f"{P}/passports/{BAT}/events", json=forged, headers=mallory).status_code
        == 403
    )


def test_consent_needs_a_passport_id_and_a_registered_operator(reg: Registry) -> None:
    acme = operator(reg, "acme")
    assert register(reg, acme, BAT) == 201
    for cid, payload, names in (
        ("a", {"operator": "acme"}, "new_passport_id"),
        ("b", {"new_passport_id": "not an id", "operator": "acme"}, "identifier"),
        ("c", {"new_passport_id": "urn:x:y", "operator": "nobody"}, "payload.operator"),
    ):
        r = reg.client.post(
            f"{P}/passports/{BAT}/events",
            json=event(cid, "successor_consented", **payload),
            headers=acme,
        )
        assert r.status_code == 422 and names in r.json()["message"], r.text


def test_the_holder_may_name_the_battery_as_predecessor(reg: Registry) -> None:
    """Custody was handed over by the responsible operator's own write (``shipped``)."""
    acme, second = operator(reg, "acme"), operator(reg, "second")
    assert register(reg, acme, BAT) == 201
    hand_over(reg, acme, "second", second)
    assert register(reg, second, "urn:second:s1", predecessor=BAT) == 201


def test_identifiers_in_another_operators_urn_namespace_are_refused(reg: Registry) -> None:
    acme = operator(reg, "acme", urn_prefix="acme")
    mallory = operator(reg, "mallory", urn_prefix="mallory")
    r = reg.client.post(f"{P}/passports", json={"document": document(BAT)}, headers=mallory)
    assert r.status_code == 403 and "urn:acme:" in r.json()["message"]
    batch = reg.client.post(
        f"{P}/passports/batch", json={"passports": [{"document": document(BAT)}]}, headers=mallory
    )
    assert batch.status_code == 403
    assert register(reg, acme, BAT) == 201
    assert register(reg, mallory, "urn:free:bat0001") == 201  # a namespace nobody registered
    # a successor passport made by another operator may not take acme's namespace either
    hand_over(reg, acme, "mallory", mallory)
    c = reg.client
    taken = c.post(
        f"{P}/passports/{BAT}/events",
        json=event("rp", "repurposed", new_passport_id="urn:acme:second"),
        headers=mallory,
    )
    assert taken.status_code == 403
    ok = c.post(
        f"{P}/passports/{BAT}/events",
        json=event("rp2", "repurposed", new_passport_id="urn:mallory:second"),
        headers=mallory,
    )
    assert ok.status_code == 201, ok.text


def test_gbt_codes_of_another_manufacturer_are_refused(reg: Registry) -> None:
    catl = operator(reg, "catl", gbt_manufacturer="001")
    other = operator(reg, "other", gbt_manufacturer="03U")
    r = reg.client.post(f"{P}/passports", json={"document": document(CATL_CODE)}, headers=other)
    assert r.status_code == 403 and "001" in r.json()["message"]
    assert register(reg, catl, CATL_CODE) == 201


def test_namespaces_are_one_operators_each_and_well_formed(reg: Registry) -> None:
    operator(reg, "acme", urn_prefix="acme", gbt_manufacturer="001")
    c = reg.client
    for body, status in (
        ({"id": "b", "name": "b", "urn_prefix": "acme"}, 409),
        ({"id": "b", "name": "b", "gbt_manufacturer": "001"}, 409),
        ({"id": "b", "name": "b", "urn_prefix": "Acme"}, 422),
        ({"id": "b", "name": "b", "urn_prefix": "ac:me"}, 422),
        ({"id": "b", "name": "b", "gbt_manufacturer": "01"}, 422),
        ({"id": "b", "name": "b", "gbt_manufacturer": "0a1"}, 422),
    ):
        r = c.post(f"{P}/operators", json=body, headers=reg.admin)
        assert r.status_code == status, (body, r.text)
    r = c.patch(f"{P}/operators/b", json={"urn_prefix": "bee"}, headers=reg.admin)
    assert r.status_code == 404
    c.post(f"{P}/operators", json={"id": "b", "name": "b"}, headers=reg.admin)
    r = c.patch(f"{P}/operators/b", json={"urn_prefix": "bee"}, headers=reg.admin)
    assert r.status_code == 200 and r.json()["urn_prefix"] == "bee"
    assert (
        c.patch(f"{P}/operators/b", json={"urn_prefix": "acme"}, headers=reg.admin).status_code
        == 409
    )
    assert (
        c.patch(f"{P}/operators/b", json={"urn_prefix": "x"}, headers=reg.key("b")).status_code
        == 403
    )


def test_consent_recorded_in_a_batch(reg: Registry) -> None:
    """The batch path checks a consent like the single path (its operator must be registered)."""
    acme, second = operator(reg, "acme"), operator(reg, "second")
    assert register(reg, acme, BAT) == 201
    consent = {
        "subject_id": BAT,
        **event("c1", "successor_consented", new_passport_id="urn:second:s1", operator="second"),
    }
    r = reg.client.post(f"{P}/events/batch", json={"events": [consent]}, headers=acme)
    assert r.status_code == 201, r.text
    unknown = {
        **consent,
        "client_event_id": "c2",
        "payload": {**consent["payload"], "operator": "x"},
    }
    r = reg.client.post(f"{P}/events/batch", json={"events": [unknown]}, headers=acme)
    assert r.status_code == 422 and r.json()["message"].startswith("events[0]")
    assert register(reg, second, "urn:second:s1", predecessor=BAT) == 201
