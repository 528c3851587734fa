"""Schemathesis against the published OpenAPI schema: no request gives a 5xx.

Runs on SQLite and (with ``URBANMINE_TEST_POSTGRES_URL``) PostgreSQL, as an operator or an admin
(writes allowed), on a registry holding one passport and one lot, so requests reach the service
code and not only the authentication check. Besides what schemathesis generates from the schema,
each case may start from a valid body of its operation (``VALID``) and have one value replaced by a
hostile one (``hostile``): nesting past the limit, non-finite or huge numbers written as JSON
literals (``NaN``, ``1e999``), lone surrogates, times that overflow or fall outside the years
allowed. Those bodies are sent as raw bytes: a JSON encoder would refuse to write them.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error

from registry.registry_helpers import PG_ENV, Registry, document, fresh_database
from urbanmine.registry.app import create_app
from urbanmine.registry.limits import MAX_DEPTH

BAT, LOT, T = "urn:acme:bat0001", "lot1", "2027-01-01T00:00:00+00:00"
TOKEN = "__hostile_value__"
"""Stands in a body for the hostile value until the body is written out."""


URLS = {"sqlite": f"sqlite:///{Path(tempfile.mkdtemp(prefix='um-schema-')) / 'registry.db'}"}
if os.environ.get(PG_ENV):
    URLS["postgresql"] = os.environ[PG_ENV]
APPS = {backend: create_app(url) for backend, url in URLS.items()}  # no connection made yet
SCHEMAS = {
    backend: schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    for backend, app in APPS.items()
}
KEYS: dict[str, dict[str, dict[str, str]]] = {}
"""Per backend, once its database is set up: the role -> Authorization header to call with."""


def keys(backend: str) -> dict[str, dict[str, str]]:
    """Set up ``backend``'s database on first use (not at import: other modules' tests empty the
    PostgreSQL database before theirs), with one passport and one lot of ``acme``."""
    if backend not in KEYS:
        reg = Registry(fresh_database(backend, Path(URLS["sqlite"][10:]).parent))
        key = reg.key("acme")
        assert reg.client.post("/api/v1/passports", json={"document": document(BAT)}, headers=key)
        assert reg.client.post("/api/v1/lots", json=lot_body(LOT), headers=key)
        KEYS[backend] = {"operator": key, "admin": reg.admin}
        reg.client.close()
    return KEYS[backend]


# ---------------------------------------------------------------- valid bodies to start from
def lot_body(ident: str) -> dict[str, Any]:
    return {
        "id": ident,
        "product": "black_mass",
        "time": T,
        "inputs": [{"scrap": "s", "elements_kg": {"Co": 1.0}}],
        "elements_kg": {"Co": 1.0},
    }


def event_body(n: int) -> dict[str, Any]:
    return {"client_event_id": f"e{n}", "type": "diagnosed", "time": T, "payload": {"soh": 97.5}}


VALID: dict[tuple[str, str], Callable[[int], dict[str, Any]]] = {
    ("POST", "/api/v1/passports"): lambda n: {
        "document": document(f"urn:acme:s{n}"),
        "elements_kg": {"Co": 1.0},
        "time": T,
    },
    ("POST", "/api/v1/passports/batch"): lambda n: {
        "passports": [{"document": document(f"urn:acme:b{n}"), "time": T}]
    },
    ("POST", "/api/v1/events/batch"): lambda n: {"events": [event_body(n) | {"subject_id": BAT}]},
    ("POST", "/api/v1/passports/{ident}/events"): event_body,
    ("PUT", "/api/v1/passports/{ident}"): lambda n: {
        "document": document(BAT),
        "client_event_id": f"u{n}",
        "time": T,
    },
    ("POST", "/api/v1/lots"): lambda n: (
        lot_body(f"l{n}") | {"inputs": [{"lot": LOT, "elements_kg": {"Co": 1e-6}}]}
    ),
    ("POST", "/api/v1/lots/{ident}/events"): lambda n: (
        event_body(n) | {"type": "shipped", "payload": {"to": "acme"}}
    ),
    ("POST", "/api/v1/epr/entries"): lambda n: {
        "kind": "collected",
        "category": "ev",
        "country": "DE",
        "year": 2027,
        "mass_kg": 1.0,
    },
    ("POST", "/api/v1/operators"): lambda n: {"id": f"op{n}", "name": "Op"},
    ("POST", "/api/v1/operators/{operator_id}/keys"): lambda n: {"role": "operator"},
}
PATHS = {"ident": {"passports": BAT, "lots": LOT}, "operator_id": "acme", "producer": "acme"}


# ---------------------------------------------------------------- hostile values (JSON text)
def nested(depth: int) -> str:
    return "[" * depth + "1" + "]" * depth


def offset_time(moment: datetime, minutes: int) -> str:
    return moment.replace(tzinfo=timezone(timedelta(minutes=minutes))).isoformat()


HOSTILE_TIMES = st.one_of(
    st.sampled_from(
        [
            "0001-01-01T00:00:00+01:00",
            "9999-12-31T23:59:59-01:00",
            "1989-12-31T23:59:59+00:00",
            "2101-01-01T00:00:00Z",
            "2027-02-30T00:00:00Z",
            "2027-01-01T00:00:00",
        ]
    ),
    st.builds(
        offset_time,
        st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)),
        st.integers(-1439, 1439),
    ),
).map(json.dumps)

HOSTILE = st.one_of(
    st.integers(MAX_DEPTH - 4, 600).map(nested),  # around the limit, to where reads broke
    st.sampled_from(["NaN", "Infinity", "-Infinity", "1e999", "-1e999", "1.7e308", "-0.0"]),
    st.sampled_from(["9007199254740993", "-1" + "0" * 40, "5e-324"]),
    st.sampled_from(['"\\ud800"', '"a\\udfffb"', '{"\\udc00":1}', '"\\ud83d\\udd0b"', '"\\u0000"']),
    HOSTILE_TIMES,
)
"""One hostile value as JSON text, as a client writes it."""


def slots(body: Any) -> list[tuple[Any, Any]]:
    """Every place in ``body`` a value can go: (container, key or index)."""
    found: list[tuple[Any, Any]] = []
    stack = [body]
    while stack:
        node = stack.pop()
        keys = node.keys() if isinstance(node, dict) else range(len(node))
        for key in list(keys):
            found.append((node, key))
            if isinstance(node[key], dict | list) and node[key]:
                stack.append(node[key])
        if isinstance(node, dict):
            found.append((node, "extra"))
    return found


def hostile_body(case: Any, data: st.DataObject) -> None:
    """Perhaps start ``case`` from a valid body, perhaps put one hostile value in it."""
    operation = (case.method.upper(), case.path)
    if operation in VALID and data.draw(st.booleans(), "valid body"):
        case.body = VALID[operation](data.draw(st.integers(0, 10**9), "entry"))
        for name in case.path_parameters or {}:
            ids = PATHS[name]
            case.path_parameters[name] = (
                ids if isinstance(ids, str) else ids[case.path.split("/")[3]]
            )
    if not isinstance(case.body, dict | list) or not data.draw(st.booleans(), "hostile"):
        return
    places = slots(case.body)
    if not places:
        return
    container, key = data.draw(st.sampled_from(places), "where")
    container[key] = TOKEN
    raw = data.draw(HOSTILE, "value")
    case.body = json.dumps(case.body).replace(json.dumps(TOKEN), raw, 1).encode()


def check(backend: str, case: schemathesis.Case, data: st.DataObject) -> None:
    """Call as an operator or an admin, perhaps with a hostile body; no answer may be a 5xx."""
    hostile_body(case, data)
    role = data.draw(st.sampled_from(["operator", "admin"]), "role")
    case.call_and_validate(headers=keys(backend)[role], checks=[not_a_server_error])


EXAMPLES = settings(
    max_examples=30, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck)
)


@SCHEMAS["sqlite"].parametrize()
@SCHEMAS["sqlite"].given(data=st.data())
@EXAMPLES
def test_no_server_errors_sqlite(case: schemathesis.Case, data: st.DataObject) -> None:
    check("sqlite", case, data)


if "postgresql" in SCHEMAS:

    @SCHEMAS["postgresql"].parametrize()
    @SCHEMAS["postgresql"].given(data=st.data())
    @EXAMPLES
    def test_no_server_errors_postgresql(case: schemathesis.Case, data: st.DataObject) -> None:
        check("postgresql", case, data)
