"""The ``billing`` projection: every session rated under the tariff that priced it, the
readings it was rated from, and its CDR once it ends (OCPI 2.2.1 mod_cdrs).

A session's cost depends on everything before it (its rating state, :class:`billing.rating.
Meter`), so its events of a batch are applied together (:class:`Batched`): the batch's
sessions are read in one statement, rated in memory by the same pure functions the
processor uses for the running cost on the station, and written back once. Rows are keyed by
what the events carry, so a rebuild from offset 0 writes the same rows.

A version may be built with a tariff override (its ``params``, set by ``csms billing
backfill``): sessions that started in the override's period under its tariff are rated by
the override's version instead of the one the processor applied (docs/BILLING.md,
"Backfill").

Which sessions get a CDR: those a tariff priced (a ``TariffApplied``), when they end. A
session without a tariff is kept (energy, times) but has no cost and no CDR.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, LiteralString
from uuid import UUID

import orjson
from pydantic import BaseModel, ConfigDict, ValidationError

from billing.cdr import AuthMethod, Cdr, SessionFacts, build_cdr, credit_of
from billing.rating import Cost, Meter, Reading, close, observe, open_meter, price
from billing.readings import LINES, decimal, readings_of
from projections.runtime.projection import Batched, Cursor, Projection
from schemas import readmodel
from schemas.events import (
    CdrCorrectionRequested,
    ConnectorStatusChanged,
    DomainEvent,
    EventEnvelope,
    MeterValuesReported,
    TariffApplied,
    TransactionEnded,
    TransactionStarted,
    TransactionUpdated,
    event_from_json,
)
from schemas.tariffs import Tariff

log = logging.getLogger(__name__)

UTC_ZONE = "UTC"
"""The time zone of a station that has none configured (StationConfigured.time_zone)."""

_SESSION_COLUMNS: tuple[LiteralString, ...] = (
    "id", "station_id", "transaction_id", "evse_id", "connector_id", "id_token",
    "id_token_type", "auth_method", "started_at", "stopped_at", "recorded_at", "status",
    "tariff_id", "tariff_version", "assigned_by", "time_zone", "currency", "meter",
    "cost_excl_vat", "cost_incl_vat", "energy_kwh", "charging_hours", "parking_hours",
    "cdr_id", "corrections", "stop_event_id", "rerated", "updated_at",
)  # fmt: skip
# JSON columns go as text (pydantic writes it) and are read as text (pydantic parses it):
# the json module on both ways cost more than the statements.
_JSON_COLUMNS = frozenset({"meter", "body"})


def _value(column: LiteralString) -> LiteralString:
    return f"%({column})s::jsonb" if column in _JSON_COLUMNS else f"%({column})s"


def _read(column: LiteralString) -> LiteralString:
    return f"{column}::text" if column in _JSON_COLUMNS else column


_UPSERT_SESSION: LiteralString = (
    "INSERT INTO billing_sessions (" + ", ".join(_SESSION_COLUMNS) + ") VALUES ("
    + ", ".join(_value(c) for c in _SESSION_COLUMNS) + ") ON CONFLICT (id) DO UPDATE SET "
    + ", ".join(f"{c} = EXCLUDED.{c}" for c in _SESSION_COLUMNS if c != "id")
)  # fmt: skip
_SELECT_SESSIONS: LiteralString = (
    "SELECT " + ", ".join(_read(c) for c in _SESSION_COLUMNS) + " FROM billing_sessions"
    " WHERE id = ANY(%(ids)s::bigint[]) OR (status = 'active' AND (station_id, evse_id) IN"
    " (SELECT * FROM unnest(%(stations)s::text[], %(evses)s::int[])))"
)  # fmt: skip
_CDR_COLUMNS: tuple[LiteralString, ...] = (
    "id", "transaction_pk", "station_id", "evse_id", "connector_id", "id_token", "auth_method",
    "start_date_time", "end_date_time", "currency", "tariff_id", "tariff_version",
    "total_cost_excl_vat", "total_cost_incl_vat", "total_energy_kwh", "total_time_hours",
    "total_parking_hours", "credit", "credit_reference_id", "issued_at", "body",
)  # fmt: skip
_INSERT_CDR: LiteralString = (
    "INSERT INTO cdrs (" + ", ".join(_CDR_COLUMNS) + ") VALUES ("
    + ", ".join(_value(c) for c in _CDR_COLUMNS) + ") ON CONFLICT (id) DO NOTHING"
)  # fmt: skip
_INSERT_READINGS: LiteralString = (
    # One JSON document per batch (orjson), read by PostgreSQL: psycopg's adaptation of
    # eight Python lists cost more than the whole statement.
    "INSERT INTO billing_readings"
    " (session_id, event_id, seq, at, energy_wh, power_w, current_a, charging)"
    " SELECT * FROM jsonb_to_recordset(%s::jsonb) AS r(session_id bigint, event_id uuid,"
    " seq int, at timestamptz, energy_wh numeric, power_w numeric, current_a numeric,"
    " charging boolean) ON CONFLICT DO NOTHING"
)
_SELECT_READINGS: LiteralString = (
    "SELECT session_id, at, energy_wh, power_w, current_a, charging FROM billing_readings"
    " WHERE session_id = ANY(%s::bigint[]) ORDER BY session_id, at, event_id, seq"
)


@dataclass(frozen=True, slots=True)
class MeterReadings:
    """A ``MeterValuesReported`` as billing reads it: which session, and its readings (what
    :func:`billing.readings.readings_of` gives for the event), read straight from the event's
    JSON (:func:`meter_readings`): half of a backfill's events are meter values."""

    event_id: UUID
    station_id: str | None
    occurred_at: datetime
    session_id: int | None
    readings: list[Reading]


