"""Rating: what a charging session costs under an OCPI 2.2.1 tariff (mod_tariffs).

A session is seen as a series of :class:`Reading` (its start, each meter reading, each change
of charging state, its stop). :class:`Meter` is the incremental state of one session under one
tariff: :func:`open_meter` at the start, :func:`observe` for each reading in time order,
:func:`close` at the stop; :func:`price` turns it into a :class:`Cost` at any moment. The
processor keeps a Meter per open transaction in its state (running cost on the station) and
the billing projection keeps one per session in its rows (the CDR); both call the same
functions, so both state the same amounts.

All arithmetic is :class:`~decimal.Decimal` (no floats); amounts are rounded only in
:class:`Cost` (docs/BILLING.md, "Rounding").

Semantics (OCPI 2.2.1 mod_tariffs; where the text leaves a choice, the one made here):

- Elements: per dimension, the first element (in tariff order) with a component of that
  dimension whose restrictions all match at the moment applies; none: that dimension is free
  then (§"Tariff Object"). A session's periods (:attr:`Cost.periods`) change exactly where the
  charging state or one of those elements changes (mod_cdrs: "A CPO SHALL at least start (and
  add) a ChargingPeriod every moment/event that has relevance for the total costs").
- TIME is time charging, PARKING_TIME time not charging (§TariffDimensionType), from
  :attr:`Reading.charging`; a session whose state is not known at its start is charging.
- FLAT is one fee per session: the FLAT component of the element that prices FLAT at the first
  moment any element does (for most tariffs, the start); later changes of that element cost
  nothing more. The reservation (below) has its own FLAT fee, as tariff examples 16 and 17
  show (the reservation fee and the start fee are both billed).
- Restrictions (:mod:`billing.restrictions`): ranges are ``min <= value < max``; local times,
  dates and weekdays are the station's (``time_zone``, IANA, DST-correct); ``min/max_kwh`` is
  the session's energy so far; power and current are the interval's: the measured value of the
  reading that ends it, else its average power from the register, else the last measured
  value (current: the last measured); while not charging both are 0; unknown: a power or
  current restriction does not match. Durations count from the session's start.
- Intervals between readings are split exactly where a restriction can change: local times of
  day named by the tariff, local midnight (dates, weekdays), changes of the UTC offset,
  duration limits, and energy limits (the instant found by linear interpolation of the energy
  over the interval's charging time).
- Energy: the register's increase, spread over the charging time since the previous register
  (over the whole time when there was none). A register below the previous one is a meter
  reset: the new value is the energy since the reset (:attr:`Cost.resets` counts them). Without
  a register at the start, the first register read is the baseline. A change of state without
  a register leaves pending time whose energy the next register assigns; time still pending at
  the stop (or when a running cost is priced) has no energy. Readings older than the last one
  are ignored.
- Reservation: with ``reserved_at``, the time from then until the session's start is priced by
  the elements restricted to RESERVATION only (TIME is the reservation time, FLAT its fee;
  durations count from ``reserved_at``); those elements never price the session, and without
  ``reserved_at`` they never match. RESERVATION_EXPIRES prices reservations without a session,
  which are not rated here.
- step_size: :mod:`billing.step_size` (applied for the last element used for a dimension and
  when switching to an element without it; TIME rounded up covers the parking that follows).
- Amounts: each dimension's cost is exact (28 significant digits where time is divided into
  hours); VAT per component, ``incl = excl * (1 + vat / 100)``; a dimension's or the total's
  incl. VAT is None when a component without VAT priced a non-zero amount (OCPI: "As no VAT
  information is given, it is not possible to calculate total costs including VAT"; a
  component priced 0.00 needs none, as the "Free of Charge" example says). ``min_price`` and
  ``max_price`` bound the excl. VAT total by their ``excl_vat`` and the incl. VAT total by
  their ``incl_vat`` separately (§Tariff Object NOTEs); then both totals are rounded half up to
  the currency's minor unit (ISO 4217: 0.01 EUR, 1 JPY, 0.001 KWD).
- The tariff's start_date_time / end_date_time are not checked here: which tariff prices a
  session is decided when it starts (§Tariff Object NOTE: the tariff valid at the start).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

from billing.currencies import minor_unit
from billing.restrictions import (
    Candidates,
    CompiledTariff,
    Moment,
    band,
    compile_tariff,
    first_match,
    next_boundary,
)
from billing.step_size import Accrual, Run, bill, cover
from schemas.tariffs import Price, Tariff, TariffDimensionType

_US = timedelta(microseconds=1)
_ZERO = Decimal(0)
_US_PER_HOUR = Decimal(3_600_000_000)
_KILO = Decimal(1000)
_CONTEXT = Context(prec=28, rounding=ROUND_HALF_UP)
"""Every division of rating (interpolation, hours, VAT) in one context, whatever the caller's."""
_NONE = -1


