"""Access follows the longlist beyond the passport document: recycled-content inputs, event
payloads and lineage are shown to the roles that may read the matching passport field.

Expected audiences come from Annex XIII of Regulation (EU) 2023/1542 and the Battery Pass
longlist v1.2 (reference §1.9): point 2 (detailed composition) is for persons with a legitimate
interest and the Commission; point 4 (state of health, status, usage) only for persons with a
legitimate interest.
"""

from __future__ import annotations

from registry.registry_helpers import Registry, document, event

P = "/api/v1"
BAT = "urn:acme:bat0001"
READERS = ("legitimate_interest", "notified_body", "market_surveillance", "commission")
POINT_2 = {"legitimate_interest", "commission"}
POINT_4 = {"legitimate_interest"}


def readers(reg: Registry) -> dict[str, dict[str, str]]:
    return {role: reg.key(f"reader-{role}", role) for role in READERS}


def test_recycled_content_inputs_only_to_roles_that_see_composition(reg: Registry) -> None:
    maker = reg.key("acme")
    body = {"document": document(BAT), "elements_kg": {"Co": 10.0, "Li": 2.0}}
    assert reg.client.post(f"{P}/passports", json=body, headers=maker).status_code == 201
    keys = {"public": {}, **readers(reg), "owner": maker}
    for role, key in keys.items():
        r = reg.client.get(f"{P}/passports/{BAT}/recycled-content", headers=key)
        assert r.status_code == 200, r.text
        shown = r.json()
        assert len(shown["recycledContent"]) == 4  # recycled content is public (Annex XIII 1(e))
        sees = role in POINT_2 or role == "owner"
        assert ("elements_kg" in shown, "drawn_kg" in shown) == (sees, sees), role
        if sees:
            assert shown["elements_kg"] == {"Co": 10.0, "Li": 2.0}


def test_event_payloads_follow_the_matching_passport_fields(reg: Registry) -> None:
    maker = reg.key("acme")
    reg.key("recycler")
    body = {"document": document(BAT), "elements_kg": {"Co": 10.0}}
    assert reg.client.post(f"{P}/passports", json=body, headers=maker).status_code == 201
    for e in (
        event("d1", "diagnosed", stateOfHealth=81, stateOfCertifiedEnergy=90.5, note="bay 4"),
        event("s1", "shipped", to="recycler"),
    ):
        assert (
            reg.client.post(f"{P}/passports/{BAT}/events", json=e, headers=maker).status_code == 201
        )
    for role, key in readers(reg).items():
        registered, diagnosed, shipped = reg.client.get(
            f"{P}/passports/{BAT}/events", headers=key
        ).json()
        assert "document_sha256" in registered["payload"]  # a hash: no passport field
        assert ("elements_kg" in registered["payload"]) == (role in POINT_2), role
        health = {"stateOfHealth", "stateOfCertifiedEnergy"}
        assert (health <= set(diagnosed["payload"])) == (role in POINT_4), role
        assert not health & set(diagnosed["payload"]) or role in POINT_4, role
        assert "note" not in diagnosed["payload"]  # no passport field: only full readers
        assert ("to" in shipped["payload"]) == (role in POINT_4), role  # custody: with the status
        if role not in POINT_4:
            assert set(diagnosed["withheld"]) == {*health, "note"}
    own = reg.client.get(f"{P}/passports/{BAT}/events", headers=maker).json()
    assert own[1]["payload"] == {
        "stateOfHealth": 81,
        "stateOfCertifiedEnergy": 90.5,
        "note": "bay 4",
    }
    assert "withheld" not in own[1]


def test_history_page_shows_the_same_payloads(reg: Registry) -> None:
    maker, authority = reg.key("acme"), reg.key("msa", "market_surveillance")
    assert (
        reg.client.post(
            f"{P}/passports", json={"document": document(BAT)}, headers=maker
        ).status_code
        == 201
    )
    e = event("d1", "diagnosed", stateOfHealth=81.25)
    assert reg.client.post(f"{P}/passports/{BAT}/events", json=e, headers=maker).status_code == 201
    page = reg.client.get(f"/operator/batteries/{BAT}", headers=authority)
    assert page.status_code == 200 and "81.25" not in page.text
    assert "81.25" in reg.client.get(f"/operator/batteries/{BAT}", headers=maker).text


def test_lineage_and_end_of_life_follow_the_status_tier(reg: Registry) -> None:
    """``closed``, ``successors`` and ``predecessor`` tell a passport's status (repurposed,
    remanufactured, waste: Annex XIII 4(c)); they are shown with ``batteryStatus``."""
    maker, second = reg.key("acme"), reg.key("second")
    c = reg.client
    assert (
        c.post(f"{P}/passports", json={"document": document(BAT)}, headers=maker).status_code == 201
    )
    for e, key in (
        (event("s", "shipped", to="second"), maker),
        (event("r", "received"), second),
        (event("rp", "repurposed", new_passport_id="urn:second:ess1"), second),
    ):
        assert c.post(f"{P}/passports/{BAT}/events", json=e, headers=key).status_code == 201
    keys = {"public": {}, **readers(reg)}
    for role, key in keys.items():
        old = c.get(f"{P}/passports/{BAT}", headers=key).json()
        new = c.get(f"{P}/passports/urn:second:ess1", headers=key).json()
        sees = role in POINT_4
        assert ("closed" in old, "successors" in old) == (sees, sees), role
        assert ("predecessor" in new) == sees, role
        listed = {v["id"]: v for v in c.get(f"{P}/passports", headers=key).json()}
        assert ("successors" in listed[BAT]) == sees, role
        if sees:
            assert old["closed"] == "superseded" and old["successors"] == ["urn:second:ess1"]
            assert new["predecessor"] == BAT