_ENERGY, _POWER, _CURRENT = "Energy.Active.Import.Register", "Power.Active.Import", "Current.Import"
_UNITS = {_ENERGY: "Wh", _POWER: "W", _CURRENT: "A"}


def meter_readings(raw: Mapping[str, Any]) -> MeterReadings:
    """:class:`MeterReadings` of a ``MeterValuesReported``'s JSON (the rules of
    :mod:`billing.readings`: per sampled_at, the whole-meter register; the whole-meter
    power, else the sum over the lines; the current summed over the lines, else the
    whole-meter value). Raises ``KeyError``, ``TypeError`` or ``ValueError`` on JSON that
    is no such event."""
    data = raw["data"]
    by_time: dict[datetime, dict[Any, Any]] = {}
    instants: dict[str, datetime] = {}  # a message's samples mostly share one sampled_at
    for sample in data["samples"]:
        measurand, value = sample["measurand"], sample["canonical_value"]
        if value is None or _UNITS.get(measurand) != sample["canonical_unit"]:
            continue
        text = sample["sampled_at"]
        instant = instants.get(text)
        if instant is None:
            instant = instants[text] = _instant(text)
        at = by_time.setdefault(instant, {})
        line = LINES.get(sample["phase"] or "")
        if sample["phase"] is None:
            at[measurand] = value
        elif line is not None:
            at.setdefault((measurand, "lines"), {})[line] = value
    moments = sorted(by_time) if len(by_time) > 1 else by_time
    readings = [r for at in moments if (r := _reading(at, by_time[at])) is not None]
    session = data["id"]
    if session is not None and not isinstance(session, int):
        raise TypeError("a session id is an integer")
    return MeterReadings(UUID(raw["event_id"]), raw["station_id"],
                         _instant(raw["occurred_at"]), session, readings)  # fmt: skip


_APPLIED: dict[tuple[Any, Any], tuple[Any, Tariff]] = {}
"""Tariff versions validated from ``TariffApplied`` events, by (id, version), with the JSON
they were validated from (bounded: cleared past :data:`_TARIFF_CACHE`)."""


def tariff_applied(raw: Mapping[str, Any]) -> EventEnvelope[DomainEvent]:
    """A ``TariffApplied`` decoded from its JSON, the tariff it carries validated once per
    version: every session a version prices carries the same tariff (a version is never
    edited), and validating it was most of the event's decoding. A carried tariff that
    differs from the one seen for its version is validated on its own. Raises
    :class:`~schemas.events.EventError` as :func:`~schemas.events.event_from_json` does."""
    data = raw.get("data")
    if not isinstance(data, Mapping) or not isinstance(body := data.get("tariff"), Mapping):
        return event_from_json(raw)
    key = (data.get("tariff_id"), data.get("tariff_version"))
    known = _APPLIED.get(key)
    if known is None or known[0] != body:
        try:
            known = (body, Tariff.model_validate(body))
        except ValidationError:
            return event_from_json(raw)  # refused as ever, with the same error
        if len(_APPLIED) > _TARIFF_CACHE:
            _APPLIED.clear()
        _APPLIED[key] = known
    return event_from_json({**raw, "data": {**data, "tariff": known[1]}})


