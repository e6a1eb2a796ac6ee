"""Checks of a whole tariff before it is published (what its model alone cannot say).

Each :class:`Problem` points into the tariff's JSON with a pydantic-style ``loc``:

| problem | loc |
|---|---|
| currency not in ISO 4217 | ``("currency",)`` |
| ``min_price`` above ``max_price`` | ``("min_price", "excl_vat" or "incl_vat")`` |
| a Price's ``incl_vat`` below its ``excl_vat`` | ``(<price>, "incl_vat")`` |
| ``start_date_time`` not before ``end_date_time`` | ``("start_date_time",)`` |
| a restriction's minimum not below its maximum | ``("elements", i, "restrictions", "min_…")`` |
| ``start_date`` not before ``end_date`` | ``("elements", i, "restrictions", "start_date")`` |
| ``start_time`` equal to ``end_time`` | ``("elements", i, "restrictions", "start_time")`` |
| two components of one dimension in an element | ``("elements", i, "price_components", k)`` |
| a reservation element pricing ENERGY, PARKING_TIME | ``("elements", i, "price_components", k)`` |
| a component an earlier element always shadows | ``("elements", j, "price_components", k)`` |
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from billing.currencies import is_currency
from billing.restrictions import Window, window_of
from schemas.tariffs import Price, Tariff, TariffDimensionType, TariffElement

_DAY = 24 * 3600
_RESERVATION_DIMENSIONS = frozenset({TariffDimensionType.FLAT, TariffDimensionType.TIME})
_RANGES = (("min_kwh", "max_kwh"), ("min_current", "max_current"),
           ("min_power", "max_power"), ("min_duration", "max_duration"))  # fmt: skip


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a tariff: where (a pydantic-style location in the tariff's JSON,
    e.g. ``("elements", 1, "price_components", 0)``) and why."""

    loc: tuple[str | int, ...]
    msg: str


def problems(tariff: Tariff) -> list[Problem]:
    """Everything that makes ``tariff`` unfit to price sessions; empty when it is fit."""
    found = [*_tariff_problems(tariff)]
    for i, element in enumerate(tariff.elements):
        found += _restriction_problems(i, element)
        found += _component_problems(i, element)
    found += _shadowed(tariff)
    return found


def _tariff_problems(tariff: Tariff) -> Iterator[Problem]:
    if not is_currency(tariff.currency):
        yield Problem(("currency",), f"{tariff.currency} is not an ISO 4217 currency code")
    for name in ("min_price", "max_price"):
        price: Price | None = getattr(tariff, name)
        if price is not None and price.incl_vat is not None and price.incl_vat < price.excl_vat:
            yield Problem((name, "incl_vat"), f"{name}.incl_vat {price.incl_vat} is below its "
                          f"excl_vat {price.excl_vat}")  # fmt: skip
    low, high = tariff.min_price, tariff.max_price
    if low is not None and high is not None:
        for field in ("excl_vat", "incl_vat"):
            a, b = getattr(low, field), getattr(high, field)
            if a is not None and b is not None and a > b:
                yield Problem(("min_price", field), f"min_price.{field} {a} is above "
                              f"max_price.{field} {b}: no session can cost anything")  # fmt: skip
    start, end = tariff.start_date_time, tariff.end_date_time
    if start is not None and end is not None and start >= end:
        yield Problem(("start_date_time",), f"start_date_time {start.isoformat()} is not "
                      f"before end_date_time {end.isoformat()}")  # fmt: skip


def _restriction_problems(i: int, element: TariffElement) -> Iterator[Problem]:
    r = element.restrictions
    if r is None:
        return
    loc: tuple[str | int, ...] = ("elements", i, "restrictions")
    for low_name, high_name in _RANGES:
        low, high = getattr(r, low_name), getattr(r, high_name)
        if low is not None and high is not None and low >= high:
            # OCPI 2.2.1: max_kwh, max_duration (and here max_power, max_current) exclusive.
            yield Problem((*loc, low_name), f"{low_name} {low} is not below {high_name} "
                          f"{high} (exclusive): the element never applies")  # fmt: skip
    if r.start_date is not None and r.end_date is not None and r.start_date >= r.end_date:
        yield Problem((*loc, "start_date"), f"start_date {r.start_date} is not before "
                      f"end_date {r.end_date} (exclusive): the element never applies")  # fmt: skip
    if r.start_time is not None and r.start_time == r.end_time:
        yield Problem((*loc, "start_time"), f"start_time and end_time are both "
                      f"{r.start_time}: the window is empty")  # fmt: skip


