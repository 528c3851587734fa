"""Security headers on every response (pages, API, errors, static files): an ASGI middleware.

- ``Content-Security-Policy``: nothing but the app's own stylesheet and images; no script at all
  (the pages have none; the inline SVG of the QR code is markup, not a script or a resource);
  ``frame-ancestors 'none'``, ``form-action 'self'``, ``base-uri 'none'``.
- ``X-Frame-Options: DENY`` for browsers that do not read ``frame-ancestors``.
- ``X-Content-Type-Options: nosniff``.
- ``Referrer-Policy: no-referrer``: a passport's address is not sent to the sites its links point to.

The API docs page (Swagger UI) loads its script and stylesheet from a CDN and starts with one inline
script: its policy admits that CDN and that script by its SHA-256 (``docs_policy``), nothing else.
"""

from __future__ import annotations

import base64
import hashlib
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}
SWAGGER_CDN = "https://cdn.jsdelivr.net"
"""Where FastAPI's Swagger UI page loads its script and stylesheet from."""


def docs_policy(html: str) -> str:
    """The policy for a docs page: its CDN, and its inline scripts by hash."""
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'"
        for s in re.findall(r"<script>(.*?)</script>", html, flags=re.S)
    )
    return (
        f"default-src 'none'; script-src {SWAGGER_CDN} {hashes}; style-src {SWAGGER_CDN}; "
        f"img-src 'self' data: https://fastapi.tiangolo.com; connect-src 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    )


class SecurityHeaders:
    """Add ``HEADERS`` and a Content-Security-Policy (``POLICY``, or ``policies[path]``) to every
    HTTP response."""

    def __init__(self, app: ASGIApp, policies: dict[str, str] | None = None) -> None:
        self.app = app
        self.policies = policies or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = self.policies.get(scope["path"], POLICY)
        extra = [(k.encode(), v.encode()) for k, v in HEADERS.items()]
        extra.append((b"content-security-policy", policy.encode()))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)
