"""The running price of a transaction: what the processor keeps of a priced session.

A transaction a tariff applies to (``TariffApplied``, emitted with its TransactionStarted)
carries a :class:`PricedSession` in its :class:`~processors.core.state.OpenTransaction`: the
tariff's id and version (the body stays in the ``tariffs`` table: versions never change), the
:class:`billing.rating.Meter`, and when a running cost was last sent. ``evolve`` advances the
meter with the readings of every later event of the transaction
(:func:`billing.readings.readings_of`, the function the billing projection rates by, so the
station is shown the amount its bill states):

- the start: ``open_meter`` at ``started_at``, then the TransactionStarted reading (as the
  billing projection opens a session's meter and then observes its first readings);
- TransactionUpdated, MeterValuesReported of the transaction, and (1.6) ConnectorStatusChanged
  of its connector: ``observe``;
- the end: ``close`` with the TransactionEnded reading, then ``price`` (the final cost).

The amount shown to the driver is the cost including VAT when every priced component states
its VAT, else excluding it (:func:`amount`; OCPP 2.0.1 totalCost "including taxes").
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict

from billing.rating import Cost, Meter, Reading, close, observe, open_meter, price
from billing.readings import readings_of
from schemas.events import TariffApplied, TransactionEnded
from schemas.tariffs import Tariff

COST_MESSAGES_VENDOR = "org.openchargealliance.costmsg"
"""OCA "OCPP & California Pricing Requirements": the DataTransfer vendorId of OCPP 1.6's
price and cost messages."""
RUNNING_COST = "RunningCost"
COST_UPDATED = "CostUpdated"


class PricedSession(BaseModel):
    """The price state of one open transaction (kept small: it is validated per record)."""

    model_config = ConfigDict(frozen=True)

    tariff_id: str
    tariff_version: int
    meter: Meter
    read_at: datetime
    """Station time of the newest reading the meter observed."""
    cost_sent_for: datetime
    """Station time of the reading the last running cost sent was priced up to (the start
    until one is sent): the interval between running costs is measured on the meter's time."""
    charging: bool | None = None
    """As the newest reading stating it said."""
    register_wh: Decimal | None = None
    """The newest Energy.Active.Import.Register reading."""


def open_session(applied: TariffApplied, start: Reading) -> PricedSession:
    """The session ``applied`` prices, from its start reading on."""
    meter = open_meter(applied.tariff, applied.time_zone, start.at)
    session = PricedSession(tariff_id=applied.tariff_id, tariff_version=applied.tariff_version,
                            meter=meter, read_at=start.at, cost_sent_for=start.at)  # fmt: skip
    return observed(session, applied.tariff, (start,))


def observed(session: PricedSession, tariff: Tariff,
             readings: Iterable[Reading]) -> PricedSession:  # fmt: skip
    meter, read_at = session.meter, session.read_at
    charging, register = session.charging, session.register_wh
    for reading in readings:
        meter = observe(meter, tariff, reading)
        read_at = max(read_at, reading.at)
        charging = charging if reading.charging is None else reading.charging
        register = register if reading.energy_wh is None else reading.energy_wh
    return session.model_copy(update={"meter": meter, "read_at": read_at, "charging": charging,
                                      "register_wh": register})  # fmt: skip


def running_cost(session: PricedSession, tariff: Tariff) -> Cost:
    """The cost up to the newest reading."""
    return price(session.meter, tariff)


def final_cost(session: PricedSession, tariff: Tariff, ended: TransactionEnded) -> Cost:
    """The cost of the session closed by ``ended`` (its stop reading)."""
    stops = readings_of(ended)
    stop = stops[-1] if stops else Reading(at=ended.stopped_at)
    return price(close(session.meter, tariff, stop), tariff)


def amount(cost: Cost) -> Decimal:
    """What the driver is shown: including VAT when the tariff states it for every priced
    component, else excluding VAT (OCPP 2.0.1 I02/I03 ask for "including taxes")."""
    return cost.excl_vat if cost.incl_vat is None else cost.incl_vat


def running_cost_call(action: str, payload: dict[str, Any]) -> str | None:
    """The wire transaction id of a queued running-cost call (2.0.1 CostUpdated, 1.6
    DataTransfer RunningCost), None for any other call."""
    if action == COST_UPDATED:
        transaction_id = payload.get("transactionId")
        return transaction_id if isinstance(transaction_id, str) else None
    if (action != "DataTransfer" or payload.get("vendorId") != COST_MESSAGES_VENDOR
            or payload.get("messageId") != RUNNING_COST):  # fmt: skip
        return None
    try:
        data = json.loads(str(payload.get("data")))
    except ValueError:
        return None
    transaction_id = data.get("transactionId") if isinstance(data, dict) else None
    return str(transaction_id) if isinstance(transaction_id, int) else None