def _reading(at: datetime, found: dict[Any, Any]) -> Reading | None:
    energy = found.get(_ENERGY)
    power = found.get(_POWER)
    if power is None and (lines := found.get((_POWER, "lines"))):
        power = _sum(lines)
    current = _sum(lines) if (lines := found.get((_CURRENT, "lines"))) else found.get(_CURRENT)
    if energy is None and power is None and current is None:
        return None
    return Reading.of(at, _exact(energy), _exact(power), _exact(current))


def _exact(value: Any) -> Decimal | None:
    """A JSON number as the model's float reads it, exactly (billing.readings.decimal)."""
    if value is None or isinstance(value, Decimal):
        return value
    return decimal(float(value))


def _sum(lines: dict[str, Any]) -> Decimal:
    return sum((decimal(float(v)) or Decimal(0) for v in lines.values()), Decimal(0))


def _instant(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} carries no offset")
    return moment


class Override(BaseModel):
    """A backfill's tariff override (``params["override"]`` of a billing version): sessions
    that started in [``since``, ``until``) under tariff ``tariff_id`` are rated by
    ``version`` of it."""

    model_config = ConfigDict(frozen=True)

    tariff_id: str
    version: int
    tariff: Tariff
    since: datetime
    until: datetime

    @classmethod
    def of(cls, params: Mapping[str, Any]) -> Override | None:
        raw = params.get("override")
        return None if raw is None else cls.model_validate(raw)

    def covers(self, tariff_id: str, started_at: datetime) -> bool:
        return tariff_id == self.tariff_id and self.since <= started_at < self.until


@dataclass(slots=True)
class Session:
    """One session of a batch: its row (columns of ``billing_sessions``), its rating state."""

    row: dict[str, Any]
    meter: Meter | None = None
    tariff: Tariff | None = None
    earlier: list[Reading] = field(default_factory=list)
    """Readings stored before the session was priced (replayed into its meter then)."""
    changed: bool = False

    @property
    def id(self) -> int:
        return int(self.row["id"])


@dataclass(slots=True)
class _Writes:
    readings: list[tuple[int, UUID, int, Reading]] = field(default_factory=list)
    tariffs: dict[tuple[str, int], Tariff] = field(default_factory=dict)
    cdrs: list[dict[str, Any]] = field(default_factory=list)


