"""The base of every domain event, their registry, and upcasting of old schema versions.

A domain event is a frozen pydantic model; its class names the event's ``type_name`` and
``schema_version`` (DESIGN decision 5: events are facts, versioned). Each (type, version)
has one class, registered when the class is defined; a changed shape is a new version,
and the class of the old version stays, with an upcaster to the next version, so records
written in the old shape (kept in the log forever) are read as the newest one.

Exception tree::

    EventError (ValueError)
     ├── UnknownEventType   no class for this (type, schema version)
     └── InvalidEvent       a record that is not a valid event of its type and version
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, PlainSerializer

from ocpp.timestamps import format_datetime

__all__ = [
    "DomainEvent",
    "EventError",
    "EventPart",
    "Instant",
    "InvalidEvent",
    "OcppVersionName",
    "UnknownEventType",
    "WireTime",
    "event_class",
    "event_classes",
    "latest_classes",
    "upcast",
    "upcasts",
]


class EventError(ValueError):
    """Base of event decoding failures."""


class UnknownEventType(EventError):
    """No event class exists for this type and schema version."""


class InvalidEvent(EventError):
    """A record that does not hold a valid event of its type and version."""


def _aware(value: datetime) -> datetime:
    """Date-times are read as UTC when they carry no offset (seen from 1.6 stations); the
    text itself is parsed by pydantic (RFC 3339 / ISO 8601)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


WireTime = Annotated[
    datetime,
    AfterValidator(_aware),
    PlainSerializer(format_datetime, return_type=str, when_used="json"),
]
"""A time a station reported, as the CSMS writes OCPP date-times: RFC 3339, UTC,
millisecond precision, "Z" (OCPP 2.0.1 Part 2 §2.1.5)."""

OcppVersionName = Literal["ocpp1.6", "ocpp2.0.1"]
"""The OCPP-J subprotocol a station speaks (ocpp.OcppVersion values)."""

Instant = Annotated[datetime, AfterValidator(_aware)]
"""A time the CSMS itself decided (e.g. when a call was sent), kept to the microsecond."""


class EventPart(BaseModel):
    """A nested object of an event (a meter sample, a configuration key)."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)


class DomainEvent(BaseModel):
    """A fact the CSMS recorded. Subclasses are registered by (``type_name``,
    ``schema_version``); ``type_name`` defaults to the class name."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)

    type_name: ClassVar[str] = ""
    schema_version: ClassVar[int] = 1
    shared_fields: ClassVar[bool] = False
    """True on a class that only states fields several event types share (not an event)."""

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if cls.__dict__.get("shared_fields", False):
            return
        if "type_name" not in cls.__dict__:
            cls.type_name = cls.__name__
        key = (cls.type_name, cls.schema_version)
        if key in _CLASSES:
            raise TypeError(f"{cls.type_name} v{cls.schema_version} is defined twice")
        _CLASSES[key] = cls


_CLASSES: dict[tuple[str, int], type[DomainEvent]] = {}
_UPCASTERS: dict[type[DomainEvent], Callable[[Any], DomainEvent]] = {}

Old = TypeVar("Old", bound=DomainEvent)


def event_class(type_name: str, schema_version: int) -> type[DomainEvent]:
    """The class of one (type, version); raises :class:`UnknownEventType`."""
    try:
        return _CLASSES[(type_name, schema_version)]
    except KeyError:
        raise UnknownEventType(f"{type_name} v{schema_version}") from None


def event_classes() -> Iterator[type[DomainEvent]]:
    """Every registered class, old versions included, by type name then version."""
    for key in sorted(_CLASSES):
        yield _CLASSES[key]


def latest_classes() -> list[type[DomainEvent]]:
    """The newest version of every event type: what handlers receive."""
    newest: dict[str, type[DomainEvent]] = {}
    for cls in event_classes():
        newest[cls.type_name] = cls
    return list(newest.values())


def upcasts(old: type[Old]) -> Callable[[Callable[[Old], DomainEvent]],
                                        Callable[[Old], DomainEvent]]:  # fmt: skip
    """Register the function turning an event of class ``old`` into the next version."""

    def register(function: Callable[[Old], DomainEvent]) -> Callable[[Old], DomainEvent]:
        if old in _UPCASTERS:
            raise TypeError(f"{old.__name__} already has an upcaster")
        _UPCASTERS[old] = function
        return function

    return register


def upcast(event: DomainEvent) -> DomainEvent:
    """``event`` in the newest version of its type (itself when it is the newest)."""
    while (step := _UPCASTERS.get(type(event))) is not None:
        newer = step(event)
        if newer.type_name != event.type_name or newer.schema_version <= event.schema_version:
            raise TypeError(f"upcaster of {type(event).__name__} must raise the version")
        event = newer
    return event