class Reading(BaseModel):
    """One observation of a session at ``at``: any of the register, the power, the current
    and the charging state (None: not part of this reading)."""

    model_config = ConfigDict(frozen=True)

    at: datetime
    energy_wh: Decimal | None = None
    """Energy.Active.Import.Register, Wh (the meter's register, not the session's energy)."""
    power_w: Decimal | None = None
    """Power.Active.Import, W."""
    current_a: Decimal | None = None
    """Current.Import summed over the phases, A."""
    charging: bool | None = None
    """True: the EV takes energy (2.0.1 chargingState Charging; 1.6 status Charging); False:
    plugged in but not charging (EVConnected, SuspendedEV, SuspendedEVSE, Idle; 1.6
    SuspendedEV, SuspendedEVSE, Finishing); None: unchanged."""

    @classmethod
    def of(cls, at: datetime, energy_wh: Decimal | None = None, power_w: Decimal | None = None,
           current_a: Decimal | None = None, charging: bool | None = None) -> Reading:  # fmt: skip
        """``Reading(...)`` of values already of the fields' types, without validating them
        again (a reading is made for every meter value); a value validation refuses (a NaN, an
        infinity) is validated, and refused as ever. Every field counts as set."""
        if ((energy_wh is None or energy_wh.is_finite())
                and (power_w is None or power_w.is_finite())
                and (current_a is None or current_a.is_finite())):  # fmt: skip
            new = _new(cls)
            _setattr(new, "__dict__", {"at": at, "energy_wh": energy_wh, "power_w": power_w,
                                       "current_a": current_a, "charging": charging})  # fmt: skip
            _setattr(new, "__pydantic_fields_set__", set(_READING_FIELDS))
            _setattr(new, "__pydantic_extra__", None)
            _setattr(new, "__pydantic_private__", None)
            return new
        return cls(at=at, energy_wh=energy_wh, power_w=power_w, current_a=current_a,
                   charging=charging)  # fmt: skip


_READING_FIELDS = frozenset(Reading.model_fields)
_setattr = object.__setattr__
_new = object.__new__


class MeterPeriod(BaseModel):
    """One charging period of a :class:`Meter`: from ``start`` for ``duration_us``, under one
    set of active elements (-1: no element prices that dimension)."""

    model_config = ConfigDict(frozen=True)

    start: datetime
    reserved: bool = False
    """Part of the reservation before the session."""
    charging: bool = True
    energy_element: int = _NONE
    time_element: int = _NONE
    """The element pricing TIME while charging or reserved, PARKING_TIME while not."""
    energy_wh: Decimal = _ZERO
    duration_us: int = 0
    min_power_w: Decimal | None = None
    max_power_w: Decimal | None = None
    min_current_a: Decimal | None = None
    max_current_a: Decimal | None = None

    @property
    def end(self) -> datetime:
        return self.start + self.duration_us * _US

    def same_elements(self, other: MeterPeriod) -> bool:
        return (self.reserved == other.reserved and self.charging == other.charging
                and self.energy_element == other.energy_element
                and self.time_element == other.time_element)  # fmt: skip


class PendingTime(BaseModel):
    """Time since the last register, from ``start`` until the next one's start (or the
    Meter's ``at``), in one charging state; its energy is known at the next register."""

    model_config = ConfigDict(frozen=True)

    start: datetime
    charging: bool
    power_w: Decimal | None = None
    """Measured by the reading that ended it."""
    current_a: Decimal | None = None


class Meter(BaseModel):
    """The rating state of one session under one tariff (JSON-serialisable: it is kept in the
    processor's Faust table and in the billing read model). Its size grows with the session's
    charging periods (a new one only where the active tariff elements change), not with its
    readings."""

    model_config = ConfigDict(frozen=True)

    time_zone: str
    started_at: datetime
    reserved_at: datetime | None = None
    at: datetime
    """The last reading's time."""
    charging: bool = True
    """The charging state since ``at``."""
    register_wh: Decimal | None = None
    power_w: Decimal | None = None
    """Last measured power, W."""
    current_a: Decimal | None = None
    energy_wh: Decimal = _ZERO
    """The session's energy up to the end of the last period."""
    resets: int = 0
    closed: bool = False
    flat_element: int = _NONE
    reservation_flat_element: int = _NONE
    next_boundary: datetime | None = None
    """Where a calendar or duration restriction can next change (None: never)."""
    pending: tuple[PendingTime, ...] = ()
    periods: tuple[MeterPeriod, ...] = ()
    """The closed periods."""
    current: MeterPeriod
    """The open period as it began: its start and elements (they hold until a band or a
    boundary changes); what it has accrued since is in the ``accrued_*`` fields."""
    accrued_wh: Decimal = _ZERO
    accrued_us: int = 0
    accrued_power_w: tuple[Decimal, Decimal] | None = None
    """Lowest and highest power of the open period."""
    accrued_current_a: tuple[Decimal, Decimal] | None = None
    bands: tuple[bool, int, int, int] | None = None
    """Charging state and power, current and energy ranges ``current``'s elements were chosen
    in (None: choose again)."""


class DimensionCost(BaseModel):
    """What one dimension of a session costs."""

    model_config = ConfigDict(frozen=True)

    type: TariffDimensionType
    volume: Decimal
    """kWh for ENERGY, hours for TIME and PARKING_TIME, the count of fees for FLAT."""
    billed_volume: Decimal
    """``volume`` after step_size rounding."""
    excl_vat: Decimal
    incl_vat: Decimal | None
    """None when a component priced in it states no VAT."""
    reservation: bool = False
    """Priced for the reservation before the session (TIME: the reservation time)."""


class CdrDimension(BaseModel):
    """OCPI 2.2.1 mod_cdrs CdrDimension."""

    model_config = ConfigDict(frozen=True)

    type: str
    """CdrDimensionType: ENERGY, MAX_CURRENT, MIN_CURRENT, MAX_POWER, MIN_POWER,
    PARKING_TIME, TIME, ..."""
    volume: Decimal


