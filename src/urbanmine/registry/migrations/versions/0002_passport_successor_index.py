"""Index passports by predecessor: every passport read lists its successors.

Without it, ``GET /passports/{id}`` scans the whole passports table (seconds at a million).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        op.f("ix_passports_predecessor_id"), "passports", ["predecessor_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_passports_predecessor_id"), table_name="passports")
