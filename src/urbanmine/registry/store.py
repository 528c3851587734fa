"""Database: SQLAlchemy 2 models, engine (SQLite in WAL mode or PostgreSQL via psycopg 3), Alembic.

The URL comes from ``--db``, else ``URBANMINE_DATABASE_URL``, else ``sqlite:///urbanmine-registry.db``.
``postgresql://`` URLs use the psycopg 3 driver.
"""

from __future__ import annotations

import os
import sqlite3
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    create_engine,
    event,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

from urbanmine.errors import InputError

DEFAULT_URL = "sqlite:///urbanmine-registry.db"
ENV_URL = "URBANMINE_DATABASE_URL"
READ_ONLY = "urbanmine_read_only"
"""Execution option of read-only sessions (see ``session_factory``)."""


def now() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class Operator(Base):
    """An economic operator (manufacturer, dismantler, recycler, refiner...) or the registry admin."""

    __tablename__ = "operators"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    urn_prefix: Mapped[str | None] = mapped_column(
        String(64), nullable=True, unique=True, index=True
    )
    """Namespace of the ``urn:<prefix>:<id>`` passport identifiers only this operator issues."""
    gbt_manufacturer: Mapped[str | None] = mapped_column(
        String(3), nullable=True, unique=True, index=True
    )
    """GB/T 34014 manufacturer code (a code's first 3 characters) only this operator issues."""


class ApiKey(Base):
    """An API key: public ``key_id`` to find it, argon2 hash of the whole key, operator and role."""

    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key_id: Mapped[str] = mapped_column(String(32), unique=True)
    key_hash: Mapped[str] = mapped_column(String(200))
    operator_id: Mapped[str] = mapped_column(ForeignKey("operators.id"))
    role: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    """The key is refused from this time on (``None``: it does not expire)."""
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    """When an admin revoked the key; the key is refused from then on."""


