"""Contracts shared by the services: JSON schemas, topic names, envelopes, read-model tables.

- ``schemas/ocpp16``, ``schemas/ocpp201``: the OCA JSON schemas of every OCPP message.
- ``schemas/events``: the JSON schema of every domain event, one file per type and version.
- :mod:`schemas.topics`: Kafka topic names and keys.
- :mod:`schemas.envelopes`: the frame and event envelopes carried on those topics.
- :mod:`schemas.readmodel`: the PostgreSQL read-model tables the projector writes and the API reads.

The services (ingest, processors, projections, api) talk to one another only through these.
``schemas`` imports no project package but :mod:`ocpp` (import contracts in pyproject.toml).

Exception tree (:mod:`schemas.events.base`; nothing else here raises its own)::

    EventError (ValueError)
     ├── UnknownEventType   no class for this (type, schema version)
     └── InvalidEvent       a record that is not a valid event of its type and version
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any


@cache
def load_schema(relative_path: str) -> dict[str, Any]:
    """Return the parsed JSON schema at ``relative_path`` inside this package (cached)."""
    text = resources.files(__name__).joinpath(relative_path).read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded
