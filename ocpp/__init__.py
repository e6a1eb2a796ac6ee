"""Sans-I/O OCPP-J 1.6 and 2.0.1: frames, schema validation, typed models, CallError codes.

Text in, values out; nothing here touches a socket, a clock or a broker::

    match ocpp.parse(text, OcppVersion.V16):
        case Call(unique_id, action, payload): ...
        case CallResult() | CallError(): ...
        case Rejection() as rejection: answer = rejection.to_call_error(version)

See ``ocpp/README.md`` for the error mapping per version. Protocol facts the services
share are stated here once: the station identity (:mod:`ocpp.identifiers`), the WebSocket
close codes (:mod:`ocpp.close_codes`), who initiates each action (:mod:`ocpp.directions`)
and the UTC wire format of date-times (:mod:`ocpp.timestamps`).

Exception tree (:mod:`ocpp.errors`: one class per CallError code and spelling; parsing and
validation return them as values, handlers may raise them)::

    OcppError
     ├── NotImplementedActionError           NotImplemented                 1.6, 2.0.1
     ├── NotSupportedError                   NotSupported                   1.6, 2.0.1
     ├── InternalError                       InternalError                  1.6, 2.0.1
     ├── ProtocolError                       ProtocolError                  1.6, 2.0.1
     ├── SecurityError                       SecurityError                  1.6, 2.0.1
     ├── GenericError                        GenericError                   1.6, 2.0.1
     ├── PropertyConstraintViolationError    PropertyConstraintViolation    1.6, 2.0.1
     ├── TypeConstraintViolationError        TypeConstraintViolation        1.6, 2.0.1
     ├── FormationViolationError             FormationViolation             1.6
     ├── OccurenceConstraintViolationError   OccurenceConstraintViolation   1.6 (sic)
     ├── FormatViolationError                FormatViolation                2.0.1
     ├── OccurrenceConstraintViolationError  OccurrenceConstraintViolation  2.0.1
     ├── MessageTypeNotSupportedError        MessageTypeNotSupported        2.0.1
     └── RpcFrameworkError                   RpcFrameworkError              2.0.1

Otherwise only builtins: ``KeyError`` for an unknown action (:func:`model_for`),
``ValueError`` for a code a version does not define (:func:`error_for`) or a date-time that
cannot be read or written (:mod:`ocpp.timestamps`).
"""

from __future__ import annotations

from ocpp.close_codes import CloseCode
from ocpp.directions import CSMS_INITIATED, csms_initiated, station_initiated
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
from ocpp.identifiers import STATION_ID_MAX_LENGTH, STATION_ID_PATTERN, is_station_id
from ocpp.models import OcppModel, to_payload
from ocpp.registry import model_for, to_model
from ocpp.validation import is_known_action, known_actions, validate_payload, warm_up
from ocpp.versions import OcppVersion

__all__ = [
    "CSMS_INITIATED",
    "STATION_ID_MAX_LENGTH",
    "STATION_ID_PATTERN",
    "Call",
    "CallError",
    "CallResult",
    "CloseCode",
    "Message",
    "OcppError",
    "OcppModel",
    "OcppVersion",
    "Rejection",
    "call_error",
    "csms_initiated",
    "error_class",
    "error_for",
    "format_violation",
    "generic_error",
    "internal_error",
    "is_known_action",
    "is_station_id",
    "known_actions",
    "model_for",
    "not_implemented",
    "not_supported",
    "occurrence_violation",
    "parse",
    "protocol_error",
    "security_error",
    "serialize",
    "station_initiated",
    "to_model",
    "to_payload",
    "validate_payload",
    "warm_up",
]
