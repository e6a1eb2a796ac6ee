"""The ``transactions`` projection: the ``transactions`` and ``meter_values`` tables.

Rows are keyed by what the events carry (the CSMS transaction ``id``; a meter value by its
event id and position), never by serials or ``now()``, so a rebuild from offset 0 writes
the same rows. Events of one transaction can arrive in any combination (an Updated or
Ended for a transaction never seen starting), so every apply is an upsert that keeps what
it does not know better.
"""

from __future__ import annotations

import functools
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from operator import itemgetter
from typing import Any, LiteralString
from uuid import UUID

import orjson
from psycopg.errors import UniqueViolation

from projections.runtime.projection import Bulk, Cursor, Fold, Projection
from schemas import readmodel
from schemas.events import (
    EventEnvelope,
    MeterValuesReported,
    TransactionEnded,
    TransactionStarted,
    TransactionUpdated,
)

TransactionEvent = TransactionStarted | TransactionUpdated | TransactionEnded

_COLUMNS = (
    "id", "station_id", "transaction_id", "ocpp_version", "evse_id", "connector_id", "id_token",
    "id_token_type", "id_token_status", "stop_id_token", "started_at", "stopped_at",
    "meter_start_wh", "meter_stop_wh", "energy_wh", "stop_reason", "status", "charging_state",
    "reservation_id", "remote_start_id", "last_seq_no", "missing_seq_nos", "offline",
    "anomalies", "updated_at",
)  # fmt: skip

# Anomalies are stored sorted and distinct whichever way a row is written (so one merged
# write and the writes it was merged from store the same value, see merge_writes).
_VALUES = {c: f"%({c})s" for c in _COLUMNS} | {
    "anomalies": "ARRAY(SELECT DISTINCT a FROM unnest(%(anomalies)s::text[]) a ORDER BY a)"
}
_INSERT = (
    f"INSERT INTO transactions AS t ({', '.join(_COLUMNS)}) "
    f"VALUES ({', '.join(_VALUES[c] for c in _COLUMNS)}) ON CONFLICT (id) DO UPDATE SET "
)


def _row(event: EventEnvelope[TransactionEvent], status: str, **values: Any) -> dict[str, Any]:
    # The model's field values by name (a field an event type lacks reads as None, as the
    # column it would fill: getattr's misses cost more than the whole write on this path).
    d = event.data.__dict__
    row: dict[str, Any] = {c: d.get(c) for c in _COLUMNS}
    row.update(station_id=event.station_id, status=status, updated_at=event.occurred_at,
               offline=d["offline"], anomalies=list(d.get("anomalies", ())),
               missing_seq_nos=list(d.get("missing_seq_nos", ())), **values)  # fmt: skip
    return row


_ARRAYS = frozenset({"anomalies", "missing_seq_nos"})


def _param(column: str, value: Any) -> Any:
    return array_literal(value) if column in _ARRAYS else value


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


class Op(Enum):
    """What a write does to a column of a row that is already there (``t``) with its
    operand ``v``; a column a write has no op for keeps its value."""

    SET = "v"
    NEWER = "COALESCE(v, t)"  # the latest non-null
    FIRST = "COALESCE(t, v)"  # the first non-null
    OR = "t OR v"
    UNION = "t ∪ v"  # anomalies: distinct, sorted by the statement


