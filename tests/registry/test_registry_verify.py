"""``registry verify`` catches every edit of published state or write rights made with SQL and
never crashes on what it reads.

One registry per backend is built through the API (``verify_helpers.build``) and found intact;
each test edits it with SQL inside a transaction, runs ``verify`` in that transaction, expects a
break naming the edited subject and rolls the edit back.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from registry.registry_helpers import Registry, backends, fresh_database
from registry.verify_helpers import A2, A, B, C, D, build
from urbanmine.registry.verify import verify


@pytest.fixture(scope="module", params=backends())
def built(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Registry]:
    reg = Registry(fresh_database(request.param, tmp_path_factory.mktemp("verify")))
    build(reg)
    with reg.sessions.begin() as s:
        assert verify(s) == []
    yield reg
    reg.client.close()
    reg.engine.dispose()


def breaks(reg: Registry, *statements: str, **params: Any) -> list[tuple[str, int, str]]:
    """The breaks ``verify`` reports after ``statements``, which are then rolled back."""
    with reg.engine.connect() as conn:
        transaction = conn.begin()
        try:
            for statement in statements:
                used = {k: v for k, v in params.items() if f":{k}" in statement}
                conn.execute(text(statement), used)
            with Session(bind=conn) as s:
                return [(b.subject, b.seq, b.reason) for b in verify(s)]
        finally:
            transaction.rollback()


def subjects(reg: Registry, *statements: str) -> set[str]:
    return {subject for subject, _, _ in breaks(reg, *statements)}


PLACE_EDIT = "UPDATE events SET place = 'Elsewhere' WHERE client_event_id = 'l1s'"
"""An independent break elsewhere (lot L1): verify must still report it."""

EDITS = {
    "passport operator_id": (
        ["UPDATE passports SET operator_id = 'recycler' WHERE id = :c"],
        f"battery {C}",
    ),
    "passport custodian_id": (
        ["UPDATE passports SET custodian_id = 'recycler' WHERE id = :d"],
        f"battery {D}",
    ),
    "passport ship_to": (["UPDATE passports SET ship_to = 'refurb' WHERE id = :d"], f"battery {D}"),
    "passport status": (["UPDATE passports SET status = 'original' WHERE id = :b"], f"battery {B}"),
    "passport closed (reopened)": (
        ["UPDATE passports SET closed = NULL WHERE id = :b"],
        f"battery {B}",
    ),
    "passport superseded reopened": (
        ["UPDATE passports SET closed = NULL, status = 'original' WHERE id = :a"],
        f"battery {A}",
    ),
    "passport elements_kg": (
        ['UPDATE passports SET elements_kg = \'{"Co": 50.0, "Ni": 10.0}\' WHERE id = :a'],
        f"battery {A}",
    ),
    "successor elements_kg": (
        ['UPDATE passports SET elements_kg = \'{"Co": 50.0, "Ni": 10.0}\' WHERE id = :a2'],
        f"battery {A2}",
    ),
    "passport drawn": (["UPDATE passports SET drawn = '{}' WHERE id = :a"], f"battery {A}"),
    "passport predecessor_id removed": (
        ["UPDATE passports SET predecessor_id = NULL WHERE id = :c"],
        f"battery {C}",
    ),
    "passport predecessor_id added": (
        ["UPDATE passports SET predecessor_id = :a WHERE id = :d"],
        f"battery {D}",
    ),
    "successor predecessor_id": (
        ["UPDATE passports SET predecessor_id = :d WHERE id = :a2"],
        f"battery {A2}",
    ),
    "lot origins": (
        [
            'UPDATE lots SET origins = \'{"Co": {"post_consumer": 9.5, "pre_consumer": 9.5, '
            '"primary": 0.0}, "Ni": {"post_consumer": 0.0, "pre_consumer": 29.0, '
            "\"primary\": 0.0}}' WHERE id = 'L1'"
        ],
        "lot L1",
    ),
    "lot withdrawn": (["UPDATE lots SET withdrawn = '{}' WHERE id = 'L1'"], "lot L1"),
    "lot custodian_id": (
        ["UPDATE lots SET custodian_id = 'recycler' WHERE id = 'L1'"],
        "lot L1",
    ),
    "ledger line mass edited": (
        ["UPDATE epr_entries SET mass_kg = 1.0 WHERE kind = 'placed_on_market'"],
        "ledger",
    ),
    "ledger line year edited": (
        ["UPDATE epr_entries SET year = 2026 WHERE kind = 'collected' AND event_id IS NOT NULL"],
        "ledger",
    ),
    "declared line edited": (
        ["UPDATE epr_entries SET mass_kg = 6000.0 WHERE mass_kg = 600.0"],
        "ledger",
    ),
    "ledger line deleted": (["DELETE FROM epr_entries WHERE kind = 'placed_on_market'"], "ledger"),
    "declared line deleted": (["DELETE FROM epr_entries WHERE mass_kg = 600.0"], "ledger"),
    "ledger line inserted": (
        [
            "INSERT INTO epr_entries (producer_id, category, country, year, kind, mass_kg, "
            "declared) VALUES ('acme', 'ev', 'DE', 2027, 'collected', 5000.0, :yes)"
        ],
        "ledger",
    ),
    "ledger line copied onto its event": (
        [
            "INSERT INTO epr_entries (producer_id, category, country, year, kind, mass_kg, "
            "event_id, declared) SELECT producer_id, category, country, year, kind, mass_kg, "
            "event_id, declared FROM epr_entries WHERE kind = 'placed_on_market'"
        ],
        "ledger",
    ),
    "ledger line moved to another event": (
        [
            "UPDATE epr_entries SET event_id = (SELECT id FROM events WHERE client_event_id = "
            "'col') WHERE kind = 'placed_on_market'"
        ],
        "ledger",
    ),
    "passport deleted with its events (lot input)": (
        [
            f"DELETE FROM epr_entries WHERE event_id IN (SELECT id FROM events WHERE "
            f"subject_id = '{B}')",
            f"DELETE FROM events WHERE subject_id = '{B}'",
            f"DELETE FROM passports WHERE id = '{B}'",
        ],
        f"battery {B}",
    ),
    "successor deleted with its events": (
        [
            f"DELETE FROM events WHERE subject_id = '{A2}'",
            f"DELETE FROM passports WHERE id = '{A2}'",
        ],
        f"battery {A2}",
    ),
}


@pytest.mark.parametrize("edit", list(EDITS))
def test_every_edit_of_published_state_is_a_break(built: Registry, edit: str) -> None:
    statements, subject = EDITS[edit]
    found = breaks(built, *statements, a=A, b=B, c=C, d=D, a2=A2, yes=True)
    assert found, f"{edit}: no break"
    assert any(s.startswith(subject) for s, _, _ in found), found


def test_breaks_name_what_differs(built: Registry) -> None:
    [(subject, seq, reason)] = breaks(
        built, "UPDATE passports SET custodian_id = 'recycler' WHERE id = :d", d=D
    )
    assert subject == f"battery {D}" and seq == 1
    assert "custodian_id" in reason and "recycler" in reason and "acme" in reason


def test_deleted_passport_without_references_is_only_found_by_an_anchor(built: Registry) -> None:
    """D is named nowhere else: deleting it with its events leaves nothing to compare with."""
    deleted = (
        f"DELETE FROM events WHERE subject_id = '{D}'",
        f"DELETE FROM passports WHERE id = '{D}'",
    )
    assert breaks(built, *deleted) == []


# ---------------------------------------------------------------- verify never crashes
def both_found(reg: Registry, statement: str, subject: str) -> None:
    """``statement``'s break on ``subject`` and the independent one on lot L1 are reported."""
    found = subjects(reg, statement, PLACE_EDIT)
    assert subject in found and "lot L1" in found, found


