"""Revocable and expiring API keys; identifier namespaces registered per operator.

``api_keys.revoked_at`` (set by ``DELETE /api/v1/operators/{op}/keys/{key_id}`` or ``urbanmine
registry key revoke``) and ``api_keys.expires_at`` (optional, set when the key is issued): every
request reads them with its key row, so a revoked or expired key is refused at once by every
worker process. Keys issued before this revision neither expire nor are revoked.

``operators.urn_prefix`` (the namespace of ``urn:<prefix>:<id>`` passport identifiers) and
``operators.gbt_manufacturer`` (the 3-character manufacturer code that opens a GB/T 34014 code):
set by the admin; an identifier in a namespace registered to another operator is refused.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ADD COLUMN and unique indexes: no table rebuild on SQLite (the operators table is
    # referenced by every other table)
    op.add_column("api_keys", sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("api_keys", sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("operators", sa.Column("urn_prefix", sa.String(64), nullable=True))
    op.add_column("operators", sa.Column("gbt_manufacturer", sa.String(3), nullable=True))
    op.create_index("ix_operators_urn_prefix", "operators", ["urn_prefix"], unique=True)
    op.create_index("ix_operators_gbt_manufacturer", "operators", ["gbt_manufacturer"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_operators_gbt_manufacturer", table_name="operators")
    op.drop_index("ix_operators_urn_prefix", table_name="operators")
    for table, column in (
        ("operators", "gbt_manufacturer"),
        ("operators", "urn_prefix"),
        ("api_keys", "expires_at"),
        ("api_keys", "revoked_at"),
    ):
        op.drop_column(table, column)  # SQLite >= 3.35 drops columns in place
