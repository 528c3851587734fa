"""Registry fixtures: a fresh database per test on SQLite (always) and PostgreSQL (when
``URBANMINE_TEST_POSTGRES_URL`` is set); real server processes stopped after the test."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from registry.registry_helpers import Registry, Server, backends, fresh_database, running_server


@pytest.fixture(params=backends())
def db_url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    return fresh_database(request.param, tmp_path)


@pytest.fixture
def reg(db_url: str) -> Iterator[Registry]:
    r = Registry(db_url)
    yield r
    r.client.close()
    r.engine.dispose()


@pytest.fixture
def serve() -> Iterator[Callable[..., Server]]:
    """``serve(url, workers=1)`` starts ``urbanmine serve`` and returns it once it answers
    (``running_server``); every server a test started is stopped, with its workers, when the test
    ends, passed or failed."""
    with contextlib.ExitStack() as started:
        yield lambda url, workers=1: started.enter_context(running_server(url, workers))