class ChargingPeriod(BaseModel):
    """OCPI 2.2.1 mod_cdrs ChargingPeriod: from ``start_date_time`` until the next period's
    start (or the session's end), with its volumes."""

    model_config = ConfigDict(frozen=True)

    start_date_time: datetime
    dimensions: tuple[CdrDimension, ...]
    tariff_id: str | None = None


class Cost(BaseModel):
    """A session's cost under its tariff at some moment (running or final)."""

    model_config = ConfigDict(frozen=True)

    currency: str
    excl_vat: Decimal
    """Total after min_price / max_price, rounded to the currency's minor unit."""
    incl_vat: Decimal | None
    """None when some component states no VAT (OCPI: no incl. VAT total can be given)."""
    dimensions: tuple[DimensionCost, ...]
    """ENERGY, FLAT, TIME, PARKING_TIME: those the tariff prices."""
    energy_kwh: Decimal
    charging_hours: Decimal
    parking_hours: Decimal
    min_price_applied: bool
    max_price_applied: bool
    periods: tuple[ChargingPeriod, ...]
    reservation_hours: Decimal = _ZERO
    """From ``reserved_at`` until the session's start."""
    resets: int = 0
    """Meter resets seen (a register below the one before)."""


def open_meter(tariff: Tariff, time_zone: str, started_at: datetime, start: Reading | None = None,
               *, reserved_at: datetime | None = None) -> Meter:  # fmt: skip
    """The meter of a session starting at ``started_at`` in a station in ``time_zone`` (IANA);
    ``start``: what the start event read (register, charging state); ``reserved_at``: when
    the reservation the session started from began (priced by the RESERVATION elements)."""
    with localcontext(_CONTEXT):
        work = _Work.opened(compile_tariff(tariff), time_zone, started_at, start, reserved_at)
        return work.meter()


def observe(meter: Meter, tariff: Tariff, reading: Reading) -> Meter:
    """``meter`` advanced to ``reading`` (a reading older than the last one is ignored)."""
    if meter.closed or reading.at < meter.at:
        return meter
    with localcontext(_CONTEXT):
        compiled = compile_tariff(tariff)
        accrued = _accrued(meter, compiled, reading)
        if accrued is not None:
            return accrued
        work = _Work(meter, compiled)
        work.observe(reading)
        return work.meter()


def close(meter: Meter, tariff: Tariff, stop: Reading) -> Meter:
    """``meter`` at the session's stop (its last reading: time, final register)."""
    if meter.closed:
        return meter
    with localcontext(_CONTEXT):
        work = _Work(meter, compile_tariff(tariff))
        if stop.at >= meter.at:
            work.observe(stop)
        work.finish(work.at)
        work.closed = True
        return work.meter()


def price(meter: Meter, tariff: Tariff, until: datetime | None = None) -> Cost:
    """What the session costs: up to its stop if closed, else up to ``until`` (the running
    cost of a session still going; its last reading when None). A session still going is
    extended from its last reading in its last state (no energy: no register says any); an
    ``until`` before the last reading is the last reading."""
    with localcontext(_CONTEXT):
        compiled = compile_tariff(tariff)
        work = _Work(meter, compiled)
        if not meter.closed:
            work.finish(meter.at if until is None or until < meter.at else until)
        return _cost(compiled, work.all_periods(), _Fees(work.flat, work.reservation_flat),
                     work.resets)


def rate(tariff: Tariff, time_zone: str, started_at: datetime, readings: Sequence[Reading],
         stop: Reading | None = None, until: datetime | None = None, *,
         start: Reading | None = None, reserved_at: datetime | None = None) -> Cost:  # fmt: skip
    """The whole pipeline at once: open, observe each reading, close at ``stop`` if given,
    price."""
    meter = open_meter(tariff, time_zone, started_at, start, reserved_at=reserved_at)
    for reading in readings:
        meter = observe(meter, tariff, reading)
    if stop is not None:
        meter = close(meter, tariff, stop)
    return price(meter, tariff, until)


# The common path of observe: a register after a register, nothing else happening

_ACCRUED = frozenset((
    "at", "charging", "register_wh", "power_w", "current_a", "energy_wh", "accrued_wh",
    "accrued_us", "accrued_power_w", "accrued_current_a",
))  # fmt: skip


_AT_ONCE = frozenset(("register_wh", "power_w", "current_a", "charging"))


