"""Roaming drivers (processors/core/roaming.py): tokens an OCPI partner pushed, found by the
uid a station presents, with the whitelist rules of OCPI 2.2.1 mod_tokens §WhitelistType."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from processors.core import roaming
from schemas.events import OcpiTokenUpserted
from schemas.ocpi.tokens import Token
from tests.processors.conftest import Harness, token


def pushed(uid: str = "04A1B2C3", *, party: str = "EMS", **fields: Any) -> OcpiTokenUpserted:
    body: dict[str, Any] = {
        "country_code": "NL", "party_id": party, "uid": uid, "type": "RFID",
        "contract_id": "NL-EMS-C12345678-X", "issuer": "eMSP", "valid": True,
        "whitelist": "ALWAYS", "last_updated": datetime(2025, 6, 1, tzinfo=UTC),
    }  # fmt: skip
    body.update(fields)
    return OcpiTokenUpserted(partner_id="emsp-1", token=Token.model_validate(body))


def v16_status(h: Harness, tag: str) -> str:
    status: str = h.result("Authorize", {"idTag": tag})["idTagInfo"]["status"]
    return status


def v201_status(h: Harness, uid: str, kind: str) -> str:
    info = h.result("Authorize", {"idToken": {"idToken": uid, "type": kind}})["idTokenInfo"]
    status: str = info["status"]
    return status


@pytest.mark.parametrize(("whitelist", "valid", "status"), [
    ("ALWAYS", True, "Accepted"), ("ALWAYS", False, "Invalid"),
    ("ALLOWED", True, "Accepted"), ("ALLOWED", False, "Invalid"),
    # No real-time answer: ALLOWED_OFFLINE falls back on `valid`, NEVER is never whitelisted.
    ("ALLOWED_OFFLINE", True, "Accepted"), ("ALLOWED_OFFLINE", False, "Invalid"),
    ("NEVER", True, "Invalid"),
])  # fmt: skip
def test_v16_whitelist_rules(v16: Harness, whitelist: str, valid: bool, status: str) -> None:
    v16.push(pushed(whitelist=whitelist, valid=valid))
    assert v16_status(v16, "04A1B2C3") == status


def test_uid_is_case_insensitive_and_unknown_stays_invalid(v16: Harness) -> None:
    v16.push(pushed("04a1b2c3"))
    assert v16_status(v16, "04A1B2C3") == "Accepted"
    assert v16_status(v16, "FFFFFFFF") == "Invalid"


def test_a_later_push_replaces_the_token(v16: Harness) -> None:
    v16.push(pushed())
    v16.push(pushed(valid=False))
    assert v16_status(v16, "04A1B2C3") == "Invalid"


@pytest.mark.parametrize(("ocpi_type", "ocpp_type", "status"), [
    ("RFID", "ISO14443", "Accepted"), ("RFID", "ISO15693", "Accepted"),
    ("RFID", "Central", "Unknown"), ("APP_USER", "Central", "Accepted"),
    ("AD_HOC_USER", "eMAID", "Accepted"), ("APP_USER", "ISO14443", "Unknown"),
    ("OTHER", "KeyCode", "Accepted"),
])  # fmt: skip
def test_v201_type_mapping(v201: Harness, ocpi_type: str, ocpp_type: str, status: str) -> None:
    v201.push(pushed(type=ocpi_type))
    assert v201_status(v201, "04A1B2C3", ocpp_type) == status


def test_v201_invalid_token_is_not_accepted(v201: Harness) -> None:
    v201.push(pushed(valid=False))
    assert v201_status(v201, "04A1B2C3", "ISO14443") == "Invalid"


def test_group_id_is_returned(v16: Harness, v201: Harness) -> None:
    v16.push(pushed(group_id="FLEET-7"))
    info = v16.result("Authorize", {"idTag": "04A1B2C3"})["idTagInfo"]
    assert info["parentIdTag"] == "FLEET-7"
    v201.push(pushed(group_id="FLEET-7"))
    group = v201.result("Authorize", {"idToken": {"idToken": "04A1B2C3", "type": "ISO14443"}})[
        "idTokenInfo"]["groupIdToken"]  # fmt: skip
    assert group == {"idToken": "FLEET-7", "type": "Central"}


def test_operator_token_takes_precedence(v16: Harness) -> None:
    v16.push(pushed())
    v16.tokens["04A1B2C3"] = token("Blocked")
    assert v16_status(v16, "04A1B2C3") == "Blocked"


def test_start_transaction_uses_the_pushed_token(v16: Harness) -> None:
    v16.push(pushed())
    answer = v16.result("StartTransaction", {"connectorId": 1, "idTag": "04A1B2C3",
                                             "meterStart": 0, "timestamp": "2025-06-01T12:00:00Z"})
    assert answer["idTagInfo"]["status"] == "Accepted"


def test_v201_transaction_event_uses_the_pushed_token(v201: Harness) -> None:
    v201.push(pushed(valid=False))
    answer = v201.result("TransactionEvent", {
        "eventType": "Started", "timestamp": "2025-06-01T12:00:00Z", "triggerReason": "Authorized",
        "seqNo": 0, "transactionInfo": {"transactionId": "t-1"},
        "idToken": {"idToken": "04A1B2C3", "type": "ISO14443"}, "evse": {"id": 1},
    })  # fmt: skip
    assert answer["idTokenInfo"]["status"] == "Invalid"


def test_two_parties_with_one_uid_prefer_in_order(v16: Harness) -> None:
    v16.push(pushed(party="ZZZ", valid=False))
    v16.push(pushed(party="AAA"))
    assert v16_status(v16, "04A1B2C3") == "Accepted"


@pytest.mark.parametrize(("allowed", "status_16", "status_201"), [
    ("ALLOWED", "Accepted", "Accepted"), ("BLOCKED", "Blocked", "Blocked"),
    ("EXPIRED", "Expired", "Expired"), ("NO_CREDIT", "Invalid", "NoCredit"),
    ("NOT_ALLOWED", "Invalid", "NotAtThisLocation"), (None, "Invalid", "Unknown"),
])  # fmt: skip
def test_realtime_verdicts_map_to_ocpp(allowed: str | None, status_16: str,
                                       status_201: str) -> None:  # fmt: skip
    assert roaming.realtime_status(allowed, v201=False) == status_16
    assert roaming.realtime_status(allowed, v201=True) == status_201
