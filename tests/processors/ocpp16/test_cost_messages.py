"""OCPP 1.6 price and cost on the station: the California Pricing DataTransfer messages
(processors/ocpp16/cost_messages.py) and the 1.6 transaction's tariff."""

from __future__ import annotations

import json
from typing import Any

import pytest

from processors.core.decision import HandlerConfig
from schemas.events import CallQueued, TariffApplied, TransactionStarted
from schemas.tariffs import DisplayText, TariffDimensionType, TariffElement
from tests.processors.conftest import Harness, publish, tariff, token
from tests.processors.core.test_tariffs import component

VENDOR = "org.openchargealliance.costmsg"


def start(connector: int = 1, tag: str = "T1", meter: int = 1000) -> dict[str, Any]:
    return {"connectorId": connector, "idTag": tag, "meterStart": meter,
            "timestamp": "2025-06-01T10:00:00Z"}  # fmt: skip


def meter_values(txn: int, minutes: int, wh: float, connector: int = 1) -> dict[str, Any]:
    return {"connectorId": connector, "transactionId": txn, "meterValue": [{
        "timestamp": f"2025-06-01T10:{minutes:02d}:00Z",
        "sampledValue": [{"value": str(wh)}, {"value": "7400", "measurand": "Power.Active.Import",
                                              "unit": "W"}],
    }]}  # fmt: skip


def stop(txn: int, wh: int) -> dict[str, Any]:
    return {"transactionId": txn, "meterStop": wh, "timestamp": "2025-06-01T10:30:00Z"}


def messages(h: Harness) -> list[tuple[str, dict[str, Any]]]:
    """(messageId, data) of the DataTransfer calls the last record queued."""
    out = []
    for e in h.last_events:
        if isinstance(e.data, CallQueued) and e.data.action == "DataTransfer":
            assert e.data.payload["vendorId"] == VENDOR
            out.append((e.data.payload["messageId"], json.loads(e.data.payload["data"])))
    return out


@pytest.fixture
def station(v16: Harness) -> Harness:
    """A connected 1.6 station with a day tariff: 0.30 EUR/kWh + 21 % VAT, 1 EUR/h charging
    and 2 EUR/h parking (no VAT), a 0.50 EUR session fee."""
    v16.connect()
    v16.tokens["T1"] = token()
    v16.config = HandlerConfig(cost_update_interval_s=300)
    day = TariffElement(price_components=(
        component(TariffDimensionType.ENERGY, "0.30", "21"),
        component(TariffDimensionType.TIME, "1.00"),
        component(TariffDimensionType.PARKING_TIME, "2.00"),
        component(TariffDimensionType.FLAT, "0.50"),
    ))  # fmt: skip
    publish(v16, tariff("T1", day, tariff_alt_url="https://cpo.example/tariffs/T1"),
            target="evse", station_id="CP-1", evse_id=1)  # fmt: skip
    return v16


def test_a_start_is_priced_by_its_connectors_tariff(station: Harness) -> None:
    station.result("StartTransaction", start())
    assert station.types()[:2] == [TransactionStarted, TariffApplied]
    assert station.only(TariffApplied)["assigned_by"] == "evse"
    station.result("StartTransaction", start(connector=2))  # no tariff on connector 2
    assert TariffApplied not in station.types()


def test_without_cost_messages_the_station_gets_none(station: Harness) -> None:
    station.send("Authorize", {"idTag": "T1"})
    assert messages(station) == []
    txn = station.result("StartTransaction", start())["transactionId"]
    assert messages(station) == []
    station.send("MeterValues", meter_values(txn, 10, 4000))
    assert messages(station) == []
    station.send("StopTransaction", stop(txn, 11000))
    assert messages(station) == [] and station.last_send is None


