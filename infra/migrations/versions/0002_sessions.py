"""Charging sessions: station registration columns, connectors, tokens,
transactions, meter values, station notifications.

The ``stations`` columns ``registration_status``, ``security_profile`` and
``password_hash`` are also read by the gateway for its handshake credential check.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("stations", sa.Column("registration_status", sa.Text, nullable=False,
                                        server_default="Accepted"))  # fmt: skip
    op.add_column("stations", sa.Column("security_profile", sa.Integer))
    op.add_column("stations", sa.Column("password_hash", sa.Text))
    op.create_check_constraint(
        "stations_registration_status", "stations",
        "registration_status IN ('Accepted', 'Pending', 'Rejected')",
    )  # fmt: skip
    op.create_check_constraint(
        "stations_security_profile", "stations", "security_profile IN (1, 2, 3)"
    )
    op.create_table(
        "connectors",
        sa.Column("station_id", sa.String(48), primary_key=True),
        sa.Column("evse_id", sa.Integer, primary_key=True),
        sa.Column("connector_id", sa.Integer, primary_key=True),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("status_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("error_code", sa.Text),
        sa.Column("info", sa.Text),
        sa.Column("vendor_id", sa.Text),
        sa.Column("vendor_error_code", sa.Text),
    )
    op.create_table(
        "tokens",
        sa.Column("id_token", sa.String(36), primary_key=True),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True)),
        sa.Column("group_id", sa.String(36)),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    _transactions()
    _meter_values()
    op.create_table(
        "station_notifications",
        sa.Column("event_id", sa.Uuid, primary_key=True),
        sa.Column("station_id", sa.String(48), nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("status", sa.Text),
        sa.Column("request_id", sa.Integer),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("details", postgresql.JSONB, nullable=False),
    )
    op.create_index("station_notifications_by_station", "station_notifications",
                    ["station_id", "kind", "at"])  # fmt: skip


def _transactions() -> None:
    op.create_table(
        "transactions",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("station_id", sa.String(48), nullable=False),
        sa.Column("transaction_id", sa.String(36), nullable=False),
        sa.Column("ocpp_version", sa.String(16), nullable=False),
        sa.Column("evse_id", sa.Integer),
        sa.Column("connector_id", sa.Integer),
        sa.Column("id_token", sa.String(36)),
        sa.Column("id_token_type", sa.Text),
        sa.Column("id_token_status", sa.Text),
        sa.Column("stop_id_token", sa.String(36)),
        sa.Column("started_at", sa.DateTime(timezone=True)),
        sa.Column("stopped_at", sa.DateTime(timezone=True)),
        sa.Column("meter_start_wh", sa.Float(precision=53)),
        sa.Column("meter_stop_wh", sa.Float(precision=53)),
        sa.Column("energy_wh", sa.Float(precision=53)),
        sa.Column("stop_reason", sa.Text),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("charging_state", sa.Text),
        sa.Column("reservation_id", sa.Integer),
        sa.Column("remote_start_id", sa.Integer),
        sa.Column("last_seq_no", sa.Integer),
        sa.Column("missing_seq_nos", postgresql.ARRAY(sa.Integer), nullable=False,
                  server_default="{}"),
        sa.Column("offline", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("anomalies", postgresql.ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('active', 'completed')", name="transactions_status"),
    )  # fmt: skip
    # Not unique: a station may reuse a wire id long after (its counter reset); the CSMS
    # ``id`` identifies a session.
    op.create_index("transactions_station_wire_id", "transactions",
                    ["station_id", "transaction_id"])  # fmt: skip
    op.create_index("transactions_by_start", "transactions", ["started_at", "id"])
    op.create_index("transactions_by_status", "transactions", ["status", "station_id"])


def _meter_values() -> None:
    op.create_table(
        "meter_values",
        sa.Column("event_id", sa.Uuid, primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("station_id", sa.String(48), nullable=False),
        sa.Column("transaction_pk", sa.BigInteger),
        sa.Column("transaction_id", sa.String(36)),
        sa.Column("evse_id", sa.Integer),
        sa.Column("connector_id", sa.Integer),
        sa.Column("sampled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("measurand", sa.Text, nullable=False),
        sa.Column("phase", sa.Text),
        sa.Column("context", sa.Text, nullable=False),
        sa.Column("location", sa.Text, nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("unit", sa.Text),
        sa.Column("multiplier", sa.Integer),
        sa.Column("canonical_value", sa.Float(precision=53)),
        sa.Column("canonical_unit", sa.Text),
        sa.Column("format", sa.Text),
        sa.Column("signed_data", postgresql.JSONB),
        sa.Column("source", sa.Text, nullable=False),
    )
    op.create_index("meter_values_by_transaction", "meter_values",
                    ["transaction_pk", "sampled_at"])  # fmt: skip
    op.create_index("meter_values_by_station", "meter_values", ["station_id", "sampled_at"])


def downgrade() -> None:
    for table in ("station_notifications", "meter_values", "transactions", "tokens", "connectors"):
        op.drop_table(table)
    op.drop_constraint("stations_security_profile", "stations")
    op.drop_constraint("stations_registration_status", "stations")
    for column in ("password_hash", "security_profile", "registration_status"):
        op.drop_column("stations", column)
