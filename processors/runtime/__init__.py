"""The Faust shell around the pure handlers: the app and its agent
(:mod:`~processors.runtime.app`), its configuration (:mod:`~processors.runtime.config`), the
Pipe clock (:mod:`~processors.runtime.clock`), tables whose writes join the record's Kafka
transaction (:mod:`~processors.runtime.tables`) and the tuned Kafka clients
(:mod:`~processors.runtime.kafka_clients`).

What a service needs to run a processor::

    from processors.runtime import HandlerConfig, ProcessorConfig, create_app
"""

from __future__ import annotations

from processors.core.decision import HandlerConfig
from processors.runtime.app import create_app
from processors.runtime.config import ProcessorConfig

__all__ = ["HandlerConfig", "ProcessorConfig", "create_app"]
