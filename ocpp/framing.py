"""Parse and build OCPP-J frames, sans I/O: text in, :data:`Message` or :class:`Rejection` out.

Frame errors and the code each version answers with (OCPP-J 1.6 §4.2.3, 2.0.1 §4.2.3/§4.3):

==========================================  ===================  ==========================
problem                                     1.6                  2.0.1
==========================================  ===================  ==========================
not JSON, not an array, empty array         FormationViolation   RpcFrameworkError, id "-1"
MessageTypeId not 2, 3 or 4                 FormationViolation   MessageTypeNotSupported
id missing, not a string, "" or > 36 chars  FormationViolation   RpcFrameworkError, id "-1"
wrong number of elements, action not str    FormationViolation   RpcFrameworkError
payload / errorDetails not a JSON object    FormationViolation   FormatViolation
unknown action                              NotImplemented       NotImplemented
payload fails the request schema            see :mod:`ocpp.validation`
==========================================  ===================  ==========================

1.6 never answers a frame whose id it cannot read (its CALLERROR must echo the CALL's id);
no version answers a malformed CALLRESULT or CALLERROR (see :meth:`Rejection.to_call_error`).
"""

from __future__ import annotations

from typing import Any, Final

import orjson

from ocpp.errors import OcppError, error_for
from ocpp.frames import CALL, CALLERROR, CALLRESULT, Call, CallError, CallResult, Message, Rejection
from ocpp.validation import validate_payload
from ocpp.versions import OcppVersion

__all__ = ["MAX_ID_LENGTH", "call_error", "parse", "serialize"]

# OCPP-J 1.6 §4.1.4 / 2.0.1 §4.1.4: "maximum of 36 characters, to allow for GUIDs".
MAX_ID_LENGTH: Final = 36
# OCPP-J 2.0.1 §4.2.3: ErrorDescription is string[255].
_MAX_DESCRIPTION_201: Final = 255

_ARITY: Final[dict[int, int]] = {CALL: 4, CALLRESULT: 3, CALLERROR: 5}

# Per version, the code for each kind of framing problem.
_UNREADABLE: Final = {OcppVersion.V16: "FormationViolation", OcppVersion.V201: "RpcFrameworkError"}
_BAD_TYPE: Final = {
    OcppVersion.V16: "FormationViolation",
    OcppVersion.V201: "MessageTypeNotSupported",
}
_BAD_SHAPE: Final = _UNREADABLE
_BAD_PAYLOAD: Final = {OcppVersion.V16: "FormationViolation", OcppVersion.V201: "FormatViolation"}


def parse(text: str | bytes, version: OcppVersion, *, validate: bool = True) -> Message | Rejection:
    """Parse one OCPP-J frame; a CALL's action and payload are validated too.

    CALLRESULT payloads are not schema-validated here (the action is known only to the
    caller that matched the id): use :func:`ocpp.validation.validate_payload`.
    ``validate=False`` checks the framing only: for text already judged valid by this
    function (the processors re-read frames the gateway validated, with their verdict).
    Never raises on any input.
    """
    try:
        frame = orjson.loads(text)
    except orjson.JSONDecodeError:
        return _reject(version, _UNREADABLE, "frame is not valid JSON", None, None)
    if type(frame) is not list or not frame:
        return _reject(version, _UNREADABLE, "frame is not a non-empty JSON array", None, None)
    message_type = frame[0]
    raw_id = frame[1] if len(frame) > 1 else None
    unique_id = raw_id if _readable_id(raw_id) else None
    if type(message_type) is not int or message_type not in _ARITY:
        return _reject(
            version, _BAD_TYPE, f"unsupported MessageTypeId {message_type!r}", unique_id, None
        )
    if unique_id is None:
        return _reject(
            version, _UNREADABLE, f"message id {raw_id!r} is unreadable", None, message_type
        )
    if len(frame) != _ARITY[message_type]:
        return _reject(
            version,
            _BAD_SHAPE,
            f"expected {_ARITY[message_type]} elements, got {len(frame)}",
            unique_id,
            message_type,
        )
    if message_type == CALL:
        return _parse_call(version, unique_id, frame, validate)
    if message_type == CALLRESULT:
        return _parse_call_result(version, unique_id, frame)
    return _parse_call_error(version, unique_id, frame)


def _readable_id(raw_id: object) -> bool:
    return type(raw_id) is str and 0 < len(raw_id) <= MAX_ID_LENGTH


def _parse_call(
    version: OcppVersion, unique_id: str, frame: list[Any], validate: bool
) -> Call | Rejection:
    action, payload = frame[2], frame[3]
    if type(action) is not str:
        return _reject(version, _BAD_SHAPE, "action is not a string", unique_id, CALL)
    if type(payload) is not dict:
        return _reject(version, _BAD_PAYLOAD, "payload is not an object", unique_id, CALL)
    error = validate_payload(version, action, payload, response=False) if validate else None
    if error is not None:
        return Rejection(error, unique_id, CALL)
    return Call(unique_id, action, payload)


def _parse_call_result(
    version: OcppVersion, unique_id: str, frame: list[Any]
) -> CallResult | Rejection:
    payload = frame[2]
    if type(payload) is not dict:
        return _reject(version, _BAD_PAYLOAD, "payload is not an object", unique_id, CALLRESULT)
    return CallResult(unique_id, payload)


def _parse_call_error(
    version: OcppVersion, unique_id: str, frame: list[Any]
) -> CallError | Rejection:
    code, description, details = frame[2], frame[3], frame[4]
    if type(code) is not str or type(description) is not str:
        return _reject(
            version,
            _BAD_SHAPE,
            "errorCode and errorDescription must be strings",
            unique_id,
            CALLERROR,
        )
    if type(details) is not dict:
        return _reject(version, _BAD_PAYLOAD, "errorDetails is not an object", unique_id, CALLERROR)
    return CallError(unique_id, code, description, details)


def _reject(
    version: OcppVersion,
    codes: dict[OcppVersion, str],
    description: str,
    unique_id: str | None,
    message_type: int | None,
) -> Rejection:
    return Rejection(error_for(version, codes[version], description), unique_id, message_type)


def serialize(message: Message) -> str:
    """Compact OCPP-J text for a frame (no whitespace)."""
    frame: list[Any]
    if isinstance(message, Call):
        frame = [CALL, message.unique_id, message.action, message.payload]
    elif isinstance(message, CallResult):
        frame = [CALLRESULT, message.unique_id, message.payload]
    else:
        frame = [
            CALLERROR,
            message.unique_id,
            message.error_code,
            message.error_description,
            message.error_details,
        ]
    return orjson.dumps(frame).decode()


def call_error(version: OcppVersion, unique_id: str, error: OcppError) -> CallError:
    """The CallError answering CALL ``unique_id`` with ``error``.

    Raises ValueError if ``error``'s code is not spelled as ``version`` spells it.
    """
    if version not in error.versions:
        raise ValueError(f"{error.code!r} is not a CallError code of OCPP {version.value}")
    description = error.description
    if version is OcppVersion.V201:
        description = description[:_MAX_DESCRIPTION_201]
    return CallError(unique_id, error.code, description, dict(error.details))
