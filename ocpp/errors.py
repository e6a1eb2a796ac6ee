"""OCPP CallError codes as exception classes, one class per code and spelling.

Each class carries its wire code in ``code`` and the versions that define it in
``versions``. Parsing and validation never raise these: they return an instance as a
value (see :class:`ocpp.frames.Rejection`); handlers may raise them and let the service
turn them into a CallError with :func:`ocpp.framing.call_error`.

The 1.6 and 2.0.1 spellings differ, so those codes are separate classes::

    OcppError                                   (abstract; code: ClassVar[str])
     ├── NotImplementedActionError       "NotImplemented"                 1.6, 2.0.1
     ├── NotSupportedError               "NotSupported"                   1.6, 2.0.1
     ├── InternalError                   "InternalError"                  1.6, 2.0.1
     ├── ProtocolError                   "ProtocolError"                  1.6, 2.0.1
     ├── SecurityError                   "SecurityError"                  1.6, 2.0.1
     ├── GenericError                    "GenericError"                   1.6, 2.0.1
     ├── PropertyConstraintViolationError "PropertyConstraintViolation"   1.6, 2.0.1
     ├── TypeConstraintViolationError    "TypeConstraintViolation"        1.6, 2.0.1
     ├── FormationViolationError         "FormationViolation"             1.6 only
     ├── OccurenceConstraintViolationError "OccurenceConstraintViolation" 1.6 only (sic)
     ├── FormatViolationError            "FormatViolation"                2.0.1 only
     ├── OccurrenceConstraintViolationError "OccurrenceConstraintViolation" 2.0.1 only
     ├── MessageTypeNotSupportedError    "MessageTypeNotSupported"        2.0.1 only
     └── RpcFrameworkError               "RpcFrameworkError"              2.0.1 only

No class shadows a builtin: "NotImplemented" is ``NotImplementedActionError``.
Use the version-aware factories (:func:`error_for`, :func:`not_implemented`, ...) when
the same intent must be spelled per version.
"""

from __future__ import annotations

from typing import Any, ClassVar, Final

from ocpp.versions import OcppVersion

__all__ = [
    "ERROR_CLASSES",
    "FormatViolationError",
    "FormationViolationError",
    "GenericError",
    "InternalError",
    "MessageTypeNotSupportedError",
    "NotImplementedActionError",
    "NotSupportedError",
    "OccurenceConstraintViolationError",
    "OccurrenceConstraintViolationError",
    "OcppError",
    "PropertyConstraintViolationError",
    "ProtocolError",
    "RpcFrameworkError",
    "SecurityError",
    "TypeConstraintViolationError",
    "error_class",
    "error_for",
    "format_violation",
    "generic_error",
    "internal_error",
    "not_implemented",
    "not_supported",
    "occurrence_violation",
    "protocol_error",
    "security_error",
]

_BOTH: Final = frozenset({OcppVersion.V16, OcppVersion.V201})
_V16: Final = frozenset({OcppVersion.V16})
_V201: Final = frozenset({OcppVersion.V201})


class OcppError(Exception):
    """Base of all CallError codes; ``code`` is the string sent on the wire."""

    code: ClassVar[str] = ""
    versions: ClassVar[frozenset[OcppVersion]] = frozenset()

    def __init__(self, description: str = "", details: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.description = description
        self.details: dict[str, Any] = dict(details) if details else {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.description!r}, {self.details!r})"

    def __str__(self) -> str:
        return f"{self.code}: {self.description}" if self.description else self.code

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, OcppError):
            return NotImplemented
        return (type(self), self.description, self.details) == (
            type(other),
            other.description,
            other.details,
        )

    def __hash__(self) -> int:
        return hash((type(self), self.description))


class NotImplementedActionError(OcppError):
    """Requested Action is not known by receiver."""

    code = "NotImplemented"
    versions = _BOTH


class NotSupportedError(OcppError):
    """Requested Action is recognized but not supported by the receiver."""

    code = "NotSupported"
    versions = _BOTH


class InternalError(OcppError):
    """An internal error occurred and the receiver could not process the Action."""

    code = "InternalError"
    versions = _BOTH


class ProtocolError(OcppError):
    """1.6: payload for Action is incomplete; 2.0.1: not conform the PDU structure."""

    code = "ProtocolError"
    versions = _BOTH


class SecurityError(OcppError):
    """A security issue prevented the receiver from completing the Action."""

    code = "SecurityError"
    versions = _BOTH


class GenericError(OcppError):
    """Any other error not covered by the more specific codes."""

    code = "GenericError"
    versions = _BOTH


class PropertyConstraintViolationError(OcppError):
    """Payload is syntactically correct but at least one field contains an invalid value."""

    code = "PropertyConstraintViolation"
    versions = _BOTH


class TypeConstraintViolationError(OcppError):
    """At least one field violates data type constraints (e.g. "somestring": 12)."""

    code = "TypeConstraintViolation"
    versions = _BOTH


