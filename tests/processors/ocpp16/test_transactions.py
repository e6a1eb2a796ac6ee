"""OCPP 1.6 StartTransaction / StopTransaction (processors/ocpp16/transactions.py)."""

from __future__ import annotations

from typing import Any

from schemas.events import MeterValuesReported, TransactionEnded, TransactionStarted
from tests.processors.conftest import Harness, token


def start(connector: int = 1, tag: str = "T1", meter: int = 1000,
          at: str = "2025-06-01T10:00:00Z") -> dict[str, Any]:  # fmt: skip
    return {"connectorId": connector, "idTag": tag, "meterStart": meter, "timestamp": at}


def stop(txn: int, meter: int, **extra: Any) -> dict[str, Any]:
    return {"transactionId": txn, "meterStop": meter, "timestamp": "2025-06-01T11:00:00Z", **extra}


def test_ids_come_from_the_partition_counter_and_are_never_reused(v16: Harness) -> None:
    v16.tokens["T1"] = token()
    ids = [v16.result("StartTransaction", start(connector=c))["transactionId"] for c in (1, 2, 3)]
    # partition 1 of 4: seq * 4 + 1
    assert ids == [5, 9, 13]
    assert v16.next_seq == 4
    other = Harness(v16.version, station_id="CP-2", partition=2, partitions=4)
    assert other.result("StartTransaction", start())["transactionId"] == 6


def test_started_event_records_the_session(v16: Harness) -> None:
    v16.tokens["T1"] = token()
    reply = v16.result("StartTransaction", start(at="2025-06-01T10:00:00"))  # naive = UTC
    assert reply == {"idTagInfo": {"status": "Accepted"}, "transactionId": 5}
    data = v16.only(TransactionStarted)
    assert data["id"] == 5 and data["transaction_id"] == "5"
    assert data["started_at"] == "2025-06-01T10:00:00.000Z"
    assert data["meter_start_wh"] == 1000 and data["id_token_status"] == "Accepted"


def test_retried_start_gets_the_same_id_and_records_nothing(v16: Harness) -> None:
    first = v16.result("StartTransaction", start())
    again = v16.result("StartTransaction", start())
    assert again["transactionId"] == first["transactionId"]
    assert v16.types() == []
    assert v16.next_seq == 2  # no id consumed by the retry
    later = v16.result("StartTransaction", start(at="2025-06-01T10:05:00Z"))
    assert later["transactionId"] != first["transactionId"]


def test_start_with_unknown_tag_is_recorded_and_answered_invalid(v16: Harness) -> None:
    reply = v16.result("StartTransaction", start(tag="NOBODY"))
    assert reply["idTagInfo"] == {"status": "Invalid"}
    assert v16.only(TransactionStarted)["id_token_status"] == "Invalid"


def test_stop_computes_energy_and_keeps_the_reason(v16: Harness) -> None:
    txn = v16.result("StartTransaction", start(meter=1000))["transactionId"]
    assert v16.result("StopTransaction", stop(txn, 3500, reason="EVDisconnected")) == {}
    ended = v16.only(TransactionEnded)
    assert (ended["energy_wh"], ended["stop_reason"], ended["anomalies"]) == (
        2500, "EVDisconnected", [])
    assert str(txn) not in v16.state.transactions


def test_stop_without_reason_is_local_and_with_id_tag_answers_id_tag_info(v16: Harness) -> None:
    v16.tokens["T1"] = token("Blocked")
    txn = v16.result("StartTransaction", start())["transactionId"]
    reply = v16.result("StopTransaction", stop(txn, 1200, idTag="T1"))
    assert reply == {"idTagInfo": {"status": "Blocked"}}
    assert v16.only(TransactionEnded)["stop_reason"] == "Local"
    assert v16.only(TransactionEnded)["stop_id_token"] == "T1"


def test_meter_stop_below_start_is_flagged_not_summed(v16: Harness) -> None:
    txn = v16.result("StartTransaction", start(meter=5000))["transactionId"]
    v16.result("StopTransaction", stop(txn, 4000))
    ended = v16.only(TransactionEnded)
    assert ended["energy_wh"] is None
    assert ended["anomalies"] == ["meter_stop_below_start"]
    assert ended["meter_stop_wh"] == 4000


def test_stop_of_unknown_transaction_is_recorded_under_a_fresh_id(v16: Harness) -> None:
    assert v16.result("StopTransaction", stop(777, 100)) == {}
    ended = v16.only(TransactionEnded)
    assert ended["transaction_id"] == "777" and ended["id"] == 5
    assert ended["anomalies"] == ["unknown_transaction"] and ended["energy_wh"] is None


def test_retried_stop_is_answered_again_without_a_second_record(v16: Harness) -> None:
    txn = v16.result("StartTransaction", start())["transactionId"]
    v16.result("StopTransaction", stop(txn, 2000))
    assert v16.result("StopTransaction", stop(txn, 2000)) == {}
    assert v16.types() == []


def test_transaction_data_becomes_meter_values_of_the_transaction(v16: Harness) -> None:
    txn = v16.result("StartTransaction", start())["transactionId"]
    v16.result("StopTransaction", stop(txn, 2000, transactionData=[{
        "timestamp": "2025-06-01T11:00:00Z",
        "sampledValue": [{"value": "2.0", "unit": "kWh", "context": "Transaction.End"}]}]))
    mv = v16.only(MeterValuesReported)
    assert (mv["id"], mv["transaction_id"], mv["source"]) == (txn, str(txn), "StopTransaction")
    assert mv["samples"][0]["canonical_value"] == 2000
