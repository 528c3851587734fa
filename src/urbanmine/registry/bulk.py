"""Bulk writes of the batch path, per backend: event rows in, subject heads back.

Lookups by many ids use ``IN (SELECT value FROM json_each(?))`` on SQLite and ``= ANY(array)`` on
PostgreSQL. SQLite: one ``executemany`` of plain tuples (the driver loops in C). PostgreSQL:
``COPY ... FROM STDIN`` for the events and one ``UPDATE ... FROM unnest(...)`` with binary array
parameters for the subjects, on the session's own connection, so both stay inside the caller's
transaction. Both bypass SQLAlchemy's per-row
parameter processing, which costs more than the database does at these volumes; JSON columns are
therefore serialised here.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, String, any_, bindparam, func, select
from sqlalchemy.orm import Session

from urbanmine.registry.domain import RECORD, canonical_text

EVENT_COLUMNS = (*RECORD, "prev_hash", "hash")
"""Event columns written in bulk: the hashed record (payload at index 8), then the chain."""
PG_TYPES = {
    "custodian_id": "text",
    "ship_to": "text",
    "head_seq": "int",
    "head_hash": "text",
    "status": "text",
    "closed": "text",
}
"""PostgreSQL array element type of each subject column written back."""


def _postgres(s: Session) -> bool:
    return s.get_bind().dialect.name == "postgresql"


_head, _tail = itemgetter(*EVENT_COLUMNS[:8]), itemgetter(*EVENT_COLUMNS[9:])


def among(s: Session, column: ColumnElement[str], values: Collection[str]) -> ColumnElement[bool]:
    """``column = ANY(array)`` on PostgreSQL, ``column IN (SELECT value FROM json_each(?))`` on
    SQLite: one parameter, not thousands (SQLAlchemy renders each of those one by one)."""
    if _postgres(s):
        return column == any_(bindparam(None, list(values), type_=ARRAY(String)))
    listed = func.json_each(json.dumps(list(values))).table_valued("value")
    return column.in_(select(listed.c.value))


def insert_events(s: Session, rows: Sequence[tuple[Any, ...]]) -> None:
    """Insert event rows (tuples in ``EVENT_COLUMNS`` order, payload as JSON text) in one
    statement."""
    columns = ", ".join(EVENT_COLUMNS)
    if _postgres(s):
        raw: Any = s.connection().connection.driver_connection
        with raw.cursor() as cur, cur.copy(f"COPY events ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join("?" * len(EVENT_COLUMNS))
    s.connection().exec_driver_sql(f"INSERT INTO events ({columns}) VALUES ({marks})", rows)


def event_row(event: Mapping[str, Any]) -> tuple[Any, ...]:
    """An event's columns (``rules.chain``) as a row for ``insert_events``."""
    return (*_head(event), canonical_text(event["payload"]), *_tail(event))


def update_subjects(
    s: Session, table: str, columns: Sequence[str], rows: Sequence[dict[str, Any]]
) -> None:
    """Set ``columns`` of the rows of ``table`` (passports or lots) whose ``id`` is ``row["id"]``."""
    if _postgres(s):
        arrays = ", ".join(f"%b::{PG_TYPES[c]}[]" for c in columns)
        sets = ", ".join(f"{c} = v.{c}" for c in columns)
        sql = (
            f"UPDATE {table} AS t SET {sets} FROM unnest(%b::text[], {arrays}) "
            f"AS v(id, {', '.join(columns)}) WHERE t.id = v.id"
        )
        params = [[r["id"] for r in rows], *([r[c] for r in rows] for c in columns)]
        raw: Any = s.connection().connection.driver_connection
        with raw.cursor() as cur:  # %b: arrays in binary, not scanned item by item for quoting
            cur.execute(sql, params)
        return
    sets = ", ".join(f"{c} = ?" for c in columns)
    s.connection().exec_driver_sql(
        f"UPDATE {table} SET {sets} WHERE id = ?",
        [(*(r[c] for c in columns), r["id"]) for r in rows],
    )
