"""The raw Kafka floor: produce → consume round trip on the same broker with aiokafka and the
gateway's producer settings (acks=all, idempotent, linger 0) and the delivery consumer's
settings (read_committed, fetch wait 100 ms), at a fixed offered rate; and the broker's CPU
time per message meanwhile."""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from bench.cpu_per_message import broker_pid, cpu_seconds
from bench.loadgen import summarize


async def floor(bootstrap: str, rate: float, duration: float) -> dict[str, Any]:
    topic = f"bench-floor-{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    await admin.create_topics([NewTopic(topic, 1, 1)])
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True,
                                linger_ms=0)  # fmt: skip
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, isolation_level="read_committed",
                                enable_auto_commit=False, fetch_max_wait_ms=100)  # fmt: skip
    await producer.start()
    await consumer.start()
    tp = TopicPartition(topic, 0)
    consumer.assign([tp])
    await consumer.seek_to_end(tp)
    await consumer.position(tp)
    sent: dict[int, float] = {}
    latencies: list[float] = []

    async def consume(expected: int) -> None:
        while len(latencies) < expected:
            batch = await consumer.getmany(timeout_ms=1000)
            now = time.perf_counter()
            for records in batch.values():
                for r in records:
                    latencies.append((now - sent[int(r.value or b"0")]) * 1000)

    total = int(rate * duration)
    broker = broker_pid()
    cpu_before = cpu_seconds(broker)
    reader = asyncio.create_task(consume(total))
    loop = asyncio.get_running_loop()
    start = loop.time()
    pending = []
    for i in range(total):
        due = start + i / rate
        if due > loop.time():
            await asyncio.sleep(due - loop.time())
        sent[i] = time.perf_counter()
        pending.append(await producer.send(topic, str(i).encode(), key=b"k"))
    await asyncio.gather(*pending)
    await asyncio.wait_for(reader, 60)
    broker_cpu_ms = (cpu_seconds(broker) - cpu_before) * 1000 / total
    await producer.stop()
    await consumer.stop()
    await admin.delete_topics([topic])
    await admin.close()
    # The broker's CPU per message for one produce and one fetch: what a Kafka hop costs it.
    return summarize({"produce_consume": latencies}, {}) | {
        "broker_cpu_ms_per_message": round(broker_cpu_ms, 3)
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--bootstrap", default="127.0.0.1:19092")
    p.add_argument("--rate", type=float, default=1000)
    p.add_argument("--duration", type=float, default=10)
    args = p.parse_args()
    print(json.dumps(asyncio.run(floor(args.bootstrap, args.rate, args.duration)), indent=2))


if __name__ == "__main__":
    main()
