"""OCPP 1.6 price and cost on the station: the OCA application note "OCPP & California Pricing
Requirements" (§3.1, §3.6), DataTransfer calls with vendorId ``org.openchargealliance.costmsg``
and a JSON text as ``data``, sent only to stations with cost messages on (off by default for
1.6: the station must support the extension).

- ``SetUserPrice`` (§3.1.2), after an authorized idTag a tariff applies to (Authorize,
  StartTransaction): ``idToken``, ``priceText`` (+ ``priceTextExtra``, §3.2: the tariff's
  texts in its other languages, as MessageContent objects);
- ``RunningCost`` (§3.1.4), on MeterValues of a priced transaction, at most every
  ``cost_update_interval_s`` of the meter's time: ``transactionId``, ``timestamp``,
  ``meterValue`` (the register, Wh), ``cost``, ``state`` (Charging / Idle), ``chargingPrice``
  (``kWhPrice``, ``hourPrice``, ``flatFee``), and ``idlePrice`` (``graceMinutes``,
  ``hourPrice``) when the tariff has a parking price;
- ``FinalCost`` (§3.1.3), after the StopTransaction of a priced transaction:
  ``transactionId``, ``cost``, ``priceText`` (+ ``qrCodeText``: the tariff's URL, when it
  has one).

Costs are the amounts of :func:`processors.core.pricing.amount` (including VAT when the
tariff states it); prices are those the tariff asks at that hour
(:func:`processors.core.tariffs.prices_at`), on the same basis. The answer (DataTransfer.conf)
is recorded as any DataTransfer's (``DataTransferAnswered``).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from billing.rating import Cost
from ocpp.timestamps import format_datetime
from processors.core.authorization import ACCEPTED, Authorization
from processors.core.calls import queue_call
from processors.core.decision import Context, Decision
from processors.core.pricing import COST_MESSAGES_VENDOR, RUNNING_COST, amount
from processors.core.state import OpenTransaction, StationState
from processors.core.tariffs import (
    RunningCost,
    cost_messages_on,
    final_cost_of,
        local_time,
    money,
    price_text,
    prices_at,
    resolve,
    running_cost_expiry,
    running_cost_to_send,
    shown_price,
)
from schemas.events import DomainEvent, EventEnvelope, TransactionEnded
from schemas.tariffs import Tariff, TariffDimensionType

SET_USER_PRICE = "SetUserPrice"
FINAL_COST = "FinalCost"
DATA_TRANSFER = "DataTransfer"
MESSAGE_EXPIRY = timedelta(hours=1)
"""How long a price or final-cost message may wait in the Pipe (the driver is gone after)."""

CHARGING_PRICES = {TariffDimensionType.ENERGY: "kWhPrice", TariffDimensionType.TIME: "hourPrice",
                   TariffDimensionType.FLAT: "flatFee"}  # fmt: skip


def set_user_price(state: StationState, auth: Authorization, evse_id: int | None,
                   ctx: Context, at: datetime | None = None) -> Decision:  # fmt: skip
    """§3.1.2 user-specific price, after an authorized idTag (Authorize / StartTransaction);
    a generated text states the prices asked at ``at`` (default: now)."""
    if auth.status != ACCEPTED or not cost_messages_on(state, ctx.version):
        return Decision()
    applied = resolve(ctx, evse_id=evse_id, id_token=auth.id_token)
    if applied is None:
        return Decision()
    _, text = price_text(applied.tariff, state, at or ctx.now)
    data: dict[str, Any] = {"idToken": auth.id_token, "priceText": text}
    extra = [{"format": "UTF8", "language": t.language, "content": t.text}
             for t in applied.tariff.tariff_alt_text[1:]]  # fmt: skip
    if extra:
        data["priceTextExtra"] = extra
    return _send(state, ctx, SET_USER_PRICE, data, MESSAGE_EXPIRY)


def running_cost(state: StationState, events: tuple[EventEnvelope[DomainEvent], ...],
                 wire: str, ctx: Context) -> Decision:  # fmt: skip
    """§3.1.4 running cost, on the transaction's MeterValues when the interval has passed."""
    due = running_cost_to_send(state, events, wire, ctx)
    if due is None:
        return Decision()
    return _send(state, ctx, RUNNING_COST, _running_data(due, wire, state),
                 running_cost_expiry(ctx))  # fmt: skip