def _component_problems(i: int, element: TariffElement) -> Iterator[Problem]:
    seen: set[TariffDimensionType] = set()
    reservation = element.restrictions is not None and element.restrictions.reservation
    for k, component in enumerate(element.price_components):
        loc: tuple[str | int, ...] = ("elements", i, "price_components", k)
        if component.type in seen:
            yield Problem(loc, f"a second {component.type.value} component in elements[{i}]: "
                          "only the first one can apply")  # fmt: skip
        seen.add(component.type)
        if reservation and component.type not in _RESERVATION_DIMENSIONS:
            # OCPI 2.2.1 §TariffRestrictions.reservation: "A reservation can only have: FLAT
            # and TIME TariffDimensions".
            yield Problem(loc, f"a reservation element prices {component.type.value}: only "
                          "FLAT and TIME can price a reservation")  # fmt: skip


def _shadowed(tariff: Tariff) -> Iterator[Problem]:
    """OCPI 2.2.1 §Tariff Object: "the first Tariff Element with that Dimension in the list
    with matching Tariff Restrictions will be used", so a later element whose restrictions
    match only where an earlier one pricing the same dimension matches never applies for it."""
    windows = [window_of(e.restrictions) for e in tariff.elements]
    dimensions = [{c.type for c in e.price_components} for e in tariff.elements]
    for j, element in enumerate(tariff.elements):
        for k, component in enumerate(element.price_components):
            for i in range(j):
                if component.type in dimensions[i] and contains(windows[i], windows[j]):
                    yield Problem(("elements", j, "price_components", k),
                                  f"elements[{j}] never prices {component.type.value}: "
                                  f"elements[{i}] comes first, prices it too, and applies "
                                  f"whenever elements[{j}] does")  # fmt: skip
                    break


def contains(outer: Window, inner: Window) -> bool:
    """Whether ``outer``'s restrictions hold whenever ``inner``'s do (field by field)."""
    return (
        outer.reservation == inner.reservation
        and _range_contains(outer.min_wh, outer.max_wh, inner.min_wh, inner.max_wh)
        and _range_contains(outer.min_w, outer.max_w, inner.min_w, inner.max_w)
        and _range_contains(outer.min_a, outer.max_a, inner.min_a, inner.max_a)
        and _range_contains(outer.min_us, outer.max_us, inner.min_us, inner.max_us)
        and _dates_contain(outer, inner)
        and (not outer.weekdays or (bool(inner.weekdays) and inner.weekdays <= outer.weekdays))
        and _times_contain(_day_spans(outer.start_s, outer.end_s),
                           _day_spans(inner.start_s, inner.end_s))
    )


_Limit = Decimal | int | None


def _range_contains(low: _Limit, high: _Limit, inner_low: _Limit, inner_high: _Limit) -> bool:
    # Volumes are never negative: no minimum is a minimum of 0.
    if (low or 0) > (inner_low or 0):
        return False
    return high is None or (inner_high is not None and inner_high <= high)


def _dates_contain(outer: Window, inner: Window) -> bool:
    if outer.start_date is not None and (inner.start_date is None
                                         or inner.start_date < outer.start_date):  # fmt: skip
        return False
    return outer.end_date is None or (inner.end_date is not None
                                      and inner.end_date <= outer.end_date)  # fmt: skip


def _day_spans(start: int | None, end: int | None) -> list[tuple[int, int]]:
    """A time-of-day window as spans of seconds of the day."""
    low, high = start or 0, _DAY if end is None else end
    if start is not None and end is not None and start == end:
        return []
    if low < high:
        return [(low, high)]
    return [(low, _DAY), (0, high)]


def _times_contain(outer: list[tuple[int, int]], inner: list[tuple[int, int]]) -> bool:
    return all(any(a <= c and d <= b for a, b in outer) for c, d in inner)
