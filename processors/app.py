"""The Faust application: one agent over the frames log, per-station state in a table.

Processing is exactly-once (Kafka transactions): the station-state table update, the reply
routed to the station's gateway and the domain events of one frames-log record commit
together with the consumed offset, or not at all.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import faust
from faust.types import EventT

from ocpp import OcppVersion, serialize
from processors.decision import Context, Decision, HandlerConfig
from processors.dispatch import decide_record
from processors.state import StationState, evolve_all
from schemas.envelopes import Delivery, FrameRecord, RecordKind, frame_causation
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
    handlers: HandlerConfig = HandlerConfig()


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
        stream_wait_empty=False,
    )
    raw = {"key_serializer": "raw", "value_serializer": "raw"}
    frames = app.topic(config.topics.frames, partitions=config.partitions, **raw)
    events = app.topic(config.topics.events, partitions=config.partitions, **raw)
    states = app.Table("station-state", default=None, partitions=config.partitions,
                       key_type=str, value_type=dict)  # fmt: skip
    deliveries: dict[str, Any] = {}

    def delivery_topic(gateway_id: str) -> Any:
        if gateway_id not in deliveries:
            deliveries[gateway_id] = app.topic(config.topics.delivery(gateway_id), **raw)
        return deliveries[gateway_id]

    @app.agent(frames)
    async def handle_frames(stream: Any) -> None:
        async for event in stream.events():
            await _process(event, states, events, delivery_topic, config)

    return app


async def _process(event: EventT, states: Any, events: Any, delivery_topic: Any,
                   config: ProcessorConfig) -> None:  # fmt: skip
    msg = event.message
    record = FrameRecord.decode(event.value)
    key = record.station_id
    stored = states.get(key)
    state = StationState.model_validate(stored) if stored else StationState()
    ctx = Context(
        station_id=record.station_id, version=OcppVersion(record.ocpp_version),
        now=datetime.now(UTC), causation_id=frame_causation(msg.topic, msg.partition, msg.offset),
        correlation_id=_correlation(record), config=config.handlers,
    )  # fmt: skip
    decision = decide_record(state, record, ctx)
    await _append(decision, record, ctx, events, delivery_topic)
    new_state = evolve_all(state, decision.events)
    if new_state != state:
        states[key] = new_state.model_dump(mode="json")


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