def _accrued(m: Meter, c: CompiledTariff, r: Reading) -> Meter | None:
    """``m`` advanced to ``r`` when the interval only accrues to the open period: no pending
    time, a register not below the last, no boundary passed, no energy limit reached, and the
    same bands (so the same elements); else None (:class:`_Work` does it). The arithmetic is
    :meth:`_Work.observe`'s on that path (``_settle``, ``_segment``, ``_piece``, ``_put``)."""
    register, previous, boundary = r.energy_wh, m.register_wh, m.next_boundary
    if r.at == m.at and not m.pending and (register is None or previous is None
                                           or register == previous):  # fmt: skip
        # A second reading of the same instant (a 2.0.1 TransactionEvent states its meter
        # values and its register at once) that adds no energy: only the last measured
        # values and the state change, as _Work.observe would leave them.
        return _replaced(m, {
            "register_wh": previous if register is None else register,
            "power_w": m.power_w if r.power_w is None else r.power_w,
            "current_a": m.current_a if r.current_a is None else r.current_a,
            "charging": m.charging if r.charging is None else r.charging,
        }, _AT_ONCE)  # fmt: skip
    if (m.pending or register is None or previous is None or register < previous
            or m.bands is None or r.at <= m.at
            or (boundary is not None and (m.at >= boundary or r.at > boundary))):  # fmt: skip
        return None
    energy = register - previous or _ZERO
    span = (r.at - m.at) // _US
    charging, energy_wh = m.charging, m.energy_wh
    power: Decimal | None = _ZERO
    current: Decimal | None = _ZERO
    if charging:
        power = r.power_w if r.power_w is not None else energy * _US_PER_HOUR / span
        current = r.current_a if r.current_a is not None else m.current_a
    marks = c.energy_marks
    k = bisect_right(marks, energy_wh)
    if energy > 0 and k < len(marks) and marks[k] - energy_wh <= energy:
        return None
    bands = (charging, band(c.power_marks, power), band(c.current_marks, current), k)
    if bands != m.bands:
        return None
    return _replaced(m, {
        "at": r.at, "charging": charging if r.charging is None else r.charging,
        "register_wh": register, "power_w": m.power_w if r.power_w is None else r.power_w,
        "current_a": m.current_a if r.current_a is None else r.current_a,
        "energy_wh": energy_wh + energy, "accrued_wh": m.accrued_wh + energy,
        "accrued_us": m.accrued_us + span,
        "accrued_power_w": _widened(m.accrued_power_w, power if charging else None),
        "accrued_current_a": _widened(m.accrued_current_a, current if charging else None),
    }, _ACCRUED)  # fmt: skip


def _widened(span: tuple[Decimal, Decimal] | None,
             value: Decimal | None) -> tuple[Decimal, Decimal] | None:  # fmt: skip
    """The lowest and highest of ``span`` and ``value`` (as :meth:`_Work._put` keeps them)."""
    if value is None:
        return span
    if span is None:
        return value, value
    return min(span[0], value), max(span[1], value)


# Models built from values already valid, without validating them again

_Model = TypeVar("_Model", bound=BaseModel)


def _replaced(model: _Model, changes: dict[str, Any], names: frozenset[str]) -> _Model:
    """``model.model_copy(update=changes)`` (``names``: the keys of ``changes``), without its
    generic copying: every value is valid (it comes from a validated model or from rating)."""
    cls = type(model)
    new = _new(cls)
    values = model.__dict__.copy()
    values.update(changes)
    _setattr(new, "__dict__", values)
    _setattr(new, "__pydantic_fields_set__", model.__pydantic_fields_set__ | names)
    _setattr(new, "__pydantic_extra__", None)
    _setattr(new, "__pydantic_private__", None)
    return new


_DEFAULTS: dict[type[BaseModel], dict[str, Any]] = {}
"""Per model class (a fixed few), every field with its default (None when required), in the
fields' order: the order of a model's ``__dict__`` is the order its JSON is written in."""


def valid_model(cls: type[_Model], **fields: Any) -> _Model:
    """``cls(**fields)`` for ``fields`` already valid (values of validated models, or made by
    rating with the fields' types), without validating them again: the same model, with the
    same fields set."""
    defaults = _DEFAULTS.get(cls)
    if defaults is None:
        defaults = _DEFAULTS[cls] = {name: None if f.is_required() else f.default
                                     for name, f in cls.model_fields.items()}  # fmt: skip
    new = _new(cls)
    values = defaults.copy()
    values.update(fields)
    _setattr(new, "__dict__", values)
    _setattr(new, "__pydantic_fields_set__", set(fields))
    _setattr(new, "__pydantic_extra__", None)
    _setattr(new, "__pydantic_private__", None)
    return new


_WORKED = frozenset(Meter.model_fields) - {"time_zone", "started_at", "reserved_at"}
"""The fields :meth:`_Work.meter` sets."""
_CLOSED = frozenset(("energy_wh", "duration_us", "min_power_w", "max_power_w", "min_current_a",
                     "max_current_a"))  # fmt: skip


class _Held:
    """Pending time while it is worked on (:class:`PendingTime`)."""

    __slots__ = ("charging", "current_a", "power_w", "start")

    def __init__(self, start: datetime, charging: bool, power_w: Decimal | None,
                 current_a: Decimal | None) -> None:  # fmt: skip
        self.start, self.charging = start, charging
        self.power_w, self.current_a = power_w, current_a


