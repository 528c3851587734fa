"""Pages in headless Chromium (Playwright) against a real ``urbanmine serve`` on a free port.

Skipped when /usr/bin/chromium is missing, unless URBANMINE_REQUIRE_BROWSER=1 (CI), which fails.
The phone tests use a 390 x 844 CSS-pixel screen (a common phone width) and save their screenshots
under the test's tmp dir.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import make_url

from registry.registry_helpers import document, event, running_server
from registry.test_passport_display import published_document
from urbanmine.registry.keys import issue_key
from urbanmine.registry.store import Operator, make_engine, migrate, session_factory

BAT, NEW = "urn:acme:bat0100", "urn:storage:ess0100"
PUBLIC_URL = "https://passports.example.org"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True}
STALE = "um_0000000000000000_not-a-key-this-registry-issued"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A served registry with one battery repurposed into a second-life passport and a ledger."""
    url = f"sqlite:///{tmp_path_factory.mktemp('pages') / 'registry.db'}"
    engine = make_engine(url)
    migrate(engine)
    keys = {}
    with session_factory(engine).begin() as s:
        for op in ("acme", "storage-co"):
            s.add(Operator(id=op, name=op))
            s.flush()
            keys[op] = issue_key(s, op, "operator")
    engine.dispose()
    with running_server(url, options=("--public-url", PUBLIC_URL)) as server:
        _seed(server.base, keys)
        yield {"base": server.base, "keys": keys, "db": make_url(url).database}


def _seed(base: str, keys: dict[str, str]) -> None:
    acme = {"Authorization": f"Bearer {keys['acme']}"}
    store = {"Authorization": f"Bearer {keys['storage-co']}"}
    doc = document(BAT)
    doc["CarbonFootprintForBatteries"]["batteryCarbonFootprint"] = 61.2
    with httpx.Client(base_url=f"{base}/api/v1") as c:
        steps = [
            (c.post, "/passports", {"document": doc}, acme),
            (
                c.post,
                f"/passports/{BAT}/events",
                event("pom", "placed_on_market", country="DE"),
                acme,
            ),
            (c.post, f"/passports/{BAT}/events", event("inst", "installed"), acme),
            (c.post, f"/passports/{BAT}/events", event("shp", "shipped", to="storage-co"), acme),
            (c.post, f"/passports/{BAT}/events", event("rcv", "received"), store),
            (
                c.post,
                f"/passports/{BAT}/events",
                event("rep", "repurposed", new_passport_id=NEW),
                store,
            ),
        ]
        for method, path, body, key in steps:
            r = method(path, json=body, headers=key)
            assert r.status_code == 201, r.text
        r = c.post(
            "/epr/entries",
            json={
                "kind": "collected",
                "category": "ev",
                "country": "DE",
                "year": 2027,
                "mass_kg": 150.0,
            },
            headers=acme,
        )
        assert r.status_code == 201


def test_public_passport_page(browser: Any, site: dict[str, Any]) -> None:
    page = browser.new_page()
    response = page.goto(f"{site['base']}/p/{BAT}")
    assert response.status == 200
    assert page.locator("#passport-id").inner_text() == BAT
    svg = page.locator("#qr svg")
    assert svg.count() == 1 and svg.locator("path").count() >= 1
    # the configured public URL, not the address the browser used
    assert page.locator("#qr svg title").text_content() == f"QR code: {PUBLIC_URL}/p/{BAT}"
    fields = page.locator("#fields [data-field]").evaluate_all(
        "rows => rows.map(r => r.dataset.field)"
    )
    assert (
        "batteryCarbonFootprint" in fields and "batteryTechicalProperties.ratedCapacity" in fields
    )
    for hidden in (
        "batteryStatus",
        "batteryCondition.stateOfCertifiedEnergy",
        "resultOfTestReport",
        "puttingIntoService",
    ):
        assert hidden not in fields
    # repurposing tells the battery's status (Annex XIII 4(c)): not on the public page
    assert page.locator("#closed").count() == 0 and page.locator("a.successor").count() == 0
    page.goto(f"{site['base']}/p/{NEW}")
    assert page.locator("#passport-id").inner_text() == NEW
    page.close()


def test_unknown_passport_page_is_404(browser: Any, site: dict[str, Any]) -> None:
    page = browser.new_page()
    response = page.goto(f"{site['base']}/p/urn:acme:missing")
    assert response.status == 404 and "not found" in page.locator("#message").inner_text()
    page.close()


def test_operator_history_and_ledger(browser: Any, site: dict[str, Any]) -> None:
    from playwright.sync_api import expect

    page = browser.new_page()
    page.goto(f"{site['base']}/operator/batteries/{BAT}")
    assert "API key" in page.locator("#message").inner_text()  # not signed in: no history
    page.goto(f"{site['base']}/operator")
    page.fill("#key", site["keys"]["acme"])
    page.click("#login")
    assert page.locator("#whoami").inner_text() == "Signed in as acme (operator)"
    page.fill("#battery", BAT)
    page.click("#find-battery")
    history = ["registered", "placed_on_market", "installed", "shipped", "received", "repurposed"]
    expect(page.locator("#events td.type")).to_have_text(history)  # waits for the page's fetch
    page.goto(f"{site['base']}/operator")
    page.fill("#producer", "acme")
    page.click("#find-producer")
    # 450 kg placed on the market in 2027 (none in 2025-2026), 150 kg collected: 150 / (450 / 3) = 100 %
    expect(page.locator("#ledger td.rate")).to_have_text(["100.00 %"])
    page.close()


