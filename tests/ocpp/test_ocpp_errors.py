"""ocpp.errors: one class per CallError code and spelling, version-aware factories."""

from __future__ import annotations

import builtins
import inspect

import pytest

import ocpp.errors as errors
from ocpp import OcppVersion
from ocpp.errors import ERROR_CLASSES, OcppError, error_for

V16, V201 = OcppVersion.V16, OcppVersion.V201

# OCPP-J 1.6 §4.2.3 and OCPP-J 2.0.1 §4.3, verbatim.
SPEC_CODES = {
    V16: {
        "NotImplemented",
        "NotSupported",
        "InternalError",
        "ProtocolError",
        "SecurityError",
        "FormationViolation",
        "PropertyConstraintViolation",
        "OccurenceConstraintViolation",
        "TypeConstraintViolation",
        "GenericError",
    },
    V201: {
        "FormatViolation",
        "GenericError",
        "InternalError",
        "MessageTypeNotSupported",
        "NotImplemented",
        "NotSupported",
        "OccurrenceConstraintViolation",
        "PropertyConstraintViolation",
        "ProtocolError",
        "RpcFrameworkError",
        "SecurityError",
        "TypeConstraintViolation",
    },
}


@pytest.mark.parametrize("version", list(OcppVersion))
def test_each_version_has_exactly_its_spec_codes(version: OcppVersion) -> None:
    assert set(ERROR_CLASSES[version]) == SPEC_CODES[version]


def test_spelling_differs_between_versions() -> None:
    assert error_for(V16, "FormatViolation").code == "FormationViolation"
    assert error_for(V201, "FormationViolation").code == "FormatViolation"
    assert error_for(V16, "OccurrenceConstraintViolation").code == "OccurenceConstraintViolation"
    assert error_for(V201, "OccurenceConstraintViolation").code == "OccurrenceConstraintViolation"
    assert errors.format_violation(V16).code == "FormationViolation"
    assert errors.format_violation(V201).code == "FormatViolation"
    assert errors.occurrence_violation(V16).code == "OccurenceConstraintViolation"
    assert errors.occurrence_violation(V201).code == "OccurrenceConstraintViolation"


def test_code_unknown_to_a_version_is_refused() -> None:
    with pytest.raises(ValueError, match="RpcFrameworkError"):
        error_for(V16, "RpcFrameworkError")
    with pytest.raises(ValueError):
        error_for(V16, "MessageTypeNotSupported")


@pytest.mark.parametrize(
    ("factory", "code"),
    [
        (errors.not_implemented, "NotImplemented"),
        (errors.not_supported, "NotSupported"),
        (errors.security_error, "SecurityError"),
        (errors.generic_error, "GenericError"),
        (errors.internal_error, "InternalError"),
        (errors.protocol_error, "ProtocolError"),
    ],
)
def test_factories(factory: object, code: str, version: OcppVersion) -> None:
    assert callable(factory)
    error = factory(version, "why", {"k": 1})
    assert isinstance(error, OcppError)
    assert (error.code, error.description, error.details) == (code, "why", {"k": 1})
    assert version in error.versions


def test_every_class_is_constructible_with_defaults_and_carries_its_code() -> None:
    for codes in ERROR_CLASSES.values():
        for code, cls in codes.items():
            error = cls()
            assert (error.code, error.description, error.details) == (code, "", {})
            assert cls("d", {"a": 1}).details == {"a": 1}
            assert isinstance(error, Exception)


def test_no_builtin_is_shadowed() -> None:
    classes = [obj for _, obj in inspect.getmembers(errors, inspect.isclass)]
    for cls in classes:
        assert not hasattr(builtins, cls.__name__), cls.__name__
    assert errors.NotImplementedActionError.code == "NotImplemented"


def test_errors_compare_by_value_and_render() -> None:
    a = errors.GenericError("boom", {"x": 1})
    assert a == errors.GenericError("boom", {"x": 1})
    assert a != errors.InternalError("boom", {"x": 1})
    assert str(a) == "GenericError: boom"
    assert "boom" in repr(a)
    assert isinstance(hash(a), int)
