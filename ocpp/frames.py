"""OCPP-J RPC frames (OCPP-J 1.6 §4, OCPP-J 2.0.1 §4) and the value a bad frame becomes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from ocpp.errors import OcppError
from ocpp.versions import OcppVersion

__all__ = [
    "CALL",
    "CALLERROR",
    "CALLRESULT",
    "UNREADABLE_ID",
    "Call",
    "CallError",
    "CallResult",
    "Message",
    "Rejection",
]

# OCPP-J 1.6 §4.1.3 / 2.0.1 §4.1.3: MessageTypeId.
CALL: Final = 2
CALLRESULT: Final = 3
CALLERROR: Final = 4

# OCPP-J 2.0.1 §4.2.3: a CALLERROR answering a message whose id cannot be read uses "-1".
UNREADABLE_ID: Final = "-1"


@dataclass(frozen=True, slots=True)
class Call:
    """``[2, "<uniqueId>", "<action>", {<payload>}]``"""

    unique_id: str
    action: str
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class CallResult:
    """``[3, "<uniqueId>", {<payload>}]``"""

    unique_id: str
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class CallError:
    """``[4, "<uniqueId>", "<errorCode>", "<errorDescription>", {<errorDetails>}]``"""

    unique_id: str
    error_code: str
    error_description: str
    error_details: dict[str, Any]


Message = Call | CallResult | CallError


@dataclass(frozen=True, slots=True)
class Rejection:
    """A frame that could not be accepted, and why.

    ``unique_id`` is the message id when it could be read (a string of 1..36 characters),
    ``message_type`` is 2, 3 or 4 when the MessageTypeId could be read.
    """

    error: OcppError
    unique_id: str | None
    message_type: int | None

    def to_call_error(self, version: OcppVersion) -> CallError | None:
        """The CallError to send back, or None when nothing must be sent.

        - A malformed CALLRESULT or CALLERROR is never answered: a CALLERROR answers a
          CALL only (OCPP-J 1.6 §4.2.3, 2.0.1 §4.2.3), and the peer is not waiting.
        - An unreadable message id: 2.0.1 answers with id "-1" (OCPP-J 2.0.1 §4.2.3);
          1.6 has no such rule and requires the CALL's own id, so nothing is sent.
        """
        if self.message_type in (CALLRESULT, CALLERROR):
            return None
        unique_id = self.unique_id
        if unique_id is None:
            if version is not OcppVersion.V201:
                return None
            unique_id = UNREADABLE_ID
        return CallError(
            unique_id, self.error.code, self.error.description, dict(self.error.details)
        )

    @property
    def verdict(self) -> str:
        """Short human-readable verdict, e.g. ``"FormationViolation: payload is not an object"``."""
        return f"{self.error.code}: {self.error.description}"
