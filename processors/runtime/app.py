"""The Faust application: one agent over the frames, admin and commands logs, state in tables.

Processing is exactly-once (Kafka transactions): the table updates, the reply routed to the
station's gateway, the CSMS-initiated call sent to it and the domain events of one record
commit together with the consumed offset, or not at all.

Tables (docs/SESSIONS.md):

- ``station-state`` (key = station id): :class:`StationState`, from the station's events
  and its admin ``StationConfigured`` events (the admin topic is co-partitioned with the
  frames log: same key, same partition count);
- ``tokens`` (global, key = id token): the operator's tokens, from admin token events;
- ``ocpi-tokens`` (global, key = uid upper-cased): the tokens OCPI partners pushed, from
  ``OcpiTokenUpserted`` (:func:`processors.core.reference.apply_ocpi_token`);
- ``tariffs`` (global): every published version of every tariff (``<id>@<version>`` → the
  OCPI Tariff) and each tariff's newest version and whether it is withdrawn (``<id>``), from
  ``TariffPublished`` / ``TariffDeleted``;
- ``tariff-assignments`` (global, key = the target: ``group:<id>``, ``evse:<station>:<evse>``,
  ``station:<station>``, ``default``): the tariff id assigned, from ``TariffAssigned`` /
  ``TariffUnassigned`` (:mod:`processors.core.reference`);
- ``transaction-seq`` (key = frames partition): the CSMS transaction-id counter of each
  partition (:class:`processors.core.decision.TransactionIds`);
- ``pipe-deadlines`` (key = station id): when the station's Pipe next needs a tick (a
  response timeout or a queued call's expiry); only stations with calls pending have a row.

One agent reads the three topics (co-partitioned: same key, same partition count), so a
station's frames, configuration changes and commands are applied one at a time (no
interleaving between reading and writing a station's state). Time reaches the Pipe the same
way: :class:`~processors.runtime.clock.PipeClock` appends a ``tick`` command for each station
whose deadline passed (docs/CALLS.md).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

import faust
from faust.types import EventT
from pydantic import ValidationError

from ocpp import CloseCode, OcppVersion, serialize
from processors.core import calls
from processors.core.decision import Context, Decision, TransactionIds
from processors.core.reference import (
    OcpiTokenRef,
    TariffBook,
    Token,
    apply_ocpi_token,
    apply_tariff_event,
    ocpi_tokens_of,
)
from processors.core.state import StationState, evolve, evolve_all
from processors.dispatch import decide_record
from processors.runtime.clock import PipeClock
from processors.runtime.config import ProcessorConfig
from processors.runtime.kafka_clients import tune
from processors.runtime.progress import FramesProgress
from processors.runtime.tables import (
    ChangelogWrites,
    TransactionalGlobalTable,
    TransactionalTable,
    attach,
)
from schemas.commands import CommandRecord
from schemas.envelopes import Delivery, FrameRecord, RecordKind, frame_causation
from schemas.events import (
    DomainEvent,
    EventEnvelope,
    EventError,
    OcpiTokenUpserted,
    StationConfigured,
    TariffAssigned,
    TariffDeleted,
    TariffPublished,
    TariffUnassigned,
    TokenDeleted,
    TokenUpserted,
    decode_event,
)
from schemas.topics import Topics

log = logging.getLogger(__name__)


def create_app(config: ProcessorConfig) -> faust.App:
    """The processor's Faust app: one agent over the frames, admin and commands logs, and the
    Pipe clock. Nothing connects until a Faust worker starts it."""
    app = _faust_app(config)
    raw: dict[str, Any] = {"key_serializer": "raw", "value_serializer": "raw"}
    sources = app.topic(config.topics.frames, config.topics.admin, config.topics.commands,
                        partitions=config.partitions, **raw)  # fmt: skip
    tables = _tables(app, config)
    writes = ChangelogWrites()
    attach(writes, tables.states, tables.tokens, tables.seqs, tables.deadlines, tables.tariffs,
           tables.assignments, tables.ocpi_tokens)  # fmt: skip
    out = _Output(app, config.topics)
    progress = FramesProgress(config.partitions)

    @app.agent(sources)
    async def handle_frames(stream: Any) -> None:
        async for event in stream.events():
            topic = event.message.topic
            if topic == config.topics.frames:
                await _process(event, tables, out, config)
                progress.done(event.message.partition, event.message.offset)
            elif topic == config.topics.commands:
                await _process_command(event, tables, out, config)
            else:
                _admin(event, tables)
            # Before the record is acknowledged: its table writes join its transaction.
            await writes.publish()

    table_manager: Any = app.tables  # faust.tables.TableManager (its type stub lacks .recovery)
    recovery = table_manager.recovery
    clock = PipeClock(tables.deadlines, config, progress,
                      lambda: bool(recovery.in_recovery or not recovery.completed.is_set()))
    app.task(clock.run)
    return app


def _faust_app(config: ProcessorConfig) -> faust.App:
    app = faust.App(
        config.app_id,
        broker=f"kafka://{config.bootstrap}",
        processing_guarantee="exactly_once",
        store="memory://",
        topic_partitions=config.partitions,
        topic_replication_factor=config.replication_factor,
        topic_allow_declare=True,
        web_enabled=False,
        web_port=config.web_port,
        consumer_auto_offset_reset="earliest",
        broker_commit_interval=config.commit_interval_s,
        producer_linger=config.producer_linger_s,
        broker_session_timeout=config.session_timeout_s,
        broker_heartbeat_interval=min(3.0, config.session_timeout_s / 3),
        stream_wait_empty=False,
        Table=TransactionalTable,
        GlobalTable=TransactionalGlobalTable,
    )
    tune(app)
    return app


def _tables(app: faust.App, config: ProcessorConfig) -> Tables:
    # JSON values with no value_type: Faust decodes a changelog record for ``value_type=dict``
    # with ``dict.from_data`` and fails, so recovery after a restart silently lost every row.
    return Tables(
        states=app.Table("station-state", default=None, partitions=config.partitions,
                         key_type=str),
        tokens=app.GlobalTable("tokens", default=None, partitions=config.partitions,
                               key_type=str),
        seqs=app.Table("transaction-seq", default=None, partitions=config.partitions,
                       key_type=str, value_type=int),
        deadlines=app.Table("pipe-deadlines", default=None, partitions=config.partitions,
                            key_type=str, value_type=str),
        tariffs=app.GlobalTable("tariffs", default=None, partitions=config.partitions,
                                key_type=str),
        assignments=app.GlobalTable("tariff-assignments", default=None,
                                    partitions=config.partitions, key_type=str),
        ocpi_tokens=app.GlobalTable("ocpi-tokens", default=None, partitions=config.partitions,
                                    key_type=str),
    )  # fmt: skip


@dataclass(frozen=True)
class Tables:
    """The agent's Faust tables (mappings of JSON values, see the module docstring)."""

    states: Any
    tokens: Any
    seqs: Any
    deadlines: Any
    tariffs: Any = field(default_factory=dict)
    assignments: Any = field(default_factory=dict)
    ocpi_tokens: Any = field(default_factory=dict)

    @cached_property
    def book(self) -> TariffBook:
        """The tariffs as the handlers read them (parsed versions cached for the process)."""
        return TariffBook(self.tariffs, self.assignments)

    def state(self, station_id: str) -> StationState:
        stored = self.states.get(station_id)
        return StationState.model_validate(stored) if stored else StationState()

    def token(self, id_token: str) -> Token | None:
        return Token.from_table(self.tokens.get(id_token))

    def ocpi_token(self, uid: str) -> tuple[OcpiTokenRef, ...]:
        return ocpi_tokens_of(self.ocpi_tokens.get(uid.upper()))