_ON_STARTED = {
    "started_at": Op.SET, "meter_start_wh": Op.SET, "id_token": Op.FIRST,
    "id_token_type": Op.FIRST, "id_token_status": Op.FIRST, "reservation_id": Op.SET,
    "remote_start_id": Op.SET,
}  # fmt: skip
_ON_UPDATED = {
    "evse_id": Op.NEWER, "connector_id": Op.NEWER, "id_token": Op.FIRST,
    "id_token_type": Op.FIRST, "id_token_status": Op.NEWER, "charging_state": Op.NEWER,
    "last_seq_no": Op.SET, "missing_seq_nos": Op.SET, "offline": Op.OR,
    "anomalies": Op.UNION, "updated_at": Op.SET,
}  # fmt: skip
_ON_ENDED = {
    "evse_id": Op.NEWER, "connector_id": Op.NEWER, "stopped_at": Op.SET,
    "meter_start_wh": Op.NEWER, "meter_stop_wh": Op.SET, "energy_wh": Op.SET,
    "stop_reason": Op.SET, "stop_id_token": Op.SET, "status": Op.SET,
    "charging_state": Op.NEWER, "last_seq_no": Op.NEWER, "missing_seq_nos": Op.SET,
    "offline": Op.OR, "anomalies": Op.UNION, "updated_at": Op.SET,
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Write:
    """An upsert of one transaction's row: ``row`` when there is none yet, else each column
    of ``ops`` changed by its op and operand. A batch's Started / Updated / Ended events of
    one transaction merge (:func:`merge_writes`) into one such write."""

    row: dict[str, Any]
    ops: dict[str, tuple[Op, Any]]


def transaction_key(event: EventEnvelope[TransactionEvent]) -> Hashable:
    return event.data.id


def transaction_write(event: EventEnvelope[TransactionEvent]) -> Write:
    """The write of one TransactionStarted, TransactionUpdated or TransactionEnded."""
    if isinstance(event.data, TransactionStarted):
        row, ops = _row(event, "active", last_seq_no=event.data.seq_no), _ON_STARTED
    elif isinstance(event.data, TransactionEnded):
        row, ops = _row(event, "completed"), _ON_ENDED
    else:
        row, ops = _row(event, "active"), _ON_UPDATED
    return Write(row, {column: (op, row[column]) for column, op in ops.items()})


def merge_writes(a: Write, b: Write) -> Write:
    """One write with the effect of writing ``a`` then ``b``: with no row yet, ``a`` inserts
    and ``b`` changes that row; with a row, ``b``'s ops follow ``a``'s, column by column."""
    row = {c: _apply(b.ops[c], a.row[c]) if c in b.ops else a.row[c] for c in _COLUMNS}
    ops = dict(a.ops)
    for column, second in b.ops.items():
        first = a.ops.get(column)
        ops[column] = second if first is None else _then(first, second)
    return Write(row, ops)


def _apply(op: tuple[Op, Any], t: Any) -> Any:
    kind, v = op
    if kind is Op.SET:
        return v
    if kind is Op.NEWER:
        return t if v is None else v
    if kind is Op.FIRST:
        return v if t is None else t
    if kind is Op.OR:
        return bool(t) or bool(v)
    return [*t, *v]  # UNION; the statement makes it distinct and sorted


def _then(first: tuple[Op, Any], second: tuple[Op, Any]) -> tuple[Op, Any]:
    """One op with the effect of ``first`` then ``second`` on any value of the column."""
    (op1, v1), (op2, v2) = first, second
    if op2 is Op.SET or (op2 is Op.NEWER and v2 is not None):
        return (Op.SET, v2)
    if op2 is Op.NEWER:  # a null operand changes nothing
        return first
    if op2 is Op.FIRST:
        if op1 is Op.FIRST or (op1 is Op.NEWER and v1 is None):
            return (Op.FIRST, v2 if v1 is None else v1)
        return (Op.SET, _apply(second, v1))  # SET, or NEWER with a value: known already
    # OR and UNION follow the same op or a SET of that column.
    return (op1, _apply(second, v1))


def _clause(column: str, op: Op) -> str:
    v = f"%(op_{column})s"
    return {
        Op.SET: v,
        Op.NEWER: f"COALESCE({v}, t.{column})",
        Op.FIRST: f"COALESCE(t.{column}, {v})",
        Op.OR: f"t.{column} OR {v}",
        Op.UNION: f"t.{column} || {v}::text[]",
    }[op]


def _set(column: str, op: Op) -> str:
    clause = _clause(column, op)
    if column == "anomalies":
        clause = f"ARRAY(SELECT DISTINCT a FROM unnest({clause}::text[]) a ORDER BY a)"
    return f"{column} = {clause}"


@functools.cache
def _upsert(ops: frozenset[tuple[str, Op]]) -> LiteralString:
    sets = ", ".join(_set(c, op) for c, op in sorted(ops, key=lambda item: item[0]))
    return _INSERT + sets


async def write_transaction(cur: Cursor, write: Write) -> None:
    params = {column: _param(column, v) for column, v in write.row.items()}
    for column, (_, v) in write.ops.items():
        params[f"op_{column}"] = _param(column, v)
    shape = frozenset((column, op) for column, (op, _) in write.ops.items())
    await cur.execute(_upsert(shape), params)


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
        if s["signed_data"].__class__ is not str
        else f"{event_id}\t{seq}\t{ids}\t{_escaped_fields(_signed_text(s))}\t{tail}\n"
        for seq, s in enumerate(d["samples"])
    ]


def _signed_text(sample: Mapping[str, Any]) -> list[object]:
    """The sample's fields with a 1.6 SignedData text as the JSON string the ``jsonb`` column
    holds (the text itself is not JSON: written raw, COPY refused it and the batch with it)."""
    values = list(_SAMPLE_FIELDS(sample))
    values[-1] = orjson.dumps(values[-1]).decode()
    return values


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
        v if v.__class__ is str else "\\N" if v is None  # JSON strings are exactly str
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


async def insert_meter_values(cur: Cursor, lines: list[str]) -> None:
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


async def _copy(cur: Cursor, table: str, data: bytes) -> None:
    async with cur.copy(f"COPY {table} ({_MV_LIST}) FROM STDIN") as copy:
        await copy.write(data)


_TRANSACTION = Fold(transaction_key, transaction_write, merge_writes, write_transaction)
PROJECTION = Projection(
    "transactions",
    tables=(readmodel.transactions, readmodel.meter_values),
    # A rebuild sees ~12 events per transaction in a 1,000-event batch.
    folds={TransactionStarted: _TRANSACTION, TransactionUpdated: _TRANSACTION,
           TransactionEnded: _TRANSACTION},
    # Half the events of a rebuild are meter values, eight rows each.
    bulk={MeterValuesReported: Bulk(meter_value_lines, insert_meter_values)},
)  # fmt: skip