class _Batch:
    """The sessions one batch touches and what it writes."""

    def __init__(self, sessions: dict[int, Session], override: Override | None,
                 only: Set[int] | None) -> None:  # fmt: skip
        self.sessions = sessions
        self.override = override
        self.only = only
        self.writes = _Writes()
        self.recalled: dict[int, list[tuple[UUID, int, Reading]]] = {}
        """Stored readings of sessions whose CDR this batch corrects."""
        self.current_cdrs: dict[str, Cdr] = {}
        """The CDRs this batch corrects, as issued."""
        self.places: dict[tuple[str | None, int | None], list[Session]] = {}
        """The sessions by station and EVSE (1.6: connector)."""
        for session in sessions.values():
            self.places.setdefault(_place(session), []).append(session)

    def wanted(self, session_id: int) -> bool:
        return self.only is None or session_id in self.only

    def apply(self, event: EventEnvelope[DomainEvent] | MeterReadings) -> None:
        if isinstance(event, MeterReadings):
            found = None if event.session_id is None else self.sessions.get(event.session_id)
            if found is not None and self.wanted(found.id):
                self.read(found, event.event_id, event.occurred_at, event.readings)
            return
        data = event.data
        if isinstance(data, CdrCorrectionRequested):
            corrected = self.sessions.get(data.transaction_pk)
            if corrected is not None and self.wanted(corrected.id):
                self.correct(corrected, event, data)
            return
        if isinstance(data, ConnectorStatusChanged):
            session = self.active_on(event.station_id, data.evse_id)
            if session is not None:
                self.read(session, event.event_id, event.occurred_at, readings_of(data))
            return
        session_id = getattr(data, "id", None)
        if session_id is None or not self.wanted(session_id):
            return
        if isinstance(data, TransactionStarted | TransactionUpdated | TransactionEnded):
            session = self.session_of(event, data)
        else:
            found = self.sessions.get(session_id)
            if found is None:
                return  # meter values or a tariff of a session never seen: nothing to rate
            session = found
        if isinstance(data, TariffApplied):
            self.priced(session, event, data)
        elif isinstance(data, TransactionEnded):
            self.ended(session, event, data)
        else:
            if isinstance(data, TransactionUpdated):
                _merge_token(session, data)
            self.read(session, event.event_id, event.occurred_at, readings_of(data))

    def active_on(self, station_id: str | None, evse_id: int) -> Session | None:
        """The newest active session of ``evse_id`` (1.6: the connector) of the station."""
        found = [s for s in self.places.get((station_id, evse_id), ())
                 if s.row["status"] == "active" and self.wanted(s.id)]  # fmt: skip
        return max(found, key=lambda s: (s.row["started_at"], s.id), default=None)

    def session_of(self, event: EventEnvelope[DomainEvent],
                   data: TransactionStarted | TransactionUpdated | TransactionEnded) -> Session:
        found = self.sessions.get(data.id)
        if found is not None:
            return found
        at = data.started_at if isinstance(data, TransactionStarted) else event.occurred_at
        session = Session(row={
            "id": data.id, "station_id": event.station_id, "transaction_id": data.transaction_id,
            "evse_id": data.evse_id, "connector_id": data.connector_id,
            "id_token": getattr(data, "id_token", None),
            "id_token_type": getattr(data, "id_token_type", None),
            "auth_method": _auth_method(data), "started_at": at, "stopped_at": None,
            "recorded_at": event.occurred_at, "status": "active", "tariff_id": None,
            "tariff_version": None, "assigned_by": None, "time_zone": UTC_ZONE,
            "currency": None, "meter": None, "cost_excl_vat": None, "cost_incl_vat": None,
            "energy_kwh": Decimal(0), "charging_hours": Decimal(0),
            "parking_hours": Decimal(0), "cdr_id": None, "corrections": 0,
            "stop_event_id": None, "rerated": False, "updated_at": event.occurred_at,
        }, changed=True)  # fmt: skip
        self.sessions[data.id] = session
        self.places.setdefault(_place(session), []).append(session)
        return session

    def read(self, session: Session, event_id: UUID, at: datetime,
             readings: list[Reading]) -> None:  # fmt: skip
        """An event's readings into the session (stored; rated while it is open)."""
        if not readings:
            return
        for seq, reading in enumerate(readings):
            self.writes.readings.append((session.id, event_id, seq, reading))
        session.row["updated_at"] = at
        session.changed = True
        if session.row["status"] != "active":
            return  # late readings are kept, the CDR issued stays as it is
        if session.meter is None or session.tariff is None:
            session.earlier.extend(readings)
            return
        for reading in readings:
            session.meter = observe(session.meter, session.tariff, reading)

    def priced(self, session: Session, event: EventEnvelope[DomainEvent],
               data: TariffApplied) -> None:  # fmt: skip
        """OCPI 2.2.1 mod_tariffs: the tariff valid when the session starts prices it."""
        if session.meter is not None:
            return  # priced once (the processor emits one TariffApplied per transaction)
        tariff, version = data.tariff, data.tariff_version
        self.writes.tariffs[(data.tariff_id, version)] = tariff
        started_at: datetime = session.row["started_at"]
        rerated = self.override is not None and self.override.covers(data.tariff_id, started_at)
        if rerated and self.override is not None:
            tariff, version = self.override.tariff, self.override.version
            self.writes.tariffs[(data.tariff_id, version)] = tariff
        meter = open_meter(tariff, data.time_zone, started_at)
        for reading in session.earlier:
            meter = observe(meter, tariff, reading)
        session.earlier = []
        session.meter, session.tariff = meter, tariff
        session.row.update(
            tariff_id=data.tariff_id, tariff_version=version, assigned_by=data.assigned_by,
            time_zone=data.time_zone, currency=tariff.currency, rerated=rerated,
            updated_at=event.occurred_at,
        )  # fmt: skip
        session.changed = True

    def ended(self, session: Session, event: EventEnvelope[DomainEvent],
              data: TransactionEnded) -> None:  # fmt: skip
        if session.row["status"] != "active":
            return  # an end recorded already
        stops = readings_of(data)
        for seq, reading in enumerate(stops):
            self.writes.readings.append((session.id, event.event_id, seq, reading))
        session.row.update(stopped_at=data.stopped_at, status="completed",
                           stop_event_id=event.event_id, updated_at=event.occurred_at)  # fmt: skip
        session.changed = True
        if session.meter is None or session.tariff is None:
            return  # unpriced: no cost, no CDR
        stop = stops[-1] if stops else Reading(at=data.stopped_at)
        session.meter = close(session.meter, session.tariff, stop)
        cost = price(session.meter, session.tariff)
        _costed(session, cost)
        cdr_id = str(session.id)
        session.row["cdr_id"] = cdr_id
        self.writes.cdrs.append(_cdr_row(cdr_id, session, cost, event.occurred_at))

    def correct(self, session: Session, event: EventEnvelope[DomainEvent],
                data: CdrCorrectionRequested) -> None:  # fmt: skip
        """OCPI 2.2.1 mod_cdrs "Credit CDRs": the session's current CDR is credited and a new
        one issued, rated from the session's stored readings by the tariff asked for."""
        if session.row["status"] != "completed" or session.row["cdr_id"] != data.cdr_id:
            log.info("correction of CDR %s ignored: not the current CDR of an ended session",
                     data.cdr_id)  # fmt: skip
            return
        original = self.current_cdrs.get(data.cdr_id)
        if original is None:
            return
        readings, stop = self.stored_readings(session)
        tariff = data.tariff
        meter = open_meter(tariff, session.row["time_zone"], session.row["started_at"])
        for reading in readings:
            meter = observe(meter, tariff, reading)
        meter = close(meter, tariff, stop or Reading(at=session.row["stopped_at"]))
        cost = price(meter, tariff)
        n = session.row["corrections"] + 1
        credit = credit_of(original, f"{session.id}-C{n}", event.occurred_at)
        self.writes.cdrs.append(_credit_row(credit, session, original.tariff_version))
        self.writes.tariffs[(tariff.id, data.tariff_version)] = tariff
        session.meter, session.tariff = meter, tariff
        session.row.update(tariff_id=tariff.id, tariff_version=data.tariff_version,
                           currency=tariff.currency, corrections=n,
                           updated_at=event.occurred_at)  # fmt: skip
        _costed(session, cost)
        new_id = f"{session.id}-R{n}"
        session.row["cdr_id"] = new_id
        self.writes.cdrs.append(_cdr_row(new_id, session, cost, event.occurred_at))
        session.changed = True

    def stored_readings(self, session: Session) -> tuple[list[Reading], Reading | None]:
        """The session's readings in time order (stored ones and this batch's), and its stop:
        the last reading of its TransactionEnded."""
        stop_event = session.row["stop_event_id"]
        mine = [(e, n, r) for s, e, n, r in self.writes.readings if s == session.id]
        every = sorted({(e, n): r for e, n, r in [*self.recalled.get(session.id, []), *mine]}
                       .items(), key=lambda item: (item[1].at, str(item[0][0]), item[0][1]))
        readings = [r for (e, _), r in every if e != stop_event]
        stops = [r for (e, _), r in every if e == stop_event]
        return readings, stops[-1] if stops else None

    def finish(self) -> None:
        """The running cost of every open priced session the batch touched."""
        for session in self.sessions.values():
            if (session.changed and session.row["status"] == "active"
                    and session.meter is not None and session.tariff is not None):  # fmt: skip
                _costed(session, price(session.meter, session.tariff))