def _running_data(due: RunningCost, wire: str, state: StationState) -> dict[str, Any]:
    session = due.session
    register = session.register_wh if session.register_wh is not None else Decimal(0)
    data: dict[str, Any] = {
        "transactionId": int(wire), "timestamp": format_datetime(session.read_at),
        "meterValue": int(register), "cost": _number(amount(due.cost)),
        "state": "Idle" if session.charging is False else "Charging",
        "chargingPrice": charging_price(due.tariff, state, session.read_at),
    }  # fmt: skip
    idle = idle_price(due.tariff, state, session.read_at)
    if idle is not None:
        data["idlePrice"] = idle
    return data


def final_cost_message(state: StationState, txn: OpenTransaction | None, ended: TransactionEnded,
                       ctx: Context) -> Decision:  # fmt: skip
    """§3.1.3 final cost, after the StopTransaction of a priced transaction."""
    final = final_cost_of(txn, ended, ctx) if cost_messages_on(state, ctx.version) else None
    if final is None:
        return Decision()
    tariff, cost = final
    data: dict[str, Any] = {"transactionId": int(ended.transaction_id),
                            "cost": _number(amount(cost)), "priceText": cost_text(cost)}
    if tariff.tariff_alt_url:
        data["qrCodeText"] = tariff.tariff_alt_url
    return _send(state, ctx, FINAL_COST, data, MESSAGE_EXPIRY)


def cost_text(cost: Cost) -> str:
    """E.g. "Total 12.34 EUR: 23.400 kWh, 1.50 h charging, 0.25 h parking"."""
    parts = [f"{cost.energy_kwh.quantize(Decimal('0.001'))} kWh",
             f"{cost.charging_hours.quantize(Decimal('0.01'))} h charging"]  # fmt: skip
    if cost.parking_hours:
        parts.append(f"{cost.parking_hours.quantize(Decimal('0.01'))} h parking")
    return f"Total {money(amount(cost))} {cost.currency}: " + ", ".join(parts)


def charging_price(tariff: Tariff, state: StationState, at: datetime) -> dict[str, float]:
    """``chargingPrice``: the prices per kWh, per hour charging and per session at ``at``."""
    prices = prices_at(tariff, local_time(state, at))
    return {name: _number(shown_price(tariff, prices[t])) for t, name in CHARGING_PRICES.items()
            if t in prices}  # fmt: skip


def idle_price(tariff: Tariff, state: StationState, at: datetime) -> dict[str, Any] | None:
    """``idlePrice``: the parking price per hour (§3.4), from the first minute (the tariff's
    restrictions say when parking is billed; this states no grace period of its own)."""
    parking = prices_at(tariff, local_time(state, at)).get(TariffDimensionType.PARKING_TIME)
    if parking is None:
        return None
    return {"graceMinutes": 0, "hourPrice": _number(shown_price(tariff, parking))}


def _number(value: Decimal) -> float:
    """A JSON number (DataTransfer data is JSON text)."""
    return float(value)


def _send(state: StationState, ctx: Context, message_id: str, data: dict[str, Any],
          expires_in: timedelta) -> Decision:  # fmt: skip
    payload = {"vendorId": COST_MESSAGES_VENDOR, "messageId": message_id,
               "data": json.dumps(data, separators=(",", ":"), ensure_ascii=False)}  # fmt: skip
    return queue_call(state, ctx, DATA_TRANSFER, payload, expires_in=expires_in)