def apply_admin(value: bytes, tables: Tables) -> None:
    """Reference data from the API (DESIGN decision 8): into the tables, nothing emitted.
    Raises :class:`schemas.events.EventError` for a record that is no event."""
    admin = decode_event(value)
    match admin.data:
        case StationConfigured() if admin.station_id is not None:
            state = tables.state(admin.station_id)
            tables.states[admin.station_id] = evolve(state, admin).model_dump(mode="json")
        case TokenUpserted() as upserted:
            tables.tokens[upserted.id_token] = Token.issued(upserted).model_dump(mode="json")
        case TokenDeleted() as deleted if deleted.id_token in tables.tokens:
            del tables.tokens[deleted.id_token]
        case TariffPublished() | TariffDeleted() | TariffAssigned() | TariffUnassigned():
            apply_tariff_event(tables.tariffs, tables.assignments, admin.data)
        case OcpiTokenUpserted() as pushed:
            apply_ocpi_token(tables.ocpi_tokens, pushed)


def _admin(event: EventT[Any], tables: Tables) -> None:
    try:
        apply_admin(event.value, tables)
    except EventError as e:
        log.error("skipping malformed admin record at offset %d: %s", event.message.offset, e)


class _Output:
    """Appends what a record caused.

    Events and CSMS-initiated Calls go inside *that record's* Kafka transaction: Faust's
    transaction manager picks the transactional producer from the partition of the
    *destination*, and a delivery topic (one partition) is not one of the agent's
    partitions, so a Faust ``topic.send`` of a delivery went out outside any transaction —
    visible to the gateway even when the record's transaction later aborted (a crash then
    re-sent the call). So these appends name the transactional id of the source partition,
    whose transaction also carries the table changelogs and the consumed offset.

    Replies to the station's own calls are sent at once, outside the transaction, as before:
    waiting for the commit would add a commit round trip to every station round trip (the
    latency benchmark), and the worst a crash can do is re-send an identical CallResult
    for the same message id after the record is reprocessed (docs/CALLS.md).
    """

    def __init__(self, app: faust.App, topics: Topics) -> None:
        self.app = app
        self.topics = topics

    async def send(self, source: EventT[Any] | None, topic: str, key: bytes,
                   value: bytes) -> None:  # fmt: skip
        """In ``source``'s transaction; outside any (at once) when ``source`` is None."""
        transactional_id = None
        if source is not None:
            msg = source.message
            group = self.app.assignor.group_for_topic(msg.topic)
            transactional_id = f"{self.app.conf.id}-{group}-{msg.partition}"
        await self.app.producer.send(topic, key, value, None, None, None,
                                     transactional_id=transactional_id)  # fmt: skip

    async def deliver(self, source: EventT[Any] | None, gateway_id: str,
                      delivery: Delivery) -> None:  # fmt: skip
        topic = self.topics.delivery(gateway_id)
        await self.send(source, topic, delivery.station_id.encode(), delivery.encode())

    async def events(self, source: EventT[Any],
                     events: tuple[EventEnvelope[DomainEvent], ...]) -> None:  # fmt: skip
        for ev in events:
            key = (ev.station_id or "").encode()
            await self.send(source, self.topics.events, key, ev.encode())


