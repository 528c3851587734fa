"""Hostile input: every request the registry refuses is a 4xx JSON error naming the field, and
nothing is stored. Each case here was a 500 (or worse: stored, then a 500 on every read) before
the limits of ``registry.limits`` (docs/registry.md, "Limits and bad input").

Raw JSON bodies are written by hand: ``NaN``, ``Infinity``, ``1e999`` and ``"\\ud800"`` are what
a hostile client sends, and what Python's ``json`` accepts.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from registry.registry_helpers import Registry, document
from urbanmine.registry import service
from urbanmine.registry.domain import normalise_time
from urbanmine.registry.errors import Invalid
from urbanmine.registry.limits import MAX_BODY_BYTES, MAX_DEPTH, check_json
from urbanmine.registry.rules import registration
from urbanmine.registry.store import EprEntry, Event, Lot, Passport

P = "/api/v1"
BAT = "urn:acme:bat0001"
T = "2027-03-01T10:00:00+00:00"


class Hostile:
    """A registry with one battery of ``acme``, a client that answers 500 instead of raising,
    and raw JSON posting."""

    def __init__(self, reg: Registry) -> None:
        self.reg = reg
        self.client = TestClient(reg.client.app, raise_server_exceptions=False)
        self.key = reg.key("acme")
        r = self.client.post(f"{P}/passports", json={"document": document(BAT)}, headers=self.key)
        assert r.status_code == 201, r.text

    def post(self, path: str, body: str, method: str = "POST", headers: Any = None) -> Any:
        """Send ``body`` (JSON text, as written) to ``path`` as acme."""
        return self.client.request(
            method,
            f"{P}{path}",
            content=body.encode("utf-8", "surrogatepass"),
            headers={**self.key, "content-type": "application/json", **(headers or {})},
        )

    def key_headers(self) -> list[tuple[bytes, bytes]]:
        """acme's key as raw ASGI headers."""
        return [(b"authorization", self.key["Authorization"].encode())]

    def counts(self) -> tuple[int, ...]:
        """Rows stored: events, passports, lots, ledger lines."""
        with self.reg.sessions.begin() as s:
            return tuple(
                s.scalar(select(func.count()).select_from(t)) or 0
                for t in (Event, Passport, Lot, EprEntry)
            )


@pytest.fixture
def h(reg: Registry) -> Iterator[Hostile]:
    hostile = Hostile(reg)
    yield hostile
    hostile.client.close()


def refused(r: Any, status: int, *words: str) -> str:
    """The message of a refusal: ``status``, JSON ``{"message": ...}`` holding ``words``."""
    assert r.status_code == status, r.text
    message: str = r.json()["message"]
    for word in words:
        assert word in message, message
    return message


def nested(depth: int, leaf: str = '"x"') -> str:
    """JSON text of ``leaf`` inside ``depth`` arrays."""
    return "[" * depth + leaf + "]" * depth


def battery_event(cid: str, payload: str = "{}", time: str = T, place: str = '"Hamburg"') -> str:
    return (
        f'{{"client_event_id":"{cid}","type":"diagnosed","time":"{time}","place":{place},'
        f'"payload":{payload}}}'
    )


def events_batch(entry: str, subject: str = BAT) -> str:
    """An event batch of one battery event (JSON text of ``battery_event``) on ``subject``."""
    return '{"events":[' + entry[:-1] + f',"subject_id":"{subject}"' + "}]}"


def passports_batch(entry: str) -> str:
    return '{"passports":[' + entry + "]}"


def lot(inputs: str, elements: str = '{"Co": 1.0}', ident: str = "lot1", extra: str = "") -> str:
    return (
        f'{{"id":"{ident}","product":"black_mass","time":"{T}","inputs":{inputs},'
        f'"elements_kg":{elements}{extra}}}'
    )