def _csp_violations(page: Any) -> list[str]:
    """Console messages of ``page`` (collected from now on) that report a blocked resource."""
    seen: list[str] = []
    page.on(
        "console",
        lambda m: (
            seen.append(m.text)
            if "Content Security Policy" in m.text or "Refused to" in m.text
            else None
        ),
    )
    return seen


def _check_phone_layout(page: Any, shot: Any) -> None:
    """No sideways scrolling on the 390-px screen; a full-page screenshot saved to ``shot``."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"page is {width} px wide on a 390-px screen"
    assert page.evaluate("document.body.scrollWidth") <= 390
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000


def test_public_page_on_a_phone(browser: Any, site: dict[str, Any], tmp_path: Any) -> None:
    context = browser.new_context(**PHONE)
    page = context.new_page()
    violations = _csp_violations(page)
    response = page.goto(f"{site['base']}/p/{BAT}")
    assert response.status == 200
    headers = response.headers
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY" and headers["referrer-policy"] == "no-referrer"
    _check_phone_layout(page, tmp_path / "passport-390.png")
    # the stylesheet applied (served by the app, allowed by the policy) and the QR code drawn
    assert page.evaluate("getComputedStyle(document.querySelector('.row dt')).fontWeight") == "600"
    box = page.locator("#qr svg").bounding_box()
    assert box and box["width"] >= 80 and box["x"] + box["width"] <= 390
    mass = page.locator('#fields [data-field="batteryMass"]')
    assert mass.locator("dt").is_visible() and mass.locator("dt").inner_text() == "Battery mass"
    assert mass.locator("dd").inner_text() == "450 kg"
    footprint = page.locator('#fields [data-field="batteryCarbonFootprint"] dd')
    assert footprint.inner_text() == "61.2 kg CO2e/kWh"
    assert page.locator("#category").inner_text() == "Electric vehicle battery"
    assert page.get_by_role("heading", name="General product information").is_visible()
    body = page.locator("#fields").inner_text()
    assert "batteryMass" not in body and '"' not in body
    assert violations == []
    context.close()


def test_published_examples_render_on_a_phone(
    browser: Any, site: dict[str, Any], tmp_path: Any
) -> None:
    """Every shape of the published example payloads, rendered by the page's template and served
    with the app's stylesheet and security policy."""
    from urbanmine.registry.display import sections
    from urbanmine.registry.headers import HEADERS, POLICY
    from urbanmine.registry.pages import qr_svg, templates

    doc = published_document()
    ident = doc["GeneralProductInformation"]["batteryPassportIdentifier"]
    view = {"id": ident, "category": "lmt", "operator": "acme", "successors": []}
    html = templates.env.get_template("passport.html").render(
        view=view,
        category="LMT battery",
        sections=sections(doc),
        qr=qr_svg(f"{PUBLIC_URL}/p/{ident}"),
        url=f"{PUBLIC_URL}/p/{ident}",
    )
    context = browser.new_context(**PHONE)
    page = context.new_page()
    violations = _csp_violations(page)
    page.route(
        f"{site['base']}/examples",
        lambda route: route.fulfill(
            body=html,
            content_type="text/html; charset=utf-8",
            headers={**HEADERS, "content-security-policy": POLICY},
        ),
    )
    page.goto(f"{site['base']}/examples")
    _check_phone_layout(page, tmp_path / "published-examples-390.png")
    for aspect in doc:
        assert page.locator(f'[data-aspect="{aspect}"] h3').is_visible()
    assert page.locator('[data-field="batteryMass"] dd').inner_text() == "699 kg"
    stage = page.locator('[data-field="carbonFootprintPerLifecycleStage"] td').first
    assert stage.inner_text() == "Raw material extraction"
    assert violations == []
    context.close()


def test_stale_key_cookie_shows_signed_out_pages(browser: Any, site: dict[str, Any]) -> None:
    context = browser.new_context()
    context.add_cookies([{"name": "um_key", "value": STALE, "url": site["base"]}])
    page = context.new_page()
    response = page.goto(f"{site['base']}/operator/batteries/{BAT}")
    assert response.headers["content-type"].startswith("text/html")
    assert (
        page.locator("#key").is_visible()
        and "sign in again" in page.locator("#message").inner_text()
    )
    assert [c for c in context.cookies() if c["name"] == "um_key"] == []
    context.add_cookies([{"name": "um_key", "value": STALE, "url": site["base"]}])
    response = page.goto(f"{site['base']}/p/{BAT}")
    assert response.status == 200 and page.locator("#passport-id").inner_text() == BAT
    assert [c for c in context.cookies() if c["name"] == "um_key"] == []
    context.close()
