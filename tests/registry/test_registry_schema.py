"""Schemathesis against the published OpenAPI schema: no input the schema allows gives a 5xx.

Runs as an operator (writes allowed) on a SQLite registry holding one passport and one lot, so
generated requests reach the service code and not only the authentication check.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from registry.registry_helpers import Registry, document

_db = Path(tempfile.mkdtemp(prefix="um-schema-")) / "registry.db"
_reg = Registry(f"sqlite:///{_db}")
_key = _reg.key("acme")
_reg.client.post("/api/v1/passports", json={"document": document("urn:acme:bat0001")}, headers=_key)
_reg.client.post(
    "/api/v1/lots",
    json={
        "id": "lot1",
        "product": "black_mass",
        "time": "2027-01-01T00:00:00Z",
        "inputs": [{"scrap": "s", "elements_kg": {"Co": 1.0}}],
        "elements_kg": {"Co": 1.0},
    },
    headers=_key,
)
schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", _reg.client.app)


@schema.parametrize()
@settings(max_examples=25, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case: schemathesis.Case) -> None:
    case.call_and_validate(headers=_key, checks=[not_a_server_error])