def test_set_user_price_after_authorization(station: Harness) -> None:
    station.configure(cost_messages=True)
    station.send("Authorize", {"idTag": "T1"})
    assert messages(station) == []  # no connector named: the station has no tariff of its own
    publish(station, tariff("S"), target="station", station_id="CP-1")
    station.send("Authorize", {"idTag": "T1"})
    assert messages(station) == [("SetUserPrice", {"idToken": "T1",
                                                   "priceText": "0.363 EUR/kWh (incl. VAT)"})]
    station.answer_call({"status": "Accepted"})
    station.result("StartTransaction", start())
    [(message_id, data)] = messages(station)
    assert message_id == "SetUserPrice"
    assert data == {"idToken": "T1", "priceText": (
        "0.30 EUR/kWh, 1.00 EUR/h charging, 2.00 EUR/h parking, 0.50 EUR per session")}


def test_set_user_price_in_the_tariffs_languages(v16: Harness) -> None:
    v16.configure(cost_messages=True)
    v16.tokens["T1"] = token()
    texts = (DisplayText(language="en", text="$0.36/kWh"), DisplayText(language="es",
                                                                       text="0,36 $/kWh"))
    publish(v16, tariff("T", tariff_alt_text=texts), target="default")
    v16.send("Authorize", {"idTag": "T1"})
    assert messages(v16) == [("SetUserPrice", {"idToken": "T1", "priceText": "$0.36/kWh",
                                               "priceTextExtra": [{
        "format": "UTF8", "language": "es", "content": "0,36 $/kWh"}]})]  # fmt: skip


def test_no_price_for_a_tag_not_accepted(station: Harness) -> None:
    station.configure(cost_messages=True)
    station.tokens["T1"] = token(status="Blocked")
    station.result("StartTransaction", start())
    assert messages(station) == []


def test_running_cost_after_the_interval_and_final_cost(station: Harness) -> None:
    station.configure(cost_messages=True)
    txn = station.result("StartTransaction", start())["transactionId"]
    station.answer_call({"status": "Accepted"})  # SetUserPrice
    station.send("MeterValues", meter_values(txn, 4, 2000))
    assert messages(station) == []  # 4 minutes: not yet
    station.send("MeterValues", meter_values(txn, 5, 3000))
    [(message_id, data)] = messages(station)
    assert message_id == "RunningCost"
    # Some components state no VAT: all excl. VAT. 2 kWh (0.60) + 5 min charging (0.0833)
    # + the 0.50 fee = 1.18
    assert data == {
        "transactionId": txn, "timestamp": "2025-06-01T10:05:00.000Z", "meterValue": 3000,
        "cost": 1.18, "state": "Charging",
        "chargingPrice": {"kWhPrice": 0.3, "hourPrice": 1.0, "flatFee": 0.5},
        "idlePrice": {"graceMinutes": 0, "hourPrice": 2.0},
    }  # fmt: skip
    station.answer_call({"status": "Accepted"})
    station.send("StatusNotification", {"connectorId": 1, "errorCode": "NoError",
                                        "status": "SuspendedEV",
                                        "timestamp": "2025-06-01T10:06:00Z"})  # fmt: skip
    station.send("MeterValues", meter_values(txn, 12, 3000))
    [(message_id, data)] = messages(station)
    assert (message_id, data["state"]) == ("RunningCost", "Idle")
    station.answer_call({"status": "Accepted"})
    station.send("StopTransaction", stop(txn, 3000))
    [(message_id, data)] = messages(station)
    assert message_id == "FinalCost"
    # 2 kWh (0.60) + 6 min charging (0.10) + 24 min parking (0.80) + 0.50 = 2.00
    assert data == {"transactionId": txn, "cost": 2.0, "priceText": (
        "Total 2.00 EUR: 2.000 kWh, 0.10 h charging, 0.40 h parking"),
        "qrCodeText": "https://cpo.example/tariffs/T1"}  # fmt: skip


def test_no_running_cost_for_an_unpriced_transaction(v16: Harness) -> None:
    v16.configure(cost_messages=True)
    v16.connect()
    v16.config = HandlerConfig(cost_update_interval_s=60)
    txn = v16.result("StartTransaction", start())["transactionId"]
    v16.send("MeterValues", meter_values(txn, 10, 4000))
    v16.send("StopTransaction", stop(txn, 5000))
    assert messages(v16) == []
