"""Tariff restrictions as numbers, and where they can change during a session.

OCPI 2.2.1 mod_tariffs §"TariffRestrictions class": restrictions "only describe if and when a
TariffElement becomes active or inactive during a Charging Session". :func:`compile_tariff`
turns a :class:`~schemas.tariffs.Tariff` into a :class:`CompiledTariff` once (cached per
tariff object); :func:`first_match` picks the element active for a dimension at a
:class:`Moment`; :func:`next_boundary` says when local time, date, weekday or duration can next
change which elements match, and :func:`band` names the range of energy, power or current
between two limits of the tariff (inside one range every limit compares the same way).

Every range is inclusive below and exclusive above: ``min <= value < max`` (OCPI states it for
``max_kwh``, ``min_duration``, ``max_duration`` and ``end_date``; the same rule is used for power
and current, so 16 kW falls under ``min_power: 16``, not under ``max_power: 16``). A time-of-day
window whose end is before its start wraps midnight; one whose end equals its start is empty.
A power or current restriction never matches while the value is unknown.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import TypeVar

from schemas.tariffs import (
    PriceComponent,
    ReservationRestrictionType,
    Tariff,
    TariffDimensionType,
    TariffRestrictions,
)

_WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
_KILO = Decimal(1000)
_Mark = TypeVar("_Mark", int, Decimal)
_NONE = -1
"""Element index meaning "no element prices this dimension here"."""
_Components = tuple[dict[TariffDimensionType, PriceComponent], ...]


def time_of_day(text: str) -> int:
    """ "HH:MM" (TariffRestrictions.start_time / end_time) in seconds after midnight."""
    hours, minutes = text.split(":")
    return int(hours) * 3600 + int(minutes) * 60


def local_date(text: str) -> date:
    """ "YYYY-MM-DD" (TariffRestrictions.start_date / end_date)."""
    return date.fromisoformat(text)


@dataclass(frozen=True, slots=True)
class Window:
    """One element's restrictions in the units rating works in: seconds of the local day, Wh,
    W, A, microseconds of session duration."""

    start_s: int | None = None
    end_s: int | None = None
    start_date: date | None = None
    end_date: date | None = None
    weekdays: frozenset[int] = frozenset()
    min_wh: Decimal | None = None
    max_wh: Decimal | None = None
    min_w: Decimal | None = None
    max_w: Decimal | None = None
    min_a: Decimal | None = None
    max_a: Decimal | None = None
    min_us: int | None = None
    max_us: int | None = None
    reservation: ReservationRestrictionType | None = None

    @property
    def local(self) -> bool:
        """Whether matching needs the local time."""
        return (self.start_s is not None or self.end_s is not None or bool(self.weekdays)
                or self.start_date is not None or self.end_date is not None)  # fmt: skip


def window_of(restrictions: TariffRestrictions | None) -> Window:
    """The :class:`Window` of an element's restrictions (none: always active)."""
    if restrictions is None:
        return Window()
    r = restrictions
    return Window(
        start_s=None if r.start_time is None else time_of_day(r.start_time),
        end_s=None if r.end_time is None else time_of_day(r.end_time),
        start_date=None if r.start_date is None else local_date(r.start_date),
        end_date=None if r.end_date is None else local_date(r.end_date),
        weekdays=frozenset(_WEEKDAYS.index(day.value) for day in r.day_of_week),
        min_wh=_scaled(r.min_kwh, _KILO),
        max_wh=_scaled(r.max_kwh, _KILO),
        min_w=_scaled(r.min_power, _KILO),
        max_w=_scaled(r.max_power, _KILO),
        min_a=r.min_current,
        max_a=r.max_current,
        min_us=None if r.min_duration is None else r.min_duration * 1_000_000,
        max_us=None if r.max_duration is None else r.max_duration * 1_000_000,
        reservation=r.reservation,
    )


def _scaled(value: Decimal | None, factor: Decimal) -> Decimal | None:
    return None if value is None else value * factor


@dataclass(frozen=True, slots=True)
class Moment:
    """What restrictions are compared with at one instant of a session."""

    local: datetime | None
    """The station's local time (None when no restriction needs it)."""
    duration_us: int
    energy_wh: Decimal
    power_w: Decimal | None
    current_a: Decimal | None


