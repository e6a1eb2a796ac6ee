"""Stations read model and projection offsets.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stations",
        sa.Column("station_id", sa.String(48), primary_key=True),
        sa.Column("ocpp_version", sa.String(16)),
        sa.Column("vendor", sa.String(50)),
        sa.Column("model", sa.String(50)),
        sa.Column("serial_number", sa.String(50)),
        sa.Column("firmware_version", sa.String(50)),
        sa.Column("boot_reason", sa.String(40)),
        sa.Column("boot_status", sa.String(16)),
        sa.Column("boot_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_boot_at", sa.DateTime(timezone=True)),
        sa.Column("last_seen_at", sa.DateTime(timezone=True)),
        sa.Column("connected", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("gateway_id", sa.Text),
        sa.Column("connection_id", sa.Text),
        sa.Column("remote_address", sa.Text),
    )
    op.create_table(
        "projection_offsets",
        sa.Column("projection", sa.String(64), primary_key=True),
        sa.Column("topic", sa.String(255), primary_key=True),
        sa.Column("partition", sa.Integer, primary_key=True),
        sa.Column("next_offset", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("projection_offsets")
    op.drop_table("stations")
