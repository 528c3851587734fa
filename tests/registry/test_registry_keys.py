"""API keys: revocation and expiry take effect at once (also across worker processes), the
``Authorization`` header is either a bearer key or a 401, keys are listed without secrets, and the
migration that adds revocation and expiry keeps existing keys working."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from importlib import resources

import httpx
import pytest
from alembic import command
from alembic.config import Config
from argon2 import PasswordHasher
from sqlalchemy import inspect, text

from registry.registry_helpers import Registry, Server, document
from urbanmine.registry.keys import authenticate
from urbanmine.registry.store import make_engine, session_factory

P = "/api/v1"
BAT = "urn:acme:bat0001"


def new_key(reg: Registry, operator: str = "acme", **body: object) -> dict[str, str]:
    """A key made through the API by the admin (creating the operator if needed)."""
    reg.client.post(f"{P}/operators", json={"id": operator, "name": operator}, headers=reg.admin)
    r = reg.client.post(
        f"{P}/operators/{operator}/keys", json={"role": "operator", **body}, headers=reg.admin
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


def bearer(key: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {key['key']}"}


def test_revoked_key_stops_working_at_once(reg: Registry) -> None:
    key = new_key(reg)
    assert key["key_id"] in key["key"] and key["expires_at"] is None
    c = reg.client
    assert (
        c.post(f"{P}/passports", json={"document": document(BAT)}, headers=bearer(key)).status_code
        == 201
    )
    assert c.get(f"{P}/passports/{BAT}/events", headers=bearer(key)).status_code == 200
    revoked = c.delete(f"{P}/operators/acme/keys/{key['key_id']}", headers=reg.admin)
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["revoked_at"] is not None and "key" not in revoked.json()
    r = c.get(f"{P}/passports/{BAT}/events", headers=bearer(key))
    assert r.status_code == 401 and "revoked" in r.json()["message"]
    again = c.delete(f"{P}/operators/acme/keys/{key['key_id']}", headers=reg.admin)
    assert again.status_code == 200 and again.json() == revoked.json()  # the first time stays


def test_only_admins_revoke_and_only_existing_keys(reg: Registry) -> None:
    key, other = new_key(reg), new_key(reg, "other")
    c = reg.client
    path = f"{P}/operators/acme/keys/{key['key_id']}"
    assert c.delete(path).status_code == 401
    assert c.delete(path, headers=bearer(key)).status_code == 403
    assert c.delete(f"{P}/operators/acme/keys/{'0' * 16}", headers=reg.admin).status_code == 404
    # the key exists, but not under this operator
    wrong = c.delete(f"{P}/operators/acme/keys/{other['key_id']}", headers=reg.admin)
    assert wrong.status_code == 404
    assert c.get(f"{P}/passports", headers=bearer(other)).status_code == 200


def test_deleted_key_stops_working_at_once(reg: Registry) -> None:
    key = new_key(reg)
    assert reg.client.get(f"{P}/passports", headers=bearer(key)).status_code == 200
    with reg.engine.begin() as conn:
        conn.execute(text("DELETE FROM api_keys WHERE key_id = :k"), {"k": key["key_id"]})
    assert reg.client.get(f"{P}/passports", headers=bearer(key)).status_code == 401


def test_keys_expire(reg: Registry) -> None:
    soon = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)
    key = new_key(reg, expires_at=soon.isoformat())
    assert datetime.fromisoformat(key["expires_at"]) == soon
    assert reg.client.get(f"{P}/passports", headers=bearer(key)).status_code == 200
    past = datetime.now(UTC) - timedelta(seconds=1)
    with reg.engine.begin() as conn:  # time passes: the key's expiry is now behind us
        conn.execute(
            text("UPDATE api_keys SET expires_at = :t WHERE key_id = :k"),
            {"t": past, "k": key["key_id"]},
        )
    r = reg.client.get(f"{P}/passports", headers=bearer(key))
    assert r.status_code == 401 and "expired" in r.json()["message"]


@pytest.mark.parametrize(
    ("expires_at", "why"),
    [
        ("2020-01-01", "in the future"),
        ("2099-01-01T00:00:00", "timezone"),
        ("next year", "ISO 8601"),
    ],
)
def test_expiry_must_be_a_future_time(reg: Registry, expires_at: str, why: str) -> None:
    reg.client.post(f"{P}/operators", json={"id": "acme", "name": "Acme"}, headers=reg.admin)
    r = reg.client.post(
        f"{P}/operators/acme/keys",
        json={"role": "operator", "expires_at": expires_at},
        headers=reg.admin,
    )
    assert (
        r.status_code == 422 and why in r.json()["message"] and "expires_at" in r.json()["message"]
    )


def test_date_expiry_means_the_start_of_that_day_in_utc(reg: Registry) -> None:
    key = new_key(reg, expires_at="2099-06-30")
    assert datetime.fromisoformat(key["expires_at"]) == datetime(2099, 6, 30, tzinfo=UTC)


def test_key_list_shows_no_secrets(reg: Registry) -> None:
    key = new_key(reg)
    new_key(reg, "other")
    reg.client.delete(f"{P}/operators/acme/keys/{key['key_id']}", headers=reg.admin)
    r = reg.client.get(f"{P}/operators/acme/keys", headers=reg.admin)
    assert r.status_code == 200
    (listed,) = r.json()
    assert set(listed) == {"key_id", "operator", "role", "created_at", "expires_at", "revoked_at"}
    assert listed["key_id"] == key["key_id"] and listed["revoked_at"] is not None
    assert key["key"] not in r.text and "argon2" not in r.text
    assert (
        reg.client.get(f"{P}/operators/acme/keys", headers=bearer(new_key(reg))).status_code == 403
    )


@pytest.mark.parametrize(
    "header", ["Bearer", "Bearer ", "bearer   ", "Basic YWRtaW46YWRtaW4=", "um_abc_def", ""]
)
def test_authorization_header_without_a_bearer_key_is_401(reg: Registry, header: str) -> None:
    """A client that sends credentials the registry cannot read is told so, not served the
    public tier as if it had sent none."""
    maker = reg.key("acme")
    reg.client.post(f"{P}/passports", json={"document": document(BAT)}, headers=maker)
    r = reg.client.get(f"{P}/passports/{BAT}", headers={"Authorization": header})
    assert r.status_code == 401
    assert "Authorization" in r.json()["message"] and "Bearer" in r.json()["message"]
    assert reg.client.get(f"{P}/passports/{BAT}").status_code == 200  # no header: public


def test_revocation_reaches_every_worker_process(
    reg: Registry, serve: Callable[..., Server]
) -> None:
    """Two worker processes have both served (and verified) a key; it is revoked through one of
    them; from then on every request with it is refused, whichever process answers."""
    key = new_key(reg)
    server = serve(reg.url, workers=2)

    def statuses() -> list[int]:
        """40 requests on fresh connections, 8 at a time: both workers take some."""
        with ThreadPoolExecutor(8) as pool:
            return list(
                pool.map(
                    lambda _: (
                        httpx.get(
                            f"{server.api}/passports", headers=bearer(key), timeout=60
                        ).status_code
                    ),
                    range(40),
                )
            )

    assert statuses() == [200] * 40
    r = httpx.delete(
        f"{server.api}/operators/acme/keys/{key['key_id']}", headers=reg.admin, timeout=60
    )
    assert r.status_code == 200, r.text
    assert statuses() == [401] * 40


def test_migration_0004_keeps_existing_keys(db_url: str) -> None:
    """Keys issued before revocation and expiry existed still work after the upgrade; the
    downgrade removes the new columns."""
    engine = make_engine(db_url)
    cfg = Config()
    cfg.set_main_option(
        "script_location", str(resources.files("urbanmine.registry") / "migrations")
    )
    key = "um_0123456789abcdef_secret"
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0003")
        at = {"t": datetime(2027, 1, 1, tzinfo=UTC)}
        conn.execute(
            text("INSERT INTO operators (id, name, created_at) VALUES ('acme', 'Acme', :t)"), at
        )
        conn.execute(
            text(
                "INSERT INTO api_keys (key_id, key_hash, operator_id, role, created_at) "
                "VALUES ('0123456789abcdef', :h, 'acme', 'operator', :t)"
            ),
            {"h": PasswordHasher().hash(key), **at},
        )
        command.upgrade(cfg, "head")
    columns = {c["name"] for c in inspect(engine).get_columns("api_keys")}
    assert {"revoked_at", "expires_at"} <= columns
    assert {"urn_prefix", "gbt_manufacturer"} <= {
        c["name"] for c in inspect(engine).get_columns("operators")
    }
    with session_factory(engine).begin() as s:
        assert authenticate(s, key).operator_id == "acme"
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0003")
    assert "revoked_at" not in {c["name"] for c in inspect(engine).get_columns("api_keys")}
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    engine.dispose()
