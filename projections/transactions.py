"""The ``transactions`` and ``meter_values`` read models.

Rows are keyed by what the events carry (the CSMS transaction ``id``; a meter value by its
event id and position), never by serials or ``now()``, so a rebuild from offset 0 writes
the same rows. Events of one transaction can arrive in any combination (an Updated or
Ended for a transaction never seen starting), so every apply is an upsert that keeps what
it does not know better.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from operator import itemgetter
from typing import Any
from uuid import UUID

import orjson
from psycopg import AsyncCursor
from psycopg.errors import UniqueViolation

from schemas.envelopes import EventEnvelope

TABLES = ("transactions", "meter_values")

_MERGE_ANOMALIES = (
    "ARRAY(SELECT DISTINCT a FROM unnest(t.anomalies || EXCLUDED.anomalies) a ORDER BY a)"
)

_COLUMNS = (
    "id", "station_id", "transaction_id", "ocpp_version", "evse_id", "connector_id", "id_token",
    "id_token_type", "id_token_status", "stop_id_token", "started_at", "stopped_at",
    "meter_start_wh", "meter_stop_wh", "energy_wh", "stop_reason", "status", "charging_state",
    "reservation_id", "remote_start_id", "last_seq_no", "missing_seq_nos", "offline",
    "anomalies", "updated_at",
)  # fmt: skip

# Anomalies are stored sorted and distinct whichever way a row is written (so one merged
# row and the rows it was merged from write the same value, see merge_updates).
_VALUES = {c: f"%({c})s" for c in _COLUMNS} | {
    "anomalies": "ARRAY(SELECT DISTINCT a FROM unnest(%(anomalies)s::text[]) a ORDER BY a)"
}
_INSERT = (
    f"INSERT INTO transactions AS t ({', '.join(_COLUMNS)}) "
    f"VALUES ({', '.join(_VALUES[c] for c in _COLUMNS)}) ON CONFLICT (id) DO UPDATE SET "
)


def _row(event: EventEnvelope, status: str, **values: Any) -> dict[str, Any]:
    d = event.data
    row: dict[str, Any] = {c: d.get(c) for c in _COLUMNS}
    row.update(station_id=event.station_id, status=status, updated_at=event.occurred_at,
               offline=bool(d.get("offline")), anomalies=list(d.get("anomalies") or []),
               missing_seq_nos=list(d.get("missing_seq_nos") or []), **values)  # fmt: skip
    return row


def _params(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "anomalies": array_literal(row["anomalies"]),
            "missing_seq_nos": array_literal(row["missing_seq_nos"])}  # fmt: skip


def array_literal(values: object) -> str:
    """A PostgreSQL array literal of ints or strings, sent as an untyped string that the
    column's type reads (psycopg's Python list adapter costs more than the whole statement
    on the hot path of TransactionUpdated)."""
    if not values:
        return "{}"
    assert isinstance(values, list)
    return "{" + ",".join(_element(v) for v in values) + "}"


def _element(value: object) -> str:
    if isinstance(value, int):
        return str(value)
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


async def on_started(cur: AsyncCursor[object], event: EventEnvelope) -> None:
    row = _row(event, "active", last_seq_no=event.data.get("seq_no"))
    await cur.execute(_INSERT + """
        started_at = EXCLUDED.started_at, meter_start_wh = EXCLUDED.meter_start_wh,
        id_token = COALESCE(t.id_token, EXCLUDED.id_token),
        id_token_type = COALESCE(t.id_token_type, EXCLUDED.id_token_type),
        id_token_status = COALESCE(t.id_token_status, EXCLUDED.id_token_status),
        reservation_id = EXCLUDED.reservation_id, remote_start_id = EXCLUDED.remote_start_id
        """, _params(row))  # fmt: skip


def updated_row(event: EventEnvelope) -> dict[str, Any]:
    return _row(event, "active")


def merge_updates(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """One row whose write has the effect of writing ``a`` then ``b`` (two TransactionUpdated
    of one transaction), clause by clause of :func:`write_updated`: on insert the columns it
    does not update keep ``a``'s values; ``COALESCE(EXCLUDED, t)`` keeps the latest non-null,
    ``COALESCE(t, EXCLUDED)`` the first; ``EXCLUDED`` takes ``b``; ``offline`` ORs; anomalies
    are the union (normalised by the statement)."""
    merged = dict(a)
    for column in ("evse_id", "connector_id", "id_token_status", "charging_state"):
        merged[column] = a[column] if b[column] is None else b[column]
    for column in ("id_token", "id_token_type"):
        merged[column] = b[column] if a[column] is None else a[column]
    merged.update(last_seq_no=b["last_seq_no"], missing_seq_nos=b["missing_seq_nos"],
                  offline=a["offline"] or b["offline"],
                  anomalies=[*a["anomalies"], *b["anomalies"]], updated_at=b["updated_at"])
    return merged


async def write_updated(cur: AsyncCursor[object], row: dict[str, Any]) -> None:
    await cur.execute(_INSERT + f"""
        evse_id = COALESCE(EXCLUDED.evse_id, t.evse_id),
        connector_id = COALESCE(EXCLUDED.connector_id, t.connector_id),
        id_token = COALESCE(t.id_token, EXCLUDED.id_token),
        id_token_type = COALESCE(t.id_token_type, EXCLUDED.id_token_type),
        id_token_status = COALESCE(EXCLUDED.id_token_status, t.id_token_status),
        charging_state = COALESCE(EXCLUDED.charging_state, t.charging_state),
        last_seq_no = EXCLUDED.last_seq_no, missing_seq_nos = EXCLUDED.missing_seq_nos,
        offline = t.offline OR EXCLUDED.offline, anomalies = {_MERGE_ANOMALIES},
        updated_at = EXCLUDED.updated_at
        """, _params(row))  # fmt: skip


async def on_ended(cur: AsyncCursor[object], event: EventEnvelope) -> None:
    row = _row(event, "completed")
    await cur.execute(_INSERT + f"""
        evse_id = COALESCE(EXCLUDED.evse_id, t.evse_id),
        connector_id = COALESCE(EXCLUDED.connector_id, t.connector_id),
        stopped_at = EXCLUDED.stopped_at,
        meter_start_wh = COALESCE(EXCLUDED.meter_start_wh, t.meter_start_wh),
        meter_stop_wh = EXCLUDED.meter_stop_wh, energy_wh = EXCLUDED.energy_wh,
        stop_reason = EXCLUDED.stop_reason, stop_id_token = EXCLUDED.stop_id_token,
        status = 'completed',
        charging_state = COALESCE(EXCLUDED.charging_state, t.charging_state),
        last_seq_no = COALESCE(EXCLUDED.last_seq_no, t.last_seq_no),
        missing_seq_nos = EXCLUDED.missing_seq_nos,
        offline = t.offline OR EXCLUDED.offline, anomalies = {_MERGE_ANOMALIES},
        updated_at = EXCLUDED.updated_at
        """, _params(row))  # fmt: skip


_SAMPLE_COLUMNS = (
    "sampled_at", "measurand", "phase", "context", "location", "value", "unit", "multiplier",
    "canonical_value", "canonical_unit", "format", "signed_data",
)  # fmt: skip
_MV_COLUMNS = ("event_id", "seq", "station_id", "transaction_pk", "transaction_id", "evse_id",
               "connector_id", *_SAMPLE_COLUMNS, "source")  # fmt: skip
_MV_LIST = ", ".join(_MV_COLUMNS)


def meter_value_lines(event: Mapping[str, Any], plain: bool) -> list[str]:
    """The ``meter_values`` rows of one ``MeterValuesReported`` as COPY text lines (in
    ``_MV_COLUMNS`` order), from the event's decoded JSON: the projector's hot path in a
    rebuild, where half the events are meter values. ``plain``: no string of the event holds
    a character COPY escapes (true when its JSON text has no backslash, since JSON escapes
    each of them). Raises ``KeyError``, ``TypeError`` or ``ValueError`` on an event without
    the fields it needs."""
    fields = _plain_fields if plain else _escaped_fields
    d = event["data"]
    event_id = str(UUID(event["event_id"]))
    station, source = _text(event["station_id"]), _text(d["source"])
    ids = fields([station, d.get("id"), d.get("transaction_id"), d.get("evse_id"),
                  d.get("connector_id")])  # fmt: skip
    tail = copy_field(source)
    return [
        f"{event_id}\t{seq}\t{ids}\t{fields(_SAMPLE_FIELDS(s))}\t{tail}\n"
        for seq, s in enumerate(d["samples"])
    ]


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {value!r}")
    return value


def _escaped_fields(values: Sequence[object]) -> str:
    return "\t".join([copy_field(v) for v in values])


def _plain_fields(values: Sequence[object]) -> str:
    """:func:`_escaped_fields` of values whose strings need no escape, inlined (this runs
    for every meter value)."""
    return "\t".join([
        v if isinstance(v, str) else "\\N" if v is None
        else repr(v) if v.__class__ in _NUMBERS else copy_field(v)
        for v in values
    ])  # fmt: skip


_NUMBERS = (int, float)
_SAMPLE_FIELDS = itemgetter(*_SAMPLE_COLUMNS)
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_field(value: object) -> str:
    """One field of PostgreSQL's COPY text format: ``\\N`` for null, special characters
    escaped, objects (``signed_data``) as JSON."""
    if value is None:
        return "\\N"
    if isinstance(value, str):
        return value.translate(_COPY_ESCAPES)
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, int | float):
        return repr(value)
    return orjson.dumps(value).decode().translate(_COPY_ESCAPES)


async def insert_meter_values(cur: AsyncCursor[object], lines: list[str]) -> None:
    """Append a batch's meter values in one COPY. ``meter_values`` is written by nothing
    else, so its rows may go in after the batch's other statements. A row already present
    (an event the log holds twice) fails the direct COPY; the batch's rows then go through a
    per-session staging table and the rows already present are skipped."""
    if not lines:
        return
    data = "".join(lines).encode()
    try:
        async with cur.connection.transaction():
            await _copy(cur, "meter_values", data)
    except UniqueViolation:
        await cur.execute(
            "CREATE TEMP TABLE IF NOT EXISTS meter_values_stage"
            " (LIKE meter_values INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
        )
        await _copy(cur, "meter_values_stage", data)
        await cur.execute(
            f"INSERT INTO meter_values ({_MV_LIST}) SELECT {_MV_LIST} FROM meter_values_stage"
            " ON CONFLICT (event_id, seq) DO NOTHING"
        )


async def _copy(cur: AsyncCursor[object], table: str, data: bytes) -> None:
    async with cur.copy(f"COPY {table} ({_MV_LIST}) FROM STDIN") as copy:
        await copy.write(data)
