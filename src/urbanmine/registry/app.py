"""The registry web application: the API router (``api.py``) and the pages (``pages.py``) plugged
into one FastAPI app with its error handlers and settings (``create_app``).

Run it with ``urbanmine serve`` or ``uvicorn urbanmine.registry.app:create_app --factory``.
"""

from __future__ import annotations

import sys
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from urbanmine.registry.api import PREFIX
from urbanmine.registry.api import router as api_router
from urbanmine.registry.errors import RegistryError
from urbanmine.registry.pages import router as pages_router
from urbanmine.registry.store import make_engine, session_factory

SWITCH_INTERVAL = 0.0005
"""Seconds a thread may hold the GIL while another waits (Python's default: 0.005). Batch writes
are CPU-bound Python; at the default a read queued behind one waits up to 5 ms at each of its
hand-overs between the event loop and the worker threads."""


def create_app(url: str | None = None) -> FastAPI:
    """The registry web service on the database at ``url`` (see ``store.database_url``)."""
    app = FastAPI(
        title="urbanmine registry",
        version="1",
        description="Battery passports (Battery Pass v1.2), chain of custody, mass-balance lots and producer responsibility.",
        openapi_url=f"{PREFIX}/openapi.json",
        docs_url=f"{PREFIX}/docs",
        redoc_url=None,
    )
    sys.setswitchinterval(SWITCH_INTERVAL)
    engine = make_engine(url)
    app.state.sessions = session_factory(engine)
    app.state.readers = session_factory(engine, read_only=True)
    app.include_router(api_router)
    app.include_router(pages_router)

    @app.exception_handler(RegistryError)
    def _registry_error(_: Request, exc: RegistryError) -> JSONResponse:
        return JSONResponse({"message": str(exc)}, status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(x) for x in first.get("loc", ()))
        return JSONResponse(
            {
                "message": f"{where}: {first.get('msg', 'invalid request')}",
                "errors": jsonable(exc.errors()),
            },
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse({"message": str(exc.detail)}, status_code=exc.status_code)

    return app


def jsonable(errors: Any) -> Any:
    from fastapi.encoders import jsonable_encoder

    return jsonable_encoder(errors, custom_encoder={Exception: str})
