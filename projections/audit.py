"""The audit read model (docs/AUDIT.md): the index of the frames log, the events each frame
caused, and each station's hash chain with its signed checkpoints.

- ``frames``: one row per frames-log record, by its position, with the station's ``seq``
  and chain ``link`` (:mod:`audit.chain` over the record's value exactly as in the log) and
  what the OCPP-J framing says of its ``raw`` text (message type, id, action; an answer's
  action is that of the call it answers: same station and connection, same message id,
  other direction, the nearest before it).
- ``chain_heads``: each station's last link, and when it was last checkpointed.
- ``chain_checkpoints``: a station's head signed (:mod:`audit.checkpoints`) at its first
  record, then every ``checkpoint_every`` records or once ``checkpoint_seconds`` of frame time
  have passed since the last one. The rule reads the records' own times, never the clock,
  and Ed25519 signs deterministically, so a rebuild writes the same rows.
- ``chain_keys``: the public key of every key that signed a checkpoint.
- ``frame_events``: every domain event caused by a frames-log record, by its events-log
  position, with the CSMS transaction it names. Its row depends on the event alone, so the
  frames and events logs (read by separate tasks) may be applied in any order.

A station's chain is made of the records keyed by its id (the key the gateway appends with,
DESIGN decision 2), records the projector cannot decode included: the log holds them.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit import chain, checkpoints
from audit.checkpoints import Checkpoint
from ocpp.frames import CALL, CALLERROR, CALLRESULT, Call, CallError, CallResult
from ocpp.framing import parse
from ocpp.versions import OcppVersion
from projections.runtime.projection import Cursor, FrameItem, LoggedEvent, Projection
from schemas import readmodel
from schemas.events import (
    CdrCorrectionRequested,
    MeterValuesReported,
    TariffApplied,
    TransactionEnded,
    TransactionStarted,
    TransactionUpdated,
)

DEFAULT_KEY = Path("var/audit/checkpoint-signing-key.pem")


@dataclass(frozen=True, slots=True)
class AuditSettings:
    """How checkpoints are made (``csms.config``: ``CSMS_AUDIT_*``)."""

    checkpoint_every: int = 1000
    """Records of a station between two checkpoints, at most."""
    checkpoint_seconds: float = 300.0
    """Frame time after a station's last checkpoint that makes its next record one."""
    signing_key: Path = DEFAULT_KEY
    """The Ed25519 private key (PKCS#8 PEM), created on first use."""


# -- the signing key ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SigningKey:
    private: Ed25519PrivateKey
    key_id: str
    public_pem: str