def passport_text(ident: str, gpi_extra: str = "", extra: str = "") -> str:
    """A registration body with ``gpi_extra`` spliced into GeneralProductInformation."""
    doc = document(ident)
    text = json.dumps({"document": doc})
    if gpi_extra:
        text = text.replace('"batteryMass": 450.0', gpi_extra)
    return text[:-1] + extra + "}"


# ---------------------------------------------------------------- the pure check
def test_check_json_names_the_value() -> None:
    check_json({"a": [1, 2.5, "Ünïcödé \U0001f50b", None, True, {"b": nested(3)}]})
    with pytest.raises(Invalid, match=r"^body\.a\[1\]\.b: numbers must be finite"):
        check_json({"a": [0, {"b": float("nan")}]})
    check_json({"x": 10**300})  # integers are exact at any size: the published examples hold one
    with pytest.raises(Invalid, match=r"^body\.k\\ud800: a lone UTF-16 surrogate"):
        check_json({"k\ud800": 1})
    deep: Any = "x"
    for _ in range(MAX_DEPTH):
        deep = [deep]
    check_json(deep)  # the body itself is level 1: MAX_DEPTH levels in all
    with pytest.raises(
        Invalid, match=rf"^body(\[0\]){{{MAX_DEPTH}}}: nested deeper than {MAX_DEPTH}"
    ):
        check_json([deep])


# ---------------------------------------------------------------- nesting
def test_deep_nesting_refused_everywhere(h: Hostile) -> None:
    before = h.counts()
    view = h.client.get(f"{P}/passports/{BAT}", headers=h.key).json()
    for depth in (MAX_DEPTH, 260, 450, 5000):
        nesting_refused(h, depth)
    assert h.counts() == before
    assert h.client.get(f"{P}/passports", headers=h.key).status_code == 200
    assert h.client.get(f"{P}/passports/{BAT}", headers=h.key).json() == view


def nesting_refused(h: Hostile, depth: int) -> None:
    """A value nested ``depth`` levels deep in each kind of body is refused."""
    where = [
        (f"/passports/{BAT}/events", battery_event("deep", f'{{"d":{nested(depth)}}}')),
        (
            "/events/batch",
            events_batch(battery_event("deep", f'{{"d":{nested(depth)}}}')),
        ),
        ("/passports", passport_text("urn:acme:deep", f'"batteryMass": {nested(depth, "450")}')),
        (
            "/passports/batch",
            passports_batch(
                passport_text("urn:acme:deep", f'"batteryMass": {nested(depth, "450")}')
            ),
        ),
        ("/lots", lot(f'[{{"scrap":{nested(depth)},"elements_kg":{{"Co":1}}}}]')),
        ("/epr/entries", '{"kind":"collected","category":"ev","country":' + nested(depth) + "}"),
    ]
    for path, body in where:
        r = h.post(path, body)
        assert 400 <= r.status_code < 500, (path, r.status_code, r.text[:200])
        if depth > 100:
            refused(r, 422, f"nested deeper than {MAX_DEPTH} levels")
    put = passport_text(BAT, f'"batteryMass": {nested(depth, "450")}')
    r = h.post(f"/passports/{BAT}", put[:-1] + f',"client_event_id":"u1","time":"{T}"}}', "PUT")
    assert 400 <= r.status_code < 500, r.text[:200]


def test_nesting_within_the_limit_is_stored(h: Hostile) -> None:
    # body (1) > payload (2) > "d" (3): MAX_DEPTH - 3 arrays more reach the limit exactly
    r = h.post(f"/passports/{BAT}/events", battery_event("ok", f'{{"d":{nested(MAX_DEPTH - 2)}}}'))
    assert r.status_code == 201, r.text
    events = h.client.get(f"{P}/passports/{BAT}/events", headers=h.key)
    assert events.status_code == 200
    r = h.post(f"/passports/{BAT}/events", battery_event("ko", f'{{"d":{nested(MAX_DEPTH - 1)}}}'))
    refused(r, 422, "body.payload.d", f"nested deeper than {MAX_DEPTH}")