class FormationViolationError(OcppError):
    """OCPP-J 1.6: payload is syntactically incorrect or not conform the PDU structure."""

    code = "FormationViolation"
    versions = _V16


class OccurenceConstraintViolationError(OcppError):
    """OCPP-J 1.6 (the spec's spelling): a field violates occurrence constraints."""

    code = "OccurenceConstraintViolation"
    versions = _V16


class FormatViolationError(OcppError):
    """OCPP-J 2.0.1: payload for Action is syntactically incorrect."""

    code = "FormatViolation"
    versions = _V201


class OccurrenceConstraintViolationError(OcppError):
    """OCPP-J 2.0.1: a field violates occurrence constraints."""

    code = "OccurrenceConstraintViolation"
    versions = _V201


class MessageTypeNotSupportedError(OcppError):
    """OCPP-J 2.0.1: a message with an unsupported Message Type Number was received."""

    code = "MessageTypeNotSupported"
    versions = _V201


class RpcFrameworkError(OcppError):
    """OCPP-J 2.0.1: not a valid RPC request, for example the MessageId could not be read."""

    code = "RpcFrameworkError"
    versions = _V201


ERROR_CLASSES: Final[dict[OcppVersion, dict[str, type[OcppError]]]] = {
    version: {
        cls.code: cls
        for cls in (
            NotImplementedActionError,
            NotSupportedError,
            InternalError,
            ProtocolError,
            SecurityError,
            GenericError,
            PropertyConstraintViolationError,
            TypeConstraintViolationError,
            FormationViolationError,
            OccurenceConstraintViolationError,
            FormatViolationError,
            OccurrenceConstraintViolationError,
            MessageTypeNotSupportedError,
            RpcFrameworkError,
        )
        if version in cls.versions
    }
    for version in OcppVersion
}
"""Per version: CallError code -> class. Exactly the codes each spec defines."""

# The same intent in the other version's spelling, used by error_for().
_RESPELL: Final[dict[str, str]] = {
    "FormatViolation": "FormationViolation",
    "FormationViolation": "FormatViolation",
    "OccurrenceConstraintViolation": "OccurenceConstraintViolation",
    "OccurenceConstraintViolation": "OccurrenceConstraintViolation",
}


def error_class(version: OcppVersion, code: str) -> type[OcppError] | None:
    """The class for a CallError code as spelled in ``version``, or None if undefined."""
    return ERROR_CLASSES[version].get(code)


def error_for(
    version: OcppVersion,
    code: str,
    description: str = "",
    details: dict[str, Any] | None = None,
) -> OcppError:
    """An error for ``code`` spelled as ``version`` spells it.

    Accepts either version's spelling ("FormatViolation" gives FormationViolation in 1.6).
    Raises ValueError for a code ``version`` does not define (e.g. RpcFrameworkError in 1.6).
    """
    cls = error_class(version, code) or error_class(version, _RESPELL.get(code, ""))
    if cls is None:
        raise ValueError(f"{code!r} is not a CallError code of OCPP {version.value}")
    return cls(description, details)


def not_implemented(
    version: OcppVersion, description: str = "", details: dict[str, Any] | None = None
) -> OcppError:
    """NotImplemented: the action is not known."""
    return error_for(version, "NotImplemented", description, details)


def not_supported(
    version: OcppVersion, description: str = "", details: dict[str, Any] | None = None
) -> OcppError:
    """NotSupported: the action is known but not supported."""
    return error_for(version, "NotSupported", description, details)


def security_error(
    version: OcppVersion, description: str = "", details: dict[str, Any] | None = None
) -> OcppError:
    """SecurityError."""
    return error_for(version, "SecurityError", description, details)


def generic_error(
    version: OcppVersion, description: str = "", details: dict[str, Any] | None = None
) -> OcppError:
    """GenericError."""
    return error_for(version, "GenericError", description, details)


def internal_error(
    version: OcppVersion, description: str = "", details: dict[str, Any] | None = None
) -> OcppError:
    """InternalError."""
    return error_for(version, "InternalError", description, details)


def protocol_error(
    version: OcppVersion, description: str = "", details: dict[str, Any] | None = None
) -> OcppError:
    """ProtocolError."""
    return error_for(version, "ProtocolError", description, details)


def format_violation(
    version: OcppVersion, description: str = "", details: dict[str, Any] | None = None
) -> OcppError:
    """FormationViolation (1.6) / FormatViolation (2.0.1)."""
    return error_for(version, "FormatViolation", description, details)


def occurrence_violation(
    version: OcppVersion, description: str = "", details: dict[str, Any] | None = None
) -> OcppError:
    """OccurenceConstraintViolation (1.6, sic) / OccurrenceConstraintViolation (2.0.1)."""
    return error_for(version, "OccurrenceConstraintViolation", description, details)