def _place(session: Session) -> tuple[str | None, int | None]:
    return session.row["station_id"], session.row["evse_id"]


def _merge_token(session: Session, data: TransactionUpdated) -> None:
    """A 2.0.1 token presented after the start (E02): the session's token from then on."""
    if session.row["id_token"] is None and data.id_token is not None:
        session.row.update(id_token=data.id_token, id_token_type=data.id_token_type)
        session.changed = True


def _auth_method(data: TransactionStarted | TransactionUpdated | TransactionEnded) -> AuthMethod:
    """OCPI 2.2.1 AuthMethod: COMMAND for a remote start, WHITELIST for a session the station
    authorized offline, else AUTH_REQUEST."""
    if isinstance(data, TransactionStarted) and data.remote_start_id is not None:
        return "COMMAND"
    return "WHITELIST" if data.offline else "AUTH_REQUEST"


def _costed(session: Session, cost: Cost) -> None:
    session.row.update(
        cost_excl_vat=cost.excl_vat, cost_incl_vat=cost.incl_vat, energy_kwh=cost.energy_kwh,
        charging_hours=cost.charging_hours, parking_hours=cost.parking_hours,
    )  # fmt: skip


def _cdr_row(cdr_id: str, session: Session, cost: Cost, issued_at: datetime) -> dict[str, Any]:
    row = session.row
    assert session.tariff is not None
    facts = SessionFacts(
        transaction_pk=session.id, station_id=row["station_id"], evse_id=row["evse_id"],
        connector_id=row["connector_id"], id_token=row["id_token"],
        id_token_type=row["id_token_type"], auth_method=row["auth_method"],
        start_date_time=row["started_at"], end_date_time=row["stopped_at"],
    )  # fmt: skip
    cdr = build_cdr(cdr_id, facts, session.tariff, row["tariff_version"], cost, issued_at)
    return _cdr_columns(cdr, session, row["tariff_version"])


