"""Pages and responses over HTTP (test client): security headers, stale key cookies, the QR code's
public base URL and lot identifiers that a URL path can carry."""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from registry.registry_helpers import Registry, document
from urbanmine.errors import InputError
from urbanmine.registry.app import create_app
from urbanmine.registry.settings import DEFAULT_PUBLIC_URL, ENV_PUBLIC_URL, public_url
from urbanmine.registry.store import Lot
from urbanmine.registry.transaction import KEY_COOKIE

P = "/api/v1"
BAT = "urn:acme:bat0200"
STALE = "um_0000000000000000_not-a-key-this-registry-issued"


def _register(reg: Registry, client: TestClient | None = None) -> None:
    r = (client or reg.client).post(
        f"{P}/passports", json={"document": document(BAT)}, headers=reg.key("acme")
    )
    assert r.status_code == 201, r.text


def _qr_link(html: str) -> str:
    match = re.search(r"<title>QR code: ([^<]*)</title>", html)
    assert match, "no QR code title on the page"
    return match.group(1)


def _cookie_cleared(response: Any) -> bool:
    """Does the response tell the browser to drop the key cookie (Max-Age=0 or an expiry in 1970)?"""
    headers = response.headers.get_list("set-cookie")
    return any(
        h.startswith(f"{KEY_COOKIE}=") and ("max-age=0" in h.lower() or "1970" in h)
        for h in headers
    )


# ------------------------------------------------------------------ security headers


@pytest.mark.parametrize(
    "path",
    [
        f"/p/{BAT}",
        "/p/urn:acme:missing",
        "/operator",
        f"/operator/batteries/{BAT}",
        f"{P}/passports",
        f"{P}/passports/{BAT}",
        f"{P}/passports/urn:acme:missing",
        f"{P}/openapi.json",
        f"{P}/docs",
        "/no/such/page",
        "/static/registry.css",
    ],
)
def test_security_headers_on_every_response(reg: Registry, path: str) -> None:
    _register(reg)
    r = reg.client.get(path)
    assert r.headers["x-content-type-options"] == "nosniff", path
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["referrer-policy"] == "no-referrer"
    csp = dict(
        ([*d.split(" ", 1), ""])[:2]
        for d in (x.strip() for x in r.headers["content-security-policy"].split(";"))
    )
    assert csp["frame-ancestors"] == "'none'"
    assert csp["default-src"] == "'none'"
    assert "'unsafe-inline'" not in csp.get("script-src", "")
    assert "'unsafe-inline'" not in csp.get("style-src", "")


def test_security_headers_on_writes_and_errors(reg: Registry) -> None:
    bad = reg.client.post(f"{P}/passports", json={"document": []}, headers=reg.key("acme"))
    assert bad.status_code == 422 and bad.headers["x-content-type-options"] == "nosniff"
    login = reg.client.post("/operator/login", data={"key": STALE}, follow_redirects=False)
    assert (
        login.status_code == 401
        and "frame-ancestors 'none'" in login.headers["content-security-policy"]
    )


def test_docs_page_admits_only_its_own_inline_script(reg: Registry) -> None:
    r = reg.client.get(f"{P}/docs")
    csp = r.headers["content-security-policy"]
    scripts = re.findall(r"<script>(.*?)</script>", r.text, flags=re.S)
    assert len(scripts) == 1 and "'unsafe-inline'" not in csp
    digest = base64.b64encode(hashlib.sha256(scripts[0].encode()).digest()).decode()
    assert f"'sha256-{digest}'" in csp and "frame-ancestors 'none'" in csp


def test_pages_carry_no_inline_script_or_style(reg: Registry) -> None:
    _register(reg)
    for path in (f"/p/{BAT}", "/operator"):
        html = reg.client.get(path).text
        assert "<script" not in html and "<style" not in html and " style=" not in html, path
    css = reg.client.get("/static/registry.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")


# ------------------------------------------------------------------ stale key cookies


