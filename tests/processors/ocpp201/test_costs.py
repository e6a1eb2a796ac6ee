"""OCPP 2.0.1 Tariff and Cost, block I (processors/ocpp201/costs.py and its use in
processors/ocpp201/transactions.py, processors/ocpp201/authorization.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from billing.rating import rate
from billing.readings import readings_of
from processors.core.decision import HandlerConfig
from schemas.events import (
    CallQueued,
    CallSent,
    MeterValuesReported,
    TariffApplied,
    TransactionEnded,
    TransactionStarted,
)
from schemas.tariffs import DisplayText
from tests.processors.conftest import Harness, energy_element, publish, tariff, token

TOKEN = {"idToken": "T1", "type": "ISO14443"}
START = "2025-06-01T10:00:00Z"


def at(minutes: int) -> str:
    return f"2025-06-01T10:{minutes:02d}:00Z"


def event(kind: str, seq: int, minutes: int, wh: float | None = None, **extra: Any,
          ) -> dict[str, Any]:  # fmt: skip
    info = {"transactionId": "TX-1", **extra.pop("info", {})}
    body: dict[str, Any] = {"eventType": kind, "timestamp": at(minutes), "seqNo": seq,
                            "triggerReason": extra.pop("trigger", "MeterValuePeriodic"),
                            "transactionInfo": info, **extra}  # fmt: skip
    if wh is not None:
        context = {"Started": "Transaction.Begin", "Ended": "Transaction.End"}.get(kind)
        sv = {"value": wh, **({"context": context} if context else {})}
        body["meterValue"] = [{"timestamp": at(minutes), "sampledValue": [sv]}]
    return body


@pytest.fixture
def priced(v201: Harness) -> Harness:
    """A connected 2.0.1 station whose default tariff is 0.30 EUR/kWh + 21 % VAT."""
    v201.connect()
    v201.tokens["T1"] = token()
    publish(v201, tariff("T1"), target="default")
    return v201


def start(h: Harness, **extra: Any) -> dict[str, Any]:
    return h.result("TransactionEvent", event("Started", 0, 0, 1000, trigger="Authorized",
                                              info={"chargingState": "Charging"}, **extra))


def test_tariff_applied_with_transaction_started(priced: Harness) -> None:
    priced.configure(time_zone="Europe/Amsterdam")
    start(priced, idToken=TOKEN)
    assert priced.types() == [TransactionStarted, TariffApplied, MeterValuesReported]
    applied = priced.only(TariffApplied)
    assert (applied["id"], applied["transaction_id"]) == (5, "TX-1")
    assert (applied["tariff_id"], applied["tariff_version"], applied["assigned_by"]) == (
        "T1", 1, "default")
    assert (applied["group_id"], applied["time_zone"]) == (None, "Europe/Amsterdam")
    assert applied["tariff"]["id"] == "T1"
    txn = priced.state.transactions["TX-1"]
    assert txn.priced is not None and (txn.priced.tariff_id, txn.priced.tariff_version) == (
        "T1", 1)


def test_the_tokens_group_tariff_names_the_group(priced: Harness) -> None:
    priced.tokens["T1"] = token(group_id="FLEET")
    publish(priced, tariff("FLEET-T"), target="token_group", group_id="FLEET")
    start(priced, idToken=TOKEN)
    applied = priced.only(TariffApplied)
    assert (applied["tariff_id"], applied["assigned_by"], applied["group_id"]) == (
        "FLEET-T", "token_group", "FLEET")


def test_no_tariff_no_tariff_applied(v201: Harness) -> None:
    v201.result("TransactionEvent", event("Started", 0, 0, 1000))
    assert TariffApplied not in v201.types()
    assert v201.state.transactions["TX-1"].priced is None


def test_a_token_presented_later_does_not_reprice(priced: Harness) -> None:
    priced.tokens["T1"] = token(group_id="FLEET")
    publish(priced, tariff("FLEET-T"), target="token_group", group_id="FLEET")
    start(priced)  # no token: the default
    priced.result("TransactionEvent", event("Updated", 1, 1, idToken=TOKEN,
                                            trigger="Authorized"))  # fmt: skip
    assert TariffApplied not in priced.types()
    priced_session = priced.state.transactions["TX-1"].priced
    assert priced_session is not None and priced_session.tariff_id == "T1"


def test_i01_personal_message_for_an_authorized_token(priced: Harness) -> None:
    reply = start(priced, idToken=TOKEN)
    assert reply["idTokenInfo"] == {"status": "Accepted", "personalMessage": {
        "format": "UTF8", "language": "en", "content": "0.363 EUR/kWh (incl. VAT)"}}
    authorize = priced.result("Authorize", {"idToken": TOKEN})
    assert authorize["idTokenInfo"]["personalMessage"]["content"] == "0.363 EUR/kWh (incl. VAT)"


def test_i01_the_tariffs_own_text(v201: Harness) -> None:
    v201.tokens["T1"] = token()
    text = DisplayText(language="nl", text="Laden: 0,36 EUR per kWh")
    publish(v201, tariff("T1", tariff_alt_text=(text,)), target="station", station_id="CS-1")
    reply = v201.result("Authorize", {"idToken": TOKEN})
    assert reply["idTokenInfo"]["personalMessage"] == {
        "format": "UTF8", "language": "nl", "content": "Laden: 0,36 EUR per kWh"}


def test_i01_no_personal_message_for_a_token_not_authorized_or_without_tariff(
    priced: Harness, v201: Harness,
) -> None:
    priced.tokens["T1"] = token(status="Blocked")
    assert "personalMessage" not in start(priced, idToken=TOKEN)["idTokenInfo"]
    bare = Harness(v201.version, station_id="CS-2")
    bare.tokens["T1"] = token()
    assert bare.result("Authorize", {"idToken": TOKEN}) == {"idTokenInfo": {"status": "Accepted"}}


def run_session(h: Harness) -> dict[str, Any]:
    start(h)
    h.result("TransactionEvent", event("Updated", 1, 10, 4000))
    h.result("TransactionEvent", event("Updated", 2, 20, 7000,
                                       info={"chargingState": "SuspendedEV"}))  # fmt: skip
    return h.result("TransactionEvent", event("Ended", 3, 30, 11000,
                                              info={"stoppedReason": "EVDisconnected"}))


def test_i03_total_cost_on_ended_is_the_rated_cost_including_vat(priced: Harness) -> None:
    reply = run_session(priced)
    assert reply["totalCost"] == 3.63  # 10 kWh at 0.30 EUR + 21 % VAT
    events = [e.data for e in priced.events]
    started = next(e for e in events if isinstance(e, TransactionStarted))
    ended = next(e for e in events if isinstance(e, TransactionEnded))
    readings = [r for e in events if not isinstance(e, TransactionEnded)
                for r in readings_of(e)]  # fmt: skip
    expected = rate(tariff("T1"), "UTC", started.started_at, readings,
                    stop=readings_of(ended)[-1])  # fmt: skip
    assert expected.incl_vat is not None and reply["totalCost"] == float(expected.incl_vat)
    assert "TX-1" not in priced.state.transactions


def test_i03_free_and_excl_vat(v201: Harness) -> None:
    publish(v201, tariff("FREE", energy_element("0")), target="default")
    assert run_session(v201)["totalCost"] == 0  # "the CSMS SHALL send 0.00"
    no_vat = Harness(v201.version, station_id="CS-2")
    publish(no_vat, tariff("NOVAT", energy_element("0.30", vat=None)), target="default")
    assert run_session(no_vat)["totalCost"] == 3.0  # no VAT stated: the amount excl. VAT


def test_i03_no_total_cost_without_cost_messages_or_tariff(priced: Harness,
                                                           v201: Harness) -> None:  # fmt: skip
    priced.configure(cost_messages=False)
    assert "totalCost" not in run_session(priced)
    assert "totalCost" not in run_session(Harness(v201.version, station_id="CS-2"))


def test_i02_cost_updated_after_the_interval_on_the_meters_time(priced: Harness) -> None:
    priced.config = HandlerConfig(cost_update_interval_s=300)
    start(priced)
    priced.result("TransactionEvent", event("Updated", 1, 4, 2000))  # 4 min: not yet
    assert CallQueued not in priced.types()
    priced.result("TransactionEvent", event("Updated", 2, 5, 3000))  # 5 min: due
    assert priced.types()[-2:] == [CallQueued, CallSent]
    assert priced.last_send is not None and priced.last_send.action == "CostUpdated"
    assert priced.last_send.payload == {"totalCost": 0.73, "transactionId": "TX-1"}  # 2 kWh
    priced.answer_call({})
    priced.result("TransactionEvent", event("Updated", 3, 9, 4000))  # 4 min after the last
    assert CallQueued not in priced.types()
    priced.result("TransactionEvent", event("Updated", 4, 10, 5000))
    assert priced.last_send is not None
    assert priced.last_send.payload == {"totalCost": 1.45, "transactionId": "TX-1"}


def test_i02_no_cost_updated_without_cost_messages_offline_or_without_tariff(
    priced: Harness, v201: Harness,
) -> None:
    priced.config = HandlerConfig(cost_update_interval_s=60)
    start(priced)
    priced.result("TransactionEvent", event("Updated", 1, 5, 2000, offline=True))
    assert CallQueued not in priced.types()  # about the past
    priced.configure(cost_messages=False)
    priced.result("TransactionEvent", event("Updated", 2, 10, 3000))
    assert CallQueued not in priced.types()
    bare = Harness(v201.version, station_id="CS-2", config=HandlerConfig(cost_update_interval_s=60))
    bare.connect()
    start(bare)
    bare.result("TransactionEvent", event("Updated", 1, 10, 3000))
    assert CallQueued not in bare.types()


def test_i02_the_meter_follows_the_transactions_readings(priced: Harness) -> None:
    start(priced)
    priced.result("TransactionEvent", event("Updated", 1, 10, 4000,
                                            info={"chargingState": "SuspendedEV"}))  # fmt: skip
    session = priced.state.transactions["TX-1"].priced
    assert session is not None
    assert session.read_at == datetime(2025, 6, 1, 10, 10, tzinfo=UTC)
    assert (session.charging, session.register_wh) == (False, Decimal("4000.0"))
