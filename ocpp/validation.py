"""Validate OCPP payloads against the official OCA JSON schemas.

Schemas are read from the ``schemas`` package data (``schemas/ocpp16``,
``schemas/ocpp201``) and compiled with fastjsonschema into Python functions, once per
(version, action, direction), on first use (or all at once with :func:`warm_up`).

A failing schema rule maps to a CallError code (OCPP-J 1.6 §4.2.3, 2.0.1 §4.3):

=====================================  =============================================
schema rule                            code
=====================================  =============================================
required, minItems, maxItems           Occur(r)enceConstraintViolation
type                                   TypeConstraintViolation
format (date-time, uri)                TypeConstraintViolation (a dateTime is a type)
enum, maxLength, minimum, maximum,     PropertyConstraintViolation
multipleOf, additionalProperties, ...
=====================================  =============================================

Date-times: 2.0.1 requires RFC 3339 (OCPP 2.0.1 Part 2 §2.1.5), so a zone is mandatory;
OCPP 1.6 only says ISO 8601, so for 1.6 the zone designator is optional.
Schema ``default`` values are never written into the payload (``use_default=False``).
"""

from __future__ import annotations

import functools
import importlib.resources
import re
from collections.abc import Callable
from typing import Any, Final

import fastjsonschema
import orjson

from ocpp.errors import OcppError, error_for
from ocpp.versions import OcppVersion

__all__ = [
    "SCHEMA_DIRS",
    "is_known_action",
    "known_actions",
    "load_schema",
    "validate_payload",
    "warm_up",
]

SCHEMA_DIRS: Final[dict[OcppVersion, str]] = {
    OcppVersion.V16: "ocpp16",
    OcppVersion.V201: "ocpp201",
}

_ISO8601_DATE_TIME: Final = (
    r"^\d{4}-[01]\d-[0-3]\d[Tt][0-2]\d:[0-5]\d:[0-6]\d(?:\.\d+)?"
    r"(?:[Zz]|[+-][0-2]\d(?::?[0-5]\d)?)?\Z"
)
_FORMATS: Final[dict[OcppVersion, dict[str, str]]] = {
    OcppVersion.V16: {"date-time": _ISO8601_DATE_TIME},
    OcppVersion.V201: {},
}

_OCCURRENCE_RULES: Final = frozenset({"required", "minItems", "maxItems"})
_TYPE_RULES: Final = frozenset({"type", "format"})

Validator = Callable[[dict[str, Any]], object]


def _schema_file(version: OcppVersion, action: str, *, response: bool) -> str:
    if response:
        return f"{action}Response.json"
    # The 1.6 schema files name requests without a suffix ("BootNotification.json").
    return f"{action}.json" if version is OcppVersion.V16 else f"{action}Request.json"


@functools.cache
def known_actions(version: OcppVersion) -> frozenset[str]:
    """Every action that has a request and a response schema in ``version``."""
    folder = importlib.resources.files("schemas").joinpath(SCHEMA_DIRS[version])
    names = {entry.name for entry in folder.iterdir() if entry.name.endswith(".json")}
    actions = {
        name.removesuffix("Response.json") for name in names if name.endswith("Response.json")
    }
    return frozenset(
        action for action in actions if _schema_file(version, action, response=False) in names
    )


def is_known_action(version: OcppVersion, action: str) -> bool:
    """True if ``action`` is an OCPP action of ``version``."""
    return action in known_actions(version)


@functools.cache
def load_schema(version: OcppVersion, action: str, *, response: bool) -> dict[str, Any]:
    """The parsed JSON schema for one message. Raises KeyError for an unknown action."""
    if not is_known_action(version, action):
        raise KeyError(f"unknown OCPP {version.value} action {action!r}")
    path = importlib.resources.files("schemas").joinpath(
        SCHEMA_DIRS[version], _schema_file(version, action, response=response)
    )
    schema: dict[str, Any] = orjson.loads(path.read_bytes())
    return schema


@functools.cache
def _validator(version: OcppVersion, action: str, response: bool) -> Validator:
    compiled: Validator = fastjsonschema.compile(
        load_schema(version, action, response=response),
        formats=_FORMATS[version],
        use_default=False,
    )
    return compiled


def warm_up(version: OcppVersion) -> None:
    """Compile every validator of ``version`` now instead of on first use."""
    for action in known_actions(version):
        _validator(version, action, False)
        _validator(version, action, True)


def validate_payload(
    version: OcppVersion, action: str, payload: dict[str, Any], *, response: bool
) -> OcppError | None:
    """None if ``payload`` is valid for ``action``, else the error to answer with.

    Never raises: an unknown action gives NotImplemented.
    """
    if action not in known_actions(version):
        return error_for(version, "NotImplemented", f"unknown action {action!r}")
    try:
        _validator(version, action, response)(payload)
    except fastjsonschema.JsonSchemaValueException as exc:
        return _schema_error(version, exc)
    return None


def _schema_error(version: OcppVersion, exc: fastjsonschema.JsonSchemaValueException) -> OcppError:
    rule = exc.rule or ""
    if rule in _OCCURRENCE_RULES:
        code = "OccurrenceConstraintViolation"
    elif rule in _TYPE_RULES:
        code = "TypeConstraintViolation"
    else:
        code = "PropertyConstraintViolation"
    path = (exc.name or "data").replace("data", "payload", 1)
    message = _SET_LITERAL.sub(_sorted_set, str(exc.message).replace("data", "payload", 1))
    return error_for(version, code, message, {"path": path, "rule": rule})


# fastjsonschema renders some offending names as a Python set literal, whose order changes
# from one process to the next; sort it so the same frame always gets the same description.
_SET_LITERAL = re.compile(r"\{('[^{}]*')\}")


def _sorted_set(match: re.Match[str]) -> str:
    names = sorted(part.strip() for part in match.group(1).split(","))
    return "[" + ", ".join(names) + "]"
