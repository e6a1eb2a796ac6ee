"""Diagnostic: where a station round trip spends its time, from the logs themselves.

Runs Heartbeats at a fixed rate through a fresh stack, then matches the records the round
trips left (Kafka append timestamps, millisecond resolution):

- ``to_reply``: the station's frame appended to the frames log (gateway) → the reply
  appended to the gateway's delivery topic (processor): one Kafka hop plus the processor;
- ``to_sent``: the reply appended → the gateway's record of the frame it sent the station
  appended: one Kafka hop plus the gateway's send.

What the load generator measures beyond their sum is the WebSocket legs and the gateway's
handling of the station's frame.

    python -m bench.hops --rate 100
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import Any

from bench.latency import loadgen
from bench.loadgen import summarize
from bench.stack import running_stack
from csms.config import Settings
from schemas.envelopes import Delivery, Direction, FrameRecord
from schemas.topics import Topics
from tests.integration.kafka_reading import read_all


def hops(settings: Settings) -> dict[str, list[float]]:
    """Per matched round trip, the two steps in milliseconds."""
    topics = Topics(settings.topic_prefix)
    frames = asyncio.run(read_all(settings.bootstrap, topics.frames))
    deliveries = asyncio.run(read_all(settings.bootstrap, topics.delivery(settings.gateway_id)))
    by_position = {f"{r.topic}/{r.partition}/{r.offset}": r for r in frames}
    sent_at: dict[tuple[str, str], int] = {}
    for r in frames:
        frame = FrameRecord.decode(r.value or b"")
        if frame.direction == Direction.OUT and frame.raw is not None:
            sent_at[(frame.station_id, frame.raw)] = r.timestamp
    steps: dict[str, list[float]] = {"to_reply": [], "to_sent": []}
    for d in deliveries:
        delivery = Delivery.decode(d.value or b"")
        source = by_position.get(delivery.causation_id)
        sent = sent_at.get((delivery.station_id, delivery.raw or ""))
        if source is None or sent is None:
            continue
        steps["to_reply"].append(float(d.timestamp - source.timestamp))
        steps["to_sent"].append(float(sent - d.timestamp))
    return steps


def run(rate: float, duration: float, log_dir: Path) -> dict[str, Any]:
    with running_stack(log_dir) as stack:
        url = f"ws://127.0.0.1:{stack.settings.gateway_port}/ocpp"
        loadgen(url, stations=20, rate=20, duration=5, mix="heartbeat", prefix="WARM-")
        measured = loadgen(url, stations=50, rate=rate, duration=duration, mix="heartbeat",
                           prefix="HOP-")  # fmt: skip
        steps = hops(stack.settings)
    # The warm-up's first round trips (topic metadata, JIT) are not the steady state.
    trimmed = {name: values[len(values) // 10 :] for name, values in steps.items()}
    summary = summarize(trimmed, {})
    return {"rate": rate, "round_trip": measured["ALL"],
            "steps": {name: summary[name] for name in trimmed}}  # fmt: skip


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--rate", type=float, default=100)
    p.add_argument("--duration", type=float, default=15)
    p.add_argument("--logs", type=Path, default=Path("var/bench/logs-hops"))
    args = p.parse_args()
    print(json.dumps(run(args.rate, args.duration, args.logs), indent=2))


if __name__ == "__main__":
    main()