class Passport(Base):
    """One battery's passport: Battery Pass document plus registry state."""

    __tablename__ = "passports"
    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    operator_id: Mapped[str] = mapped_column(ForeignKey("operators.id"), index=True)
    """Responsible economic operator (Art. 77(4)); the producer for EPR."""
    custodian_id: Mapped[str] = mapped_column(ForeignKey("operators.id"))
    ship_to: Mapped[str | None] = mapped_column(String(64), nullable=True)
    category: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    predecessor_id: Mapped[str | None] = mapped_column(
        ForeignKey("passports.id"), nullable=True, index=True
    )
    closed: Mapped[str | None] = mapped_column(String(32), nullable=True)
    """Why the passport is read-only: ``recycled`` (Art. 77(8)) or ``superseded`` (new passport)."""
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    elements_kg: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    drawn: Mapped[dict[str, dict[str, float]]] = mapped_column(JSON, default=dict)
    """element -> origin -> kg taken from registered lots (recycled content by mass balance)."""
    head_seq: Mapped[int] = mapped_column(Integer, default=0)
    head_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class Lot(Base):
    """A lot of material (black mass, salt, precursor, cathode) with its element masses by origin."""

    __tablename__ = "lots"
    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    operator_id: Mapped[str] = mapped_column(ForeignKey("operators.id"), index=True)
    custodian_id: Mapped[str] = mapped_column(ForeignKey("operators.id"))
    ship_to: Mapped[str | None] = mapped_column(String(64), nullable=True)
    product: Mapped[str] = mapped_column(String(64))
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    """As submitted: inputs, elements_kg, tolerance (hashed into the lot's first event)."""
    origins: Mapped[dict[str, dict[str, float]]] = mapped_column(JSON)
    withdrawn: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    """element -> kg already taken from this lot by later lots and batteries."""
    head_seq: Mapped[int] = mapped_column(Integer, default=0)
    head_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class Event(Base):
    """Append-only, hash-chained per subject (battery or lot)."""

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("subject_type", "subject_id", "seq", name="uq_event_seq"),
        UniqueConstraint("operator_id", "client_event_id", name="uq_event_client_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subject_type: Mapped[str] = mapped_column(String(8))
    subject_id: Mapped[str] = mapped_column(String(128))
    seq: Mapped[int] = mapped_column(Integer)
    client_event_id: Mapped[str] = mapped_column(String(128))
    type: Mapped[str] = mapped_column(String(32))
    time: Mapped[str] = mapped_column(String(40))
    operator_id: Mapped[str] = mapped_column(ForeignKey("operators.id"))
    place: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    def record(self) -> dict[str, Any]:
        """The hashed content of the event (everything but the row id and the hashes)."""
        return {
            "subject_type": self.subject_type,
            "subject_id": self.subject_id,
            "seq": self.seq,
            "client_event_id": self.client_event_id,
            "type": self.type,
            "time": self.time,
            "operator_id": self.operator_id,
            "place": self.place,
            "payload": self.payload,
        }


class EprEntry(Base):
    """Producer-responsibility ledger line: kg placed on the market or collected."""

    __tablename__ = "epr_entries"
    __table_args__ = (Index("ix_epr_key", "producer_id", "category", "country", "year"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    producer_id: Mapped[str] = mapped_column(ForeignKey("operators.id"))
    category: Mapped[str] = mapped_column(String(16))
    country: Mapped[str] = mapped_column(String(2))
    year: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    mass_kg: Mapped[float] = mapped_column(Float)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"), nullable=True)
    declared: Mapped[bool] = mapped_column(Boolean, default=False)
    """True for aggregate declarations (not derived from one battery's event)."""


def database_url(url: str | None = None) -> str:
    """The URL to use: argument, else ``URBANMINE_DATABASE_URL``, else the default SQLite file."""
    url = url or os.environ.get(ENV_URL) or DEFAULT_URL
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


BACKENDS = ("sqlite", "postgresql")
"""Databases the registry runs on: SQLite files (embedded) and PostgreSQL (psycopg 3)."""
SQLITE_HEADER = b"SQLite format 3\x00"
"""The first 16 bytes of every SQLite database file (https://www.sqlite.org/fileformat.html)."""


def checked_url(url: str | None = None, must_exist: bool = False) -> str:
    """:func:`database_url`, refused with one message when it cannot name a registry database:
    a malformed URL, a backend other than SQLite or PostgreSQL, a SQLite path whose folder is
    missing, a folder, or a file that is not SQLite; with ``must_exist``, a SQLite file that does
    not exist yet (checked before anything would create it)."""
    url = database_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise InputError(
            f"database URL {url!r} cannot be read; allowed: sqlite:///PATH or "
            "postgresql://USER:PASSWORD@HOST/DB"
        ) from None
    shown = parsed.render_as_string(hide_password=True)
    backend = parsed.get_backend_name()
    if backend not in BACKENDS:
        raise InputError(
            f"database URL {shown!r}: {backend} is not supported; allowed: {', '.join(BACKENDS)}"
        )
    if backend == "sqlite" and parsed.database not in (None, "", ":memory:"):
        _check_sqlite_file(Path(parsed.database), shown, must_exist)
    return url


def _check_sqlite_file(path: Path, shown: str, must_exist: bool) -> None:
    if path.is_dir():
        raise InputError(f"database {shown!r}: {path} is a folder; give a file path")
    if not path.parent.is_dir():
        raise InputError(f"database {shown!r}: the folder {path.parent} does not exist")
    if not path.exists():
        if must_exist:
            raise InputError(
                f"database {shown!r} does not exist; create it with `urbanmine registry init "
                "--db URL`"
            )
        return
    try:
        with path.open("rb") as fh:
            head = fh.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise InputError(f"database {shown!r} cannot be read: {exc.strerror}") from None
    if head and head != SQLITE_HEADER:
        raise InputError(f"database {shown!r}: {path} is not a SQLite database file")
    if must_exist and not _has_registry(path):
        raise InputError(
            f"database {shown!r} holds no registry; create it with `urbanmine registry init "
            "--db URL`"
        )


def _has_registry(path: Path) -> bool:
    """Whether the SQLite file holds the registry's schema, read without changing the file (a
    read-only connection: no journal mode set, nothing created beside it)."""
    try:
        with sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True) as conn:
            found = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
            ).fetchone()
    except sqlite3.DatabaseError:
        return False
    return found is not None


def make_engine(url: str | None = None) -> Engine:
    """Engine for ``url``; SQLite files get WAL, foreign keys and ``BEGIN IMMEDIATE`` transactions."""
    url = database_url(url)
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: a process crash loses no commit
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(conn: Any) -> None:
        if conn.get_execution_options().get(READ_ONLY):
            conn.exec_driver_sql("BEGIN")  # deferred: a reader never waits for the writer (WAL)
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")  # one writer at a time, no upgrade deadlocks

    return engine


def session_factory(engine: Engine, read_only: bool = False) -> sessionmaker[Any]:
    """Sessions on ``engine``; ``read_only`` ones take no write lock on SQLite (plain ``BEGIN``)."""
    bind = engine.execution_options(**{READ_ONLY: True}) if read_only else engine
    return sessionmaker(bind, expire_on_commit=False)


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision shipped in ``registry/migrations``."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option(
        "script_location", str(resources.files("urbanmine.registry") / "migrations")
    )
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
