"""Typed commands → OCPP messages per version (pure: no server needed)."""

from __future__ import annotations

from typing import Any

import pytest

import ocpp
from api.commands import COMMANDS, NotApplicable, request_id_for
from ocpp import OcppVersion

V16, V201 = OcppVersion.V16, OcppVersion.V201
LATER = "2030-01-01T00:00:00Z"

BODIES: dict[str, dict[str, Any]] = {
    "remote-start": {"id_token": {"id_token": "T"}, "evse_id": 1},
    "remote-stop": {"transaction_id": "7"},
    "reset": {"type": "Hard"},
    "change-availability": {"operative": True},
    "unlock-connector": {"connector_id": 1, "evse_id": 1},
    "trigger-message": {"message": "StatusNotification"},
    "get-configuration": {},
    "change-configuration": {"key": "K", "value": "V"},
    "get-variables": {"variables": [{"component": "C", "variable": "V"}]},
    "set-variables": {"variables": [{"component": "C", "variable": "V", "value": "1"}]},
    "get-base-report": {},
    "clear-cache": {},
    "set-charging-profile": {"evse_id": 0, "profile": {}},
    "clear-charging-profile": {"evse_id": 1, "purpose": "TxProfile"},
    "get-charging-profiles": {},
    "get-composite-schedule": {"evse_id": 1, "duration": 60},
    "update-firmware": {"location": "https://x/fw", "retrieve_at": LATER},
    "get-diagnostics": {"location": "ftp://x/"},
    "get-log": {"location": "https://x/"},
    "send-local-list": {"version": 1, "entries": [{"id_token": "T", "status": "Accepted",
                                                   "group_id": "G"}]},
    "get-local-list-version": {},
    "reserve-now": {"reservation_id": 1, "id_token": {"id_token": "T"}, "expires_at": LATER,
                    "evse_id": 1},
    "cancel-reservation": {"reservation_id": 1},
    "data-transfer": {"vendor_id": "V", "data": "d"},
}  # fmt: skip
ONLY = {"get-configuration": V16, "change-configuration": V16, "get-diagnostics": V16,
        "get-variables": V201, "set-variables": V201, "get-base-report": V201,
        "get-charging-profiles": V201}  # fmt: skip
# The profile itself is the caller's (checked by the OCPP schema when queued).
SCHEMA_CHECKED_LATER = {"set-charging-profile"}


def test_every_command_has_a_body_here() -> None:
    assert set(BODIES) == set(COMMANDS)


@pytest.mark.parametrize("version", [V16, V201])
@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_command_maps_to_a_valid_message_or_is_not_applicable(
    name: str, version: OcppVersion
) -> None:
    body = COMMANDS[name].model_validate(BODIES[name])
    if ONLY.get(name, version) is not version:
        with pytest.raises(NotApplicable, match="exists only in"):
            body.to_call(version, 5)
        return
    action, payload = body.to_call(version, 5)
    assert action in ocpp.csms_initiated(version)
    if name not in SCHEMA_CHECKED_LATER:
        assert ocpp.validate_payload(version, action, payload, response=False) is None, payload


@pytest.mark.parametrize(("name", "body", "version"), [
    ("remote-stop", {"transaction_id": "tx-1"}, V16),
    ("reset", {"type": "Soft", "evse_id": 1}, V16),
    ("unlock-connector", {"connector_id": 1}, V201),
    ("reserve-now", {"reservation_id": 1, "id_token": {"id_token": "T"}, "expires_at": LATER},
     V16),
    ("data-transfer", {"vendor_id": "V", "data": {"a": 1}}, V16),
    ("update-firmware", {"location": "u", "retrieve_at": LATER, "signature": "s"}, V16),
])  # fmt: skip
def test_bodies_that_do_not_fit_the_version_are_refused(name: str, body: dict[str, Any],
                                                        version: OcppVersion) -> None:  # fmt: skip
    with pytest.raises(NotApplicable):
        COMMANDS[name].model_validate(body).to_call(version, 5)


def test_reset_vocabularies_map_both_ways() -> None:
    reset = COMMANDS["reset"]
    hard = reset.model_validate({"type": "Immediate"}).to_call(V16, 1)
    soft = reset.model_validate({"type": "Soft"}).to_call(V201, 1)
    assert hard == ("Reset", {"type": "Hard"}) and soft == ("Reset", {"type": "OnIdle"})


def test_request_ids_are_stable_positive_int32() -> None:
    call_id = "ffffffff-ffff-4fff-8fff-ffffffffffff"
    assert request_id_for(call_id) == request_id_for(call_id)
    assert 0 < request_id_for(call_id) < 2**31
    assert request_id_for("00000000-0000-4000-8000-000000000000") == 1


def test_date_times_go_on_the_wire_in_utc_with_milliseconds() -> None:
    body = COMMANDS["reserve-now"].model_validate({
        "reservation_id": 1, "id_token": {"id_token": "T"}, "evse_id": 1,
        "expires_at": "2030-01-01T02:00:00.123456+02:00",
    })  # fmt: skip
    assert body.to_call(V16, 5)[1]["expiryDate"] == "2030-01-01T00:00:00.123Z"
    assert body.to_call(V201, 5)[1]["expiryDateTime"] == "2030-01-01T00:00:00.123Z"
