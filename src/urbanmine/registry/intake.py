"""How the API reads a JSON request body: text in an encoding ``urbanmine.jsonbytes`` accepts (UTF-8,
with or without a byte-order mark, or UTF-16 with one, as the Battery Pass consortium publishes
its files), parsed, then
held to ``limits.check_json`` (depth, finite numbers, integer range, no lone surrogates) before
FastAPI and pydantic see it.

FastAPI reads bodies through ``Request.json()``; ``CheckedRoute`` hands each endpoint a request
whose ``json()`` is ``parse``. A refusal is an ``HTTPException`` (FastAPI lets those through as
they are): 400 for bytes in no accepted encoding, 422 for a value the registry refuses, both naming
where (``body.events[3].payload.soh: numbers must be finite ...``). Bodies too large to read are
refused before this, by ``app.RequestLimits``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import HTTPException, Request, Response
from fastapi.routing import APIRoute

from urbanmine import jsonbytes
from urbanmine.errors import InputError
from urbanmine.registry.errors import Invalid
from urbanmine.registry.limits import TOO_DEEP, check_json


def parse(body: bytes) -> Any:
    """The JSON value of a request body; ``HTTPException`` (400, 422) naming what is wrong.

    Syntax errors are left to FastAPI (``json.JSONDecodeError``: 422 with the position).
    """
    try:
        text = jsonbytes.text(body)
    except InputError as exc:
        raise HTTPException(400, f"body: {exc}") from None
    try:
        value = json.loads(text)
    except RecursionError:  # nested beyond Python's own limit (about 1,000 levels)
        raise HTTPException(422, f"body: {TOO_DEEP}") from None
    except json.JSONDecodeError:
        raise
    except ValueError as exc:  # an integer of more than 4,300 digits
        raise HTTPException(422, f"body: {exc}") from None
    try:
        check_json(value)
    except Invalid as exc:
        raise HTTPException(422, str(exc)) from None
    return value


class CheckedRequest(Request):
    """A request whose JSON body is read by ``parse``."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = parse(await self.body())
        return self._json


class CheckedRoute(APIRoute):
    """An API route whose endpoint reads its JSON body through ``CheckedRequest``."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def checked(request: Request) -> Response:
            return await handler(CheckedRequest(request.scope, request.receive))

        return checked