CORRUPT = {
    "payload is a list": ("UPDATE events SET payload = '[1, 2]' WHERE client_event_id = 'bs'", B),
    "payload is a string": (
        "UPDATE events SET payload = '\"to recycler\"' WHERE client_event_id = 'bs'",
        B,
    ),
    "payload is JSON null": ("UPDATE events SET payload = 'null' WHERE client_event_id = 'bs'", B),
    "payload.to is a number": (
        "UPDATE events SET payload = '{\"to\": 7}' WHERE client_event_id = 'bs'",
        B,
    ),
    "registered payload elements_kg a list": (
        f'UPDATE events SET payload = \'{{"elements_kg": [1], "made_from": 3}}\' '
        f"WHERE subject_id = '{D}' AND seq = 1",
        D,
    ),
    "document is a list": (f"UPDATE passports SET document = '[]' WHERE id = '{D}'", D),
    "elements_kg is JSON null": (f"UPDATE passports SET elements_kg = 'null' WHERE id = '{D}'", D),
    "drawn is a number": (f"UPDATE passports SET drawn = '12' WHERE id = '{A}'", A),
    "payload number overflows": (
        "UPDATE events SET payload = '{\"to\": 1e999}' WHERE client_event_id = 'bs'",
        B,
    ),
    "seq is negative": (f"UPDATE events SET seq = -1 WHERE subject_id = '{D}' AND seq = 1", D),
    "passport row missing": (f"DELETE FROM passports WHERE id = '{D}'", D),
}


@pytest.mark.parametrize("case", list(CORRUPT))
def test_corrupt_rows_are_breaks_and_the_other_checks_still_run(built: Registry, case: str) -> None:
    statement, ident = CORRUPT[case]
    both_found(built, statement, f"battery {ident}")


INVALID_JSON = {
    "events.payload": ("UPDATE events SET payload = '{not json' WHERE client_event_id = 'bs'", B),
    "events.payload NaN": (
        "UPDATE events SET payload = '{\"to\": NaN}' WHERE client_event_id = 'bs'",
        B,
    ),
    "passports.document": (f"UPDATE passports SET document = '{{' WHERE id = '{D}'", D),
    "passports.drawn": (f"UPDATE passports SET drawn = 'nan-sense' WHERE id = '{A}'", A),
    "lots.spec": ("UPDATE lots SET spec = '{\"inputs\": ' WHERE id = 'L2'", None),
    "lots.origins": ("UPDATE lots SET origins = '}' WHERE id = 'L2'", None),
}


@pytest.mark.parametrize("case", list(INVALID_JSON))
def test_invalid_json_in_a_column_is_a_break(built: Registry, case: str) -> None:
    """SQLite stores any text in a JSON column (PostgreSQL's json type refuses invalid JSON)."""
    if built.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL refuses invalid JSON in json columns")
    statement, ident = INVALID_JSON[case]
    both_found(built, statement, f"battery {ident}" if ident else "lot L2")


def test_null_in_a_nullable_column_is_a_break(built: Registry) -> None:
    nulled = "UPDATE epr_entries SET event_id = NULL WHERE kind = 'placed_on_market'"
    found = subjects(built, nulled, PLACE_EDIT)
    assert "lot L1" in found and any(s.startswith("ledger") for s in found), found


def test_missing_lot_row_is_a_break(built: Registry) -> None:
    both_found(built, "DELETE FROM lots WHERE id = 'L2'", "lot L2")
