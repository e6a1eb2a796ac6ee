"""The PostgreSQL read-model tables (written by projections, read by the API).

The DDL lives in Alembic migrations (infra/migrations); these Core tables describe the same
columns for the services that query them.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

stations = Table(
    "stations",
    metadata,
    Column("station_id", String(48), primary_key=True),
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
)

projection_offsets = Table(
    "projection_offsets",
    metadata,
    Column("projection", String(64), primary_key=True),
    Column("topic", String(255), primary_key=True),
    Column("partition", Integer, primary_key=True),
    Column("next_offset", BigInteger, nullable=False),
)