# ---------------------------------------------------------------- numbers
def test_non_finite_numbers_refused(h: Hostile) -> None:
    before = h.counts()
    for number in ("NaN", "Infinity", "-Infinity", "1e999", "-1e999"):
        for path, body, field in non_finite(number):
            refused(h.post(path, body), 422, field, "finite")
    assert h.counts() == before
    assert h.client.get(f"{P}/epr/acme/ledger", headers=h.key).json() == []


def non_finite(number: str) -> list[tuple[str, str, str]]:
    """(path, body, field) of each kind of body with ``number`` in ``field``."""
    return [
        (f"/passports/{BAT}/events", battery_event("n", f'{{"soh":{number}}}'), "payload.soh"),
        (
            "/events/batch",
            events_batch(battery_event("n", f'{{"soh":{number}}}')),
            "events[0].payload.soh",
        ),
        (
            "/passports",
            passport_text("urn:acme:n", f'"batteryMass": {number}'),
            "batteryMass",
        ),
        (
            "/passports/batch",
            passports_batch(passport_text("urn:acme:n", f'"batteryMass": {number}')),
            "passports[0].document.GeneralProductInformation.batteryMass",
        ),
        ("/lots", lot(f'[{{"scrap":"s","elements_kg":{{"Co":{number}}}}}]'), "elements_kg.Co"),
        (
            "/lots",
            lot('[{"scrap":"s","elements_kg":{"Co":1}}]', extra=f',"tolerance":{number}'),
            "tolerance",
        ),
        (
            "/epr/entries",
            f'{{"kind":"collected","category":"ev","country":"DE","year":2027,"mass_kg":{number}}}',
            "mass_kg",
        ),
    ]


def test_masses_beyond_any_real_one_refused(h: Hostile) -> None:
    """Finite, but their sum overflows to infinity (two lot inputs of 1.7e308 kg; EPR lines)."""
    before = h.counts()
    huge = '[{"scrap":"a","elements_kg":{"Co":1.7e308}},{"scrap":"b","elements_kg":{"Co":1.7e308}}]'
    refused(h.post("/lots", lot(huge)), 422, "inputs[0].elements_kg", "Co")
    epr = '{"kind":"placed_on_market","category":"ev","country":"DE","year":2027,"mass_kg":1.7e308}'
    refused(h.post("/epr/entries", epr), 422, "mass_kg")
    body = passport_text("urn:acme:h", '"batteryMass": 1.7e308')
    refused(h.post("/passports", body), 422, "batteryMass")
    assert h.counts() == before


def test_epr_rate_from_finite_declarations(h: Hostile) -> None:
    """The collection rate stays a number: 50 kg collected of 3 x 100 kg placed / 3 = 50 %."""
    for year, kind, kg in ((2025, "placed_on_market", 100), (2026, "placed_on_market", 100)):
        body = f'{{"kind":"{kind}","category":"ev","country":"DE","year":{year},"mass_kg":{kg}}}'
        assert h.post("/epr/entries", body).status_code == 201
    for kind, kg in (("placed_on_market", 100), ("collected", 50)):
        body = f'{{"kind":"{kind}","category":"ev","country":"DE","year":2027,"mass_kg":{kg}}}'
        assert h.post("/epr/entries", body).status_code == 201
    bad = '{"kind":"collected","category":"ev","country":"DE","year":2027,"mass_kg":1e999}'
    refused(h.post("/epr/entries", bad), 422, "mass_kg")
    rows = h.client.get(f"{P}/epr/acme/ledger", headers=h.key).json()
    assert rows[-1]["collection_rate_percent"] == pytest.approx(50.0)


