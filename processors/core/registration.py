"""Registration: what a station that is not (yet) Accepted may send.

OCPP 1.6 §4.2 (BootNotification): after Pending the Charge Point "SHALL NOT send request
messages to the Central System unless it has been instructed by the Central System to do
so with a TriggerMessage.req"; after Rejected it "SHALL NOT send any OCPP message to the
Central System until the aforementioned retry interval has expired".

OCPP 2.0.1 B02.FR.09 (Pending) and B03.FR.07 (Rejected): the CSMS SHALL respond to any
CALL other than BootNotificationRequest with a CALLERROR ``SecurityError``
(conformance test TC_B_30_CSMS). OCPP 1.6 prescribes no error code; OCPP-J 1.6 §4.2.3
defines ``SecurityError`` ("a security issue occurred preventing receiver from completing
the Action"), so 1.6 stations get the same answer.

Who is admitted (docs/SESSIONS.md, "Registration"):

- an operator-Rejected station is refused at once, even if it was Accepted at its last boot;
- otherwise the answer to the station's last BootNotification decides: a station answered
  Pending or Rejected must boot again (and be Accepted) before anything else is served;
- a station that never booted is admitted only while its configuration is Accepted (the
  default: 1.6 stations commonly reconnect without booting again).

A Pending station may also send what a TriggerMessage it accepted asked for (1.6 §4.2
above; 2.0.1 B02: "unless requested by the CSMS via TriggerMessage"), for
:data:`processors.core.triggers.WINDOW` after its answer. The answer goes through the Pipe first
(the station answers the TriggerMessage before sending the requested message, 1.6 §5.17,
2.0.1 F06.FR.05), so the state knows it (``StationState.triggered``). A Rejected station
gets no such exemption: the CSMS sends it nothing to trigger.
"""

from __future__ import annotations

import ocpp
from ocpp import Call, CallError
from processors.core.decision import Context
from processors.core.state import StationState

ACCEPTED = "Accepted"
PENDING = "Pending"
REJECTED = "Rejected"


def admitted(state: StationState) -> bool:
    """Whether the station may send CALLs other than BootNotification."""
    if state.registration_status == REJECTED:
        return False
    if state.boot_status is None:
        return state.registration_status == ACCEPTED
    return state.boot_status == ACCEPTED


def refusal(state: StationState, call: Call, ctx: Context) -> CallError | None:
    """The CALLERROR for a CALL the station may not send now, or None when it may."""
    if call.action == "BootNotification" or admitted(state) or _triggered(state, call, ctx):
        return None
    status = state.boot_status or state.registration_status
    error = ocpp.security_error(
        ctx.version, f"{call.action} refused: station registration is {status}; "
        "send BootNotification and wait until it is Accepted",
    )  # fmt: skip
    return ocpp.call_error(ctx.version, call.unique_id, error)


def _triggered(state: StationState, call: Call, ctx: Context) -> bool:
    """A Pending station sending what an accepted TriggerMessage asked for."""
    if state.registration_status == REJECTED or state.boot_status == REJECTED:
        return False
    until = state.triggered.get(call.action)
    return until is not None and ctx.now <= until


def boot_answer(state: StationState, ctx: Context) -> tuple[str, int]:
    """The BootNotification status and interval for this station.

    OCPP 1.6 §4.2 / 2.0.1 B01.FR.01: Accepted → ``interval`` is the heartbeat interval;
    Pending / Rejected → ``interval`` is when to retry the boot (2.0.1 B02.FR.01, B03.FR.01).
    """
    status = state.registration_status
    if status == ACCEPTED:
        return status, ctx.config.heartbeat_interval_s
    return status, ctx.config.boot_retry_interval_s
