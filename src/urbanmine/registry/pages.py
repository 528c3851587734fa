"""Server-rendered pages (Jinja2): the public passport page a QR code points to, and operator pages.

``/p/{id}``: public fields of a passport and its QR code (inline SVG from segno) linking to the page.
``/operator``: sign in with an API key (kept in an HttpOnly cookie), look up a battery's history
(``/operator/batteries/{id}``) or a producer's ledger (``/operator/ledger/{producer}``).
"""

from __future__ import annotations

from importlib import resources
from typing import Any
from urllib.parse import parse_qs, quote

import segno
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from urbanmine.registry import service
from urbanmine.registry.errors import RegistryError
from urbanmine.registry.keys import PUBLIC, authenticate
from urbanmine.registry.transaction import KEY_COOKIE, run

templates = Jinja2Templates(directory=str(resources.files("urbanmine.registry") / "templates"))
router = APIRouter(include_in_schema=False)


def qr_svg(url: str) -> str:
    """The QR code for ``url`` as an inline SVG element."""
    return str(segno.make(url, error="m").svg_inline(scale=4, title=f"QR code: {url}"))


def _rows(document: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """(aspect, property path, value) for display, one row per leaf-level property."""
    rows = []
    for aspect, body in document.items():
        for key, value in body.items():
            if key in (
                "batteryTechicalProperties",
                "batteryCondition",
                "safetyMeasures",
            ) and isinstance(value, dict):
                rows += [(aspect, f"{key}.{k}", v) for k, v in value.items()]
            else:
                rows.append((aspect, key, value))
    return rows


@router.get("/p/{ident}", response_class=HTMLResponse)
def public_passport(request: Request, ident: str) -> Response:
    try:
        view = run(request, lambda s, _: service.get_passport(s, PUBLIC, ident))
    except RegistryError as exc:
        return templates.TemplateResponse(
            request, "error.html", {"message": str(exc)}, status_code=exc.status
        )
    url = str(request.url_for("public_passport", ident=ident))
    return templates.TemplateResponse(
        request,
        "passport.html",
        {"view": view, "rows": _rows(view["document"]), "qr": qr_svg(url), "url": url},
    )


@router.get("/operator", response_class=HTMLResponse)
def operator_home(
    request: Request, battery: str | None = None, producer: str | None = None
) -> Response:
    if battery:
        return RedirectResponse(f"/operator/batteries/{quote(battery)}", status_code=303)
    if producer:
        return RedirectResponse(f"/operator/ledger/{quote(producer)}", status_code=303)
    signed_in = run(request, lambda s, p: p)
    return templates.TemplateResponse(
        request, "operator.html", {"principal": signed_in, "message": None}
    )


@router.post("/operator/login", response_class=HTMLResponse)
async def operator_login(request: Request) -> Response:
    try:
        form = (await request.body()).decode()
    except UnicodeDecodeError:
        message = "the form was not sent as UTF-8 text; type the key again"
        return templates.TemplateResponse(
            request, "operator.html", {"principal": PUBLIC, "message": message}, status_code=400
        )
    key = (parse_qs(form).get("key") or [""])[0].strip()
    factory = request.app.state.sessions
    try:
        with factory.begin() as s:
            principal = authenticate(s, key or None)
    except RegistryError as exc:
        return templates.TemplateResponse(
            request, "operator.html", {"principal": PUBLIC, "message": str(exc)}, status_code=401
        )
    response = RedirectResponse("/operator", status_code=303)
    if principal.role != "public":
        response.set_cookie(KEY_COOKIE, key, httponly=True, samesite="strict")
    return response


@router.post("/operator/logout")
def operator_logout() -> Response:
    response = RedirectResponse("/operator", status_code=303)
    response.delete_cookie(KEY_COOKIE)
    return response


@router.get("/operator/batteries/{ident}", response_class=HTMLResponse)
def battery_history(request: Request, ident: str) -> Response:
    try:
        view, events = run(
            request,
            lambda s, p: (
                service.get_passport(s, p, ident),
                service.list_events(s, p, "battery", ident),
            ),
        )
    except RegistryError as exc:
        return templates.TemplateResponse(
            request, "error.html", {"message": str(exc)}, status_code=exc.status
        )
    return templates.TemplateResponse(
        request, "history.html", {"view": view, "events": events, "rows": _rows(view["document"])}
    )


@router.get("/operator/ledger/{producer}", response_class=HTMLResponse)
def producer_ledger(request: Request, producer: str) -> Response:
    try:
        rows = run(request, lambda s, p: service.ledger(s, p, producer))
    except RegistryError as exc:
        return templates.TemplateResponse(
            request, "error.html", {"message": str(exc)}, status_code=exc.status
        )
    return templates.TemplateResponse(request, "ledger.html", {"producer": producer, "rows": rows})
