"""Property-based: ``parse`` never raises, whatever text or JSON it is given."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ocpp import Call, CallError, CallResult, OcppVersion, Rejection, parse, serialize

versions = st.sampled_from(list(OcppVersion))

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=25,
)

actions = st.sampled_from(["Heartbeat", "BootNotification", "MeterValues", "TransactionEvent", "X"])
frames = st.one_of(
    st.tuples(st.sampled_from([2, 3, 4, 5, "2", None]), st.text(max_size=40), actions, json_values),
    st.tuples(
        st.just(2),
        st.text(min_size=1, max_size=36),
        actions,
        st.dictionaries(
            st.sampled_from(["idTag", "connectorId", "reason", "chargingStation", "meterValue"]),
            json_values,
            max_size=4,
        ),
    ),
    st.lists(json_values, max_size=6).map(tuple),
)


def _check(text: str | bytes, version: OcppVersion) -> None:
    result = parse(text, version)
    assert isinstance(result, Call | CallResult | CallError | Rejection)
    if isinstance(result, Rejection):
        answer = result.to_call_error(version)
        if answer is not None:
            assert parse(serialize(answer), version) == answer
    else:
        assert parse(serialize(result), version) == result


@settings(max_examples=300)
@given(text=st.text(max_size=200), version=versions)
def test_parse_never_raises_on_text(text: str, version: OcppVersion) -> None:
    _check(text, version)


@settings(max_examples=200)
@given(data=st.binary(max_size=200), version=versions)
def test_parse_never_raises_on_bytes(data: bytes, version: OcppVersion) -> None:
    _check(data, version)


@settings(max_examples=300)
@given(value=json_values, version=versions)
def test_parse_never_raises_on_json(value: Any, version: OcppVersion) -> None:
    _check(json.dumps(value), version)


@settings(max_examples=400)
@given(frame=frames, version=versions)
def test_parse_never_raises_on_frame_like_arrays(
    frame: tuple[Any, ...], version: OcppVersion
) -> None:
    _check(json.dumps(list(frame)), version)
