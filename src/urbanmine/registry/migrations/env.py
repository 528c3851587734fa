"""Alembic environment: runs on the connection ``store.migrate`` hands over."""

from __future__ import annotations

from alembic import context

from urbanmine.registry.store import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata)
with context.begin_transaction():
    context.run_migrations()
