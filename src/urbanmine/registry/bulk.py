"""Bulk writes of the batch path, per backend: event rows in, subject heads back.

Lookups by many ids use ``IN (...)`` on SQLite and ``= ANY(array)`` on PostgreSQL. SQLite: one
``executemany`` of plain tuples (the driver loops in C). PostgreSQL: ``COPY ... FROM
STDIN`` for the events and one ``UPDATE ... FROM unnest(...)`` for the subjects, on the session's
own connection, so both stay inside the caller's transaction. Both bypass SQLAlchemy's per-row
parameter processing, which costs more than the database does at these volumes; JSON columns are
therefore serialised here.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, String, any_, bindparam
from sqlalchemy.orm import Session

from urbanmine.registry.domain import RECORD

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


def among(s: Session, column: ColumnElement[str], values: Collection[str]) -> ColumnElement[bool]:
    """``column IN (values)``; on PostgreSQL ``column = ANY(array)``: one parameter, not thousands."""
    if _postgres(s):
        return column == any_(bindparam(None, list(values), type_=ARRAY(String)))
    return column.in_(values)


def insert_events(s: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert event rows (``rules.chain`` dicts) in one statement."""
    head, tail = itemgetter(*EVENT_COLUMNS[:8]), itemgetter(*EVENT_COLUMNS[9:])
    tuples = [(*head(r), json.dumps(r["payload"]), *tail(r)) for r in rows]
    columns = ", ".join(EVENT_COLUMNS)
    if _postgres(s):
        raw: Any = s.connection().connection.driver_connection
        with raw.cursor() as cur, cur.copy(f"COPY events ({columns}) FROM STDIN") as copy:
            for t in tuples:
                copy.write_row(t)
        return
    marks = ", ".join("?" * len(EVENT_COLUMNS))
    s.connection().exec_driver_sql(f"INSERT INTO events ({columns}) VALUES ({marks})", tuples)


def update_subjects(
    s: Session, table: str, columns: Sequence[str], rows: Sequence[dict[str, Any]]
) -> None:
    """Set ``columns`` of the rows of ``table`` (passports or lots) whose ``id`` is ``row["id"]``."""
    if _postgres(s):
        arrays = ", ".join(f"%s::{PG_TYPES[c]}[]" for c in columns)
        sets = ", ".join(f"{c} = v.{c}" for c in columns)
        sql = (
            f"UPDATE {table} AS t SET {sets} FROM unnest(%s::text[], {arrays}) "
            f"AS v(id, {', '.join(columns)}) WHERE t.id = v.id"
        )
        params = [[r["id"] for r in rows], *([r[c] for r in rows] for c in columns)]
        s.connection().exec_driver_sql(sql, tuple(params))
        return
    sets = ", ".join(f"{c} = ?" for c in columns)
    s.connection().exec_driver_sql(
        f"UPDATE {table} SET {sets} WHERE id = ?",
        [(*(r[c] for c in columns), r["id"]) for r in rows],
    )
