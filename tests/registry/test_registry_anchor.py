"""``registry anchor`` exports every chain's head; ``registry verify --against FILE`` finds a
history rewritten since (which ``verify`` alone cannot: the rewritten chain is consistent), a
shortened chain and a deleted subject; a malformed, changed or wrongly signed anchor is bad
input (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from registry.registry_helpers import Registry, event
from registry.verify_helpers import A2, A, C, D, P, build
from urbanmine.cli import app
from urbanmine.registry.domain import GENESIS, event_hash
from urbanmine.registry.verify import verify


@pytest.fixture
def built(reg: Registry) -> Registry:
    build(reg)
    return reg


def sql(reg: Registry, *statements: str) -> None:
    with reg.engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))


def breaks(reg: Registry) -> list[Any]:
    with reg.sessions.begin() as s:
        return verify(s)


runner = CliRunner()


def cli(*args: str, env: dict[str, str] | None = None) -> Any:
    return runner.invoke(app, ["registry", *args], env=env)


def rewrite_chain(reg: Registry, ident: str, place: str) -> None:
    """What someone with database access can do: edit an event and recompute every hash after it
    (and the head), so that the chain verifies on its own."""
    with reg.engine.begin() as conn:
        conn.execute(
            text("UPDATE events SET place = :p WHERE subject_id = :i AND seq = 1"),
            {"p": place, "i": ident},
        )
        rows = conn.execute(
            text(
                "SELECT id, subject_type, subject_id, seq, client_event_id, type, time, "
                "operator_id, place, payload FROM events WHERE subject_id = :i ORDER BY seq"
            ),
            {"i": ident},
        ).all()
        prev = GENESIS
        for row in rows:
            record = dict(row._mapping)
            row_id = record.pop("id")
            if isinstance(record["payload"], str):
                record["payload"] = json.loads(record["payload"])
            h = event_hash(record, prev)
            conn.execute(
                text("UPDATE events SET prev_hash = :p, hash = :h WHERE id = :id"),
                {"p": prev, "h": h, "id": row_id},
            )
            prev = h
        conn.execute(
            text("UPDATE passports SET head_hash = :h WHERE id = :i"), {"h": prev, "i": ident}
        )


def test_anchor_file(built: Registry, tmp_path: Path) -> None:
    out = tmp_path / "anchor.json"
    r = cli("anchor", "--db", built.url, "--out", str(out))
    assert r.exit_code == 0, r.output
    anchor = json.loads(out.read_text())
    assert anchor["heads"]["battery"][A2] == [1, anchor["heads"]["battery"][A2][1]]
    assert set(anchor["heads"]) == {"battery", "lot", "producer"}
    assert anchor["subjects"] == 5 + 2 + 1
    assert anchor["created_at"].endswith("+00:00") and anchor["signature"] is None
    assert len(anchor["digest"]) == 64
    ok = cli("verify", "--db", built.url, "--against", str(out), "--json")
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.output)["intact"] is True


def test_rewritten_history_is_found_against_the_anchor(built: Registry, tmp_path: Path) -> None:
    out = tmp_path / "anchor.json"
    assert cli("anchor", "--db", built.url, "--out", str(out)).exit_code == 0
    rewrite_chain(built, C, "Rewritten")
    assert breaks(built) == []  # without the anchor a full rewrite is invisible
    r = cli("verify", "--db", built.url, "--against", str(out), "--json")
    assert r.exit_code == 1
    found = json.loads(r.output)["breaks"]
    assert [(b["subject"], b["seq"]) for b in found] == [(f"battery {C}", 1)]
    assert "anchor" in found[0]["reason"]


def test_shortened_and_missing_chains_are_found_against_the_anchor(
    built: Registry, tmp_path: Path
) -> None:
    out = tmp_path / "anchor.json"
    assert cli("anchor", "--db", built.url, "--out", str(out)).exit_code == 0
    anchor = json.loads(out.read_text())
    seq_a = anchor["heads"]["battery"][A][0]
    sql(
        built,
        f"DELETE FROM events WHERE subject_id = '{D}'",
        f"DELETE FROM passports WHERE id = '{D}'",
        # A loses its last event; the head is set back so that the chain verifies on its own
        f"DELETE FROM events WHERE subject_id = '{A}' AND seq = {seq_a}",
        f"UPDATE passports SET head_seq = {seq_a - 1}, head_hash = (SELECT hash FROM events "
        f"WHERE subject_id = '{A}' AND seq = {seq_a - 1}) WHERE id = '{A}'",
    )
    r = cli("verify", "--db", built.url, "--against", str(out), "--json")
    assert r.exit_code == 1
    found = {(b["subject"], b["seq"]) for b in json.loads(r.output)["breaks"]}
    assert (f"battery {D}", 2) in found or any(s == f"battery {D}" for s, _ in found)
    assert (f"battery {A}", seq_a) in found


def test_later_events_keep_an_anchor_valid(built: Registry, tmp_path: Path) -> None:
    out = tmp_path / "anchor.json"
    assert cli("anchor", "--db", built.url, "--out", str(out)).exit_code == 0
    r = built.client.post(
        f"{P}/passports/{D}/events", json=event("late", "diagnosed"), headers=built.key("acme")
    )
    assert r.status_code == 201
    assert cli("verify", "--db", built.url, "--against", str(out)).exit_code == 0


def test_signed_anchor(built: Registry, tmp_path: Path) -> None:
    out = tmp_path / "anchor.json"
    env = {"URBANMINE_ANCHOR_KEY": "s3cret-anchor-key"}
    assert cli("anchor", "--db", built.url, "--out", str(out), env=env).exit_code == 0
    anchor = json.loads(out.read_text())
    assert anchor["signature"]["algorithm"] == "HMAC-SHA256"
    assert cli("verify", "--db", built.url, "--against", str(out), env=env).exit_code == 0
    wrong = cli(
        "verify", "--db", built.url, "--against", str(out), env={"URBANMINE_ANCHOR_KEY": "x"}
    )
    assert wrong.exit_code == 2 and "signature" in wrong.output
    anchor["created_at"] = "2020-01-01T00:00:00+00:00"
    out.write_text(json.dumps(anchor))
    assert cli("verify", "--db", built.url, "--against", str(out), env=env).exit_code == 2


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        "[]",
        '{"heads": {}}',
        '{"format": "urbanmine-registry-anchor/1", "created_at": "x", "subjects": 0, '
        '"heads": {"battery": {"a": [1]}}, "digest": "0", "signature": null}',
        "TAMPERED_DIGEST",
    ],
)
def test_malformed_anchor_is_bad_input(reg: Registry, tmp_path: Path, content: str) -> None:
    out = tmp_path / "anchor.json"
    if content == "TAMPERED_DIGEST":
        assert cli("anchor", "--db", reg.url, "--out", str(out)).exit_code == 0
        anchor = json.loads(out.read_text())
        anchor["heads"]["battery"]["urn:acme:x"] = [1, "f" * 64]
        anchor["subjects"] += 1
        content = json.dumps(anchor)
    out.write_text(content)
    r = cli("verify", "--db", reg.url, "--against", str(out))
    assert r.exit_code == 2, r.output
    assert "anchor" in r.output
    missing = cli("verify", "--db", reg.url, "--against", str(tmp_path / "none.json"))
    assert missing.exit_code == 2
