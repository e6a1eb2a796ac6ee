"""Sans-I/O OCPP-J 1.6 and 2.0.1: frames, schema validation, typed models, CallError codes.

Text in, values out; nothing here touches a socket, a clock or a broker::

    match ocpp.parse(text, OcppVersion.V16):
        case Call(unique_id, action, payload): ...
        case CallResult() | CallError(): ...
        case Rejection() as rejection: answer = rejection.to_call_error(version)

See ``ocpp/README.md`` for the error mapping per version.
"""

from __future__ import annotations

from ocpp.errors import (
    OcppError,
    error_class,
    error_for,
    format_violation,
    generic_error,
    internal_error,
    not_implemented,
    not_supported,
    occurrence_violation,
    protocol_error,
    security_error,
)
from ocpp.frames import Call, CallError, CallResult, Message, Rejection
from ocpp.framing import call_error, parse, serialize
from ocpp.models import OcppModel, to_payload
from ocpp.registry import model_for, to_model
from ocpp.validation import is_known_action, known_actions, validate_payload, warm_up
from ocpp.versions import OcppVersion

__all__ = [
    "Call",
    "CallError",
    "CallResult",
    "Message",
    "OcppError",
    "OcppModel",
    "OcppVersion",
    "Rejection",
    "call_error",
    "error_class",
    "error_for",
    "format_violation",
    "generic_error",
    "internal_error",
    "is_known_action",
    "known_actions",
    "model_for",
    "not_implemented",
    "not_supported",
    "occurrence_violation",
    "parse",
    "protocol_error",
    "security_error",
    "serialize",
    "to_model",
    "to_payload",
    "validate_payload",
    "warm_up",
]
