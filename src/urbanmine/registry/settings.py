"""The registry's public base URL: where the passport pages are reached from outside.

The QR code on a battery links to ``{public URL}/p/{id}``. It is configured, never taken from the
request's ``Host`` header (which any client can forge): ``create_app(public_url=...)``, else the
environment variable ``URBANMINE_PUBLIC_URL``, else ``DEFAULT_PUBLIC_URL``, the address
``urbanmine serve`` listens on by default. ``urbanmine serve --public-url`` sets it; without it,
serve uses its own ``--host``/``--port``.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from urbanmine.errors import InputError

ENV_PUBLIC_URL = "URBANMINE_PUBLIC_URL"
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"
"""``urbanmine serve``'s default --host and --port: right for a local try-out, wrong on a label."""


def public_url(value: str | None = None) -> str:
    """The checked public base URL (no trailing slash) from ``value``, else the environment, else
    the default. ``InputError`` unless it is an http(s) URL with a host and no query or fragment."""
    url = value if value is not None else os.environ.get(ENV_PUBLIC_URL) or DEFAULT_PUBLIC_URL
    try:
        parts = urlsplit(url)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname) and parts.port != 0
    except ValueError:  # e.g. a port that is not a number
        valid = False
    if not valid or parts.query or parts.fragment or "?" in url or "#" in url:
        raise InputError(
            f"public URL {url!r} must be an http:// or https:// address with a host and an optional "
            f"path, no query or fragment (e.g. https://passports.example.org); set by --public-url "
            f"or {ENV_PUBLIC_URL}"
        )
    return url.rstrip("/")
