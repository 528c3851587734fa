"""Registry test helpers: fresh databases on SQLite and PostgreSQL, a migrated registry with an API
client and key helpers, and a Battery Pass document with fields from every access tier."""

from __future__ import annotations

import os
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from urbanmine.passport.batterypass import example_document
from urbanmine.registry.app import create_app
from urbanmine.registry.keys import issue_key
from urbanmine.registry.store import Base, Operator, make_engine, migrate, session_factory

PG_ENV = "URBANMINE_TEST_POSTGRES_URL"


def backends() -> list[Any]:
    pg = pytest.param(
        "postgresql",
        marks=pytest.mark.skipif(not os.environ.get(PG_ENV), reason=f"{PG_ENV} not set"),
    )
    return ["sqlite", pg]


def fresh_database(backend: str, tmp_path: Any) -> str:
    """URL of an empty database on ``backend``."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'registry.db'}"
    url = os.environ[PG_ENV]
    engine = make_engine(url)
    with engine.begin() as conn:
        Base.metadata.drop_all(conn)
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()
    return url


class Registry:
    """A migrated database, an API client on it, and key helpers."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        migrate(self.engine)
        self.sessions = session_factory(self.engine)
        self.client = TestClient(create_app(url))
        self.admin = self.key("admin", "admin")

    def key(self, operator: str, role: str = "operator") -> dict[str, str]:
        """Authorization header of a new key (creating the operator if needed)."""
        with self.sessions.begin() as s:
            if s.get(Operator, operator) is None:
                s.add(Operator(id=operator, name=operator))
                s.flush()
            return {"Authorization": f"Bearer {issue_key(s, operator, role)}"}


def document(ident: str, category: str = "ev", mass_kg: float = 450.0) -> dict[str, Any]:
    """The Battery Pass consortium's published example payloads of all seven aspects as one
    document (fields from every access tier), with this identifier, category and mass."""
    return example_document(ident, category, mass_kg)


def event(
    cid: str, etype: str, time: str = "2027-03-01T10:00:00+00:00", **payload: Any
) -> dict[str, Any]:
    return {
        "client_event_id": cid,
        "type": etype,
        "time": time,
        "place": "Hamburg",
        "payload": payload,
    }