def test_stale_cookie_on_public_page_shows_public_view(reg: Registry) -> None:
    _register(reg)
    reg.client.cookies.set(KEY_COOKIE, STALE)
    r = reg.client.get(f"/p/{BAT}")
    assert r.status_code == 200 and BAT in r.text
    assert _cookie_cleared(r)


@pytest.mark.parametrize(
    "path", ["/operator", f"/operator/batteries/{BAT}", "/operator/ledger/acme"]
)
def test_stale_cookie_on_operator_pages_shows_login_form(reg: Registry, path: str) -> None:
    _register(reg)
    reg.client.cookies.set(KEY_COOKIE, STALE)
    r = reg.client.get(path)
    assert r.headers["content-type"].startswith("text/html"), r.text
    assert 'id="key"' in r.text and 'id="login"' in r.text  # the login form
    assert "sign in again" in r.text
    assert _cookie_cleared(r)


def test_bad_bearer_header_on_api_is_still_401(reg: Registry) -> None:
    _register(reg)
    r = reg.client.get(f"{P}/passports/{BAT}", headers={"Authorization": f"Bearer {STALE}"})
    assert r.status_code == 401 and r.json()["message"]


# ------------------------------------------------------------------ public base URL of the QR code


def test_qr_url_comes_from_public_base_url_not_host_header(db_url: str) -> None:
    reg = Registry(db_url)
    with TestClient(create_app(db_url, public_url="https://passports.example.org/")) as client:
        _register(reg, client)
        for host in ("127.0.0.1", "evil.example"):
            r = client.get(f"/p/{BAT}", headers={"Host": host})
            assert r.status_code == 200
            assert _qr_link(r.text) == f"https://passports.example.org/p/{BAT}"
            assert "evil" not in r.text
    reg.engine.dispose()


def test_public_base_url_from_environment_and_default(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENV_PUBLIC_URL, raising=False)
    reg = Registry(db_url)
    _register(reg)
    page = reg.client.get(f"/p/{BAT}", headers={"Host": "evil.example"}).text
    assert _qr_link(page) == f"{DEFAULT_PUBLIC_URL}/p/{BAT}"
    monkeypatch.setenv(ENV_PUBLIC_URL, "https://pass.example.com/registry")
    with TestClient(create_app(db_url)) as client:
        assert (
            _qr_link(client.get(f"/p/{BAT}").text) == f"https://pass.example.com/registry/p/{BAT}"
        )
    reg.engine.dispose()


@pytest.mark.parametrize(
    "bad",
    [
        "ftp://x.example",
        "passports.example.org",
        "https://",
        "https://x.example/?a=1",
        "https://x.example/#f",
    ],
)
def test_public_base_url_must_be_an_http_url(bad: str) -> None:
    with pytest.raises(InputError, match="public URL"):
        public_url(bad)


def test_serve_refuses_a_bad_public_url() -> None:
    from urbanmine.cli import app

    result = CliRunner().invoke(app, ["serve", "--db", "sqlite://", "--public-url", "ftp://x"])
    assert result.exit_code == 2 and "public URL" in result.output


# ------------------------------------------------------------------ lot identifiers


def test_lot_id_with_slash_is_refused_naming_allowed_characters(reg: Registry) -> None:
    recycler = reg.key("recycler")
    body = {
        "id": "bm/2027/01",
        "product": "black_mass",
        "inputs": [{"scrap": "electrode scrap", "elements_kg": {"Co": 10.0}}],
        "elements_kg": {"Co": 9.0},
        "time": "2027-06-01T08:00:00+00:00",
    }
    r = reg.client.post(f"{P}/lots", json=body, headers=recycler)
    assert r.status_code == 422
    message = r.json()["message"]
    assert (
        "bm/2027/01" in message
        and "A-Z a-z 0-9" in message
        and "/" not in message.split("allowed")[1]
    )
    with reg.sessions() as s:
        assert s.query(Lot).count() == 0
    body["id"] = "bm:2027-01_a.b~c"
    assert reg.client.post(f"{P}/lots", json=body, headers=recycler).status_code == 201
    assert reg.client.get(f"{P}/lots/bm:2027-01_a.b~c", headers=recycler).status_code == 200