def _credit_row(credit: Cdr, session: Session, tariff_version: int) -> dict[str, Any]:
    return _cdr_columns(credit, session, tariff_version)


def _cdr_columns(cdr: Cdr, session: Session, tariff_version: int) -> dict[str, Any]:
    row = session.row
    return {
        "id": cdr.id, "transaction_pk": session.id, "station_id": row["station_id"],
        "evse_id": row["evse_id"], "connector_id": row["connector_id"],
        "id_token": row["id_token"], "auth_method": cdr.auth_method,
        "start_date_time": cdr.start_date_time, "end_date_time": cdr.end_date_time,
        "currency": cdr.currency, "tariff_id": cdr.tariffs[0].id if cdr.tariffs else None,
        "tariff_version": tariff_version, "total_cost_excl_vat": cdr.total_cost.excl_vat,
        "total_cost_incl_vat": cdr.total_cost.incl_vat, "total_energy_kwh": cdr.total_energy,
        "total_time_hours": cdr.total_time,
        "total_parking_hours": cdr.total_parking_time or Decimal(0), "credit": cdr.credit,
        "credit_reference_id": cdr.credit_reference_id, "issued_at": cdr.last_updated,
        "body": cdr.model_dump_json(),
    }  # fmt: skip


# -- reading and writing the batch's sessions ------------------------------------------------


_TARIFFS: dict[tuple[str, int], Tariff] = {}
"""Tariff versions by (id, version): immutable once published, so shared by every version of
this projection (bounded: cleared when it grows past :data:`_TARIFF_CACHE`)."""
_TARIFF_CACHE = 4096


Item = EventEnvelope[DomainEvent] | MeterReadings
"""What a batch hands the billing projection: events, meter values as :class:`MeterReadings`."""


@dataclass(slots=True)
class Resident:
    """Sessions a backfill's replay process keeps in memory from batch to batch (the sessions
    it re-rates are its own, and nothing reads the version it builds until the replay is
    over): an open session is read and written once per replay instead of once per batch;
    its row is written when it ends and, for those still open, by :func:`flush_resident`.
    Every session in memory holds all its readings taken before it was priced (``earlier``),
    so the read model is asked for them only for a session it loads."""

    sessions: dict[int, Session] = field(default_factory=dict)
    """The open sessions."""
    ended: dict[int, Session] = field(default_factory=dict)
    """The sessions the last batch wrote that are not open (their rows may still be on their
    way to the read model while the next batch is rated)."""

    def known(self) -> dict[int, Session]:
        return {**self.ended, **self.sessions}

    def keep(self, batch: _Batch) -> None:
        self.ended = {}
        for session in batch.sessions.values():
            if not batch.wanted(session.id):
                continue
            if session.row["status"] == "active":
                self.sessions[session.id] = session
            else:
                self.sessions.pop(session.id, None)
                if session.changed:
                    self.ended[session.id] = session


@dataclass(frozen=True, slots=True)
class Rows:
    """What a rated batch writes, its values taken when it was rated."""

    tariffs: list[tuple[str, int, str]]
    sessions: list[dict[str, Any]]
    readings: str | None
    cdrs: list[dict[str, Any]]


async def apply_billing(cur: Cursor, events: Sequence[Item], params: Mapping[str, Any], *,
                        only: Set[int] | None = None) -> None:  # fmt: skip
    """Rate a batch's events (in log order) into the sessions they belong to and write them.
    ``only``: touch no session but these."""
    await write_rows(cur, await rate_billing(cur, events, params, only=only))


