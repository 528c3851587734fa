"""The registry web application: the API router (``api.py``) and the pages (``pages.py``) plugged
into one FastAPI app with its error handlers, settings (``settings.py``: the public base URL) and
middleware (``headers.py``: security headers on every response) (``create_app``).

Run it with ``urbanmine serve`` or ``uvicorn urbanmine.registry.app:create_app --factory``.
"""

from __future__ import annotations

import logging
import sys
from importlib import resources
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from urbanmine.registry.api import PREFIX
from urbanmine.registry.api import router as api_router
from urbanmine.registry.errors import RegistryError
from urbanmine.registry.headers import SecurityHeaders, docs_policy
from urbanmine.registry.limits import MAX_BODY_BYTES, SURROGATE
from urbanmine.registry.pages import router as pages_router
from urbanmine.registry.settings import public_url as check_public_url
from urbanmine.registry.store import make_engine, session_factory

log = logging.getLogger(__name__)

SWITCH_INTERVAL = 0.0005
"""Seconds a thread may hold the GIL while another waits (Python's default: 0.005). Batch writes
are CPU-bound Python; at the default a read queued behind one waits up to 5 ms at each of its
hand-overs between the event loop and the worker threads."""


def create_app(url: str | None = None, public_url: str | None = None) -> FastAPI:
    """The registry web service on the database at ``url`` (see ``store.database_url``); its pages'
    QR codes link under ``public_url`` (see ``settings.public_url``)."""
    app = FastAPI(
        title="urbanmine registry",
        version="1",
        description="Battery passports (Battery Pass v1.2), chain of custody, mass-balance lots and producer responsibility.",
        openapi_url=f"{PREFIX}/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.public_url = check_public_url(public_url)
    sys.setswitchinterval(SWITCH_INTERVAL)
    engine = make_engine(url)
    app.state.sessions = session_factory(engine)
    app.state.readers = session_factory(engine, read_only=True)
    app.include_router(api_router)
    app.include_router(pages_router)
    app.add_middleware(RequestLimits)  # inside SecurityHeaders: its refusals get the headers too
    static = resources.files("urbanmine.registry") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    docs = get_swagger_ui_html(openapi_url=f"{PREFIX}/openapi.json", title="urbanmine registry")
    app.add_api_route(
        f"{PREFIX}/docs", lambda: HTMLResponse(docs.body), include_in_schema=False, methods=["GET"]
    )
    app.add_middleware(
        SecurityHeaders, policies={f"{PREFIX}/docs": docs_policy(bytes(docs.body).decode())}
    )

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

    @app.exception_handler(Exception)
    def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        """A bug, not the client's fault: logged with its traceback, answered as JSON."""
        log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
        return JSONResponse({"message": "internal error; it has been logged"}, status_code=500)

    return app


class RequestLimits:
    """ASGI middleware: refuses, before the application reads anything, a request whose path is
    not Unicode text (400: a lone surrogate, which only a direct ASGI caller can send) or whose
    body is larger than ``MAX_BODY_BYTES`` (413): by its ``Content-Length`` at once, else
    (chunked) by counting the bytes as they arrive and stopping at the first one too many."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            scope["path"].encode()
        except UnicodeEncodeError:
            path = scope["path"].encode("utf-8", "backslashreplace").decode()
            await _refuse(400, f"path {path}: {SURROGATE}", scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY_BYTES):
            await _refuse(413, TOO_LARGE, scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > MAX_BODY_BYTES:
                    raise BodyTooLarge(413, TOO_LARGE)
            return message

        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except BodyTooLarge:  # raised where no handler turned it into the answer
            if started:
                raise
            await _refuse(413, TOO_LARGE, scope, receive, send)


TOO_LARGE = f"body: larger than {MAX_BODY_BYTES} bytes (the limit); send fewer entries per batch"


class BodyTooLarge(StarletteHTTPException):
    """Raised while reading a body past ``MAX_BODY_BYTES`` (FastAPI lets HTTP exceptions through
    to the handler above)."""


async def _refuse(status: int, message: str, scope: Scope, receive: Receive, send: Send) -> None:
    await JSONResponse({"message": message}, status_code=status)(scope, receive, send)


def jsonable(errors: Any) -> Any:
    from fastapi.encoders import jsonable_encoder

    return jsonable_encoder(errors, custom_encoder={Exception: str})
