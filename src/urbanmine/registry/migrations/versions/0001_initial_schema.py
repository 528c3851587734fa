"""Initial registry schema: operators, API keys, passports, lots, events, EPR ledger.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "operators",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("key_hash", sa.String(length=200), nullable=False),
        sa.Column("operator_id", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["operators.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key_id"),
    )
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("subject_type", sa.String(length=8), nullable=False),
        sa.Column("subject_id", sa.String(length=128), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("client_event_id", sa.String(length=128), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("time", sa.String(length=40), nullable=False),
        sa.Column("operator_id", sa.String(length=64), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["operators.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("operator_id", "client_event_id", name="uq_event_client_id"),
        sa.UniqueConstraint("subject_type", "subject_id", "seq", name="uq_event_seq"),
    )
    op.create_table(
        "lots",
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("operator_id", sa.String(length=64), nullable=False),
        sa.Column("custodian_id", sa.String(length=64), nullable=False),
        sa.Column("ship_to", sa.String(length=64), nullable=True),
        sa.Column("product", sa.String(length=64), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("origins", sa.JSON(), nullable=False),
        sa.Column("withdrawn", sa.JSON(), nullable=False),
        sa.Column("head_seq", sa.Integer(), nullable=False),
        sa.Column("head_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["custodian_id"],
            ["operators.id"],
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["operators.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_lots_operator_id"), "lots", ["operator_id"], unique=False)
    op.create_table(
        "passports",
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("operator_id", sa.String(length=64), nullable=False),
        sa.Column("custodian_id", sa.String(length=64), nullable=False),
        sa.Column("ship_to", sa.String(length=64), nullable=True),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("predecessor_id", sa.String(length=128), nullable=True),
        sa.Column("closed", sa.String(length=32), nullable=True),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("elements_kg", sa.JSON(), nullable=False),
        sa.Column("drawn", sa.JSON(), nullable=False),
        sa.Column("head_seq", sa.Integer(), nullable=False),
        sa.Column("head_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["custodian_id"],
            ["operators.id"],
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["operators.id"],
        ),
        sa.ForeignKeyConstraint(
            ["predecessor_id"],
            ["passports.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_passports_operator_id"), "passports", ["operator_id"], unique=False)
    op.create_table(
        "epr_entries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("producer_id", sa.String(length=64), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("mass_kg", sa.Float(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("declared", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
        ),
        sa.ForeignKeyConstraint(
            ["producer_id"],
            ["operators.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_epr_key", "epr_entries", ["producer_id", "category", "country", "year"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_epr_key", table_name="epr_entries")
    op.drop_table("epr_entries")
    op.drop_index(op.f("ix_passports_operator_id"), table_name="passports")
    op.drop_table("passports")
    op.drop_index(op.f("ix_lots_operator_id"), table_name="lots")
    op.drop_table("lots")
    op.drop_table("events")
    op.drop_table("api_keys")
    op.drop_table("operators")
