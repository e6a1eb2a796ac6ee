"""What a read model declares: a :class:`Projection` (name, tables, the events it handles and
how), and the pieces it is built from.

A read-model module (``projections/<model>.py``) defines ``PROJECTION``; the projector finds
it there (:mod:`projections.runtime.discovery`). Handlers are registered per event class
with :class:`Handlers`, which ties each handler's event type to the class it is registered
for::

    handles = Handlers()

    @handles(StationBooted)
    async def on_booted(cur: Cursor, event: EventEnvelope[StationBooted]) -> None: ...

    PROJECTION = Projection("stations", tables=(stations,), handlers=handles)

A projection *version* is one copy of its tables, in the PostgreSQL schema
``<name>_v<version>``, built from the log by the code whose :meth:`Projection.fingerprint`
it records (:mod:`projections.runtime.registry`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any, Generic, TypeAlias, TypeVar, overload

from psycopg import AsyncCursor
from sqlalchemy import MetaData, Table
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateIndex, CreateTable

from schemas.envelopes import FrameRecord
from schemas.events import DomainEvent, EventEnvelope

Cursor = AsyncCursor[object]
E = TypeVar("E", bound=DomainEvent)
E2 = TypeVar("E2", bound=DomainEvent)
W = TypeVar("W")
Apply: TypeAlias = "Callable[[Cursor, EventEnvelope[E]], Awaitable[None]]"
Register: TypeAlias = "Callable[[Apply[E]], Apply[E]]"


class Handlers:
    """Handlers by event class: one statement (or a few) per event, in log order."""

    def __init__(self) -> None:
        self._by_class: dict[type[DomainEvent], Apply[Any]] = {}

    @overload
    def __call__(self, cls: type[E], /) -> Callable[[Apply[E]], Apply[E]]: ...
    @overload
    def __call__(self, a: type[E], b: type[E2], /) -> Register[E | E2]: ...
    @overload
    def __call__(self, *classes: type[DomainEvent]) -> Register[DomainEvent]: ...

    def __call__(self, *classes: type[Any]) -> Callable[[Apply[Any]], Apply[Any]]:
        """Register the decorated function for every class given."""

        def register(apply: Apply[Any]) -> Apply[Any]:
            for cls in classes:
                if cls in self._by_class:
                    raise TypeError(f"{cls.__name__} already has a handler here")
                self._by_class[cls] = apply
            return apply

        return register

    def get(self, cls: type[DomainEvent]) -> Apply[Any] | None:
        return self._by_class.get(cls)

    def classes(self) -> frozenset[type[DomainEvent]]:
        return frozenset(self._by_class)


@dataclass(frozen=True, slots=True)
class Bulk:
    """An event type whose rows are gathered over a batch and written at its end in one
    statement (``write``), after the batch's other statements. Only for a table that no
    other event type writes and no handler reads. ``rows`` reads the event's decoded JSON
    as it is (no model: this is the hot path of a rebuild), told whether the JSON text is
    free of backslashes (so no string in it needs escaping), and raises ``KeyError``,
    ``TypeError`` or ``ValueError`` on an event it cannot read."""

    rows: Callable[[Mapping[str, Any], bool], list[str]]
    write: Callable[[Cursor, list[str]], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Fold(Generic[W]):
    """Event types whose events for one key (``key``) are merged within a batch into one
    write (``merge``: performing the merged write has the effect of performing each in
    turn), performed after the batch's other statements. Only for rows that no other event
    type writes and no handler reads."""

    key: Callable[[EventEnvelope[Any]], Hashable]
    write: Callable[[EventEnvelope[Any]], W]
    merge: Callable[[W, W], W]
    perform: Callable[[Cursor, W], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Batched:
    """Event types whose events of a batch are handed to ``apply`` together, in log order,
    after the batch's handlers and folds, with the version's build parameters
    (:attr:`Target.params <projections.runtime.projector.Target.params>`): for rows that one
    statement per event cannot keep (a session's rating reads what came before it), read and
    written once per batch. Only for rows that no other event type writes."""

    apply: Callable[[Cursor, Sequence[Any], Mapping[str, Any]], Awaitable[None]]
    """Given the batch's items in log order: each an :class:`EventEnvelope`, or for a class in
    ``raw`` what its decoder made of the event's JSON."""
    raw: Mapping[type[DomainEvent], Callable[[Mapping[str, Any]], Any]] = field(
        default_factory=dict, hash=False, compare=False)
    """Event classes read straight from their JSON (newest schema version) instead of
    decoded into models: the hot path of a rebuild or backfill, like :class:`Bulk`. The
    decoder raises ``KeyError``, ``TypeError`` or ``ValueError`` on JSON it cannot read."""


@dataclass(frozen=True, slots=True)
class Seen:
    """What every applied event tells, whatever its type: which station, when, and whether
    the station itself caused it (a frame) rather than the API or the CSMS's clock."""

    station_id: str | None
    at: datetime
    by_station: bool


AfterBatch = Callable[[Cursor, Sequence[Seen]], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class FrameItem:
    """A frames-log record as handed to a projection that reads the frames log."""

    topic: str
    partition: int
    offset: int
    timestamp_ms: int
    """The record's Kafka timestamp (stored in the log: the same on every read)."""
    key: str | None
    """The station id the gateway keyed it by (DESIGN decision 2)."""
    value: bytes
    """The record's value exactly as in the log (what :mod:`audit.chain` hashes)."""
    record: FrameRecord | None
    """The value decoded; None when it is not a readable :class:`FrameRecord` (the record
    is in the log all the same, and a projection of the log must not skip it)."""
    error: str | None = None
    """Why ``record`` is None."""


ReadFrames = Callable[[Cursor, Sequence[FrameItem], object], Awaitable[None]]
"""A projection's handler of frames-log records: a batch's records of one partition in log
order, with the projection's settings (:attr:`Projector.settings
<projections.runtime.projector.Projector.settings>`, None when none were given)."""


@dataclass(frozen=True, slots=True)
class LoggedEvent:
    """An events-log (or admin-log) record as handed to :attr:`Projection.every_event`: where
    it is and its envelope's decoded JSON, whatever its type (no model is built)."""

    topic: str
    partition: int
    offset: int
    envelope: Mapping[str, Any]


IndexEvents = Callable[[Cursor, Sequence[LoggedEvent]], Awaitable[None]]


@dataclass(frozen=True, eq=False)  # one object per read model: compared by identity
class Projection:
    """A read model: its name, its tables, and how each event type it reads changes them.

    ``revision`` is raised when the handlers change what they write for the same events
    (the tables' DDL is part of the fingerprint already): a projection version built by
    other code is not followed by this code (docs/ARCHITECTURE.md, "Projection versions").
    """

    name: str
    tables: tuple[Table, ...]
    handlers: Handlers = field(default_factory=Handlers)
    folds: Mapping[type[DomainEvent], Fold[Any]] = field(default_factory=dict)
    bulk: Mapping[type[DomainEvent], Bulk] = field(default_factory=dict)
    batched: Mapping[type[DomainEvent], Batched] = field(default_factory=dict)
    after_batch: AfterBatch | None = None
    """Called once per batch with every applied event (e.g. the stations' liveness)."""
    every_event: IndexEvents | None = None
    """Called once per batch with every readable event of the batch, of any type, in log
    order (an index of the logs; the event types it sees are not in :attr:`handles`)."""
    frames: ReadFrames | None = None
    """The handler of the frames log's records: a projection that declares one is also fed
    the frames topic (and only such projections are)."""
    revision: int = 1

    def __post_init__(self) -> None:
        kinds = (self.handlers.classes(), frozenset(self.folds), frozenset(self.bulk),
                 frozenset(self.batched))  # fmt: skip
        for i, a in enumerate(kinds):
            for b in kinds[i + 1 :]:
                if a & b:
                    raise TypeError(f"{self.name}: {sorted(c.__name__ for c in a & b)} "
                                    "handled in two ways")  # fmt: skip

    @cached_property
    def handles(self) -> frozenset[type[DomainEvent]]:
        """Every event class this projection reads."""
        return (self.handlers.classes() | frozenset(self.folds) | frozenset(self.bulk)
                | frozenset(self.batched))  # fmt: skip

    @property
    def table_names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.tables)

    def ddl(self, schema: str) -> list[str]:
        """CREATE TABLE and CREATE INDEX statements of this projection's tables in ``schema``."""
        dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
        copies = MetaData()
        statements: list[str] = []
        for table in self.tables:
            copy = table.to_metadata(copies, schema=schema)
            statements.append(str(CreateTable(copy).compile(dialect=dialect)).strip())
            for index in sorted(copy.indexes, key=lambda i: str(i.name)):
                statements.append(str(CreateIndex(index).compile(dialect=dialect)).strip())
        return statements

    def fingerprint(self) -> str:
        """Identifies the code a version is built by: the tables' DDL and the revision."""
        digest = hashlib.sha256(f"{self.name}/r{self.revision}".encode())
        for statement in self.ddl("_"):
            digest.update(statement.encode())
        return digest.hexdigest()[:16]

    def schema(self, version: int) -> str:
        """The PostgreSQL schema that holds ``version``'s tables."""
        return f"{self.name}_v{version}"