def matches(w: Window, m: Moment) -> bool:
    """Whether every restriction of ``w`` holds at ``m``."""
    if not _in_range(m.energy_wh, w.min_wh, w.max_wh):
        return False
    if not _in_range(m.duration_us, w.min_us, w.max_us):
        return False
    if (w.min_w is not None or w.max_w is not None) and (
        m.power_w is None or not _in_range(m.power_w, w.min_w, w.max_w)
    ):
        return False
    if (w.min_a is not None or w.max_a is not None) and (
        m.current_a is None or not _in_range(m.current_a, w.min_a, w.max_a)
    ):
        return False
    return not w.local or (m.local is not None and _in_calendar(w, m.local))


def _in_range(value: Decimal | int, low: Decimal | int | None, high: Decimal | int | None) -> bool:
    return (low is None or value >= low) and (high is None or value < high)


def _in_calendar(w: Window, local: datetime) -> bool:
    if w.weekdays and local.weekday() not in w.weekdays:
        return False
    day = local.date()
    if (w.start_date is not None and day < w.start_date) or (
        w.end_date is not None and day >= w.end_date
    ):
        return False
    return in_time_window(local.hour * 3600 + local.minute * 60 + local.second, w.start_s, w.end_s)


def in_time_window(second: int, start: int | None, end: int | None) -> bool:
    """OCPI start_time / end_time: from ``start`` (inclusive) until ``end`` (exclusive); an
    end before the start wraps midnight."""
    if start is None:
        return end is None or second < end
    if end is None:
        return second >= start
    if start < end:
        return start <= second < end
    return start > end and (second >= start or second < end)


@dataclass(frozen=True, slots=True)
class Candidate:
    """An element that prices a dimension: its index in ``Tariff.elements`` and when."""

    index: int
    window: Window


@dataclass(frozen=True, slots=True)
class Candidates:
    """Per dimension, the elements pricing it, in tariff order (OCPI 2.2.1 mod_tariffs §Tariff
    Object: "the first Tariff Element with that Dimension in the list with matching Tariff
    Restrictions will be used")."""

    energy: tuple[Candidate, ...]
    flat: tuple[Candidate, ...]
    time: tuple[Candidate, ...]
    parking: tuple[Candidate, ...]


@dataclass(frozen=True, slots=True)
class CompiledTariff:
    """A tariff prepared for rating."""

    tariff: Tariff
    components: _Components
    """Per element, its price component of each dimension (the first, if repeated)."""
    session: Candidates
    """Elements without a reservation restriction: they price the session."""
    reservation: Candidates
    """Elements restricted to RESERVATION: they price the reservation before the session
    (RESERVATION_EXPIRES prices a reservation without a session, never rated here)."""
    day_marks: tuple[int, ...]
    """Seconds of the local day where a calendar restriction can change (midnight when
    dates or weekdays are restricted)."""
    durations_us: tuple[int, ...]
    energy_marks: tuple[Decimal, ...]
    """Wh."""
    power_marks: tuple[Decimal, ...]
    """W."""
    current_marks: tuple[Decimal, ...]

    def component(self, element: int, dimension: TariffDimensionType) -> PriceComponent:
        return self.components[element][dimension]


def first_match(candidates: tuple[Candidate, ...], m: Moment) -> int:
    """The index of the first candidate matching at ``m``; -1 when none does."""
    for c in candidates:
        if matches(c.window, m):
            return c.index
    return _NONE


def band(marks: tuple[Decimal, ...], value: Decimal | None) -> int:
    """Which range between ``marks`` holds ``value`` (-1: unknown). Inside one range every
    ``min <= value < max`` restriction compares the same way."""
    return -1 if value is None else bisect_right(marks, value)


_CACHE: dict[int, CompiledTariff] = {}


def compile_tariff(tariff: Tariff) -> CompiledTariff:
    """``tariff`` prepared for rating (computed once per tariff object)."""
    found = _CACHE.get(id(tariff))
    if found is not None and found.tariff is tariff:
        return found
    if len(_CACHE) >= 256:
        _CACHE.clear()
    compiled = _compile(tariff)
    _CACHE[id(tariff)] = compiled
    return compiled


