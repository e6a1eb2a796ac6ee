"""ocpp.framing: OCPP-J 1.6 §4 / 2.0.1 §4 frames as text in, values out."""

from __future__ import annotations

import pytest

from ocpp import (
    Call,
    CallError,
    CallResult,
    OcppVersion,
    Rejection,
    call_error,
    not_implemented,
    parse,
    security_error,
    serialize,
)
from ocpp.errors import FormatViolationError

V16, V201 = OcppVersion.V16, OcppVersion.V201


def test_call_round_trip(version: OcppVersion) -> None:
    text = '[2,"19223201","Heartbeat",{}]'
    message = parse(text, version)
    assert message == Call("19223201", "Heartbeat", {})
    assert serialize(message) == text


def test_call_result_and_call_error_round_trip(version: OcppVersion) -> None:
    result = '[3,"19223201",{"currentTime":"2013-02-01T20:53:32.486Z"}]'
    assert parse(result, version) == CallResult(
        "19223201", {"currentTime": "2013-02-01T20:53:32.486Z"}
    )
    assert serialize(parse(result, version)) == result  # type: ignore[arg-type]
    error = '[4,"162376037","NotSupported","SetDisplayMessageRequest not implemented",{}]'
    assert parse(error, version) == CallError(
        "162376037", "NotSupported", "SetDisplayMessageRequest not implemented", {}
    )
    assert serialize(parse(error, version)) == error  # type: ignore[arg-type]


def test_bytes_are_accepted(version: OcppVersion) -> None:
    assert isinstance(parse(b'[2,"1","Heartbeat",{}]', version), Call)


# (frame, 1.6 code, 2.0.1 code, id read, message type read)
FRAMING_CASES = [
    ("not json", "FormationViolation", "RpcFrameworkError", None, None),
    ('{"a": 1}', "FormationViolation", "RpcFrameworkError", None, None),
    ("[]", "FormationViolation", "RpcFrameworkError", None, None),
    ('"text"', "FormationViolation", "RpcFrameworkError", None, None),
    ('[7,"id1",{}]', "FormationViolation", "MessageTypeNotSupported", "id1", None),
    ('[5,"id1","x",{}]', "FormationViolation", "MessageTypeNotSupported", "id1", None),
    ('["2","id1","Heartbeat",{}]', "FormationViolation", "MessageTypeNotSupported", "id1", None),
    ('[true,"id1","Heartbeat",{}]', "FormationViolation", "MessageTypeNotSupported", "id1", None),
    ('[2.0,"id1","Heartbeat",{}]', "FormationViolation", "MessageTypeNotSupported", "id1", None),
    ("[2]", "FormationViolation", "RpcFrameworkError", None, 2),
    ('[2,17,"Heartbeat",{}]', "FormationViolation", "RpcFrameworkError", None, 2),
    ('[2,"","Heartbeat",{}]', "FormationViolation", "RpcFrameworkError", None, 2),
    ('[2,"' + "x" * 37 + '","Heartbeat",{}]', "FormationViolation", "RpcFrameworkError", None, 2),
    ('[2,"id1","Heartbeat"]', "FormationViolation", "RpcFrameworkError", "id1", 2),
    ('[2,"id1","Heartbeat",{},{}]', "FormationViolation", "RpcFrameworkError", "id1", 2),
    ('[2,"id1",5,{}]', "FormationViolation", "RpcFrameworkError", "id1", 2),
    ('[2,"id1","Heartbeat",[]]', "FormationViolation", "FormatViolation", "id1", 2),
    ('[2,"id1","Heartbeat",null]', "FormationViolation", "FormatViolation", "id1", 2),
    ('[2,"id1","NoSuchAction",{}]', "NotImplemented", "NotImplemented", "id1", 2),
    ('[3,"id1"]', "FormationViolation", "RpcFrameworkError", "id1", 3),
    ('[3,"id1",[]]', "FormationViolation", "FormatViolation", "id1", 3),
    ('[4,"id1","GenericError","",[]]', "FormationViolation", "FormatViolation", "id1", 4),
    ('[4,"id1",1,"",{}]', "FormationViolation", "RpcFrameworkError", "id1", 4),
    ('[4,"id1","GenericError"]', "FormationViolation", "RpcFrameworkError", "id1", 4),
]


@pytest.mark.parametrize(("text", "code16", "code201", "unique_id", "message_type"), FRAMING_CASES)
def test_bad_frames_get_the_code_of_their_version(
    text: str, code16: str, code201: str, unique_id: str | None, message_type: int | None
) -> None:
    for version, code in ((V16, code16), (V201, code201)):
        rejection = parse(text, version)
        assert isinstance(rejection, Rejection), (version, text)
        assert rejection.error.code == code
        assert (rejection.unique_id, rejection.message_type) == (unique_id, message_type)
        assert rejection.verdict.startswith(f"{code}: ")