async def rate_billing(cur: Cursor, events: Sequence[Item], params: Mapping[str, Any], *,
                       only: Set[int] | None = None,
                       resident: Resident | None = None) -> Rows:  # fmt: skip
    """Rate a batch's events (in log order) into the sessions they belong to (read from
    ``cur``); the rows to write. ``resident``: the open sessions stay in memory after the
    batch, unwritten (:class:`Resident`)."""
    kept = {} if resident is None else resident.known()
    sessions = await _load(cur, events, kept)
    batch = _Batch(sessions, Override.of(params), only)
    if resident is None:
        await _recall_earlier(cur, batch, _priced_late(batch, events))
    else:
        await _recall_earlier(cur, batch, [i for i, s in sessions.items()
                                           if i not in kept and s.meter is None])  # fmt: skip
    await _recall_corrected(cur, batch, events)
    for event in events:
        batch.apply(event)
    if resident is None:
        batch.finish()
        return _rows(batch)
    resident.keep(batch)
    return _rows(batch, held=resident.sessions.keys())


async def flush_resident(cur: Cursor, resident: Resident) -> None:
    """Write the open sessions a replay kept in memory, with their running cost."""
    batch = _Batch(resident.sessions, None, None)
    batch.finish()
    await write_rows(cur, _rows(batch))
    resident.sessions.clear()
    resident.ended.clear()


async def _apply(cur: Cursor, events: Sequence[Item], params: Mapping[str, Any]) -> None:
    await apply_billing(cur, events, params)


async def _load(cur: Cursor, events: Sequence[Item],
                kept: Mapping[int, Session]) -> dict[int, Session]:  # fmt: skip
    """The sessions ``events`` touch: those in ``kept``, the others from the read model (with
    the active sessions of the EVSEs whose status changes)."""
    ids: set[int] = set()
    places: set[tuple[str, int]] = set()
    for event in events:
        if isinstance(event, MeterReadings):
            if event.session_id is not None:
                ids.add(event.session_id)
            continue
        data = event.data
        if isinstance(data, CdrCorrectionRequested):
            ids.add(data.transaction_pk)
        elif isinstance(data, ConnectorStatusChanged):
            if event.station_id is not None:
                places.add((event.station_id, data.evse_id))
        elif (session_id := getattr(data, "id", None)) is not None:
            ids.add(session_id)
    stations, evses = [p[0] for p in places], [p[1] for p in places]
    await cur.execute(_SELECT_SESSIONS, {"ids": [i for i in ids if i not in kept],
                                         "stations": stations, "evses": evses})  # fmt: skip
    rows: list[Any] = await cur.fetchall()
    sessions = {int(r[0]): Session(dict(zip(_SESSION_COLUMNS, r, strict=True))) for r in rows
                if int(r[0]) not in kept}  # fmt: skip
    await _meters(cur, sessions)
    sessions.update(kept)
    return sessions


async def _meters(cur: Cursor, sessions: dict[int, Session]) -> None:
    """Each loaded session's meter and tariff (the tariffs not cached read in one query)."""
    wanted = {(s.row["tariff_id"], s.row["tariff_version"]) for s in sessions.values()
              if s.row["meter"] is not None}  # fmt: skip
    missing = [k for k in wanted if k not in _TARIFFS]
    if missing:
        await cur.execute(
            "SELECT tariff_id, version, body FROM billing_tariffs WHERE (tariff_id, version)"
            " IN (SELECT * FROM unnest(%s::text[], %s::int[]))",
            ([k[0] for k in missing], [k[1] for k in missing]),
        )
        fetched: list[Any] = await cur.fetchall()
        if len(_TARIFFS) > _TARIFF_CACHE:
            _TARIFFS.clear()
        for tariff_id, version, body in fetched:
            _TARIFFS[(tariff_id, version)] = Tariff.model_validate(body)
    for session in sessions.values():
        if session.row["meter"] is not None:
            session.meter = Meter.model_validate_json(session.row["meter"])
            session.tariff = _TARIFFS[(session.row["tariff_id"], session.row["tariff_version"])]


def _priced_late(batch: _Batch, events: Sequence[Item]) -> list[int]:
    """The sessions written unpriced by an earlier batch that this batch prices (a
    TariffApplied that came in a later batch than its TransactionStarted)."""
    return [e.data.id for e in events if not isinstance(e, MeterReadings)
            and isinstance(e.data, TariffApplied)
            and (s := batch.sessions.get(e.data.id)) is not None and s.meter is None]  # fmt: skip