def key_id(key: Ed25519PrivateKey) -> str:
    """SHA-256 (hex, first 16) of the public key's DER (``chain_checkpoints.key_id``)."""
    der = key.public_key().public_bytes(serialization.Encoding.DER,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()[:16]


@cache
def signing_key(path: Path) -> SigningKey:
    """The key in ``path``, created there on first use (by whichever process comes first)."""
    try:
        private = checkpoints.load_or_create_key(path)
    except FileExistsError:  # another projector created it between the check and the open
        time.sleep(0.2)
        private = checkpoints.load_or_create_key(path)
    return SigningKey(private, key_id(private), checkpoints.public_pem(private))


# -- frames -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Framing:
    """What the OCPP-J framing reads in a record's raw text (all None: not a readable frame)."""

    message_type: int | None = None
    message_id: str | None = None
    action: str | None = None


def framing(raw: str | None, ocpp_version: str) -> Framing:
    """OCPP-J §4.1.3: ``[MessageTypeId, UniqueId, ...]``; as much as the framing can read."""
    if raw is None:
        return Framing()
    try:
        version = OcppVersion(ocpp_version)
    except ValueError:
        version = OcppVersion.V16  # the framing is the same in both versions
    message = parse(raw, version, validate=False)
    match message:
        case Call():
            return Framing(CALL, message.unique_id, message.action)
        case CallResult():
            return Framing(CALLRESULT, message.unique_id)
        case CallError():
            return Framing(CALLERROR, message.unique_id)
    return Framing(message.message_type, message.unique_id)


@dataclass(slots=True)
class Head:
    """A station's chain after its last record (``chain_heads``)."""

    seq: int
    link: bytes
    at: datetime
    checkpointed_seq: int = 0
    checkpointed_at: datetime | None = None

    def due(self, at: datetime, rules: AuditSettings) -> bool:
        """Whether the record just chained (at ``at``) is to be checkpointed: the station's
        first, the ``checkpoint_every``-th since the last checkpoint, or the first one
        ``checkpoint_seconds`` of frame time after it."""
        if self.checkpointed_at is None:
            return True
        return (self.seq - self.checkpointed_seq >= rules.checkpoint_every
                or (at - self.checkpointed_at).total_seconds() >= rules.checkpoint_seconds)


@dataclass(frozen=True, slots=True)
class FrameRow:
    """A row of ``frames``; ``answers`` when its action is the one of the call it answers,
    still to be found in the index (that call came in an earlier batch)."""

    item: FrameItem
    station_id: str
    seq: int
    kind: str
    direction: str
    framing: Framing
    at: datetime
    connection_id: str
    ocpp_version: str
    verdict: str
    link: bytes
    answers: bool


def station_of(item: FrameItem) -> str:
    """The chain a record belongs to: its key (what the gateway keyed it by)."""
    if item.key is not None:
        return item.key
    return item.record.station_id if item.record is not None else ""


def frame_time(item: FrameItem) -> datetime:
    """The gateway's time of the record (its Kafka timestamp if it cannot be read), UTC."""
    if item.record is not None:
        return item.record.at.astimezone(UTC)
    return datetime.fromtimestamp(item.timestamp_ms / 1000, UTC)


class Chaining:
    """A batch of one partition chained in memory: rows, the heads after it, checkpoints."""

    def __init__(self, heads: dict[str, Head], rules: AuditSettings) -> None:
        self.heads = heads
        self.rules = rules
        self.rows: list[FrameRow] = []
        self.due: list[Checkpoint] = []
        self._calls: dict[tuple[str, str, str, str], str] = {}

    def add(self, item: FrameItem) -> None:
        station = station_of(item)
        at = frame_time(item)
        head = self.heads.get(station)
        previous = chain.genesis(station) if head is None else head.link
        link = chain.link(previous, item.value)
        if head is None:
            head = self.heads[station] = Head(0, link, at)
        head.seq, head.link, head.at = head.seq + 1, link, at
        self.rows.append(self._row(item, station, head.seq, at, link))
        if head.due(at, self.rules):
            head.checkpointed_seq, head.checkpointed_at = head.seq, at
            self.due.append(Checkpoint(station, head.seq, link, item.topic, item.partition,
                                       item.offset, at))  # fmt: skip

    def _row(self, item: FrameItem, station: str, seq: int, at: datetime,
             link: bytes) -> FrameRow:  # fmt: skip
        record = item.record
        if record is None:
            return FrameRow(item, station, seq, "unreadable", "", Framing(), at, "", "",
                            f"unreadable record: {item.error}", link, False)  # fmt: skip
        read = framing(record.raw, record.ocpp_version)
        answers = False
        if read.message_id is not None and read.message_type in (CALLRESULT, CALLERROR):
            other = "out" if record.direction == "in" else "in"
            action = self._calls.get((station, record.connection_id, read.message_id, other))
            read = Framing(read.message_type, read.message_id, action)
            answers = action is None
        elif read.message_type == CALL and read.message_id is not None and read.action:
            key = (station, record.connection_id, read.message_id, str(record.direction))
            self._calls[key] = read.action
        return FrameRow(item, station, seq, str(record.kind), str(record.direction), read, at,
                        record.connection_id, record.ocpp_version, record.verdict, link,
                        answers)  # fmt: skip


async def read_heads(cur: Cursor, stations: Sequence[str]) -> dict[str, Head]:
    await cur.execute(
        "SELECT station_id, seq, link, at, checkpointed_seq, checkpointed_at FROM chain_heads"
        " WHERE station_id = ANY(%s)", (list(stations),))  # fmt: skip
    rows: list[Any] = await cur.fetchall()
    return {s: Head(q, bytes.fromhex(link), at, c, c_at) for s, q, link, at, c, c_at in rows}


_INSERT_FRAMES = """
INSERT INTO frames (topic, partition, "offset", station_id, seq, kind, direction,
                    message_type, message_id, action, at, connection_id, ocpp_version,
                    verdict, link)
SELECT %(topic)s, %(partition)s, u.o, u.station_id, u.seq, u.kind, u.direction,
       u.message_type, u.message_id,
       CASE WHEN u.answers THEN (
           SELECT c.action FROM frames c
           WHERE c.station_id = u.station_id AND c.message_id = u.message_id
             AND c.connection_id = u.connection_id AND c.direction <> u.direction
             AND c.message_type = 2 AND c.seq < u.seq
           ORDER BY c.seq DESC LIMIT 1)
       ELSE u.action END,
       u.at, u.connection_id, u.ocpp_version, u.verdict, u.link
FROM unnest(%(o)s::bigint[], %(station_id)s::text[], %(seq)s::bigint[], %(kind)s::text[],
            %(direction)s::text[], %(message_type)s::int[], %(message_id)s::text[],
            %(action)s::text[], %(at)s::timestamptz[], %(connection_id)s::text[],
            %(ocpp_version)s::text[], %(verdict)s::text[], %(link)s::text[],
            %(answers)s::bool[])
     AS u(o, station_id, seq, kind, direction, message_type, message_id, action, at,
          connection_id, ocpp_version, verdict, link, answers)
"""


async def write_frames(cur: Cursor, rows: Sequence[FrameRow]) -> None:
    first = rows[0].item
    await cur.execute(_INSERT_FRAMES, {
        "topic": first.topic, "partition": first.partition,
        "o": [r.item.offset for r in rows], "station_id": [r.station_id for r in rows],
        "seq": [r.seq for r in rows], "kind": [r.kind for r in rows],
        "direction": [r.direction for r in rows],
        "message_type": [r.framing.message_type for r in rows],
        "message_id": [r.framing.message_id for r in rows],
        "action": [r.framing.action for r in rows], "at": [r.at for r in rows],
        "connection_id": [r.connection_id for r in rows],
        "ocpp_version": [r.ocpp_version for r in rows], "verdict": [r.verdict for r in rows],
        "link": [r.link.hex() for r in rows], "answers": [r.answers for r in rows],
    })  # fmt: skip


async def write_heads(cur: Cursor, heads: Mapping[str, Head]) -> None:
    await cur.execute(
        """
        INSERT INTO chain_heads AS h (station_id, seq, link, at, checkpointed_seq,
                                      checkpointed_at)
        SELECT * FROM unnest(%s::text[], %s::bigint[], %s::text[], %s::timestamptz[],
                             %s::bigint[], %s::timestamptz[])
        ON CONFLICT (station_id) DO UPDATE SET seq = EXCLUDED.seq, link = EXCLUDED.link,
            at = EXCLUDED.at, checkpointed_seq = EXCLUDED.checkpointed_seq,
            checkpointed_at = EXCLUDED.checkpointed_at
        """,
        (list(heads), [h.seq for h in heads.values()], [h.link.hex() for h in heads.values()],
         [h.at for h in heads.values()], [h.checkpointed_seq for h in heads.values()],
         [h.checkpointed_at for h in heads.values()]),
    )  # fmt: skip


async def write_checkpoints(cur: Cursor, due: Sequence[Checkpoint], key: SigningKey) -> None:
    """Sign and store the checkpoints due (RFC 8032 Ed25519: the same key signs the same
    checkpoint to the same bytes)."""
    signatures = [checkpoints.sign(c, key.private).hex() for c in due]
    await cur.execute(
        """
        INSERT INTO chain_checkpoints (station_id, seq, link, topic, partition, "offset", at,
                                       signature, key_id)
        SELECT u.*, %s FROM unnest(%s::text[], %s::bigint[], %s::text[], %s::text[],
                                   %s::int[], %s::bigint[], %s::timestamptz[], %s::text[]) u
        """,
        (key.key_id, [c.station_id for c in due], [c.count for c in due],
         [c.head.hex() for c in due], [c.topic for c in due], [c.partition for c in due],
         [c.offset for c in due], [c.at for c in due], signatures),
    )  # fmt: skip
    await cur.execute("INSERT INTO chain_keys (key_id, public_key) VALUES (%s, %s)"
                      " ON CONFLICT (key_id) DO NOTHING", (key.key_id, key.public_pem))


async def on_frames(cur: Cursor, items: Sequence[FrameItem], settings: object) -> None:
    """A batch of one partition of the frames log: index rows, chain heads, checkpoints."""
    rules = settings if isinstance(settings, AuditSettings) else AuditSettings()
    stations = sorted({station_of(i) for i in items})
    chaining = Chaining(await read_heads(cur, stations), rules)
    for item in items:
        chaining.add(item)
    await write_frames(cur, chaining.rows)
    await write_heads(cur, chaining.heads)
    if chaining.due:
        await write_checkpoints(cur, chaining.due, signing_key(rules.signing_key))


# -- frame_events -----------------------------------------------------------------------------

# The field that names the CSMS transaction, per event type (the types that name one).
_TRANSACTION_FIELD: Mapping[str, str] = {
    **{cls.type_name: "id" for cls in (TransactionStarted, TransactionUpdated, TransactionEnded,
                                       MeterValuesReported, TariffApplied)},
    CdrCorrectionRequested.type_name: "transaction_pk",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class FrameEventRow:
    event: LoggedEvent
    causation_id: str
    event_id: uuid.UUID
    type: str
    station_id: str | None
    transaction_pk: int | None


def frames_position(causation: str) -> bool:
    """Whether a causation id is a frames-log position (schemas.envelopes.frame_causation:
    ``<prefix>.frames/<partition>/<offset>``), not a command's id."""
    topic, _, rest = causation.partition("/")
    partition, _, offset = rest.partition("/")
    return topic.endswith(".frames") and partition.isdigit() and offset.isdigit()


def frame_event_row(event: LoggedEvent) -> FrameEventRow | None:
    """The row of an event caused by a frame; None for any other (or an unreadable one)."""
    envelope = event.envelope
    causation, kind, station = (envelope.get("causation_id"), envelope.get("type"),
                                envelope.get("station_id"))  # fmt: skip
    if not isinstance(causation, str) or not isinstance(kind, str) or not frames_position(
            causation):  # fmt: skip
        return None
    try:
        event_id = uuid.UUID(str(envelope.get("event_id")))
    except ValueError:
        return None
    field = _TRANSACTION_FIELD.get(kind)
    data = envelope.get("data")
    pk = data.get(field) if field is not None and isinstance(data, dict) else None
    return FrameEventRow(event, causation, event_id, kind,
                         station if isinstance(station, str) else None,
                         pk if type(pk) is int else None)  # fmt: skip


async def on_events(cur: Cursor, events: Sequence[LoggedEvent]) -> None:
    rows = [r for r in map(frame_event_row, events) if r is not None]
    if not rows:
        return
    await cur.execute(
        """
        INSERT INTO frame_events (event_topic, event_partition, event_offset, causation_id,
                                  event_id, type, station_id, transaction_pk)
        SELECT * FROM unnest(%s::text[], %s::int[], %s::bigint[], %s::text[], %s::uuid[],
                             %s::text[], %s::text[], %s::bigint[])
        """,
        ([r.event.topic for r in rows], [r.event.partition for r in rows],
         [r.event.offset for r in rows], [r.causation_id for r in rows],
         [r.event_id for r in rows], [r.type for r in rows], [r.station_id for r in rows],
         [r.transaction_pk for r in rows]),
    )  # fmt: skip


PROJECTION = Projection(
    readmodel.AUDIT,
    tables=(readmodel.frames, readmodel.frame_events, readmodel.chain_heads,
            readmodel.chain_checkpoints, readmodel.chain_keys),
    every_event=on_events,
    frames=on_frames,
)
