"""The processor's configuration, built once at start-up by its caller and passed down."""

from __future__ import annotations

from dataclasses import dataclass, field

from processors.core.decision import HandlerConfig
from schemas.topics import Topics


@dataclass(frozen=True, slots=True)
class ProcessorConfig:
    app_id: str
    bootstrap: str
    topics: Topics
    partitions: int
    replication_factor: int = 1
    web_port: int = 6066
    # How often the Kafka transaction (state, events, CSMS calls, offsets) commits. Replies
    # to station calls go out at once; CSMS calls and events become visible (read committed)
    # at the commit, so this bounds their delay. Each commit holds the agent for a few broker
    # round trips: 5 ms made commits back to back and halved throughput (docs/BENCHMARKS.md).
    commit_interval_s: float = 0.1
    # How long producers wait to batch records into one produce request.
    producer_linger_s: float = 0.0
    handlers: HandlerConfig = field(default_factory=HandlerConfig)
    # How often the Pipe clock looks for stations whose deadline passed.
    tick_interval_s: float = 1.0
    # Kafka consumer-group session timeout: how long a crashed worker's partitions stay
    # unassigned before another worker (or its restart) takes them over.
    session_timeout_s: float = 60.0