# ---------------------------------------------------------------- text
SURROGATES = [
    (f"/passports/{BAT}/events", battery_event("s", '{"note":"\\ud800"}'), "payload.note"),
    (f"/passports/{BAT}/events", battery_event("s", '{"\\udc00":1}'), "payload"),
    (f"/passports/{BAT}/events", battery_event("s", place='"\\ud800x"'), "place"),
    (f"/passports/{BAT}/events", battery_event("\\ud800"), "client_event_id"),
    ("/passports", passport_text("urn:acme:s", '"batteryMass": "\\udfff"'), "batteryMass"),
    ("/lots", lot('[{"scrap":"\\ud800","elements_kg":{"Co":1}}]'), "inputs[0].scrap"),
    ("/lots", lot('[{"scrap":"s","elements_kg":{"Co":1}}]', ident="\\ud800"), "id"),
    (
        "/events/batch",
        events_batch(battery_event("s"), "\\ud800"),
        "events[0].subject_id",
    ),
]
"""(path, body, field) with a lone surrogate in ``field``."""


def test_lone_surrogates_refused(h: Hostile) -> None:
    before = h.counts()
    for path, body, field in SURROGATES:
        refused(h.post(path, body), 422, field, "surrogate")
    assert h.counts() == before


def test_surrogate_pairs_are_text(h: Hostile) -> None:
    """An escaped pair is one character (U+1F50B BATTERY), stored and read back."""
    r = h.post(f"/passports/{BAT}/events", battery_event("pair", place='"\\ud83d\\udd0b"'))
    assert r.status_code == 201, r.text
    assert r.json()["place"] == "\U0001f50b"


def test_operator_name_with_surrogate_refused(h: Hostile) -> None:
    r = h.post("/operators", '{"id":"x","name":"\\ud800"}', headers=h.reg.admin)
    refused(r, 422, "name", "surrogate")


def test_body_not_utf8_refused(h: Hostile) -> None:
    raw = battery_event("u").replace("Hamburg", "Hamb\udcffurg").encode("utf-8", "surrogateescape")
    r = h.client.post(
        f"{P}/passports/{BAT}/events",
        content=raw,
        headers={**h.key, "content-type": "application/json"},
    )
    refused(r, 400, "UTF-8")
    raw = battery_event("u", place='"\ud800"').encode("utf-8", "surrogatepass")  # CESU bytes
    r = h.client.post(
        f"{P}/passports/{BAT}/events",
        content=raw,
        headers={**h.key, "content-type": "application/json"},
    )
    refused(r, 400, "UTF-8")


def asgi_call(app: Any, scope: dict[str, Any], chunks: list[bytes]) -> tuple[int, bytes, int]:
    """Call ``app`` with ``scope`` and the body in ``chunks``: status, body, chunks read."""
    sent: list[dict[str, Any]] = []
    read = 0

    async def receive() -> dict[str, Any]:
        nonlocal read
        read += 1
        if read > len(chunks):
            return {"type": "http.disconnect"}
        return {"type": "http.request", "body": chunks[read - 1], "more_body": read < len(chunks)}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, body, min(read, len(chunks))


def scope(path: str, headers: list[tuple[bytes, bytes]], method: str = "GET") -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode("utf-8", "surrogatepass"),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver"), *headers],
        "server": ("testserver", 80),
        "client": ("testclient", 50000),
    }


def test_path_with_surrogate_refused(h: Hostile) -> None:
    """Servers decode paths with replacement characters; an ASGI caller may pass anything."""
    status, body, _ = asgi_call(h.client.app, scope(f"{P}/passports/\ud800", []), [b""])
    assert status == 400
    assert "surrogate" in json.loads(body)["message"]


