"""CSMS-initiated calls: call history, 1.6 configuration keys, 2.0.1 device-model
variables, charging profiles, reservations, local authorization list versions.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "calls",
        sa.Column("call_id", sa.String(36), primary_key=True),
        sa.Column("station_id", sa.String(48), nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("payload", postgresql.JSONB, nullable=False),
        sa.Column("ocpp_version", sa.String(16)),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("sent_at", TS),
        sa.Column("answered_at", TS),
        sa.Column("ended_at", TS),
        sa.Column("response", postgresql.JSONB),
        sa.Column("error", postgresql.JSONB),
        sa.Column("late", sa.Boolean, nullable=False, server_default="false"),
        sa.Column("status_reason", sa.Text),
        sa.Column("connection_id", sa.Text),
    )
    op.create_index("calls_station_created", "calls", ["station_id", "created_at"])
    op.create_table(
        "station_configuration",
        sa.Column("station_id", sa.String(48), primary_key=True),
        sa.Column("key", sa.String(50), primary_key=True),
        sa.Column("value", sa.Text),
        sa.Column("readonly", sa.Boolean),
        sa.Column("reboot_required", sa.Boolean, nullable=False, server_default="false"),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "station_variables",
        sa.Column("station_id", sa.String(48), primary_key=True),
        sa.Column("component", sa.String(50), primary_key=True),
        sa.Column("component_instance", sa.String(50), primary_key=True, server_default=""),
        sa.Column("evse_id", sa.Integer, primary_key=True, server_default="0"),
        sa.Column("connector_id", sa.Integer, primary_key=True, server_default="0"),
        sa.Column("variable", sa.String(50), primary_key=True),
        sa.Column("variable_instance", sa.String(50), primary_key=True, server_default=""),
        sa.Column("attribute_type", sa.String(16), primary_key=True),
        sa.Column("value", sa.Text),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("reboot_required", sa.Boolean, nullable=False, server_default="false"),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "charging_profiles",
        sa.Column("station_id", sa.String(48), primary_key=True),
        sa.Column("evse_id", sa.Integer, primary_key=True),
        sa.Column("profile_id", sa.Integer, primary_key=True),
        sa.Column("stack_level", sa.Integer, nullable=False),
        sa.Column("purpose", sa.Text, nullable=False),
        sa.Column("profile", postgresql.JSONB, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "reservations",
        sa.Column("station_id", sa.String(48), primary_key=True),
        sa.Column("reservation_id", sa.Integer, primary_key=True),
        sa.Column("evse_id", sa.Integer),
        sa.Column("connector_id", sa.Integer),
        sa.Column("id_token", sa.String(36), nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "local_list_versions",
        sa.Column("station_id", sa.String(48), primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )


def downgrade() -> None:
    for table in ("local_list_versions", "reservations", "charging_profiles",
                  "station_variables", "station_configuration", "calls"):  # fmt: skip
        op.drop_table(table)
