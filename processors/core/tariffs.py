"""Which tariff prices a transaction, and how its price is put into words for the driver.

Resolution (docs/BILLING.md, "Which tariff prices a session"; ``TariffTarget``): the first of

1. the group of the token the start carried (its ``group_id`` in the ``tokens`` table),
2. the EVSE (1.6: the connector), key ``evse:<station>:<evse>``,
3. the station, key ``station:<station>``,
4. the default,

that has a tariff assigned which is not withdrawn (a withdrawn one falls through to the next)
prices it, in its newest version at the start. ``TariffApplied`` is emitted once, with the
transaction's ``TransactionStarted`` (OCPI 2.2.1 mod_tariffs: the driver accepts the tariff
valid when the session starts); a token presented later does not re-price it.

Prices in words: the tariff's own ``tariff_alt_text``, or a short summary of the prices the
tariff's elements ask at a moment in the station's local time (the elements whose time of day,
date and day of week restrictions hold then; the first of them pricing a dimension gives its
price, OCPI 2.2.1 "TariffElement": "the first one that matches"). Restrictions on energy,
power, current or duration depend on the session and are not judged here: a summary says what
the tariff asks *at that hour*. Prices are shown including VAT where the tariff states it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from billing.rating import Cost
from ocpp import OcppVersion
from processors.core.decision import Context
from processors.core.pricing import PricedSession, final_cost, running_cost
from processors.core.reference import (
    DEFAULT_TARGET,
    AppliedTariff,
    evse_key,
    group_key,
    station_key,
)
from processors.core.state import RATING_ERRORS, OpenTransaction, StationState, evolve_all
from schemas.events import (
    DomainEvent,
    EventEnvelope,
    TariffApplied,
    TransactionEnded,
    TransactionStarted,
)
from schemas.tariffs import (
    DayOfWeek,
    PriceComponent,
    Tariff,
    TariffDimensionType,
    TariffRestrictions,
)

log = logging.getLogger(__name__)

UTC_ZONE = "UTC"
SUMMARY_LANGUAGE = "en"
MAX_TEXT = 512
"""OCPP 2.0.1 MessageContentType.content: string[0..512]."""


def time_zone(state: StationState) -> str:
    return state.time_zone or UTC_ZONE


def cost_messages_on(state: StationState, version: OcppVersion) -> bool:
    """Whether the station is sent its running and final cost: as configured, else on for
    2.0.1 (TariffCostCtrlr is part of the standard) and off for 1.6 (the California Pricing
    extension has to be supported by the station)."""
    if state.cost_messages is not None:
        return state.cost_messages
    return version is OcppVersion.V201


def resolve(ctx: Context, *, evse_id: int | None, id_token: str | None) -> AppliedTariff | None:
    """The tariff that prices a session starting now at ``evse_id`` with ``id_token``."""
    token = None if id_token is None else ctx.tokens(id_token)
    keys = [group_key(token.group_id)] if token is not None and token.group_id else []
    if evse_id is not None:
        keys.append(evse_key(ctx.station_id, evse_id))
    keys += [station_key(ctx.station_id), DEFAULT_TARGET]
    return next((a for a in map(ctx.tariffs.assigned, keys) if a is not None), None)


def tariff_applied(state: StationState, started: TransactionStarted,
                   ctx: Context) -> EventEnvelope[TariffApplied] | None:  # fmt: skip
    """``TariffApplied`` for a transaction that starts (None when no tariff applies)."""
    applied = resolve(ctx, evse_id=started.evse_id, id_token=started.id_token)
    if applied is None:
        return None
    token = None if started.id_token is None else ctx.tokens(started.id_token)
    group = token.group_id if token is not None and applied.assigned_by == "token_group" else None
    return ctx.event(TariffApplied(
        id=started.id, transaction_id=started.transaction_id, tariff_id=applied.tariff.id,
        tariff_version=applied.version, assigned_by=applied.assigned_by, group_id=group,
        time_zone=time_zone(state), tariff=applied.tariff,
    ))  # fmt: skip


def tariff_of(session: PricedSession, ctx: Context) -> Tariff | None:
    return ctx.tariffs.version(session.tariff_id, session.tariff_version)


def running_cost_due(session: PricedSession, ctx: Context) -> bool:
    """The interval passed, on the meter's (station's) time, since the last running cost was
    priced (since the start when none was)."""
    interval = timedelta(seconds=ctx.config.cost_update_interval_s)
    return session.read_at - session.cost_sent_for >= interval


@dataclass(frozen=True, slots=True)
class RunningCost:
    """A running cost to send to the station, and the session it was priced from."""

    session: PricedSession
    tariff: Tariff
    cost: Cost


def running_cost_to_send(state: StationState, events: Sequence[EventEnvelope[DomainEvent]],
                         wire: str, ctx: Context) -> RunningCost | None:  # fmt: skip
    """After ``events`` (a meter reading of transaction ``wire``): its running cost, when the
    station takes cost messages, the transaction is priced and the interval has passed since
    the last one (OCPP 2.0.1 I02: driven by the station's own meter values)."""
    txn = state.transactions.get(wire)
    if txn is None or txn.priced is None or not cost_messages_on(state, ctx.version):
        return None
    after = evolve_all(state, events, ctx.tariffs.version).transactions.get(wire)
    session = None if after is None else after.priced
    tariff = None if session is None else tariff_of(session, ctx)
    if session is None or tariff is None or not running_cost_due(session, ctx):
        return None
    try:
        return RunningCost(session, tariff, running_cost(session, tariff))
    except RATING_ERRORS:
        log.exception("transaction %s: no running cost", wire)
        return None


def final_cost_of(txn: OpenTransaction | None, ended: TransactionEnded,
                  ctx: Context) -> tuple[Tariff, Cost] | None:  # fmt: skip
    """The tariff and final cost of a priced transaction ``ended`` ends (None: unpriced, or
    not rated: the station's answer never waits on a rating defect)."""
    priced = None if txn is None else txn.priced
    tariff = None if priced is None else tariff_of(priced, ctx)
    if priced is None or tariff is None:
        return None
    try:
        return tariff, final_cost(priced, tariff, ended)
    except RATING_ERRORS:
        log.exception("transaction %s: no final cost", ended.transaction_id)
        return None


def running_cost_expiry(ctx: Context) -> timedelta:
    """A running cost not sent by the time the next one may be is stale."""
    return timedelta(seconds=max(ctx.config.cost_update_interval_s,
                                 ctx.config.call_response_timeout_s))  # fmt: skip


# -- the price in words ------------------------------------------------------------------------


def price_text(tariff: Tariff, state: StationState, at: datetime) -> tuple[str, str]:
    """(language, text): the tariff's first alternative text, or a summary of its prices."""
    if tariff.tariff_alt_text:
        first = tariff.tariff_alt_text[0]
        return first.language, first.text[:MAX_TEXT]
    return SUMMARY_LANGUAGE, summary(tariff, local_time(state, at))[:MAX_TEXT]


def local_time(state: StationState, at: datetime) -> datetime:
    return at.astimezone(ZoneInfo(time_zone(state)))


def summary(tariff: Tariff, local: datetime) -> str:
    """E.g. "0.35 EUR/kWh, 2.00 EUR/h charging, 1.00 EUR per session (incl. VAT)"."""
    prices = prices_at(tariff, local)
    parts = [f"{money(shown_price(tariff, c))} {tariff.currency}{UNIT_TEXT[t]}"
             for t, c in sorted(prices.items(), key=lambda kv: DIMENSION_ORDER.index(kv[0]))]
    if not parts:
        return f"No charge ({tariff.currency})"
    return ", ".join(parts) + (" (incl. VAT)" if states_vat(tariff) else "")


DIMENSION_ORDER = (TariffDimensionType.ENERGY, TariffDimensionType.TIME,
                   TariffDimensionType.PARKING_TIME, TariffDimensionType.FLAT)  # fmt: skip
UNIT_TEXT = {
    TariffDimensionType.ENERGY: "/kWh", TariffDimensionType.TIME: "/h charging",
    TariffDimensionType.PARKING_TIME: "/h parking", TariffDimensionType.FLAT: " per session",
}  # fmt: skip


def prices_at(tariff: Tariff, local: datetime) -> dict[TariffDimensionType, PriceComponent]:
    """Each dimension's price component in the first element whose clock restrictions hold
    at ``local`` (a local time of the station)."""
    prices: dict[TariffDimensionType, PriceComponent] = {}
    for element in tariff.elements:
        if not _clock_holds(element.restrictions, local):
            continue
        for component in element.price_components:
            prices.setdefault(component.type, component)
    return prices


DAYS = tuple(DayOfWeek)
"""Monday first, as ``datetime.weekday`` counts."""


def _clock_holds(r: TariffRestrictions | None, local: datetime) -> bool:
    if r is None:
        return True
    if r.day_of_week and DAYS[local.weekday()] not in r.day_of_week:
        return False
    today = local.date()
    if r.start_date is not None and today < date.fromisoformat(r.start_date):
        return False
    if r.end_date is not None and today >= date.fromisoformat(r.end_date):
        return False
    return _time_holds(r.start_time, r.end_time, local.time())


def _time_holds(start: str | None, end: str | None, now: time) -> bool:
    """OCPI 2.2.1 TariffRestrictions: start_time inclusive, end_time exclusive; an end before
    the start spans midnight."""
    after_start = start is None or now >= time.fromisoformat(start)
    before_end = end is None or now < time.fromisoformat(end)
    if start is not None and end is not None and end < start:
        return after_start or before_end
    return after_start and before_end


def states_vat(tariff: Tariff) -> bool:
    """Whether every price component states its VAT: then amounts and prices are shown
    including VAT, else all excluding it (as :func:`processors.core.pricing.amount`)."""
    return all(c.vat is not None for e in tariff.elements for c in e.price_components)


def shown_price(tariff: Tariff, component: PriceComponent) -> Decimal:
    """The component's price as the driver is shown it: including its VAT when the tariff
    states VAT throughout, else excluding VAT."""
    if component.vat is None or not states_vat(tariff):
        return component.price
    return component.price * (1 + component.vat / 100)


def money(value: Decimal) -> str:
    """At least two decimals, more only when the price has them ("0.30", "0.255")."""
    two = value.quantize(Decimal("0.01"))
    return str(two) if two == value else str(value.normalize())