async def _process(event: EventT[Any], tables: Tables, out: _Output,
                   config: ProcessorConfig) -> None:  # fmt: skip
    msg = event.message
    record = FrameRecord.decode(event.value)
    key = record.station_id
    state = tables.state(key)
    seq_key = str(msg.partition)
    next_seq = tables.seqs.get(seq_key) or 1
    ctx = Context(
        station_id=record.station_id, version=OcppVersion(record.ocpp_version),
        now=datetime.now(UTC), causation_id=frame_causation(msg.topic, msg.partition, msg.offset),
        correlation_id=frame_correlation(record), config=config.handlers, tokens=tables.token,
        transaction_ids=TransactionIds(msg.partition, config.partitions, next_seq),
        tariffs=tables.book, ocpi_tokens=tables.ocpi_token,
    )  # fmt: skip
    decision = decide_record(state, record, ctx)
    # Table writes first: they join the same Kafka transaction as the sends below.
    if decision.transaction_ids_used:
        tables.seqs[seq_key] = next_seq + decision.transaction_ids_used
    new_state = _store(tables, key, state, decision, ctx)
    if decision.reply is not None:
        delivery = Delivery(station_id=record.station_id, connection_id=record.connection_id,
                            raw=serialize(decision.reply), causation_id=ctx.causation_id)
        await out.deliver(None, record.gateway_id, delivery)  # a reply: at once
    await _append(event, decision, new_state, ctx, out)


