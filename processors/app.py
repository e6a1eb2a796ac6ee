"""The Faust application: one agent over the frames log and the admin log, state in tables.

Processing is exactly-once (Kafka transactions): the table updates, the reply routed to the
station's gateway and the domain events of one record commit together with the consumed
offset, or not at all.

Tables (docs/SESSIONS.md):

- ``station-state`` (key = station id): :class:`StationState`, from the station's events
  and its admin ``StationConfigured`` events (the admin topic is co-partitioned with the
  frames log: same key, same partition count);
- ``tokens`` (global, key = id token): the operator's tokens, from admin token events;
- ``transaction-seq`` (key = frames partition): the CSMS transaction-id counter of each
  partition (:class:`processors.decision.TransactionIds`).

One agent reads both topics, so a station's frames and its configuration changes are
applied one at a time (no interleaving between reading and writing a station's state).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import faust
from faust.types import EventT

from ocpp import OcppVersion, serialize
from processors.decision import Context, Decision, HandlerConfig, TransactionIds
from processors.dispatch import decide_record
from processors.reference import STATION_CONFIGURED, TOKEN_DELETED, TOKEN_UPSERTED, Token
from processors.state import StationState, evolve, evolve_all
from schemas.envelopes import Delivery, EventEnvelope, FrameRecord, RecordKind, frame_causation
from schemas.topics import Topics

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ProcessorConfig:
    app_id: str
    bootstrap: str
    topics: Topics
    partitions: int
    replication_factor: int = 1
    web_port: int = 6066
    # How often the Kafka transaction (state, replies, events, offsets) commits. Replies
    # reach stations only once committed (gateways read committed), so this bounds latency.
    commit_interval_s: float = 0.005
    handlers: HandlerConfig = field(default_factory=HandlerConfig)


def create_app(config: ProcessorConfig) -> faust.App:
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
        stream_wait_empty=False,
    )
    raw: dict[str, Any] = {"key_serializer": "raw", "value_serializer": "raw"}
    sources = app.topic(config.topics.frames, config.topics.admin,
                        partitions=config.partitions, **raw)  # fmt: skip
    events = app.topic(config.topics.events, partitions=config.partitions, **raw)
    tables = _Tables(
        states=app.Table("station-state", default=None, partitions=config.partitions,
                         key_type=str, value_type=dict),
        tokens=app.GlobalTable("tokens", default=None, partitions=config.partitions,
                               key_type=str, value_type=dict),
        seqs=app.Table("transaction-seq", default=None, partitions=config.partitions,
                       key_type=str, value_type=int),
    )  # fmt: skip
    deliveries: dict[str, Any] = {}

    def delivery_topic(gateway_id: str) -> Any:
        if gateway_id not in deliveries:
            deliveries[gateway_id] = app.topic(config.topics.delivery(gateway_id), **raw)
        return deliveries[gateway_id]

    @app.agent(sources)
    async def handle_frames(stream: Any) -> None:
        async for event in stream.events():
            if event.message.topic == config.topics.admin:
                _apply_admin(event, tables)
            else:
                await _process(event, tables, events, delivery_topic, config)

    return app


@dataclass(frozen=True, slots=True)
class _Tables:
    states: Any
    tokens: Any
    seqs: Any

    def state(self, station_id: str) -> StationState:
        stored = self.states.get(station_id)
        return StationState.model_validate(stored) if stored else StationState()

    def token(self, id_token: str) -> Token | None:
        return Token.from_table(self.tokens.get(id_token))


def _apply_admin(event: EventT[Any], tables: _Tables) -> None:
    """Reference data from the API (DESIGN decision 8): into the tables, nothing emitted."""
    try:
        admin = EventEnvelope.decode(event.value)
    except ValueError:
        log.error("skipping malformed admin record at offset %d", event.message.offset)
        return
    if admin.type == STATION_CONFIGURED and admin.station_id is not None:
        state = tables.state(admin.station_id)
        tables.states[admin.station_id] = evolve(state, admin).model_dump(mode="json")
    elif admin.type == TOKEN_UPSERTED:
        d = admin.data
        tables.tokens[d["id_token"]] = Token.model_validate(d).model_dump(mode="json")
    elif admin.type == TOKEN_DELETED and admin.data["id_token"] in tables.tokens:
        del tables.tokens[admin.data["id_token"]]


async def _process(event: EventT[Any], tables: _Tables, events: Any, delivery_topic: Any,
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
        correlation_id=_correlation(record), config=config.handlers, tokens=tables.token,
        transaction_ids=TransactionIds(msg.partition, config.partitions, next_seq),
    )  # fmt: skip
    decision = decide_record(state, record, ctx)
    # Table writes first: they join the same Kafka transaction as the sends below.
    if decision.transaction_ids_used:
        tables.seqs[seq_key] = next_seq + decision.transaction_ids_used
    new_state = evolve_all(state, decision.events)
    if new_state != state:
        tables.states[key] = new_state.model_dump(mode="json")
    await _append(decision, record, ctx, events, delivery_topic)


async def _append(decision: Decision, record: FrameRecord, ctx: Context, events: Any,
                  delivery_topic: Any) -> None:  # fmt: skip
    key = record.station_id.encode()
    if decision.reply is not None:
        delivery = Delivery(station_id=record.station_id, connection_id=record.connection_id,
                            raw=serialize(decision.reply), causation_id=ctx.causation_id)
        await delivery_topic(record.gateway_id).send(key=key, value=delivery.encode())
    for ev in decision.events:
        await events.send(key=key, value=ev.encode())


def _correlation(record: FrameRecord) -> str:
    if record.kind is not RecordKind.FRAME or record.raw is None:
        return record.connection_id
    # The OCPP message id, read cheaply: '[2,"<id>",...' (falls back to the connection).
    head = record.raw[:64].split(",", 2)
    return head[1].strip().strip('"') if len(head) > 2 else record.connection_id
