"""The PostgreSQL read-model tables (written by projections, read by the API): the contract
between the two.

Each table belongs to one projection (``projections/<model>.py`` names its tables); every
version of that projection has its own copy in schema ``<projection>_v<version>``, built
from these declarations, and schema ``public`` has a view of the same name onto the live
version's copy, which is what the API and the gateway read. Only :data:`STABLE` are tables
of ``public`` itself. The projections' names, for readers waiting on one:
:data:`STATIONS`, :data:`TOKENS`, :data:`TARIFFS`, :data:`BILLING`.
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
    Numeric,
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
TARIFFS = "tariffs"
"""The projection of ``tariffs`` (admin tariff events and stations' pricing settings)."""

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
    # What it is built with besides the code, e.g. a billing backfill's tariff override
    # (migration 0006; null: nothing).
    Column("params", JSONB),
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
Index("station_notifications_by_station", station_notifications.c.station_id,
      station_notifications.c.kind, station_notifications.c.at)
Index("transactions_station_wire_id", transactions.c.station_id, transactions.c.transaction_id)
Index("transactions_by_start", transactions.c.started_at, transactions.c.id)
Index("transactions_by_status", transactions.c.status, transactions.c.station_id)
Index("meter_values_by_transaction", meter_values.c.transaction_pk, meter_values.c.sampled_at)
Index("meter_values_by_station", meter_values.c.station_id, meter_values.c.sampled_at)
Index("calls_station_created", calls.c.station_id, calls.c.created_at)
Index("one_live_version", projection_versions.c.projection, unique=True,
      postgresql_where=projection_versions.c.status == "live")

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
Index("station_connections_by_station", station_connections.c.station_id,
      station_connections.c.connected_at)

# Tariffs (projections/tariffs.py): the operator's tariffs, every version of each, what they
# are assigned to, and the stations' pricing settings (StationConfigured time_zone and
# cost_messages). No migration: created from these declarations.

tariffs = Table(
    "tariffs",
    metadata,
    Column("tariff_id", String(36), primary_key=True),
    Column("version", Integer, nullable=False),
    # The newest version.
    Column("currency", String(3), nullable=False),
    Column("body", JSONB, nullable=False),
    # The newest version's OCPI Tariff object (schemas.tariffs.Tariff, JSON).
    Column("event_id", Uuid, nullable=False),
    # The TariffPublished event of the newest version (the API's write check).
    Column("deleted", Boolean, nullable=False, server_default="false"),
    Column("published_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

tariff_versions = Table(
    "tariff_versions",
    metadata,
    Column("tariff_id", String(36), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("currency", String(3), nullable=False),
    Column("body", JSONB, nullable=False),
    Column("event_id", Uuid, nullable=False),
    Column("published_at", DateTime(timezone=True), nullable=False),
)

tariff_assignments = Table(
    "tariff_assignments",
    metadata,
    Column("target_key", Text, primary_key=True),
    # "evse:<station>:<evse>", "station:<station>", "group:<group>" or "default"
    Column("target", Text, nullable=False),
    Column("station_id", String(STATION_ID_MAX_LENGTH)),
    Column("evse_id", Integer),
    Column("group_id", String(36)),
    Column("tariff_id", String(36), nullable=False),
    Column("assigned_at", DateTime(timezone=True), nullable=False),
)

station_pricing = Table(
    "station_pricing",
    metadata,
    Column("station_id", String(STATION_ID_MAX_LENGTH), primary_key=True),
    Column("time_zone", Text),
    Column("cost_messages", Boolean),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Billing (projections/billing.py): every session as rated, the readings it was rated from,
# the tariff versions that priced sessions, and the CDRs. Versions of this projection are
# how billing is re-rated (docs/BILLING.md, "Backfill").

BILLING = "billing"
"""The billing projection's name (``?projection_version=`` of the billing API)."""

billing_sessions = Table(
    "billing_sessions",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    # The CSMS transaction id.
    Column("station_id", String(STATION_ID_MAX_LENGTH), nullable=False),
    Column("transaction_id", String(36), nullable=False),
    Column("evse_id", Integer),
    Column("connector_id", Integer),
    Column("id_token", String(36)),
    Column("id_token_type", Text),
    Column("auth_method", Text, nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("stopped_at", DateTime(timezone=True)),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    # When the CSMS recorded the start (the backfill's seek point is found by it).
    Column("status", Text, nullable=False),
    # active, completed.
    Column("tariff_id", String(36)),
    Column("tariff_version", Integer),
    Column("assigned_by", Text),
    Column("time_zone", Text, nullable=False),
    Column("currency", String(3)),
    Column("meter", JSONB),
    # billing.rating.Meter of the session (null while unpriced).
    Column("cost_excl_vat", Numeric),
    Column("cost_incl_vat", Numeric),
    Column("energy_kwh", Numeric, nullable=False, server_default="0"),
    Column("charging_hours", Numeric, nullable=False, server_default="0"),
    Column("parking_hours", Numeric, nullable=False, server_default="0"),
    Column("cdr_id", Text),
    # The session's current CDR (the newest non-credit one).
    Column("corrections", Integer, nullable=False, server_default="0"),
    # How many times its CDR was corrected (a credit CDR and a new one each time).
    Column("stop_event_id", Uuid),
    # The TransactionEnded whose readings are the stop (a correction re-rates from them).
    Column("rerated", Boolean, nullable=False, server_default="false"),
    # Rated by a backfill's tariff override rather than the tariff the processor applied.
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

billing_readings = Table(
    "billing_readings",
    metadata,
    Column("session_id", BigInteger, primary_key=True),
    Column("event_id", Uuid, primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("energy_wh", Numeric),
    Column("power_w", Numeric),
    Column("current_a", Numeric),
    Column("charging", Boolean),
)

billing_tariffs = Table(
    "billing_tariffs",
    metadata,
    Column("tariff_id", String(36), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("body", JSONB, nullable=False),
)

cdrs = Table(
    "cdrs",
    metadata,
    Column("id", Text, primary_key=True),
    Column("transaction_pk", BigInteger, nullable=False),
    Column("station_id", String(STATION_ID_MAX_LENGTH), nullable=False),
    Column("evse_id", Integer),
    Column("connector_id", Integer),
    Column("id_token", String(36)),
    Column("auth_method", Text, nullable=False),
    Column("start_date_time", DateTime(timezone=True), nullable=False),
    Column("end_date_time", DateTime(timezone=True), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("tariff_id", String(36)),
    Column("tariff_version", Integer),
    Column("total_cost_excl_vat", Numeric, nullable=False),
    Column("total_cost_incl_vat", Numeric),
    Column("total_energy_kwh", Numeric, nullable=False),
    Column("total_time_hours", Numeric, nullable=False),
    Column("total_parking_hours", Numeric, nullable=False),
    Column("credit", Boolean, nullable=False, server_default="false"),
    Column("credit_reference_id", Text),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Column("body", JSONB, nullable=False),
    # The OCPI 2.2.1 CDR object (billing.cdr.Cdr, JSON).
)
Index("cdrs_by_end", cdrs.c.end_date_time, cdrs.c.id)
Index("cdrs_by_station", cdrs.c.station_id, cdrs.c.end_date_time)
Index("cdrs_by_token", cdrs.c.id_token, cdrs.c.end_date_time)
Index("cdrs_by_session", cdrs.c.transaction_pk)
Index("billing_sessions_by_start", billing_sessions.c.started_at)
Index(
    "billing_sessions_active_on",
    billing_sessions.c.station_id,
    billing_sessions.c.connector_id,
    postgresql_where=billing_sessions.c.status == "active",
)

# Audit (projections/audit.py): the index of the frames log, which frames and events belong
# to which transaction, and the per-station hash chain's signed checkpoints (docs/AUDIT.md).

AUDIT = "audit"
"""The audit projection's name."""

frames = Table(
    "frames",
    metadata,
    Column("topic", Text, primary_key=True),
    Column("partition", Integer, primary_key=True),
    Column("offset", BigInteger, primary_key=True),
    # Where the record is in the frames log (read from Kafka by these, never by a scan).
    Column("station_id", String(STATION_ID_MAX_LENGTH), nullable=False),
    Column("seq", BigInteger, nullable=False),
    # The record's place in its station's chain (1 = the station's first record).
    Column("kind", Text, nullable=False),
    # schemas.envelopes.RecordKind: frame, connected, disconnected, refused.
    Column("direction", Text, nullable=False),
    # in (station → CSMS), out (CSMS → station).
    Column("message_type", Integer),
    # OCPP-J MessageTypeId: 2 CALL, 3 CALLRESULT, 4 CALLERROR (null: not a readable frame).
    Column("message_id", Text),
    Column("action", Text),
    # The CALL's action; for an answer, the action of the call it answers where known.
    Column("at", DateTime(timezone=True), nullable=False),
    Column("connection_id", Text, nullable=False),
    Column("ocpp_version", Text, nullable=False),
    Column("verdict", Text, nullable=False),
    Column("link", Text, nullable=False),
    # audit.chain link after this record (hex).
)
Index("frames_by_station", frames.c.station_id, frames.c.seq)
Index("frames_by_station_time", frames.c.station_id, frames.c.at)
Index("frames_by_message", frames.c.station_id, frames.c.message_id)

frame_events = Table(
    "frame_events",
    metadata,
    Column("event_topic", Text, primary_key=True),
    Column("event_partition", Integer, primary_key=True),
    Column("event_offset", BigInteger, primary_key=True),
    # Where the domain event is in the events log.
    Column("causation_id", Text, nullable=False),
    # The frames-log position that caused it (schemas.envelopes.frame_causation), or the
    # command's id.
    Column("event_id", Uuid, nullable=False),
    Column("type", Text, nullable=False),
    Column("station_id", String(STATION_ID_MAX_LENGTH)),
    Column("transaction_pk", BigInteger),
    # The CSMS transaction the event belongs to, where it names one.
)
Index("frame_events_by_cause", frame_events.c.causation_id)
Index("frame_events_by_transaction", frame_events.c.transaction_pk)

chain_heads = Table(
    "chain_heads",
    metadata,
    Column("station_id", String(STATION_ID_MAX_LENGTH), primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("link", Text, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    # The last record chained (its frame time).
    Column("checkpointed_seq", BigInteger, nullable=False, server_default="0"),
    Column("checkpointed_at", DateTime(timezone=True)),
)

chain_checkpoints = Table(
    "chain_checkpoints",
    metadata,
    Column("station_id", String(STATION_ID_MAX_LENGTH), primary_key=True),
    Column("seq", BigInteger, primary_key=True),
    # audit.checkpoints.Checkpoint.count.
    Column("link", Text, nullable=False),
    Column("topic", Text, nullable=False),
    Column("partition", Integer, nullable=False),
    Column("offset", BigInteger, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("signature", Text, nullable=False),
    # Ed25519 over audit.checkpoints.Checkpoint.message(), hex.
    Column("key_id", Text, nullable=False),
    # SHA-256 (hex, first 16) of the signing key's public key (DER).
)

chain_keys = Table(
    "chain_keys",
    metadata,
    Column("key_id", Text, primary_key=True),
    # As chain_checkpoints.key_id.
    Column("public_key", Text, nullable=False),
    # The checkpoint signing key's public key, SubjectPublicKeyInfo PEM (Ed25519): what the
    # API serves, so no process but the projector ever reads the private key's file.
)

# Signed meter values (projections/signed_meter_values.py): the verdict on every signed sample
# (audit.signed_values), the meter keys registered per station, and each transaction's summary
# (docs/AUDIT.md, "Signed meter values").

SIGNED_METER_VALUES = "signed_meter_values"
"""The projection of the signed meter values (admin meter-key events land there)."""

meter_keys = Table(
    "meter_keys",
    metadata,
    Column("station_id", String(STATION_ID_MAX_LENGTH), primary_key=True),
    Column("key_id", String(64), primary_key=True),
    Column("public_key", Text, nullable=False),
    # DER SubjectPublicKeyInfo, hex.
    Column("curve", Text, nullable=False),
    Column("fingerprint", Text, nullable=False),
    # SHA-256 (hex, first 16) of the DER.
    Column("evse_id", Integer),
    Column("meter_serial", String(64)),
    Column("registered_at", DateTime(timezone=True), nullable=False),
    Column("event_id", Uuid, nullable=False),
)

signed_meter_values = Table(
    "signed_meter_values",
    metadata,
    Column("event_id", Uuid, primary_key=True),
    Column("seq", Integer, primary_key=True),
    # The MeterValuesReported event and the sample's index in it: meter_values' key.
    Column("station_id", String(STATION_ID_MAX_LENGTH), nullable=False),
    Column("transaction_pk", BigInteger),
    Column("transaction_id", String(36)),
    Column("evse_id", Integer),
    Column("sampled_at", DateTime(timezone=True), nullable=False),
    Column("measurand", Text, nullable=False),
    Column("context", Text, nullable=False),
    Column("source", Text, nullable=False),
    Column("signed_data", JSONB, nullable=False),
    # As the event holds it: 1.6 SignedData text, or the 2.0.1 signedMeterValue object.
    Column("plain_value", Text),
    Column("plain_unit", Text),
    Column("plain_multiplier", Integer),
    # The plain value reported next to it, as sent (what the signed reading is compared with).
    Column("verdict", Text, nullable=False),
    # verified, invalid, unverifiable.
    Column("reason", Text, nullable=False),
    Column("key_source", Text),
    # registered, frame (null: no key used).
    Column("key_id", String(64)),
    Column("key_fingerprint", Text),
    Column("algorithm", Text),
    Column("meter_serial", Text),
    Column("pagination", Text),
    Column("signed_reading", Text),
    # The signed reading compared, e.g. "2965.1 kWh".
)
Index("signed_meter_values_by_transaction", signed_meter_values.c.transaction_pk)
Index("signed_meter_values_by_station", signed_meter_values.c.station_id)

signed_meter_value_summaries = Table(
    "signed_meter_value_summaries",
    metadata,
    Column("transaction_pk", BigInteger, primary_key=True),
    Column("station_id", String(STATION_ID_MAX_LENGTH), nullable=False),
    Column("status", Text, nullable=False),
    # audit.signed_values.summarize: verified, invalid, unverifiable (unsigned: no row).
    Column("verified", Integer, nullable=False),
    Column("invalid", Integer, nullable=False),
    Column("unverifiable", Integer, nullable=False),
)

# --- OCPI partners (projection ocpi_partners; api/ocpi/partners.py, docs/OCPI.md) -------------

OCPI_PARTNERS = "ocpi_partners"
"""The projection of ``ocpi_partners`` (the OCPI partner registry's admin events)."""

ocpi_partners = Table(
    "ocpi_partners",
    metadata,
    Column("partner_id", String(36), primary_key=True),
    Column("name", Text),
    Column("status", Text, nullable=False),
    # invited (only their registration token A works) or registered (credentials exchanged).
    Column("token_hash", String(64), nullable=False),
    # SHA-256 (hex) of the credentials token they present to us: A while invited, then the
    # one we issued at registration. The token itself is never stored.
    Column("token_for_partner", Text),
    # The credentials token we present to them, encrypted (Fernet, CSMS_OCPI_TOKEN_KEY).
    Column("versions_url", Text),
    Column("version", Text),
    Column("endpoints", JSONB, nullable=False),
    # Their version details' endpoints: [{"identifier", "role", "url"}].
    Column("registered_by", Text),
    # partner (they POSTed to our credentials endpoint) or cpo (we POSTed to theirs).
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
Index("ocpi_partners_by_token", ocpi_partners.c.token_hash)

ocpi_partner_roles = Table(
    "ocpi_partner_roles",
    metadata,
    Column("partner_id", String(36), primary_key=True),
    Column("country_code", String(2), primary_key=True),
    Column("party_id", String(3), primary_key=True),
    Column("role", Text, primary_key=True),
    # OCPI 2.2.1 CredentialsRole: the party (upper case) and its Role (CPO, EMSP, ...).
    Column("business_details", JSONB, nullable=False),
)
Index("ocpi_partner_roles_by_party", ocpi_partner_roles.c.country_code,
      ocpi_partner_roles.c.party_id)  # fmt: skip

# --- OCPI tokens (projection ocpi_tokens; api/ocpi/tokens.py, docs/OCPI.md "Tokens") ---------

OCPI_TOKENS = "ocpi_tokens"
"""The projection of ``ocpi_tokens`` (tokens OCPI partners pushed: ``OcpiTokenUpserted``)."""

ocpi_tokens = Table(
    "ocpi_tokens",
    metadata,
    Column("country_code", String(2), primary_key=True),
    Column("party_id", String(3), primary_key=True),
    Column("uid_key", String(36), primary_key=True),
    # Token.uid upper-cased (OCPI CiString: "012abc" and "012ABC" are one token).
    Column("type", Text, primary_key=True),
    Column("partner_id", String(36), nullable=False),
    Column("token", JSONB, nullable=False),
    # The OCPI 2.2.1 Token object as stored (after a PATCH: merged), uid as last sent.
    Column("last_updated", DateTime(timezone=True), nullable=False),
)
Index("ocpi_tokens_by_uid", ocpi_tokens.c.uid_key)

# --- Locations (projection locations; api/routes/locations.py, api/ocpi/locations.py) -------

LOCATIONS = "locations"
"""The projection of ``locations`` (the operator's ``LocationPublished`` / ``LocationDeleted``)."""

locations = Table(
    "locations",
    metadata,
    Column("location_id", String(36), primary_key=True),
    Column("name", Text),
    Column("address", Text, nullable=False),
    Column("city", Text, nullable=False),
    Column("postal_code", Text),
    Column("state", Text),
    Column("country", String(3), nullable=False),
    Column("latitude", Text, nullable=False),
    Column("longitude", Text, nullable=False),
    Column("time_zone", Text, nullable=False),
    Column("body", JSONB, nullable=False),
    # The operator's location as entered (schemas.ocpi.locations.LocationIn, EVSEs included).
    Column("deleted", Boolean, nullable=False, server_default="false"),
    # Deleted: kept so partners see its EVSEs REMOVED (mod_locations §"Status enum").
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

location_evses = Table(
    "location_evses",
    metadata,
    Column("location_id", String(36), nullable=False),
    Column("evse_uid", String(36), primary_key=True),
    Column("station_id", String(STATION_ID_MAX_LENGTH), nullable=False),
    Column("evse_id", Integer, nullable=False),
    # The OCPP 2.0.1 EVSE id; for an OCPP 1.6 station the connector id.
    Column("ocpi_evse_id", Text),
    Column("connectors", JSONB, nullable=False),
    # schemas.ocpi.locations.ConnectorIn, as entered.
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
Index("location_evses_by_station_evse", location_evses.c.station_id, location_evses.c.evse_id,
      unique=True)  # fmt: skip
Index("location_evses_by_location", location_evses.c.location_id)
