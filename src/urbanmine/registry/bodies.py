"""Request bodies of the API: JSON in the encodings ``urbanmine.jsonbytes`` accepts (UTF-8, with
or without a byte-order mark, or UTF-16 with one, as the Battery Pass consortium publishes its
files). Any other encoding is a 422 naming it, before FastAPI parses the body."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from urbanmine import jsonbytes
from urbanmine.errors import InputError
from urbanmine.registry.errors import Invalid


class JsonBodyRoute(APIRoute):
    """A route whose request body, if any, must be JSON text in an accepted encoding."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def checked(request: Request) -> Response:
            body = await request.body()
            if body:
                try:
                    jsonbytes.text(body)
                except InputError as exc:
                    raise Invalid(f"request body: {exc}") from None
            return await handler(request)

        return checked
