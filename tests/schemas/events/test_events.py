"""Domain events as models: the log's old records still read, schemas follow the models,
and an event that gained a version reads its old records upcast.

``records/`` holds one record of every event type as the CSMS wrote it before events were
models (captured from that code's own handlers, result handlers and admin writes): the
log keeps such records forever, so they must decode, whatever the models become.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from uuid import UUID

import jsonschema
import pytest
from pydantic import ValidationError

from schemas import load_schema
from schemas.events import (
    DomainEvent,
    EventEnvelope,
    HeartbeatReceived,
    InvalidEvent,
    StationConnected,
    StationConnectedV1,
    UnknownEventType,
    decode_event,
    envelope,
    event_class,
    event_classes,
    latest_classes,
    upcast,
)
from schemas.events.base import _UPCASTERS
from schemas.events.generate import schema_of, stale

RECORDS = sorted((Path(__file__).parent / "records").glob("*.json"))


def _raw(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


def test_the_json_schemas_are_generated_from_the_models() -> None:
    assert stale() == [], "run: python -m schemas.events.generate"


def test_every_event_type_has_a_record_written_before_events_were_models() -> None:
    recorded = {_raw(p)["type"] for p in RECORDS}
    assert recorded == {cls.type_name for cls in latest_classes()}


@pytest.mark.parametrize("path", RECORDS, ids=lambda p: p.name)
def test_an_old_record_decodes_and_keeps_its_data(path: Path) -> None:
    raw = _raw(path)
    decoded = decode_event(path.read_bytes())
    again = json.loads(decoded.encode())
    for field in ("event_id", "station_id", "occurred_at", "causation_id", "correlation_id"):
        assert again[field] == raw[field]
    newer = decoded.schema_version != raw["schema_version"]
    for key, value in raw["data"].items():
        assert again["data"][key] == value, key
    added = set(again["data"]) - set(raw["data"])
    # Fields an old record lacks come back empty, unless a newer version derived them.
    assert newer or all(again["data"][key] is None for key in added)


@pytest.mark.parametrize("path", RECORDS, ids=lambda p: p.name)
def test_records_old_and_rewritten_match_the_published_schemas(path: Path) -> None:
    raw = _raw(path)
    rewritten = json.loads(decode_event(path.read_bytes()).encode())
    for record in (raw, rewritten):
        jsonschema.validate(record, load_schema("events/envelope.v1.json"))
        cls = event_class(record["type"], record["schema_version"])
        jsonschema.Draft202012Validator(schema_of(cls)).validate(record["data"])


def test_a_version_1_connection_record_reads_as_version_2_with_its_security_profile() -> None:
    [with_profile] = [p for p in RECORDS if p.name == "StationConnected.v1.profile2.json"]
    assert _raw(with_profile)["schema_version"] == 1
    decoded = decode_event(with_profile.read_bytes())
    assert isinstance(decoded.data, StationConnected)
    assert (decoded.type, decoded.schema_version) == ("StationConnected", 2)
    assert decoded.data.security_profile == 2
    assert decoded.data.reason == _raw(with_profile)["data"]["reason"]

    [without] = [p for p in RECORDS if p.name == "StationConnected.v1.json"]
    assert decode_event(without.read_bytes()).data.security_profile is None  # type: ignore[attr-defined]


@pytest.mark.parametrize(("reason", "profile"), [
    ("security profile 1: Basic auth", 1), ("security profile 3: client certificate CN=X", 3),
    ("security profile None: open mode", None), ("security profile 4: ?", None), (None, None),
    ("profile 2", None),
])  # fmt: skip
def test_the_upcaster_reads_the_profile_only_where_the_reason_states_it(
    reason: str | None, profile: int | None
) -> None:
    old = StationConnectedV1(ocpp_version="ocpp1.6", gateway_id="gw", connection_id="c",
                             reason=reason)  # fmt: skip
    new = upcast(old)
    assert isinstance(new, StationConnected) and new.security_profile == profile


def test_every_old_version_has_an_upcaster_and_only_old_versions_have_one() -> None:
    latest = set(latest_classes())
    for cls in event_classes():
        assert (cls in _UPCASTERS) == (cls not in latest), cls.__name__


def test_every_class_has_a_type_name_and_an_unambiguous_key() -> None:
    keys = [(cls.type_name, cls.schema_version) for cls in event_classes()]
    assert len(keys) == len(set(keys)) and all(name for name, _ in keys)
    with pytest.raises(TypeError):

        class StationConnectedAgain(DomainEvent):  # defining it is the test
            type_name = "StationConnected"
            schema_version = 2


def test_an_envelope_must_name_the_event_it_carries() -> None:
    good = _envelope(HeartbeatReceived())
    assert (good.type, good.schema_version) == ("HeartbeatReceived", 1)
    with pytest.raises(ValidationError):
        EventEnvelope(**{**good.model_dump(), "type": "StationBooted", "data": good.data})


def test_records_that_are_no_event_are_refused_with_the_reason() -> None:
    good = json.loads(_envelope(HeartbeatReceived()).encode())
    with pytest.raises(UnknownEventType):
        decode_event(json.dumps({**good, "type": "NoSuchEvent"}))
    with pytest.raises(UnknownEventType):
        decode_event(json.dumps({**good, "schema_version": 9}))
    for broken in (b"not json", b"[1]", json.dumps({**good, "data": {"extra": 1}}),
                   json.dumps({k: v for k, v in good.items() if k != "event_id"}),
                   json.dumps({**good, "occurred_at": "yesterday"})):  # fmt: skip
        with pytest.raises(InvalidEvent):
            decode_event(broken)


def test_events_are_immutable() -> None:
    event = StationConnected(ocpp_version="ocpp2.0.1", gateway_id="gw", connection_id="c",
                             security_profile=1)  # fmt: skip
    with pytest.raises(ValidationError):
        event.gateway_id = "other"  # type: ignore[misc]


def _envelope(data: DomainEvent) -> EventEnvelope[DomainEvent]:
    return envelope(data, event_id=UUID(int=1), station_id="CP-1",
                    occurred_at=decode_event(RECORDS[0].read_bytes()).occurred_at,
                    causation_id="t/0/0", correlation_id="m1")  # fmt: skip
