"""The PostgreSQL read-model tables (written by projections, read by the API): the contract
between the two.

Each table belongs to one projection (``projections/<model>.py`` names its tables); every
version of that projection has its own copy in schema ``<projection>_v<version>``, built
from these declarations, and schema ``public`` has a view of the same name onto the live
version's copy, which is what the API and the gateway read. Only :data:`STABLE` are tables
of ``public`` itself. The projections' names, for readers waiting on one:
:data:`STATIONS`, :data:`TOKENS`.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Double,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from ocpp import STATION_ID_MAX_LENGTH

STATIONS = "stations"
"""The projection of ``stations`` (admin ``StationConfigured`` events land there)."""
TOKENS = "tokens"
"""The projection of ``tokens`` (admin token events land there)."""

metadata = MetaData()

stations = Table(
    "stations",
    metadata,
    Column("station_id", String(STATION_ID_MAX_LENGTH), primary_key=True),
    Column("ocpp_version", String(16)),
    Column("vendor", String(50)),
    Column("model", String(50)),
    Column("serial_number", String(50)),
    Column("firmware_version", String(50)),
    Column("boot_reason", String(40)),
    Column("boot_status", String(16)),
    Column("boot_count", Integer, nullable=False, server_default="0"),
    Column("last_boot_at", DateTime(timezone=True)),
    Column("last_seen_at", DateTime(timezone=True)),
    Column("connected", Boolean, nullable=False, server_default="false"),
    Column("gateway_id", Text),
    Column("connection_id", Text),
    Column("remote_address", Text),
    # Admin configuration; also read by the gateway's handshake credential check.
    Column("registration_status", Text, nullable=False, server_default="Accepted"),
    Column("security_profile", Integer),
    Column("password_hash", Text),  # schemas.credentials format; never served by the API
)

connectors = Table(
    "connectors",
    metadata,
    Column("station_id", String(STATION_ID_MAX_LENGTH), primary_key=True),
    Column("evse_id", Integer, primary_key=True),
    Column("connector_id", Integer, primary_key=True),
    Column("status", Text, nullable=False),
    Column("status_at", DateTime(timezone=True), nullable=False),
    Column("error_code", Text),
    Column("info", Text),
    Column("vendor_id", Text),
    Column("vendor_error_code", Text),
)

tokens = Table(
    "tokens",
    metadata,
    Column("id_token", String(36), primary_key=True),
    Column("type", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("expires_at", DateTime(timezone=True)),
    Column("group_id", String(36)),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

transactions = Table(
    "transactions",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("station_id", String(STATION_ID_MAX_LENGTH), nullable=False),
    Column("transaction_id", String(36), nullable=False),
    Column("ocpp_version", String(16), nullable=False),
    Column("evse_id", Integer),
    Column("connector_id", Integer),
    Column("id_token", String(36)),
    Column("id_token_type", Text),
    Column("id_token_status", Text),
    Column("stop_id_token", String(36)),
    Column("started_at", DateTime(timezone=True)),
    Column("stopped_at", DateTime(timezone=True)),
    Column("meter_start_wh", Double),
    Column("meter_stop_wh", Double),
    Column("energy_wh", Double),
    Column("stop_reason", Text),
    Column("status", Text, nullable=False),
    Column("charging_state", Text),
    Column("reservation_id", Integer),
    Column("remote_start_id", Integer),
    Column("last_seq_no", Integer),
    Column("missing_seq_nos", ARRAY(Integer), nullable=False, server_default="{}"),
    Column("offline", Boolean, nullable=False, server_default="false"),
    Column("anomalies", ARRAY(Text), nullable=False, server_default="{}"),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

meter_values = Table(
    "meter_values",
    metadata,
    Column("event_id", Uuid, primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("station_id", String(STATION_ID_MAX_LENGTH), nullable=False),
    Column("transaction_pk", BigInteger),
    Column("transaction_id", String(36)),
    Column("evse_id", Integer),
    Column("connector_id", Integer),
    Column("sampled_at", DateTime(timezone=True), nullable=False),
    Column("measurand", Text, nullable=False),
    Column("phase", Text),
    Column("context", Text, nullable=False),
    Column("location", Text, nullable=False),
    Column("value", Text, nullable=False),
    Column("unit", Text),
    Column("multiplier", Integer),
    Column("canonical_value", Double),
    Column("canonical_unit", Text),
    Column("format", Text),
    Column("signed_data", JSONB),
    Column("source", Text, nullable=False),
)

station_notifications = Table(
    "station_notifications",
    metadata,
    Column("event_id", Uuid, primary_key=True),
    Column("station_id", String(STATION_ID_MAX_LENGTH), nullable=False),
    Column("kind", Text, nullable=False),
    Column("status", Text),
    Column("request_id", Integer),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("details", JSONB, nullable=False),
)

# Stable bookkeeping of the projections, in schema ``public`` beside the views the API reads
# (docs/ARCHITECTURE.md, "Projection versions").

projection_versions = Table(
    "projection_versions",
    metadata,
    Column("projection", String(64), primary_key=True),
    Column("version", Integer, primary_key=True),
    # building (replaying the log), ready (caught up, followed), live (the API reads it)
    Column("status", Text, nullable=False),
    # The code that builds it (Projection.fingerprint); null: adopted by the next projector.
    Column("fingerprint", String(64)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("ready_at", DateTime(timezone=True)),
    Column("switched_at", DateTime(timezone=True)),
)

projection_offsets = Table(
    "projection_offsets",
    metadata,
    Column("projection", String(64), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("topic", String(255), primary_key=True),
    Column("partition", Integer, primary_key=True),
    Column("next_offset", BigInteger, nullable=False),
)

STABLE = (projection_versions, projection_offsets)
"""Tables of schema ``public`` itself; every other table here is a view there, onto the
live version of the projection that owns it."""

# CSMS-initiated calls (migration 0003).

calls = Table(
    "calls",
    metadata,
    Column("call_id", String(36), primary_key=True),
    Column("station_id", String(STATION_ID_MAX_LENGTH), nullable=False),
    Column("action", Text, nullable=False),
    Column("payload", JSONB, nullable=False),
    Column("ocpp_version", String(16)),
    # queued, sent, answered, rejected, timed_out, expired, cancelled (docs/CALLS.md)
    Column("status", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True)),
    Column("answered_at", DateTime(timezone=True)),
    Column("ended_at", DateTime(timezone=True)),
    Column("response", JSONB),
    Column("error", JSONB),
    Column("late", Boolean, nullable=False, server_default="false"),
    Column("status_reason", Text),
    Column("connection_id", Text),
)

station_configuration = Table(
    "station_configuration",
    metadata,
    Column("station_id", String(STATION_ID_MAX_LENGTH), primary_key=True),
    Column("key", String(50), primary_key=True),
    Column("value", Text),
    Column("readonly", Boolean),
    Column("reboot_required", Boolean, nullable=False, server_default="false"),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

station_variables = Table(
    "station_variables",
    metadata,
    Column("station_id", String(STATION_ID_MAX_LENGTH), primary_key=True),
    Column("component", String(50), primary_key=True),
    Column("component_instance", String(50), primary_key=True, server_default=""),
    Column("evse_id", Integer, primary_key=True, server_default="0"),
    Column("connector_id", Integer, primary_key=True, server_default="0"),
    Column("variable", String(50), primary_key=True),
    Column("variable_instance", String(50), primary_key=True, server_default=""),
    Column("attribute_type", String(16), primary_key=True),
    Column("value", Text),
    Column("status", Text, nullable=False),
    Column("reboot_required", Boolean, nullable=False, server_default="false"),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

charging_profiles = Table(
    "charging_profiles",
    metadata,
    Column("station_id", String(STATION_ID_MAX_LENGTH), primary_key=True),
    Column("evse_id", Integer, primary_key=True),
    Column("profile_id", Integer, primary_key=True),
    Column("stack_level", Integer, nullable=False),
    Column("purpose", Text, nullable=False),
    Column("profile", JSONB, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("source", Text, nullable=False, server_default="CSO"),
)

reservations = Table(
    "reservations",
    metadata,
    Column("station_id", String(STATION_ID_MAX_LENGTH), primary_key=True),
    Column("reservation_id", Integer, primary_key=True),
    Column("evse_id", Integer),
    Column("connector_id", Integer),
    Column("id_token", String(36), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("status", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

local_list_versions = Table(
    "local_list_versions",
    metadata,
    Column("station_id", String(STATION_ID_MAX_LENGTH), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


# Indexes the API's queries rely on (built by the migrations; declared here so that
# tests/infra/test_migrations.py can check the two agree).
Index(
    "station_notifications_by_station",
    station_notifications.c.station_id,
    station_notifications.c.kind,
    station_notifications.c.at,
)
Index("transactions_station_wire_id", transactions.c.station_id, transactions.c.transaction_id)
Index("transactions_by_start", transactions.c.started_at, transactions.c.id)
Index("transactions_by_status", transactions.c.status, transactions.c.station_id)
Index("meter_values_by_transaction", meter_values.c.transaction_pk, meter_values.c.sampled_at)
Index("meter_values_by_station", meter_values.c.station_id, meter_values.c.sampled_at)
Index("calls_station_created", calls.c.station_id, calls.c.created_at)
Index(
    "one_live_version",
    projection_versions.c.projection,
    unique=True,
    postgresql_where=projection_versions.c.status == "live",
)

# Station connections (projections/station_connections.py; no migration: a projection's first
# version is created from these declarations, docs/ADDING_A_READ_MODEL.md).

station_connections = Table(
    "station_connections",
    metadata,
    Column("connection_id", Text, primary_key=True),
    Column("station_id", String(STATION_ID_MAX_LENGTH), nullable=False),
    Column("gateway_id", Text, nullable=False),
    Column("ocpp_version", String(16), nullable=False),
    Column("remote_address", Text),
    Column("security_profile", Integer),
    Column("admitted_as", Text),
    Column("connected_at", DateTime(timezone=True), nullable=False),
    Column("disconnected_at", DateTime(timezone=True)),
    Column("close_reason", Text),
)
Index(
    "station_connections_by_station",
    station_connections.c.station_id,
    station_connections.c.connected_at,
)
