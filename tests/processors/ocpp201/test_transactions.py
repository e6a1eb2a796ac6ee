"""OCPP 2.0.1 TransactionEvent (processors/ocpp201/transactions.py)."""

from __future__ import annotations

from typing import Any

from schemas.events import (
    MeterValuesReported,
    TransactionEnded,
    TransactionStarted,
    TransactionUpdated,
)
from tests.processors.conftest import Harness, token

TOKEN = {"idToken": "T1", "type": "ISO14443"}


def event(kind: str, seq: int, txn: str = "TX-1", **extra: Any) -> dict[str, Any]:
    info = {"transactionId": txn, **extra.pop("info", {})}
    return {"eventType": kind, "timestamp": "2025-06-01T10:00:00Z", "seqNo": seq,
            "triggerReason": extra.pop("trigger", "MeterValuePeriodic"),
            "transactionInfo": info, **extra}  # fmt: skip


def energy(wh: float, context: str = "Sample.Periodic", **uom: Any) -> list[dict[str, Any]]:
    sv: dict[str, Any] = {"value": wh, "context": context}
    if uom:
        sv["unitOfMeasure"] = uom
    return [{"timestamp": "2025-06-01T10:00:00Z", "sampledValue": [sv]}]


def test_started_gets_a_csms_id_and_the_token_verdict(v201: Harness) -> None:
    v201.tokens["T1"] = token()
    reply = v201.result("TransactionEvent", event(
        "Started", 0, idToken=TOKEN, evse={"id": 2, "connectorId": 1},
        meterValue=energy(1.25, "Transaction.Begin", unit="kWh")))
    assert reply == {"idTokenInfo": {"status": "Accepted"}}
    started = v201.only(TransactionStarted)
    assert (started["id"], started["transaction_id"]) == (5, "TX-1")
    assert (started["evse_id"], started["connector_id"]) == (2, 1)
    assert started["meter_start_wh"] == 1250
    assert v201.only(MeterValuesReported)["id"] == 5


def test_no_id_token_no_id_token_info(v201: Harness) -> None:
    assert v201.result("TransactionEvent", event("Started", 0)) == {}


def test_full_session_energy_and_seq_gaps(v201: Harness) -> None:
    begin = energy(1000, "Transaction.Begin")
    v201.result("TransactionEvent", event("Started", 0, meterValue=begin))
    v201.result("TransactionEvent", event("Updated", 1, meterValue=energy(1500)))
    v201.result("TransactionEvent", event("Updated", 4, meterValue=energy(2500)))
    assert v201.only(TransactionUpdated)["missing_seq_nos"] == [2, 3]
    v201.result("TransactionEvent", event("Updated", 2))  # late: fills part of the gap
    assert v201.only(TransactionUpdated)["missing_seq_nos"] == [3]
    v201.result("TransactionEvent", event(
        "Ended", 5, meterValue=energy(4000, "Transaction.End"),
        info={"stoppedReason": "EVDisconnected"}))
    ended = v201.only(TransactionEnded)
    assert ended["meter_start_wh"] == 1000 and ended["meter_stop_wh"] == 4000
    assert ended["energy_wh"] == 3000
    assert ended["stop_reason"] == "EVDisconnected"
    assert ended["missing_seq_nos"] == [3] and ended["last_seq_no"] == 5
    assert ended["anomalies"] == []
    assert "TX-1" not in v201.state.transactions


def test_resent_seq_no_is_answered_but_not_recorded(v201: Harness) -> None:
    v201.result("TransactionEvent", event("Started", 0))
    v201.result("TransactionEvent", event("Updated", 1))
    assert v201.result("TransactionEvent", event("Updated", 1)) == {}
    assert v201.types() == []


def test_updated_for_unknown_transaction_is_recorded(v201: Harness) -> None:
    v201.result("TransactionEvent", event("Updated", 3, txn="GHOST", evse={"id": 1}))
    data = v201.only(TransactionUpdated)
    assert data["anomalies"] == ["unknown_transaction"] and data["id"] == 5
    # the next event of that transaction keeps its CSMS id and is not unknown any more
    v201.result("TransactionEvent", event("Ended", 4, txn="GHOST"))
    ended = v201.only(TransactionEnded)
    assert ended["id"] == 5 and ended["anomalies"] == ["meter_start_missing"]
    assert ended["evse_id"] == 1


def test_ended_for_unknown_transaction_is_recorded(v201: Harness) -> None:
    v201.result("TransactionEvent", event("Ended", 9, txn="LOST", info={"stoppedReason": "Remote"}))
    ended = v201.only(TransactionEnded)
    assert ended["anomalies"] == ["unknown_transaction"] and ended["stop_reason"] == "Remote"
    assert v201.result("TransactionEvent", event("Ended", 9, txn="LOST")) == {}
    assert v201.types() == []  # a resent Ended


def test_stop_reading_below_start_is_flagged(v201: Harness) -> None:
    begin = energy(5000, "Transaction.Begin")
    v201.result("TransactionEvent", event("Started", 0, meterValue=begin))
    v201.result("TransactionEvent", event("Ended", 1, meterValue=energy(4000, "Transaction.End")))
    ended = v201.only(TransactionEnded)
    assert ended["energy_wh"] is None and ended["anomalies"] == ["meter_stop_below_start"]


def test_without_begin_reading_the_first_reading_is_the_start(v201: Harness) -> None:
    v201.result("TransactionEvent", event("Started", 0))
    v201.result("TransactionEvent", event("Updated", 1, meterValue=energy(200)))
    v201.result("TransactionEvent", event("Updated", 2, meterValue=energy(900)))
    v201.result("TransactionEvent", event("Ended", 3))
    ended = v201.only(TransactionEnded)
    assert (ended["meter_start_wh"], ended["meter_stop_wh"], ended["energy_wh"]) == (200, 900, 700)
    assert ended["anomalies"] == ["meter_start_missing"]


def test_offline_flag_and_blocked_token(v201: Harness) -> None:
    v201.tokens["T1"] = token("Blocked")
    reply = v201.result("TransactionEvent", event("Started", 0, idToken=TOKEN, offline=True))
    assert reply["idTokenInfo"]["status"] == "Blocked"
    started = v201.only(TransactionStarted)
    assert started["offline"] is True and started["id_token_status"] == "Blocked"
