"""Billing one dimension of a session in step_size blocks.

OCPI 2.2.1 mod_tariffs §"PriceComponent class", NOTE: "step_size SHALL only be taken into
account for the last TariffElement and when switching to another TariffElement for the
PriceComponents that is not in the new TariffElement". So a dimension's volumes, in time order
and grouped into runs under one element, are billed as measured, except at the end of a run
that is the last priced one or is followed by a run no element prices: there the dimension's
billed total so far is rounded up to that element's step_size, and the run is billed the
difference (example "switching to different Tariff Element #2": 25 minutes at 1.20/h, then
35 minutes rounded to 45, so 20 minutes at 2.40/h).

The charging time added by rounding TIME up covers parking that lies within it (example #1:
"the 2 minutes parking time is within the extra 5 minutes of charging billed"): :func:`cover`
takes such parking off before PARKING_TIME is billed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from decimal import ROUND_CEILING, Decimal
from typing import NamedTuple

_ZERO = Decimal(0)


class Accrual(NamedTuple):
    """Volume of one dimension in one period: Wh for ENERGY, seconds for the times (a tuple:
    many are made per priced session)."""

    element: int
    """The element pricing it (-1: none, free)."""
    volume: Decimal
    start: datetime
    end: datetime


class Run(NamedTuple):
    """Consecutive accruals under one element, and what is billed for them."""

    element: int
    volume: Decimal
    billed: Decimal
    """Volume billed at the element's price (0 when no element prices it)."""
    end: datetime
    """End of its last accrual: where the volume rounding added would continue."""

    @property
    def extra(self) -> Decimal:
        return self.billed - self.volume if self.element >= 0 else _ZERO


def bill(accruals: Iterable[Accrual], step_of: Callable[[int], int]) -> list[Run]:
    """The runs of ``accruals`` with their billed volumes; ``step_of(element)`` is the
    step_size of the element's component for this dimension."""
    grouped = _grouped(accruals)
    billed_so_far = _ZERO
    runs: list[Run] = []
    for i, (element, volume, end) in enumerate(grouped):
        billed = _ZERO
        if element >= 0:
            rounds = i + 1 == len(grouped) or grouped[i + 1][0] < 0
            billed = volume
            if rounds:
                billed = _round_up(billed_so_far + volume, step_of(element)) - billed_so_far
            billed_so_far += billed
        runs.append(Run(element, volume, billed, end))
    return runs


def _grouped(accruals: Iterable[Accrual]) -> list[tuple[int, Decimal, datetime]]:
    """Per run of consecutive accruals under one element: the element, the volumes' sum (from
    0, in order) and the last one's end."""
    grouped: list[tuple[int, Decimal, datetime]] = []
    for a in accruals:
        if grouped and grouped[-1][0] == a.element:
            grouped[-1] = (a.element, grouped[-1][1] + a.volume, a.end)
        else:
            grouped.append((a.element, _ZERO + a.volume, a.end))
    return grouped


def _round_up(volume: Decimal, step: int) -> Decimal:
    step = max(step, 1)
    return (volume / step).to_integral_value(rounding=ROUND_CEILING) * step


def cover(parking: Sequence[Accrual], time_runs: Sequence[Run]) -> list[Accrual]:
    """``parking`` less the stretches of parking that lie wholly within the charging time
    billed beyond the measured at the end of one of ``time_runs`` (from the run's end, for
    its extra seconds). A stretch that outlasts it is billed in full: the complex tariff
    example bills 42 minutes of parking as 45 although its 147 minutes of charging are
    billed as 150."""
    windows = [(r.end, r.end + timedelta(microseconds=int(r.extra.scaleb(6))))
               for r in time_runs if r.extra > 0]  # fmt: skip
    kept: list[Accrual] = []
    for stretch in _stretches(parking):
        first, last = stretch[0].start, stretch[-1].end
        if not any(start <= first and last <= end for start, end in windows):
            kept += stretch
    return kept


def _stretches(accruals: Sequence[Accrual]) -> list[list[Accrual]]:
    """``accruals`` in runs without a gap between them."""
    stretches: list[list[Accrual]] = []
    for a in accruals:
        if stretches and stretches[-1][-1].end == a.start:
            stretches[-1].append(a)
        else:
            stretches.append([a])
    return stretches