def test_login_form_not_utf8(h: Hostile) -> None:
    r = h.client.post(
        "/operator/login",
        content=b"key=\xff\xfe",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 400
    assert "UTF-8" in r.text


# ---------------------------------------------------------------- times
OUT_OF_RANGE = [
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-01:00",
    "1989-12-31T23:59:59+00:00",
    "1990-01-01T00:30:00+01:00",  # 1989 in UTC
    "2101-01-01T00:00:00+00:00",
    "0050-06-01T00:00:00+00:00",
]


def test_times_outside_the_range_refused(h: Hostile) -> None:
    before = h.counts()
    for time in OUT_OF_RANGE:
        time_refused(h, time)
    assert h.counts() == before


def time_refused(h: Hostile, time: str) -> None:
    """``time`` is refused in each kind of body that has a time."""
    refused(h.post(f"/passports/{BAT}/events", battery_event("t", time=time)), 422, "time")
    batch = events_batch(battery_event("t", time=time))
    refused(h.post("/events/batch", batch), 422, "events[0]", "time")
    body = passport_text("urn:acme:t", extra=f',"time":"{time}"')
    refused(h.post("/passports", body), 422, "time")
    refused(h.post("/passports/batch", passports_batch(body)), 422, "passports[0]", "time")
    body = lot('[{"scrap":"s","elements_kg":{"Co":1}}]').replace(T, time)
    refused(h.post("/lots", body), 422, "time")
    put = passport_text(BAT)[:-1] + f',"client_event_id":"u","time":"{time}"}}'
    refused(h.post(f"/passports/{BAT}", put, "PUT"), 422, "time")


def test_time_range_edges() -> None:
    assert normalise_time("1990-01-01T00:00:00+00:00") == "1990-01-01T00:00:00.000000+00:00"
    assert normalise_time("2100-12-31T23:59:59.999999+00:00").startswith("2100-12-31T23:59:59")
    assert normalise_time("2101-01-01T00:30:00+01:00").startswith("2100-12-31T23:30")
    for bad in ("0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "2101-01-01T00:00Z"):
        with pytest.raises(Invalid, match="1990"):
            normalise_time(bad)


# ---------------------------------------------------------------- lots
WRONG_INPUTS = [
    ('[{"battery":["a","b"],"elements_kg":{"Co":1}}]', "inputs[0].battery"),
    ('[{"battery":{"id":"a"},"elements_kg":{"Co":1}}]', "inputs[0].battery"),
    ('[{"lot":["a"],"elements_kg":{"Co":1}}]', "inputs[0].lot"),
    ('[{"lot":7,"elements_kg":{"Co":1}}]', "inputs[0].lot"),
    ('[{"scrap":"s","elements_kg":[1,2]}]', "inputs[0].elements_kg"),
    ('[{"scrap":"s","elements_kg":"Co"}]', "inputs[0].elements_kg"),
    ('["scrap"]', "inputs"),
    ('[{"scrap":"s","elements_kg":{"Co":1},"weight":3}]', "inputs[0]"),
    (
        f'[{{"battery":"{BAT}","elements_kg":{{"Co":1}}}},'
        f'{{"battery":"{BAT}","elements_kg":{{"Co":1}}}}]',
        "inputs[1]",
    ),
]
"""(inputs, field): lot inputs of the wrong shape, the field the refusal names."""


def test_lot_inputs_of_the_wrong_shape_refused(h: Hostile) -> None:
    before = h.counts()
    for inputs, field in WRONG_INPUTS:
        refused(h.post("/lots", lot(inputs)), 422, field)
    assert h.counts() == before
    assert h.client.get(f"{P}/passports/{BAT}", headers=h.key).json()["closed"] is None


@pytest.mark.parametrize(
    ("made_from", "field"),
    [
        ([{"lot": ["a"], "elements_kg": {"Co": 1}}], "made_from[0].lot"),
        ([{"lot": "lot1", "elements_kg": [1]}], "made_from[0].elements_kg"),
        (["lot1"], "made_from[0]"),
        ([{"lot": "lot1", "elements_kg": {"Co": 1}, "share": 1}], "made_from[0]"),
    ],
)
def test_made_from_of_the_wrong_shape_refused(made_from: list[Any], field: str) -> None:
    """The API's pydantic bodies check this shape; the command line's import relies on the rules."""
    with pytest.raises(Invalid, match=re.escape(field)):
        registration({"document": document("urn:acme:m"), "made_from": made_from})


# ---------------------------------------------------------------- body size
def test_body_over_the_limit_refused_before_it_is_read(h: Hostile) -> None:
    declared = scope(
        f"{P}/events/batch",
        [(b"content-length", str(MAX_BODY_BYTES + 1).encode()), *h.key_headers()],
        "POST",
    )
    status, body, read = asgi_call(h.client.app, declared, [b"{"] * 4)
    assert (status, read) == (413, 0)
    assert str(MAX_BODY_BYTES) in json.loads(body)["message"]
    chunk = b" " * (1 << 20)  # streamed (chunked): counted as it comes, stopped past the limit
    n = MAX_BODY_BYTES // len(chunk) + 8
    streamed = scope(f"{P}/events/batch", h.key_headers(), "POST")
    status, body, read = asgi_call(h.client.app, streamed, [chunk] * n)
    assert status == 413
    assert read == MAX_BODY_BYTES // len(chunk) + 1
    assert "body" in json.loads(body)["message"]


def test_body_over_the_limit_through_a_client(h: Hostile) -> None:
    r = h.client.post(
        f"{P}/events/batch",
        content=b" " * (MAX_BODY_BYTES + 1),
        headers={**h.key, "content-type": "application/json"},
    )
    refused(r, 413, str(MAX_BODY_BYTES))


# ---------------------------------------------------------------- transactions
def test_failed_put_stores_nothing(h: Hostile) -> None:
    """A 260-level document used to be stored by PUT, then fail to serialise in the answer: a
    500 with the update committed, and every later read of the passport a 500."""
    before = h.counts()
    with h.reg.sessions.begin() as s:
        stored = s.get(Passport, BAT)
        assert stored is not None
        document_before, head = stored.document, stored.head_seq
    put = passport_text(BAT, f'"batteryMass": {nested(260, "450")}')
    r = h.post(f"/passports/{BAT}", put[:-1] + f',"client_event_id":"u1","time":"{T}"}}', "PUT")
    assert 400 <= r.status_code < 500, r.text[:200]
    with h.reg.sessions.begin() as s:
        stored = s.get(Passport, BAT)
        assert stored is not None
        assert (stored.document, stored.head_seq) == (document_before, head)
    assert h.counts() == before


def test_unexpected_errors_are_json_and_logged(
    h: Hostile, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*_: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(service, "get_passport", broken)
    with caplog.at_level(logging.ERROR, logger="urbanmine.registry"):
        r = h.client.get(f"{P}/passports/{BAT}")
    assert r.status_code == 500
    assert r.json() == {"message": "internal error; it has been logged"}
    assert "boom" in caplog.text


# ---------------------------------------------------------------- command line
def test_cli_import_refuses_what_the_api_refuses(tmp_path: Any) -> None:
    """The same limits on a file given to ``registry import``: one message, exit 2."""
    from typer.testing import CliRunner

    from urbanmine.cli import app

    runner = CliRunner()
    db = f"sqlite:///{tmp_path / 'r.db'}"
    runner.invoke(app, ["registry", "init", "--db", db])
    Registry(db).key("acme")
    src = tmp_path / "in.json"
    text = json.dumps([document("urn:acme:c1"), document("urn:acme:c2")])
    for bad, words in (
        ('"batteryMass": NaN', ("in.json[1].GeneralProductInformation.batteryMass", "finite")),
        ('"batteryMass": "\\ud800"', ("batteryMass", "surrogate")),
        (f'"batteryMass": {nested(40, "1")}', ("batteryMass", "nested deeper")),
    ):
        at = text.rindex('"batteryMass": 450.0')
        src.write_text(text[:at] + bad + text[at + len('"batteryMass": 450.0') :])
        r = runner.invoke(app, ["registry", "import", str(src), "--operator", "acme", "--db", db])
        assert r.exit_code == 2, r.output
        assert all(word in r.output for word in words), r.output
