"""One request, one database transaction, as the caller the request's key stands for.

Shared by the API (``api.py``) and the pages (``pages.py``); the application that plugs both in is
assembled in ``app.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from fastapi import Request
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from urbanmine.registry.errors import Invalid, Unauthorized
from urbanmine.registry.keys import PUBLIC, Principal, authenticate

T = TypeVar("T")
KEY_COOKIE = "um_key"
"""The HttpOnly cookie the operator pages keep the signed-in key in."""


def bearer(request: Request) -> str | None:
    """The key a request carries: ``Authorization: Bearer <key>``, else the pages' key cookie.

    An ``Authorization`` header that is not a bearer key (empty, another scheme, no key after
    ``Bearer``) is ``Unauthorized``: the caller meant to authenticate and would otherwise be
    served the public tier without being told."""
    header = request.headers.get("authorization")
    if header is None:
        return request.cookies.get(KEY_COOKIE)
    scheme, _, key = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise Unauthorized(
            "the Authorization header must read 'Bearer <API key>'; "
            "send no Authorization header to read as the public"
        )
    return key.strip()


def run(request: Request, fn: Callable[[Session, Principal], T], as_public: bool = False) -> T:
    """Run ``fn`` in one transaction as the caller (as the public, key unread, when ``as_public``);
    retry once on a unique-key race.

    GET and HEAD requests read: on SQLite their transactions do not wait for the writer.
    """
    reads = request.method in ("GET", "HEAD")
    factory = request.app.state.readers if reads else request.app.state.sessions
    for attempt in (1, 2):
        try:
            with factory.begin() as s:
                return fn(s, PUBLIC if as_public else authenticate(s, bearer(request)))
        except IntegrityError:
            if attempt == 2:
                raise
        except DataError as exc:  # e.g. a NUL character PostgreSQL will not store in text
            raise Invalid(f"a value cannot be stored: {exc.orig}") from None
    raise AssertionError("unreachable")