def test_id_of_36_characters_is_fine(version: OcppVersion) -> None:
    unique_id = "c0a8b3e2-5d5e-4d6b-9f0e-2a1b3c4d5e6f"
    assert len(unique_id) == 36
    assert parse(f'[2,"{unique_id}","Heartbeat",{{}}]', version) == Call(unique_id, "Heartbeat", {})


def test_unreadable_id_is_answered_with_minus_one_in_201_only() -> None:
    # OCPP-J 2.0.1 §4.2.3: RpcFrameworkError with MessageId "-1".
    rejection = parse("[2, 17", V201)
    assert isinstance(rejection, Rejection)
    assert rejection.to_call_error(V201) == CallError(
        "-1", "RpcFrameworkError", "frame is not valid JSON", {}
    )
    # 1.6: a CALLERROR must carry the CALL's id, so nothing is sent.
    rejection16 = parse("[2, 17", V16)
    assert isinstance(rejection16, Rejection)
    assert rejection16.to_call_error(V16) is None


def test_readable_id_is_echoed() -> None:
    rejection = parse('[2,"abc","Nope",{}]', V16)
    assert isinstance(rejection, Rejection)
    assert rejection.to_call_error(V16) == CallError(
        "abc", "NotImplemented", "unknown action 'Nope'", {}
    )
    assert rejection.verdict == "NotImplemented: unknown action 'Nope'"


def test_unknown_message_type_is_answered_in_201() -> None:
    rejection = parse('[5,"abc","x",{}]', V201)
    assert isinstance(rejection, Rejection)
    answer = rejection.to_call_error(V201)
    assert answer is not None
    assert (answer.unique_id, answer.error_code) == ("abc", "MessageTypeNotSupported")


@pytest.mark.parametrize("text", ['[3,"id1",[]]', '[4,"id1","GenericError","",[]]', '[3,"id1"]'])
def test_malformed_results_and_errors_are_never_answered(text: str, version: OcppVersion) -> None:
    rejection = parse(text, version)
    assert isinstance(rejection, Rejection)
    assert rejection.to_call_error(version) is None


def test_schema_failure_is_answered_with_details(version: OcppVersion) -> None:
    rejection = parse('[2,"id9","Heartbeat",{"unexpected":1}]', version)
    assert isinstance(rejection, Rejection)
    answer = rejection.to_call_error(version)
    assert answer is not None
    assert answer.error_code == "PropertyConstraintViolation"
    assert answer.error_details == {"path": "payload", "rule": "additionalProperties"}


def test_serialize_is_compact() -> None:
    text = serialize(Call("1", "Authorize", {"idTag": "ABC 123"}))
    assert text == '[2,"1","Authorize",{"idTag":"ABC 123"}]'
    assert serialize(CallError("1", "GenericError", "", {})) == '[4,"1","GenericError","",{}]'


def test_call_error_builder_spells_per_version() -> None:
    assert call_error(V16, "42", not_implemented(V16, "no")) == CallError(
        "42", "NotImplemented", "no", {}
    )
    assert call_error(V201, "42", security_error(V201)).error_code == "SecurityError"
    with pytest.raises(ValueError):
        call_error(V16, "42", FormatViolationError())


def test_call_error_description_is_capped_at_255_in_201() -> None:
    # OCPP-J 2.0.1 §4.2.3: ErrorDescription string[255]; 1.6 sets no limit.
    long = "x" * 300
    assert len(call_error(V201, "1", not_implemented(V201, long)).error_description) == 255
    assert len(call_error(V16, "1", not_implemented(V16, long)).error_description) == 300


def test_frames_are_frozen() -> None:
    call = Call("1", "Heartbeat", {})
    with pytest.raises(AttributeError):
        call.unique_id = "2"  # type: ignore[misc]


@pytest.mark.parametrize("text", ['[2,"\ud800","Heartbeat",{}]', "\ud800", "[" * 5000, "[1e999]"])
def test_hostile_text_is_rejected_not_raised(text: str, version: OcppVersion) -> None:
    assert isinstance(parse(text, version), Rejection)


def test_framing_only_parse_skips_the_schema_but_not_the_framing() -> None:
    from ocpp import Call, OcppVersion, Rejection, parse

    invalid_payload = '[2,"m1","Heartbeat",{"unexpected":1}]'
    assert isinstance(parse(invalid_payload, OcppVersion.V16), Rejection)
    assert parse(invalid_payload, OcppVersion.V16, validate=False) == Call(
        "m1", "Heartbeat", {"unexpected": 1}
    )
    assert isinstance(parse('[2,"m1","Heartbeat"]', OcppVersion.V16, validate=False), Rejection)