class _Work:
    """A :class:`Meter` being advanced within one call (the public functions stay pure: each
    builds one from its Meter and returns a new Meter)."""

    __slots__ = (
        "at", "bands", "c", "charging", "closed", "cur_energy", "cur_imax", "cur_imin",
        "cur_pmax", "cur_pmin", "cur_us", "current", "current_a", "energy_wh", "flat",
        "next_boundary", "origin", "pending", "periods", "power_w", "register_wh",
        "reservation_flat", "reserved", "reserved_at", "resets", "source", "started_at",
        "time_zone", "tz",
    )  # fmt: skip

    def __init__(self, meter: Meter, c: CompiledTariff) -> None:
        self.source, self.c = meter, c
        self.time_zone, self.tz = meter.time_zone, ZoneInfo(meter.time_zone)
        self.started_at, self.reserved_at = meter.started_at, meter.reserved_at
        self.origin, self.reserved = meter.started_at, False
        self.at, self.charging, self.closed = meter.at, meter.charging, meter.closed
        self.register_wh, self.power_w, self.current_a = (
            meter.register_wh, meter.power_w, meter.current_a)
        self.energy_wh, self.resets = meter.energy_wh, meter.resets
        self.flat, self.reservation_flat = meter.flat_element, meter.reservation_flat_element
        self.next_boundary, self.bands = meter.next_boundary, meter.bands
        self.pending = [_Held(p.start, p.charging, p.power_w, p.current_a) for p in meter.pending]
        self.periods = meter.periods
        self.current = meter.current
        self.cur_energy, self.cur_us = meter.accrued_wh, meter.accrued_us
        power, current = meter.accrued_power_w, meter.accrued_current_a
        self.cur_pmin: Decimal | None = None if power is None else power[0]
        self.cur_pmax: Decimal | None = None if power is None else power[1]
        self.cur_imin: Decimal | None = None if current is None else current[0]
        self.cur_imax: Decimal | None = None if current is None else current[1]

    def _load(self, p: MeterPeriod) -> None:
        """``p`` (nothing accrued yet) as the open period."""
        self.current = p
        self.cur_energy, self.cur_us = _ZERO, 0
        self.cur_pmin = self.cur_pmax = self.cur_imin = self.cur_imax = None

    @classmethod
    def opened(cls, c: CompiledTariff, time_zone: str, started_at: datetime,
               start: Reading | None, reserved_at: datetime | None) -> _Work:  # fmt: skip
        begins = reserved_at if reserved_at is not None and reserved_at < started_at else None
        first = begins or started_at
        meter = Meter(time_zone=time_zone, started_at=started_at, reserved_at=begins, at=first,
                      current=MeterPeriod(start=first, reserved=begins is not None))  # fmt: skip
        work = cls(meter, c)
        if begins is not None:
            work._reserve(begins, started_at)
        work._begin(started_at, start)
        return work

    def _reserve(self, begins: datetime, started_at: datetime) -> None:
        # OCPI 2.2.1 mod_tariffs §TariffRestrictions.reservation: "A reservation starts when the
        # reservation is made, and ends when the drivers starts charging".
        self.reserved, self.origin = True, begins
        self.next_boundary = next_boundary(self.c, self.tz, begins, begins)
        self._segment(begins, started_at, False, _ZERO, True, None, None)
        self.reservation_flat, self.flat = self.flat, _NONE
        self.reserved, self.origin, self.at = False, started_at, started_at
        self._close_period(started_at)

    def _begin(self, started_at: datetime, start: Reading | None) -> None:
        # A session whose state is not known at its start is charging.
        self.charging = True if start is None or start.charging is None else start.charging
        if start is not None:
            self.register_wh, self.power_w, self.current_a = (
                start.energy_wh, start.power_w, start.current_a)
        self.next_boundary = next_boundary(self.c, self.tz, started_at, started_at)
        self.bands = None
        self._choose(started_at, self.charging, self.power_w if self.charging else _ZERO,
                     self.current_a if self.charging else _ZERO)  # fmt: skip

    def meter(self) -> Meter:
        # A copy of the Meter this one was read from with the fields this call changed: every
        # value was validated on its way in, so no validation again (the hot path).
        pending = tuple(valid_model(PendingTime, start=h.start, charging=h.charging,
                                    power_w=h.power_w, current_a=h.current_a)
                        for h in self.pending)  # fmt: skip
        return _replaced(self.source, {
            "at": self.at, "charging": self.charging, "register_wh": self.register_wh,
            "power_w": self.power_w, "current_a": self.current_a, "energy_wh": self.energy_wh,
            "resets": self.resets, "closed": self.closed, "flat_element": self.flat,
            "reservation_flat_element": self.reservation_flat,
            "next_boundary": self.next_boundary, "pending": pending, "periods": self.periods,
            "current": self.current, "accrued_wh": self.cur_energy, "accrued_us": self.cur_us,
            "accrued_power_w": _span(self.cur_pmin, self.cur_pmax),
            "accrued_current_a": _span(self.cur_imin, self.cur_imax), "bands": self.bands,
        }, _WORKED)  # fmt: skip

    def _current(self) -> MeterPeriod:
        """The open period with what it has accrued."""
        return _replaced(self.current, {
            "energy_wh": self.cur_energy, "duration_us": self.cur_us,
            "min_power_w": self.cur_pmin, "max_power_w": self.cur_pmax,
            "min_current_a": self.cur_imin, "max_current_a": self.cur_imax,
        }, _CLOSED)  # fmt: skip

    def all_periods(self) -> tuple[MeterPeriod, ...]:
        current = self._current()
        if self.periods and current.duration_us == 0 and current.energy_wh == 0:
            return self.periods
        return (*self.periods, current)

    # Readings

    def observe(self, r: Reading) -> None:
        """The interval up to ``r`` ran in the state before ``r``; ``r``'s state holds after."""
        self._hold(r.at, r.power_w, r.current_a)
        if r.energy_wh is not None:
            self._settle(r.at, self._increase(r.energy_wh))
        if r.power_w is not None:
            self.power_w = r.power_w
        if r.current_a is not None:
            self.current_a = r.current_a
        if r.charging is not None:
            self.charging = r.charging
        self.at = r.at

    def finish(self, until: datetime) -> None:
        """Time up to ``until`` in the last state; pending time without energy."""
        self._hold(until, None, None)
        self._settle(until, None)
        self.at = until

    def _hold(self, until: datetime, power_w: Decimal | None, current_a: Decimal | None) -> None:
        if until <= self.at:
            return
        last = self.pending[-1] if self.pending else None
        if last is not None and last.charging == self.charging:
            last.power_w = power_w if power_w is not None else last.power_w
            last.current_a = current_a if current_a is not None else last.current_a
        else:
            self.pending.append(_Held(self.at, self.charging, power_w, current_a))

    def _increase(self, register_wh: Decimal) -> Decimal | None:
        """The energy since the last register (None: no register before this one)."""
        previous, self.register_wh = self.register_wh, register_wh
        if previous is None:
            return None
        if register_wh < previous:
            self.resets += 1  # a meter reset: the register counts again from 0
            return register_wh
        return register_wh - previous

    def _settle(self, until: datetime, energy: Decimal | None) -> None:
        """The pending time up to ``until`` into periods, with ``energy`` spread over its
        charging time (over all of it when it has none; None: unknown, no energy)."""
        held, self.pending = self.pending, []
        if not held:
            if energy:  # two readings at one instant: energy without time
                self._put(until, until, self.charging, energy, None, None)
            return
        if len(held) == 1:
            h = held[0]
            self._segment(h.start, until, h.charging, energy or _ZERO, energy is not None,
                          h.power_w, h.current_a)  # fmt: skip
            return
        ends = [h.start for h in held[1:]] + [until]
        spans = [(end - h.start) // _US for h, end in zip(held, ends, strict=True)]
        shares = _shares(energy or _ZERO, spans, [h.charging for h in held])
        for h, end, share in zip(held, ends, shares, strict=True):
            self._segment(h.start, end, h.charging, share, energy is not None, h.power_w,
                          h.current_a)  # fmt: skip

    # Splitting an interval at every boundary of the tariff's restrictions

    def _segment(self, a: datetime, b: datetime, charging: bool, energy: Decimal, known: bool,
                 power_w: Decimal | None, current_a: Decimal | None) -> None:  # fmt: skip
        """Time ``[a, b)`` in one state with ``energy`` spread evenly over it."""
        span = (b - a) // _US
        if not charging:
            power_w = current_a = _ZERO
        else:
            if power_w is None:
                power_w = energy * _US_PER_HOUR / span if known and span else self.power_w
            if current_a is None:
                current_a = self.current_a
        while a < b:
            end, part = self._piece(a, b, energy)
            self._put(a, end, charging, part, power_w, current_a)
            energy -= part
            b_span = (b - end) // _US
            if b_span == 0 and energy:  # rounding left energy at the very end
                self._put(end, end, charging, energy, power_w, current_a)
                energy = _ZERO
            a = end

    def _piece(self, a: datetime, b: datetime, energy: Decimal) -> tuple[datetime, Decimal]:
        """The first part of ``[a, b)`` no restriction changes in, and its energy."""
        if self.next_boundary is not None and a >= self.next_boundary:
            self.next_boundary = next_boundary(self.c, self.tz, self.origin, a)
            self.bands = None
        end, part = b, energy
        if self.next_boundary is not None and self.next_boundary < b:
            end = self.next_boundary
            part = energy * ((end - a) // _US) / ((b - a) // _US)
        marks = self.c.energy_marks
        if part > 0 and marks:
            k = band(marks, self.energy_wh)
            if k < len(marks) and marks[k] - self.energy_wh <= part:
                need = marks[k] - self.energy_wh  # reached by linear interpolation
                offset = (need * ((b - a) // _US) / energy).to_integral_value()
                return a + int(offset) * _US, need
        return end, part

    def _put(self, a: datetime, end: datetime, charging: bool, energy: Decimal,
             power_w: Decimal | None, current_a: Decimal | None) -> None:  # fmt: skip
        """``[a, end)`` with ``energy``, in which no restriction changes, into the periods."""
        c = self.c
        bands = (charging, band(c.power_marks, power_w), band(c.current_marks, current_a),
                 band(c.energy_marks, self.energy_wh))  # fmt: skip
        if bands != self.bands:
            self.bands = bands
            self._choose(a, charging, power_w, current_a)
        self.cur_energy += energy
        self.energy_wh += energy
        self.cur_us += (end - a) // _US
        if charging and power_w is not None:
            self.cur_pmin = power_w if self.cur_pmin is None else min(self.cur_pmin, power_w)
            self.cur_pmax = power_w if self.cur_pmax is None else max(self.cur_pmax, power_w)
        if charging and current_a is not None:
            self.cur_imin = current_a if self.cur_imin is None else min(self.cur_imin, current_a)
            self.cur_imax = current_a if self.cur_imax is None else max(self.cur_imax, current_a)

    def _choose(self, a: datetime, charging: bool, power_w: Decimal | None,
                current_a: Decimal | None) -> None:  # fmt: skip
        """The elements active from ``a``: the same period goes on, or a new one starts."""
        c = self.c
        m = Moment(local=a.astimezone(self.tz) if c.day_marks else None,
                   duration_us=(a - self.origin) // _US, energy_wh=self.energy_wh,
                   power_w=power_w, current_a=current_a)  # fmt: skip
        candidates: Candidates = c.reservation if self.reserved else c.session
        if self.flat == _NONE:
            self.flat = first_match(candidates.flat, m)
        times = candidates.time if charging or self.reserved else candidates.parking
        chosen = valid_model(
            MeterPeriod, start=a, reserved=self.reserved, charging=charging and not self.reserved,
            energy_element=_NONE if self.reserved else first_match(candidates.energy, m),
            time_element=first_match(times, m),
        )  # fmt: skip
        if chosen.same_elements(self.current):
            return
        if self.cur_us or self.cur_energy:
            self._close_period(a)
        self._load(chosen)

    def _close_period(self, at: datetime) -> None:
        self.periods = (*self.periods, self._current())
        self._load(valid_model(MeterPeriod, start=at, reserved=self.reserved))
        self.bands = None


def _span(low: Decimal | None, high: Decimal | None) -> tuple[Decimal, Decimal] | None:
    return None if low is None or high is None else (low, high)


def _shares(energy: Decimal, spans: list[int], charging: list[bool]) -> list[Decimal]:
    """``energy`` spread over the charging spans (over all spans when none is charging)."""
    weights = [s if c else 0 for s, c in zip(spans, charging, strict=True)]
    if not any(weights):
        weights = spans
    total = sum(weights)
    shares = [energy * w / total if total else _ZERO for w in weights]
    last = max(i for i, w in enumerate(weights) if w) if total else len(spans) - 1
    shares[last] = energy - sum(shares[:last], _ZERO) - sum(shares[last + 1 :], _ZERO)
    return shares


# Pricing the periods

_SECONDS_PER_HOUR = Decimal(3600)
_DIMENSION_UNITS = {
    TariffDimensionType.ENERGY: _KILO,  # Wh per kWh
    TariffDimensionType.TIME: _SECONDS_PER_HOUR,
    TariffDimensionType.PARKING_TIME: _SECONDS_PER_HOUR,
}


class _Fees:
    """The FLAT elements a meter chose (-1: none)."""

    __slots__ = ("reservation", "session")

    def __init__(self, session: int, reservation: int) -> None:
        self.session, self.reservation = session, reservation


def _cost(c: CompiledTariff, periods: tuple[MeterPeriod, ...], fees: _Fees,
          resets: int) -> Cost:  # fmt: skip
    session = [p for p in periods if not p.reserved]
    reserved = [p for p in periods if p.reserved]
    dimensions = [*_session_costs(c, session, fees.session)]
    if reserved:
        dimensions += _reservation_costs(c, reserved, fees.reservation)
    excl, incl, min_applied, max_applied = _bounded(c.tariff, dimensions)
    unit = minor_unit(c.tariff.currency)
    return valid_model(
        Cost, currency=c.tariff.currency,
        excl_vat=excl.quantize(unit, rounding=ROUND_HALF_UP),
        incl_vat=None if incl is None else incl.quantize(unit, rounding=ROUND_HALF_UP),
        dimensions=tuple(dimensions),
        energy_kwh=sum((p.energy_wh for p in session), _ZERO) / _KILO,
        charging_hours=_hours(sum(p.duration_us for p in session if p.charging)),
        parking_hours=_hours(sum(p.duration_us for p in session if not p.charging)),
        min_price_applied=min_applied,
        max_price_applied=max_applied,
        periods=tuple(_charging_period(c.tariff.id, p) for p in periods),
        reservation_hours=_hours(sum(p.duration_us for p in reserved)),
        resets=resets,
    )


def _session_costs(c: CompiledTariff, session: list[MeterPeriod],
                   flat: int) -> list[DimensionCost]:  # fmt: skip
    energy: list[Accrual] = []
    time: list[Accrual] = []
    parking: list[Accrual] = []
    for p in session:
        end = p.end
        if p.energy_wh > 0:
            energy.append(Accrual(p.energy_element, p.energy_wh, p.start, end))
        if p.duration_us:
            times = time if p.charging else parking
            times.append(Accrual(p.time_element, _seconds(p.duration_us), p.start, end))
    time_runs = _runs(c, TariffDimensionType.TIME, time)
    costs: list[DimensionCost] = []
    if c.session.energy:
        costs.append(_dimension(c, TariffDimensionType.ENERGY,
                                _runs(c, TariffDimensionType.ENERGY, energy), energy))  # fmt: skip
    if c.session.flat:
        costs.append(_flat(c, flat, reservation=False))
    if c.session.time:
        costs.append(_dimension(c, TariffDimensionType.TIME, time_runs, time))
    if c.session.parking:
        # The charging time billed beyond the measured covers the parking after it (step_size
        # example #1: "the 2 minutes parking time is within the extra 5 minutes of charging").
        runs = _runs(c, TariffDimensionType.PARKING_TIME, cover(parking, time_runs))
        costs.append(_dimension(c, TariffDimensionType.PARKING_TIME, runs, parking))
    return costs


def _reservation_costs(c: CompiledTariff, reserved: list[MeterPeriod],
                       flat: int) -> list[DimensionCost]:  # fmt: skip
    # OCPI 2.2.1 §TariffRestrictions.reservation: "A reservation can only have: FLAT and TIME
    # TariffDimensions, where TIME is for the duration of the reservation."
    time = [Accrual(p.time_element, _seconds(p.duration_us), p.start, p.end)
            for p in reserved if p.duration_us]  # fmt: skip
    costs: list[DimensionCost] = []
    if c.reservation.flat:
        costs.append(_flat(c, flat, reservation=True))
    if c.reservation.time:
        runs = _runs(c, TariffDimensionType.TIME, time)
        costs.append(_dimension(c, TariffDimensionType.TIME, runs, time, reservation=True))
    return costs


def _runs(c: CompiledTariff, dimension: TariffDimensionType,
          accruals: list[Accrual]) -> list[Run]:  # fmt: skip
    return bill(accruals, lambda element: c.component(element, dimension).step_size)


def _dimension(c: CompiledTariff, dimension: TariffDimensionType, runs: list[Run],
               measured: list[Accrual], *, reservation: bool = False) -> DimensionCost:  # fmt: skip
    unit = _DIMENSION_UNITS[dimension]
    excl, incl = _ZERO, _ZERO
    known = True
    for run in runs:
        if run.element < 0 or not run.billed:
            continue
        component = c.component(run.element, dimension)
        amount = run.billed * component.price / unit
        excl += amount
        if component.vat is not None:
            incl += _with_vat(amount, component.vat)
        elif amount:
            known = False
    return valid_model(
        DimensionCost, type=dimension,
        volume=sum((a.volume for a in measured), _ZERO) / unit,
        billed_volume=sum((r.billed for r in runs), _ZERO) / unit,
        excl_vat=excl, incl_vat=incl if known else None, reservation=reservation,
    )  # fmt: skip


def _flat(c: CompiledTariff, element: int, *, reservation: bool) -> DimensionCost:
    if element < 0:
        return valid_model(DimensionCost, type=TariffDimensionType.FLAT, volume=_ZERO,
                           billed_volume=_ZERO, excl_vat=_ZERO, incl_vat=_ZERO,
                           reservation=reservation)  # fmt: skip
    component = c.component(element, TariffDimensionType.FLAT)
    incl = None if component.vat is None else _with_vat(component.price, component.vat)
    if component.vat is None and not component.price:
        incl = _ZERO  # "Free of Charge": no VAT is needed on 0.00
    one = Decimal(1)
    return valid_model(DimensionCost, type=TariffDimensionType.FLAT, volume=one,
                       billed_volume=one, excl_vat=component.price, incl_vat=incl,
                       reservation=reservation)  # fmt: skip


def _with_vat(amount: Decimal, vat: Decimal) -> Decimal:
    return amount * (100 + vat) / 100


def _bounded(tariff: Tariff, dimensions: list[DimensionCost]
             ) -> tuple[Decimal, Decimal | None, bool, bool]:  # fmt: skip
    """The totals within min_price and max_price (OCPI 2.2.1 §Tariff Object NOTEs: the excl.
    VAT total by their excl_vat, the incl. VAT total by their incl_vat), and which applied."""
    excl = sum((d.excl_vat for d in dimensions), _ZERO)
    incl: Decimal | None = None
    if all(d.incl_vat is not None for d in dimensions):
        incl = sum((d.incl_vat for d in dimensions if d.incl_vat is not None), _ZERO)
    excl, low = _at_least(excl, tariff.min_price, incl=False)
    excl, high = _at_most(excl, tariff.max_price, incl=False)
    if incl is not None:
        incl, low_incl = _at_least(incl, tariff.min_price, incl=True)
        incl, high_incl = _at_most(incl, tariff.max_price, incl=True)
        low, high = low or low_incl, high or high_incl
    return excl, incl, low, high


def _at_least(total: Decimal, bound: Price | None, *, incl: bool) -> tuple[Decimal, bool]:
    limit = _limit(bound, incl=incl)
    return (limit, True) if limit is not None and total < limit else (total, False)


def _at_most(total: Decimal, bound: Price | None, *, incl: bool) -> tuple[Decimal, bool]:
    limit = _limit(bound, incl=incl)
    return (limit, True) if limit is not None and total > limit else (total, False)


def _limit(bound: Price | None, *, incl: bool) -> Decimal | None:
    if bound is None:
        return None
    return bound.incl_vat if incl else bound.excl_vat


def _charging_period(tariff_id: str, p: MeterPeriod) -> ChargingPeriod:
    """OCPI 2.2.1 mod_cdrs ChargingPeriod of ``p`` (CdrDimensionType volumes: kWh, hours, kW,
    A)."""
    hours = _hours(p.duration_us)
    dimensions: list[CdrDimension] = []
    if p.reserved:
        dimensions.append(_cdr_dimension("RESERVATION_TIME", hours))
    elif p.charging:
        dimensions += [_cdr_dimension("ENERGY", p.energy_wh / _KILO),
                       _cdr_dimension("TIME", hours)]
    else:
        if p.energy_wh:
            dimensions.append(_cdr_dimension("ENERGY", p.energy_wh / _KILO))
        dimensions.append(_cdr_dimension("PARKING_TIME", hours))
    for kind, value, scale in (("MIN_POWER", p.min_power_w, _KILO),
                               ("MAX_POWER", p.max_power_w, _KILO),
                               ("MIN_CURRENT", p.min_current_a, Decimal(1)),
                               ("MAX_CURRENT", p.max_current_a, Decimal(1))):  # fmt: skip
        if value is not None:
            dimensions.append(_cdr_dimension(kind, value / scale))
    return valid_model(ChargingPeriod, start_date_time=p.start, dimensions=tuple(dimensions),
                       tariff_id=tariff_id)  # fmt: skip


def _cdr_dimension(kind: str, volume: Decimal) -> CdrDimension:
    return valid_model(CdrDimension, type=kind, volume=volume)


def _seconds(us: int) -> Decimal:
    return Decimal(us).scaleb(-6)


def _hours(us: int) -> Decimal:
    return Decimal(us) / _US_PER_HOUR
