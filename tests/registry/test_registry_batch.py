"""Batch ingest (``POST /passports/batch``, ``POST /events/batch``) against the single-request path.

The batch path must store exactly what posting the same entries one by one stores: the reference
for every hash is a second registry (SQLite) fed through the single-request endpoints.
"""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text

from registry.registry_helpers import Registry, document, event
from urbanmine.registry.store import Event
from urbanmine.registry.verify import verify

P = "/api/v1"
T0 = "2027-03-01T10:00:00+00:00"
BATS = [f"urn:acme:b{n}" for n in range(3)]


def passport(ident: str) -> dict[str, Any]:
    return {"document": document(ident), "time": T0, "place": "Zwickau"}


def on(ident: str, body: dict[str, Any], subject_type: str = "battery") -> dict[str, Any]:
    """An event body addressed to a subject, for the batch endpoint."""
    return {**body, "subject_type": subject_type, "subject_id": ident}


def post_batch(reg: Registry, key: dict[str, str], events: list[dict[str, Any]]) -> Any:
    return reg.client.post(f"{P}/events/batch", json={"events": events}, headers=key)


def post_single(reg: Registry, key: dict[str, str], e: dict[str, Any]) -> Any:
    kind = "passports" if e.get("subject_type", "battery") == "battery" else "lots"
    body = {k: v for k, v in e.items() if k not in ("subject_type", "subject_id")}
    return reg.client.post(f"{P}/{kind}/{e['subject_id']}/events", json=body, headers=key)


def chains(reg: Registry) -> dict[tuple[str, str], list[tuple[int, str, str]]]:
    """Every stored chain: subject -> [(seq, client event id, hash)]."""
    with reg.engine.connect() as conn:
        rows = conn.execute(
            select(
                Event.subject_type, Event.subject_id, Event.seq, Event.client_event_id, Event.hash
            )
        )
        out: dict[tuple[str, str], list[tuple[int, str, str]]] = {}
        for stype, sid, seq, cid, h in rows:
            out.setdefault((stype, sid), []).append((seq, cid, h))
    return {k: sorted(v) for k, v in out.items()}


def count_events(reg: Registry) -> int:
    with reg.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(Event)).scalar_one())


def lot(ident: str) -> dict[str, Any]:
    return {
        "id": ident,
        "product": "black_mass",
        "time": T0,
        "inputs": [{"scrap": "electrode scrap", "elements_kg": {"Co": 10}}],
        "elements_kg": {"Co": 9},
    }


def history() -> list[dict[str, Any]]:
    """A mixed history: three batteries, a lot, custody passing to a recycler, ledger events."""
    return [
        on(BATS[0], event("e1", "manufactured")),
        on(BATS[1], event("e2", "placed_on_market", country="DE")),
        on(BATS[0], event("e3", "installed")),
        on("bm-1", event("e4", "shipped", to="recycler"), "lot"),
        on(BATS[2], event("e5", "diagnosed", time="2027-05-01T12:30:00+02:00", stateOfHealth=91.5)),
        on(BATS[1], event("e6", "collected", country="DE")),
        on(BATS[0], event("e7", "shipped", to="recycler")),
        on(BATS[2], event("e8", "diagnosed", stateOfHealth=90)),
    ]


def setup(reg: Registry) -> tuple[dict[str, str], dict[str, str]]:
    """Keys of acme and recycler, the three batteries registered one by one and lot bm-1."""
    acme, recycler = reg.key("acme"), reg.key("recycler")
    for ident in BATS:
        assert (
            reg.client.post(f"{P}/passports", json=passport(ident), headers=acme).status_code == 201
        )
    assert reg.client.post(f"{P}/lots", json=lot("bm-1"), headers=acme).status_code == 201
    return acme, recycler