def _compile(tariff: Tariff) -> CompiledTariff:
    components = tuple(_components_of(e.price_components) for e in tariff.elements)
    windows = tuple(window_of(e.restrictions) for e in tariff.elements)
    session = [i for i, w in enumerate(windows) if w.reservation is None]
    reserved = [i for i, w in enumerate(windows)
                if w.reservation is ReservationRestrictionType.RESERVATION]  # fmt: skip
    used = [windows[i] for i in session + reserved]
    return CompiledTariff(
        tariff=tariff,
        components=components,
        session=_candidates(session, windows, components),
        reservation=_candidates(reserved, windows, components),
        day_marks=_day_marks(used),
        durations_us=_marks(v for w in used for v in (w.min_us, w.max_us)),
        energy_marks=_marks(v for w in used for v in (w.min_wh, w.max_wh)),
        power_marks=_marks(v for w in used for v in (w.min_w, w.max_w)),
        current_marks=_marks(v for w in used for v in (w.min_a, w.max_a)),
    )


def _components_of(
    components: tuple[PriceComponent, ...],
) -> dict[TariffDimensionType, PriceComponent]:
    found: dict[TariffDimensionType, PriceComponent] = {}
    for c in components:
        found.setdefault(c.type, c)
    return found


def _candidates(indexes: list[int], windows: tuple[Window, ...],
                components: _Components) -> Candidates:  # fmt: skip
    def of(dimension: TariffDimensionType) -> tuple[Candidate, ...]:
        return tuple(Candidate(i, windows[i]) for i in indexes if dimension in components[i])

    return Candidates(
        energy=of(TariffDimensionType.ENERGY),
        flat=of(TariffDimensionType.FLAT),
        time=of(TariffDimensionType.TIME),
        parking=of(TariffDimensionType.PARKING_TIME),
    )


def _marks(values: Iterable[_Mark | None]) -> tuple[_Mark, ...]:
    return tuple(sorted({v for v in values if v is not None}))


def _day_marks(windows: list[Window]) -> tuple[int, ...]:
    marks: set[int] = set()
    for w in windows:
        marks.update(s for s in (w.start_s, w.end_s) if s is not None)
        if w.weekdays or w.start_date is not None or w.end_date is not None:
            marks.add(0)
    return tuple(sorted(marks))


def next_boundary(c: CompiledTariff, tz: tzinfo, origin: datetime,
                  after: datetime) -> datetime | None:  # fmt: skip
    """The first instant after ``after`` where a calendar or duration restriction can change
    (``origin``: when durations count from); None when none ever can."""
    found: datetime | None = None
    for us in c.durations_us:
        at = origin + timedelta(microseconds=us)
        if at > after:
            found = at
            break
    if c.day_marks:
        local = _next_local_mark(c.day_marks, tz, after)
        found = local if found is None or local < found else found
    return found


def _next_local_mark(marks: tuple[int, ...], tz: tzinfo, after: datetime) -> datetime:
    # A local wall time is passed once, twice (the hour repeated when clocks go back: fold 0
    # and 1) or never (skipped when they go forward, where the change of offset itself moves
    # every local time at once); both folds and the offset change are boundaries.
    today = after.astimezone(tz).date()
    best: datetime | None = None
    for offset in (-1, 0, 1, 2):
        day = today + timedelta(days=offset)
        for second in marks:
            for fold in (0, 1):
                wall = datetime(day.year, day.month, day.day, second // 3600, second // 60 % 60,
                                tzinfo=tz, fold=fold)  # fmt: skip
                at = wall.astimezone(UTC)
                if at > after and (best is None or at < best):
                    best = at
    assert best is not None  # a mark of the day after tomorrow is always later
    change = _offset_change(tz, after, best)
    return best if change is None else change


def _offset_change(tz: tzinfo, start: datetime, end: datetime) -> datetime | None:
    """The first instant in (start, end] with another UTC offset than ``start``."""
    offset = start.astimezone(tz).utcoffset()
    if end.astimezone(tz).utcoffset() == offset:
        return None
    low, high = start, end
    step = timedelta(microseconds=1)
    while high - low > step:
        middle = low + (high - low) / 2
        if middle.astimezone(tz).utcoffset() == offset:
            low = middle
        else:
            high = middle
    return high
