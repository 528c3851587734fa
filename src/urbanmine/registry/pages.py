"""Server-rendered pages (Jinja2): the public passport page a QR code points to, and operator pages.

``/p/{id}``: public fields of a passport, labelled and formatted for people (``display.py``), and its
QR code (inline SVG from segno) linking to the page under the configured public base URL
(``settings.py``), never the request's Host header.
``/operator``: sign in with an API key (kept in an HttpOnly cookie), look up a battery's history
(``/operator/batteries/{id}``) or a producer's ledger (``/operator/ledger/{producer}``).

A key cookie that no longer signs in (revoked, expired, garbage) is cleared: the public page shows
the public view, the operator pages the login form with a message.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from typing import Any, TypeVar
from urllib.parse import parse_qs, quote

import segno
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from urbanmine.passport.labels import enumeration_words
from urbanmine.registry import service
from urbanmine.registry.display import sections
from urbanmine.registry.errors import RegistryError, Unauthorized
from urbanmine.registry.keys import PUBLIC, Principal, authenticate
from urbanmine.registry.transaction import KEY_COOKIE, run

templates = Jinja2Templates(directory=str(resources.files("urbanmine.registry") / "templates"))
router = APIRouter(include_in_schema=False)
T = TypeVar("T")
STALE_KEY = "Your key no longer signs in (revoked, expired or mistyped): sign in again."


def qr_svg(url: str) -> str:
    """The QR code for ``url`` as an inline SVG element."""
    return str(segno.make(url, error="m").svg_inline(scale=4, title=f"QR code: {url}"))


def _stale_cookie(request: Request) -> bool:
    """Does the request carry a key cookie (and no Authorization header) that no longer signs in?"""
    if not request.cookies.get(KEY_COOKIE) or "authorization" in request.headers:
        return False
    try:
        run(request, lambda s, p: p)
    except Unauthorized:
        return True
    return False


def _signed_out(response: Response) -> Response:
    """``response`` telling the browser to drop the key cookie."""
    response.delete_cookie(KEY_COOKIE, httponly=True, samesite="strict")
    return response


def _login_form(request: Request, message: str, status: int) -> Response:
    return templates.TemplateResponse(
        request, "operator.html", {"principal": PUBLIC, "message": message}, status_code=status
    )


def _operator_page(
    request: Request, fn: Callable[[Session, Principal], T], render: Callable[[T], Response]
) -> Response:
    """Run ``fn`` as the signed-in caller and ``render`` its result; a stale key cookie shows the
    login form again, any other registry error the error page."""
    try:
        result = run(request, fn)
    except RegistryError as exc:
        if isinstance(exc, Unauthorized) and _stale_cookie(request):
            return _signed_out(_login_form(request, STALE_KEY, 401))
        return templates.TemplateResponse(
            request, "error.html", {"message": str(exc)}, status_code=exc.status
        )
    return render(result)


@router.get("/p/{ident}", response_class=HTMLResponse)
def public_passport(request: Request, ident: str) -> Response:
    try:
        view = run(request, lambda s, p: service.get_passport(s, p, ident), as_public=True)
        response = _public_page(request, view)
    except RegistryError as exc:
        response = templates.TemplateResponse(
            request, "error.html", {"message": str(exc)}, status_code=exc.status
        )
    return _signed_out(response) if _stale_cookie(request) else response


def _public_page(request: Request, view: dict[str, Any]) -> Response:
    url = f"{request.app.state.public_url}/p/{quote(view['id'], safe=':')}"
    return templates.TemplateResponse(
        request,
        "passport.html",
        {
            "view": view,
            "category": enumeration_words("batteryCategory", view["category"]),
            "sections": sections(view["document"]),
            "qr": qr_svg(url),
            "url": url,
        },
    )


@router.get("/operator", response_class=HTMLResponse)
def operator_home(
    request: Request, battery: str | None = None, producer: str | None = None
) -> Response:
    if battery:
        return RedirectResponse(f"/operator/batteries/{quote(battery)}", status_code=303)
    if producer:
        return RedirectResponse(f"/operator/ledger/{quote(producer)}", status_code=303)
    return _operator_page(
        request,
        lambda s, p: p,
        lambda principal: templates.TemplateResponse(
            request, "operator.html", {"principal": principal, "message": None}
        ),
    )


@router.post("/operator/login", response_class=HTMLResponse)
async def operator_login(request: Request) -> Response:
    try:
        form = (await request.body()).decode()
    except UnicodeDecodeError:
        return _login_form(request, "the form was not sent as UTF-8 text; type the key again", 400)
    key = (parse_qs(form).get("key") or [""])[0].strip()
    factory = request.app.state.sessions
    try:
        with factory.begin() as s:
            principal = authenticate(s, key or None)
    except RegistryError as exc:
        return _login_form(request, str(exc), 401)
    response = RedirectResponse("/operator", status_code=303)
    if principal.role != "public":
        response.set_cookie(KEY_COOKIE, key, httponly=True, samesite="strict")
    return response


@router.post("/operator/logout")
def operator_logout() -> Response:
    response = RedirectResponse("/operator", status_code=303)
    return _signed_out(response)


@router.get("/operator/batteries/{ident}", response_class=HTMLResponse)
def battery_history(request: Request, ident: str) -> Response:
    return _operator_page(
        request,
        lambda s, p: (
            service.get_passport(s, p, ident),
            service.list_events(s, p, "battery", ident),
        ),
        lambda found: templates.TemplateResponse(
            request,
            "history.html",
            {"view": found[0], "events": found[1], "sections": sections(found[0]["document"])},
        ),
    )


@router.get("/operator/ledger/{producer}", response_class=HTMLResponse)
def producer_ledger(request: Request, producer: str) -> Response:
    return _operator_page(
        request,
        lambda s, p: service.ledger(s, p, producer),
        lambda rows: templates.TemplateResponse(
            request, "ledger.html", {"producer": producer, "rows": rows}
        ),
    )