async def _recall_earlier(cur: Cursor, batch: _Batch, late: list[int]) -> None:
    """The stored readings of the unpriced sessions ``late`` into their ``earlier``."""
    if not late:
        return
    await cur.execute(_SELECT_READINGS, (late,))
    rows: list[Any] = await cur.fetchall()
    for session_id, at, energy, power, current, charging in rows:
        batch.sessions[session_id].earlier.append(Reading.of(at, energy, power, current,
                                                            charging))  # fmt: skip


async def _recall_corrected(cur: Cursor, batch: _Batch, events: Sequence[Item]) -> None:
    """The stored readings and current CDRs of the sessions this batch corrects."""
    asked = [e.data for e in events if not isinstance(e, MeterReadings)
             and isinstance(e.data, CdrCorrectionRequested)]  # fmt: skip
    if not asked:
        return
    await cur.execute(
        "SELECT session_id, event_id, seq, at, energy_wh, power_w, current_a, charging"
        " FROM billing_readings WHERE session_id = ANY(%s::bigint[])",
        ([a.transaction_pk for a in asked],),
    )
    rows: list[Any] = await cur.fetchall()
    for session_id, event_id, seq, at, energy, power, current, charging in rows:
        batch.recalled.setdefault(session_id, []).append(
            (event_id, seq, Reading.of(at, energy, power, current, charging)))
    await cur.execute("SELECT id, body::text FROM cdrs WHERE id = ANY(%s::text[])",
                      ([a.cdr_id for a in asked],))  # fmt: skip
    found: list[Any] = await cur.fetchall()
    batch.current_cdrs = {cdr_id: Cdr.model_validate_json(body) for cdr_id, body in found}


def _rows(batch: _Batch, held: Set[int] = frozenset()) -> Rows:
    """The batch's rows; the sessions in ``held`` stay unwritten (and marked changed)."""
    writes = batch.writes
    for (tariff_id, version), tariff in writes.tariffs.items():
        _TARIFFS.setdefault((tariff_id, version), tariff)
    changed = [s for s in batch.sessions.values() if s.changed and s.id not in held]
    sessions = [_session_params(s) for s in changed]
    for session in changed:
        session.changed = False
    return Rows(
        tariffs=[(k[0], k[1], t.model_dump_json()) for k, t in writes.tariffs.items()],
        sessions=sessions, cdrs=writes.cdrs,
        readings=_readings_json(writes.readings) if writes.readings else None,
    )  # fmt: skip


async def write_rows(cur: Cursor, rows: Rows) -> None:
    if rows.tariffs:
        await cur.executemany(
            "INSERT INTO billing_tariffs (tariff_id, version, body) VALUES (%s, %s, %s::jsonb)"
            " ON CONFLICT DO NOTHING",
            rows.tariffs,
        )
    if rows.sessions:
        await cur.executemany(_UPSERT_SESSION, rows.sessions)
    if rows.readings is not None:
        await cur.execute(_INSERT_READINGS, (rows.readings,))
    if rows.cdrs:
        await cur.executemany(_INSERT_CDR, rows.cdrs)


def _session_params(session: Session) -> dict[str, Any]:
    params = dict(session.row)
    meter = session.meter
    params["meter"] = None if meter is None else meter.model_dump_json()
    return params


def _readings_json(readings: list[tuple[int, UUID, int, Reading]]) -> str:
    return orjson.dumps([
        {"session_id": s, "event_id": e, "seq": n, "at": r.at, "energy_wh": r.energy_wh,
         "power_w": r.power_w, "current_a": r.current_a, "charging": r.charging}
        for s, e, n, r in readings
    ], default=str).decode()  # fmt: skip


_RATED = Batched(_apply, raw={MeterValuesReported: meter_readings, TariffApplied: tariff_applied})
PROJECTION = Projection(
    readmodel.BILLING,
    tables=(readmodel.billing_sessions, readmodel.billing_readings, readmodel.billing_tariffs,
            readmodel.cdrs),
    batched={cls: _RATED for cls in (TransactionStarted, TransactionUpdated, TransactionEnded,
                                     MeterValuesReported, TariffApplied,
                                     ConnectorStatusChanged, CdrCorrectionRequested)},
)  # fmt: skip
