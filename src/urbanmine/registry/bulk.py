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

from sqlalchemy import JSON, ColumnElement, any_, cast, func, literal, select
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
    """``column IN (SELECT value FROM json_each(?))`` on SQLite, ``column = ANY(ARRAY(SELECT
    json_array_elements_text(?)))`` on PostgreSQL: one JSON text parameter, not thousands
    (SQLAlchemy renders each of those one by one) nor a text array (psycopg quotes those item by
    item)."""
    ids = json.dumps(list(values))
    if _postgres(s):  # ANY(ARRAY(...)): an index scan whatever the statistics say (IN may hash)
        listed = func.json_array_elements_text(cast(literal(ids), JSON)).table_valued("value")
        return column == any_(func.array(select(listed.c.value).scalar_subquery()))
    listed = func.json_each(ids).table_valued("value")
    return column.in_(select(listed.c.value))


def lock_subjects(
    s: Session, table: str, columns: Sequence[str], ids: Collection[str]
) -> list[Any]:
    """``columns`` of the rows of ``table`` whose id is in ``ids``, in id order, locked for the
    rest of the transaction on PostgreSQL (``FOR UPDATE``; in id order so that concurrent
    batches cannot deadlock). On SQLite ``BEGIN IMMEDIATE`` already made this the only writer.

    Through the driver's cursor: SQLAlchemy's result rows cost about 3 us per row more here.
    """
    listed = ", ".join(columns)
    ids_json = json.dumps(list(ids))
    if _postgres(s):
        sql = (
            f"SELECT {listed} FROM {table} WHERE id = ANY(ARRAY("
            "SELECT json_array_elements_text(%s::json))) ORDER BY id FOR UPDATE"
        )
        raw: Any = s.connection().connection.driver_connection
        with raw.cursor() as cur:
            cur.execute(sql, [ids_json])
            return cur.fetchall()
    sql = f"SELECT {listed} FROM {table} WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id"
    return list(s.connection().exec_driver_sql(sql, (ids_json,)))


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
