"""Synthesise valid example payloads from the OCPP JSON schemas (for tests and fixtures).

``example_payload(version, action, response=..., full=False)`` gives the smallest valid
payload (required fields only); ``full=True`` fills every optional field too, one array
item at least, and an extra vendor property where the schema allows additional
properties (2.0.1 ``customData``). Values are deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from ocpp.validation import load_schema
from ocpp.versions import OcppVersion

__all__ = ["InvalidExample", "example_payload", "example_value", "invalid_examples"]

_STRING_BY_FORMAT: Final[dict[str, str]] = {
    "date-time": "2024-05-01T12:30:00.123Z",
    "uri": "https://example.com/firmware.bin",
}


def example_payload(
    version: OcppVersion, action: str, *, response: bool, full: bool = False
) -> dict[str, Any]:
    """A payload that is valid against the schema of ``action``."""
    schema = load_schema(version, action, response=response)
    payload: dict[str, Any] = example_value(schema, schema, full=full)
    return payload


def example_value(node: dict[str, Any], root: dict[str, Any], *, full: bool) -> Any:
    """A valid value for schema ``node``; ``root`` resolves ``#/definitions/...`` refs."""
    if "$ref" in node:
        return example_value(_resolve(node["$ref"], root), root, full=full)
    if "enum" in node:
        values = node["enum"]
        return values[-1] if full else values[0]
    kind = node.get("type")
    if kind == "object":
        return _object(node, root, full=full)
    if kind == "array":
        count = max(node.get("minItems", 0), 1 if full else 0)
        return [example_value(node["items"], root, full=full) for _ in range(count)]
    if kind == "string":
        return _string(node)
    if kind == "integer":
        return _integer(node)
    if kind == "number":
        return 12.5 if full else 16
    if kind == "boolean":
        return full
    return {"anything": [1, "two", None, True]} if full else "data"


@dataclass(frozen=True, slots=True)
class InvalidExample:
    """A payload broken in one way, and the CallError code validation must give."""

    label: str
    payload: dict[str, Any]
    code: str


_OCCURRENCE: Final = {
    OcppVersion.V16: "OccurenceConstraintViolation",
    OcppVersion.V201: "OccurrenceConstraintViolation",
}


def invalid_examples(version: OcppVersion, action: str, *, response: bool) -> list[InvalidExample]:
    """Variants of the full example of ``action``, each breaking one schema rule.

    Always includes an unknown top-level property; the others are produced when the
    schema has something to break (a required field, an enum, a maxLength, a date-time).
    """
    schema = load_schema(version, action, response=response)
    valid = example_payload(version, action, response=response, full=True)
    cases = [
        InvalidExample(
            "unknown property", {**valid, "noSuchField": 1}, "PropertyConstraintViolation"
        )
    ]
    if schema.get("required"):
        missing = dict(valid)
        del missing[schema["required"][0]]
        cases.append(InvalidExample("missing required", missing, _OCCURRENCE[version]))
    for name, prop in schema.get("properties", {}).items():
        node = _resolve(prop["$ref"], schema) if "$ref" in prop else prop
        cases += _broken_field(name, node, valid)
    return cases


def _broken_field(name: str, node: dict[str, Any], valid: dict[str, Any]) -> list[InvalidExample]:
    kind = node.get("type")
    if kind is None:
        return []
    wrong: object = 12345 if kind in ("string", "object", "array", "boolean") else "wrong"
    cases = [
        InvalidExample(f"{name}: wrong type", {**valid, name: wrong}, "TypeConstraintViolation")
    ]
    if "enum" in node:
        bad = {**valid, name: "NoSuchValue"}
        cases.append(InvalidExample(f"{name}: not in enum", bad, "PropertyConstraintViolation"))
    if "maxLength" in node:
        long = {**valid, name: "x" * (node["maxLength"] + 1)}
        cases.append(InvalidExample(f"{name}: too long", long, "PropertyConstraintViolation"))
    if node.get("format") == "date-time":
        bad = {**valid, name: "yesterday"}
        cases.append(InvalidExample(f"{name}: not a date-time", bad, "TypeConstraintViolation"))
    return cases


def _object(node: dict[str, Any], root: dict[str, Any], *, full: bool) -> dict[str, Any]:
    required = set(node.get("required", []))
    value = {
        name: example_value(prop, root, full=full)
        for name, prop in node.get("properties", {}).items()
        if full or name in required
    }
    if full and node.get("additionalProperties", True) is not False:
        value["vendorSpecific"] = {"note": "kept verbatim", "level": 3}
    return value


def _string(node: dict[str, Any]) -> str:
    text = _STRING_BY_FORMAT.get(node.get("format", ""), "Example-String")
    return text[: node.get("maxLength", len(text))]


def _integer(node: dict[str, Any]) -> int:
    value: int = max(node.get("minimum", 1), 1)
    maximum: int | None = node.get("maximum")
    return min(value, maximum) if maximum is not None else value


def _resolve(ref: str, root: dict[str, Any]) -> dict[str, Any]:
    target: dict[str, Any] = root
    for part in ref.removeprefix("#/").split("/"):
        target = target[part]
    return target
