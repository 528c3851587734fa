"""Registry fixtures: a fresh database per test on SQLite (always) and PostgreSQL (when
``URBANMINE_TEST_POSTGRES_URL`` is set)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from registry.registry_helpers import Registry, backends, fresh_database


@pytest.fixture(params=backends())
def db_url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    return fresh_database(request.param, tmp_path)


@pytest.fixture
def reg(db_url: str) -> Iterator[Registry]:
    r = Registry(db_url)
    yield r
    r.client.close()
    r.engine.dispose()
