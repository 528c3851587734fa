"""Pages in headless Chromium (Playwright) against a real ``urbanmine serve`` on a free port.

Skipped when /usr/bin/chromium is missing, unless URBANMINE_REQUIRE_BROWSER=1 (CI), which fails.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import make_url

from registry.registry_helpers import document, event, running_server
from urbanmine.registry.keys import issue_key
from urbanmine.registry.store import Operator, make_engine, migrate, session_factory

CHROMIUM = "/usr/bin/chromium"
REQUIRED = os.environ.get("URBANMINE_REQUIRE_BROWSER") == "1"
BAT, NEW = "urn:acme:bat0100", "urn:storage:ess0100"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        if REQUIRED:
            pytest.fail(f"{CHROMIUM} is missing and URBANMINE_REQUIRE_BROWSER=1")
        pytest.skip(f"{CHROMIUM} not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield b
        b.close()


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
    with running_server(url) as server:
        _seed(server.base, keys)
        yield {"base": server.base, "keys": keys, "db": make_url(url).database}


def _seed(base: str, keys: dict[str, str]) -> None:
    acme = {"Authorization": f"Bearer {keys['acme']}"}
    store = {"Authorization": f"Bearer {keys['storage-co']}"}
    with httpx.Client(base_url=f"{base}/api/v1") as c:
        steps = [
            (c.post, "/passports", {"document": document(BAT)}, acme),
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
    assert f"/p/{BAT}" in (page.locator("#qr svg title").text_content() or "")
    fields = page.locator("#fields tbody tr").evaluate_all("rows => rows.map(r => r.dataset.field)")
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
