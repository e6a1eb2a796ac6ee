"""Domain event schemas: ``<Type>.v<version>.json`` beside this file, validated when emitted."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

import fastjsonschema

from schemas import load_schema


class UnknownEventType(LookupError):
    """No schema exists for this event type and version."""


@cache
def _validator(event_type: str, version: int) -> Callable[[Any], Any]:
    try:
        schema = load_schema(f"events/{event_type}.v{version}.json")
    except FileNotFoundError as e:
        raise UnknownEventType(f"{event_type} v{version}") from e
    validate: Callable[[Any], Any] = fastjsonschema.compile(schema)
    return validate


def validate_event_data(event_type: str, version: int, data: dict[str, Any]) -> None:
    """Raise ``fastjsonschema.JsonSchemaException`` if ``data`` breaks the event's schema."""
    _validator(event_type, version)(data)