def test_batch_chains_equal_single_path_chains(reg: Registry, tmp_path: Path) -> None:
    """Events in batches, interleaved with single posts, give the hashes of posting one by one."""
    single = Registry(f"sqlite:///{tmp_path / 'single.db'}")
    try:
        s_acme, s_recycler = setup(single)
        for e in history():
            assert post_single(single, s_acme, e).status_code == 201
        received = on(BATS[0], event("r1", "received"))
        assert post_single(single, s_recycler, received).status_code == 201

        acme, recycler = setup(reg)
        steps = history()
        r = post_batch(reg, acme, steps[:3])
        assert r.status_code == 201, r.text
        assert post_single(reg, acme, steps[3]).status_code == 201
        r = post_batch(reg, acme, steps[4:])
        assert r.status_code == 201, r.text
        assert [e["seq"] for e in r.json()["events"]] == [2, 3, 4, 3]
        assert post_batch(reg, recycler, [received]).status_code == 201

        assert chains(reg) == chains(single)
        ledger = reg.client.get(f"{P}/epr/acme/ledger", headers=acme).json()
        assert ledger == single.client.get(f"{P}/epr/acme/ledger", headers=s_acme).json()
        assert [(x["placed_on_market_kg"], x["collected_kg"]) for x in ledger] == [(450.0, 450.0)]
        for ident in BATS:
            view = reg.client.get(f"{P}/passports/{ident}", headers=acme).json()
            assert view == single.client.get(f"{P}/passports/{ident}", headers=s_acme).json()
        with reg.sessions.begin() as s:
            assert verify(s) == []
    finally:
        single.client.close()
        single.engine.dispose()


def test_batch_registration_equals_single_registration(reg: Registry, tmp_path: Path) -> None:
    single = Registry(f"sqlite:///{tmp_path / 'single.db'}")
    try:
        s_acme = single.key("acme")
        for ident in BATS:
            single.client.post(f"{P}/passports", json=passport(ident), headers=s_acme)
        acme = reg.key("acme")
        r = reg.client.post(
            f"{P}/passports/batch", json={"passports": [passport(i) for i in BATS]}, headers=acme
        )
        assert r.status_code == 201, r.text
        assert r.json()["created"] == 3
        assert chains(reg) == chains(single)
        # the first hash from the documented formula: SHA-256 of canonical JSON, prev = 64 zeros
        doc = reg.client.get(f"{P}/passports/{BATS[0]}/export", headers=acme).json()
        payload = {
            "document_sha256": hashlib.sha256(canonical(doc)).hexdigest(),
            "battery_mass_kg": doc["GeneralProductInformation"].get("batteryMass"),
            "elements_kg": {},
            "made_from": [],
        }
        record = {
            "subject_type": "battery",
            "subject_id": BATS[0],
            "seq": 1,
            "client_event_id": f"register:{BATS[0]}",
            "type": "registered",
            "time": "2027-03-01T10:00:00.000000+00:00",
            "operator_id": "acme",
            "place": "Zwickau",
            "payload": payload,
            "prev_hash": "0" * 64,
        }
        assert chains(reg)[("battery", BATS[0])] == [
            (1, f"register:{BATS[0]}", hashlib.sha256(canonical(record)).hexdigest())
        ]
        replay = reg.client.post(
            f"{P}/passports/batch",
            json={"passports": [passport(BATS[0]), passport("urn:acme:b9")]},
            headers=acme,
        )
        assert replay.status_code == 201
        assert [e["created"] for e in replay.json()["passports"]] == [False, True]
        clash = reg.client.post(
            f"{P}/passports/batch",
            json={
                "passports": [
                    passport("urn:acme:b10"),
                    {"document": document(BATS[1], mass_kg=500.0)},
                ]
            },
            headers=acme,
        )
        assert clash.status_code == 409 and "passports[1]" in clash.json()["message"]
        assert reg.client.get(f"{P}/passports/urn:acme:b10").status_code == 404
    finally:
        single.client.close()
        single.engine.dispose()


