"""Leave room in passport and lot pages on PostgreSQL, so head updates stay on their page.

Every event rewrites its subject's head (``head_seq``, ``head_hash``). With full pages
(PostgreSQL's default fillfactor 100) each rewrite moves the row to another page and inserts a
new entry into every index of the table; with free room on the page PostgreSQL makes a heap-only
tuple (HOT) update instead, which touches no index. Measured in batch ingest on 20,000
passports: the heads' update fell from 20-22 to 11-13 us per event at fillfactor 60
(docs/performance.md). Pages written before the upgrade keep their layout until the table is
rewritten (``VACUUM FULL passports``). SQLite has no fillfactor: nothing to do there.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SUBJECT_FILLFACTOR = 60
"""Percent of each heap page filled on insert, the rest left for HOT updates of the heads."""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in ("passports", "lots"):
            op.execute(f"ALTER TABLE {table} SET (fillfactor = {SUBJECT_FILLFACTOR})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in ("passports", "lots"):
            op.execute(f"ALTER TABLE {table} RESET (fillfactor)")
