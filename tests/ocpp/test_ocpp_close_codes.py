"""ocpp.close_codes: RFC 6455 §7.4.1 status codes, as the gateway and processors use them."""

from __future__ import annotations

from ocpp import CloseCode


def test_codes_are_the_rfc_numbers() -> None:
    assert {c.name: c.value for c in CloseCode} == {
        "GOING_AWAY": 1001,
        "PROTOCOL_ERROR": 1002,
        "UNSUPPORTED_DATA": 1003,
        "NO_CLOSE_FRAME": 1006,
        "INVALID_PAYLOAD": 1007,
        "POLICY_VIOLATION": 1008,
        "MESSAGE_TOO_BIG": 1009,
        "INTERNAL_ERROR": 1011,
    }


def test_a_code_is_an_int_on_the_wire_and_in_text() -> None:
    assert CloseCode.POLICY_VIOLATION == 1008
    assert f"closed {CloseCode.UNSUPPORTED_DATA}" == "closed 1003"
    assert CloseCode(1009) is CloseCode.MESSAGE_TOO_BIG

