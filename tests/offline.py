"""Open a local page in headless Chromium with every network request blocked and recorded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

LOCAL = ("file:", "data:", "blob:")


def open_offline(browser: Any, path: Path, **context: Any) -> tuple[Any, Any, list[str], list[str]]:
    """(context, page, attempted, errors) for ``path``: every request that is not file:, data:
    or blob: is aborted and listed in ``attempted``; console and script errors go to ``errors``
    (both lists grow while the page runs). ``goto`` waits for the load event: every script has
    run or failed."""
    ctx = browser.new_context(**context)
    page = ctx.new_page()
    attempted: list[str] = []
    errors: list[str] = []

    def guard(route: Any) -> None:
        if route.request.url.startswith(LOCAL):
            route.continue_()
        else:
            attempted.append(route.request.url)
            route.abort()

    page.route("**/*", guard)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri())
    return ctx, page, attempted, errors