def canonical(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def test_idempotent_replay_and_partial_overlap(reg: Registry) -> None:
    acme, _ = setup(reg)
    first = [on(BATS[n % 3], event(f"x{n}", "diagnosed", stateOfHealth=99 - n)) for n in range(4)]
    r1 = post_batch(reg, acme, first)
    assert (r1.status_code, r1.json()["created"], r1.json()["replayed"]) == (201, 4, 0)
    r2 = post_batch(reg, acme, first)
    assert (r2.status_code, r2.json()["created"], r2.json()["replayed"]) == (200, 0, 4)
    assert r2.json()["events"] == [{**e, "created": False} for e in r1.json()["events"]]
    more = [on(BATS[0], event(f"x{n}", "diagnosed", stateOfHealth=90 - n)) for n in (4, 5)]
    r3 = post_batch(reg, acme, first[2:] + more + more[:1])
    assert r3.status_code == 201
    assert [e["created"] for e in r3.json()["events"]] == [False, False, True, True, False]
    assert r3.json()["events"][2]["hash"] == r3.json()["events"][4]["hash"]
    # 3 registrations, the lot's first event, 4 + 2 events; replays stored nothing
    assert count_events(reg) == 10
    reused = post_batch(
        reg, acme, [on(BATS[2], event("x9", "installed")), first[0] | {"place": "Kiel"}]
    )
    assert reused.status_code == 409 and "events[1]" in reused.json()["message"]
    assert count_events(reg) == 10
    with reg.sessions.begin() as s:
        assert verify(s) == []


ODD_IDS = ['q"uote', "com,ma", "back\\slash", "{brace}", "ünï €", "tab\tline\nbreak", "it's", "%s?"]
"""Client event ids with characters JSON, SQL, psycopg placeholders and array literals treat
specially: the batch path looks ids up through one JSON parameter."""


def test_replays_are_found_whatever_characters_the_ids_hold(reg: Registry) -> None:
    acme, _ = setup(reg)
    batch = [
        on(BATS[n % 3], event(cid, "diagnosed", stateOfHealth=90)) for n, cid in enumerate(ODD_IDS)
    ]
    first = post_batch(reg, acme, batch)
    assert (first.status_code, first.json()["created"]) == (201, len(ODD_IDS))
    again = post_batch(reg, acme, batch)
    assert (again.status_code, again.json()["replayed"]) == (200, len(ODD_IDS))
    stored = {cid for chain in chains(reg).values() for _, cid, _ in chain}
    assert set(ODD_IDS) <= stored


def test_other_operators_subject_refuses_whole_batch(reg: Registry) -> None:
    acme, _ = setup(reg)
    other = reg.key("other")
    reg.client.post(f"{P}/passports", json=passport("urn:other:b1"), headers=other)
    before = chains(reg)
    batch = [
        on(BATS[0], event("o1", "installed")),
        on(BATS[1], event("o2", "installed")),
        on("urn:other:b1", event("o3", "installed")),
    ]
    r = post_batch(reg, acme, batch)
    assert r.status_code == 403
    assert r.json()["message"].startswith("events[2]: acme neither is responsible for")
    assert chains(reg) == before
    r = post_batch(reg, reg.key("eu", "commission"), batch[:1])
    assert r.status_code == 403 and chains(reg) == before


def test_bad_entries_are_422_naming_index_and_field(reg: Registry) -> None:
    acme, _ = setup(reg)
    good = on(BATS[0], event("g1", "installed"))
    cases = {
        "events[1]: time": on(BATS[0], event("g2", "installed", time="yesterday")),
        "events[1]: unknown battery event type": on(BATS[0], event("g2", "exploded")),
        "events[1]: unknown lot event type": on("bm-1", event("g2", "installed"), "lot"),
        "events[1]: repurposed creates a new passport": on(
            BATS[0], event("g2", "repurposed", new_passport_id="urn:acme:r1")
        ),
        "events[1]: placed_on_market needs payload.country": on(
            BATS[0], event("g2", "placed_on_market")
        ),
        "events[1]: shipped needs payload.to": on(BATS[0], event("g2", "shipped", to="nobody")),
        "body.events.1.subject_id": {k: v for k, v in good.items() if k != "subject_id"},
        "body.events.1.client_event_id": {**good, "client_event_id": 7},
    }
    for expected, bad in cases.items():
        r = post_batch(reg, acme, [good, bad])
        assert r.status_code == 422, (expected, r.text)
        assert r.json()["message"].startswith(expected), r.json()["message"]
    missing = post_batch(reg, acme, [good, on("urn:acme:nope", event("g2", "installed"))])
    assert missing.status_code == 404 and missing.json()["message"].startswith(
        "events[1]: passport"
    )
    assert post_batch(reg, acme, []).status_code == 422
    doc = document("urn:acme:b7")
    doc["GeneralProductInformation"]["batteryCategory"] = "spaceship"
    r = reg.client.post(
        f"{P}/passports/batch",
        json={"passports": [passport("urn:acme:b6"), {"document": doc}]},
        headers=acme,
    )
    assert r.status_code == 422 and r.json()["message"].startswith("passports[1]: ")
    assert "batteryCategory" in r.json()["message"]
    assert count_events(reg) == 4


def test_lifecycle_rules_hold_inside_a_batch(reg: Registry) -> None:
    acme, _ = setup(reg)
    ended = [on(BATS[0], event("s1", "shredded")), on(BATS[0], event("s2", "diagnosed"))]
    r = post_batch(reg, acme, ended)
    assert r.status_code == 409 and r.json()["message"].startswith("events[1]: passport")
    assert count_events(reg) == 4
    assert post_batch(reg, acme, ended[:1]).status_code == 201
    view = reg.client.get(f"{P}/passports/{BATS[0]}", headers=acme).json()
    assert (view["closed"], view["status"]) == ("recycled", "waste")
    assert post_batch(reg, acme, ended[1:]).status_code == 409
    body = {k: v for k, v in ended[1].items() if k not in ("subject_type", "subject_id")}
    assert (
        reg.client.post(f"{P}/passports/{BATS[0]}/events", json=body, headers=acme).status_code
        == 409
    )


def test_tampering_after_batch_ingest_is_detected(reg: Registry) -> None:
    acme, _ = setup(reg)
    batch = [on(BATS[n % 3], event(f"t{n}", "diagnosed", stateOfHealth=n)) for n in range(30)]
    assert post_batch(reg, acme, batch).status_code == 201
    with reg.sessions.begin() as s:
        assert verify(s) == []
    with reg.engine.begin() as conn:
        conn.execute(text("UPDATE events SET place = 'Elsewhere' WHERE client_event_id = 't7'"))
    with reg.sessions.begin() as s:
        breaks = verify(s)
    # t7 is the 3rd event on b1 after its registration: seq 4
    assert [(b.subject, b.seq) for b in breaks] == [(f"battery {BATS[1]}", 4)]
    assert "content" in breaks[0].reason


def test_concurrent_batch_writers_keep_one_chain_per_subject(reg: Registry) -> None:
    acme, _ = setup(reg)
    errors: list[str] = []

    def writer(w: int) -> None:
        for b in range(4):
            events = [on(BATS[n % 3], event(f"c{w}-{b}-{n}", "diagnosed")) for n in range(9)]
            r = post_batch(reg, acme, events)
            if r.status_code != 201:
                errors.append(r.text)
            single = event(f"c{w}-{b}-s", "installed")
            r = reg.client.post(f"{P}/passports/{BATS[w % 3]}/events", json=single, headers=acme)
            if r.status_code != 201:
                errors.append(r.text)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    found = chains(reg)
    # per battery: registration + 4 writers x 4 batches x 3 + the single posts aimed at it
    singles = {ident: 4 * sum(1 for w in range(4) if w % 3 == i) for i, ident in enumerate(BATS)}
    for ident in BATS:
        seqs = [seq for seq, _, _ in found[("battery", ident)]]
        assert seqs == list(range(1, 1 + 1 + 48 + singles[ident]))
    with reg.sessions.begin() as s:
        assert verify(s) == []


def test_registration_made_from_lots_inside_a_batch(reg: Registry) -> None:
    """Entries drawing on lots take the single path in the batch's transaction: all or nothing."""
    acme, _ = setup(reg)
    made = {**passport("urn:acme:b5"), "elements_kg": {"Co": 3.0}}
    made["made_from"] = [{"lot": "bm-1", "elements_kg": {"Co": 2.0}}]
    too_much = {**passport("urn:acme:b6"), "elements_kg": {"Co": 30.0}}
    too_much["made_from"] = [{"lot": "bm-1", "elements_kg": {"Co": 20.0}}]
    r = reg.client.post(
        f"{P}/passports/batch",
        json={"passports": [passport("urn:acme:b4"), too_much]},
        headers=acme,
    )
    assert r.status_code == 409 and r.json()["message"].startswith("passports[1]: ")
    assert reg.client.get(f"{P}/passports/urn:acme:b4").status_code == 404
    r = reg.client.post(
        f"{P}/passports/batch", json={"passports": [passport("urn:acme:b4"), made]}, headers=acme
    )
    assert r.status_code == 201, r.text
    assert reg.client.get(f"{P}/lots/bm-1", headers=acme).json()["withdrawn_kg"] == {"Co": 2.0}
    # the lot is 9 kg Co of pre-consumer scrap: 2 kg of the battery's 3 kg are pre-consumer
    content = reg.client.get(f"{P}/passports/urn:acme:b5/recycled-content").json()
    cobalt = next(m for m in content["recycledContent"] if m["recycledMaterial"] == "Cobalt")
    assert cobalt["preConsumerShare"] == 100 * 2.0 / 3.0
    with reg.sessions.begin() as s:
        assert verify(s) == []