async def _process_command(event: EventT[Any], tables: Tables, out: _Output,
                           config: ProcessorConfig) -> None:  # fmt: skip
    msg = event.message
    try:
        command = CommandRecord.decode(event.value)
    except ValidationError:
        log.error("skipping malformed command at offset %d", msg.offset)
        return
    state = tables.state(command.station_id)
    ctx = Context(
        station_id=command.station_id,
        version=OcppVersion(state.ocpp_version or OcppVersion.V16.value), now=datetime.now(UTC),
        causation_id=frame_causation(msg.topic, msg.partition, msg.offset),
        correlation_id=command.call_id or command.kind.value, config=config.handlers,
        tariffs=tables.book,
    )  # fmt: skip
    try:
        decision = calls.decide_command(state, command, ctx)
    except ValueError:  # InvalidCommand, or values no event of the Pipe accepts
        log.exception("skipping command at offset %d", msg.offset)
        return
    new_state = _store(tables, command.station_id, state, decision, ctx)
    await _append(event, decision, new_state, ctx, out)


def _store(tables: Tables, key: str, state: StationState, decision: Decision,
           ctx: Context) -> StationState:  # fmt: skip
    """The station's new state into its table; its Pipe deadline too when the Pipe changed."""
    new_state = evolve_all(state, decision.events, ctx.tariffs.version)
    if new_state == state:
        return state
    tables.states[key] = new_state.model_dump(mode="json")
    if new_state.pipe != state.pipe:
        due = calls.deadline(new_state.pipe, ctx)
        if due is not None:
            tables.deadlines[key] = due
        elif tables.deadlines.get(key) is not None:
            del tables.deadlines[key]
    return new_state


# RFC 6455 §7.4.1 policy violation, as a gateway closes a connection a newer one replaces.
SUPERSEDED_CODE = CloseCode.POLICY_VIOLATION
SUPERSEDED_REASON = "replaced by a newer connection for this station id on another gateway"


async def _append(source: EventT[Any], decision: Decision, state: StationState, ctx: Context,
                  out: _Output) -> None:  # fmt: skip
    if decision.supersede is not None:
        gateway_id, connection_id = decision.supersede
        close = Delivery(station_id=ctx.station_id, connection_id=connection_id,
                         causation_id=ctx.causation_id, close_code=SUPERSEDED_CODE,
                         close_reason=SUPERSEDED_REASON)  # fmt: skip
        await out.deliver(source, gateway_id, close)
    if decision.send is not None and state.gateway_id is not None:
        # A CSMS-initiated call goes to the gateway holding the station's current connection
        # (the Pipe only sends while the station is connected); same transaction as CallSent.
        delivery = Delivery(station_id=ctx.station_id, connection_id=state.connection_id,
                            raw=serialize(decision.send), causation_id=ctx.causation_id)
        await out.deliver(source, state.gateway_id, delivery)
    await out.events(source, decision.events)


def frame_correlation(record: FrameRecord) -> str:
    """The correlation id of what a frames-log record causes: its OCPP message id."""
    if record.kind is not RecordKind.FRAME or record.raw is None:
        return record.connection_id
    # The OCPP message id, read cheaply: '[2,"<id>",...' (falls back to the connection).
    head = record.raw[:64].split(",", 2)
    return head[1].strip().strip('"') if len(head) > 2 else record.connection_id
