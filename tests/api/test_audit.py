"""The transaction timeline and a station's frames, over index rows written here (into the
live audit version, or a hand-made one while the audit projection is not in the tree) that
point at records produced here onto topics of this test's own (no processor reads them):
which frames belong to a transaction, their order, raw text and events, answers matched on
their connection, paging, 404 and 422."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import psycopg
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from csms.config import Settings
from projections.runtime.projection import Projection
from schemas.envelopes import FrameRecord, frame_causation
from schemas.events import TransactionStarted, envelope
from schemas.readmodel import AUDIT, frame_events, frames
from schemas.topics import Topics
from tests.integration.read_store import wait_caught_up
from tests.services import ServiceSet, api_client

pytestmark = pytest.mark.integration

STATION = "API-AUDIT-1"
OTHER = "API-AUDIT-2"
PK = 9_100_000_001
BASE = datetime(2025, 3, 1, 12, tzinfo=UTC)


@dataclass
class Frame:
    """A frame to log and index, and the events it causes (type, transaction pk)."""

    station: str
    direction: str
    raw: str
    connection: str = "c1"
    events: list[tuple[str, int | None]] = field(default_factory=list)
    action: str | None = None

    @property
    def message(self) -> tuple[int, str]:
        parsed = orjson.loads(self.raw)
        return parsed[0], parsed[1]


Caused = list[tuple[str, int | None]]


def call(mid: str, action: str, events: Caused | None = None, station: str = STATION,
         connection: str = "c1", direction: str = "in") -> Frame:  # fmt: skip
    raw = orjson.dumps([2, mid, action, {"n": mid}]).decode()
    return Frame(station, direction, raw, connection, events or [], action)


def answer(mid: str, action: str, events: Caused | None = None, station: str = STATION,
           connection: str = "c1", direction: str = "out") -> Frame:  # fmt: skip
    raw = orjson.dumps([3, mid, {"answered": mid}]).decode()
    return Frame(station, direction, raw, connection, events or [], action)


TX = [("TransactionStarted", PK)]
MV = [("MeterValuesReceived", PK)]
SESSION = [
    answer("s1", "StartTransaction", connection="c0"),  # an old connection's reused id
    call("b1", "BootNotification", [("StationBooted", None)]),
    answer("b1", "BootNotification"),
    call("x1", "Heartbeat", station=OTHER),
    call("s1", "StartTransaction", [*TX, ("AuthorizationChecked", None)]),
    call("x2", "Heartbeat", station=OTHER),
    answer("s1", "StartTransaction"),
    *[f for n in range(4) for f in (call(f"m{n}", "MeterValues", MV),
                                    answer(f"m{n}", "MeterValues"))],
    call("r1", "RemoteStopTransaction", [("CallSent", None)], direction="out"),
    answer("r1", "RemoteStopTransaction", [("CallAnswered", PK)], direction="in"),
    call("t1", "StopTransaction", [("TransactionEnded", PK)]),
    answer("t1", "StopTransaction"),
    call("h1", "Heartbeat", [("HeartbeatReceived", None)]),
    answer("h1", "Heartbeat"),
]
IN_TIMELINE = [i for i, f in enumerate(SESSION)
               if f.station == STATION and f.action not in ("BootNotification", "Heartbeat")
               and f.connection == "c1"]  # fmt: skip


@dataclass(frozen=True)
class Logged:
    raws: list[str]
    """Raw text of each SESSION frame."""
    seqs: list[int]
    events: dict[int, list[str]]
    """SESSION index → the event ids it caused, in order."""


async def _topics(settings: Settings) -> tuple[str, str]:
    names = (f"{settings.topic_prefix}.audit-frames-test",
             f"{settings.topic_prefix}.audit-events-test")  # fmt: skip
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(n, 1, 1) for n in names])
    finally:
        await admin.close()
    return names


def _record(f: Frame, at: datetime) -> bytes:
    return FrameRecord(station_id=f.station, direction=f.direction, ocpp_version="ocpp1.6",  # type: ignore[arg-type]
                       gateway_id="gw", connection_id=f.connection, at=at,
                       raw=f.raw).encode()  # fmt: skip


def _event(type_name: str, pk: int | None, cause: str, n: int) -> tuple[uuid.UUID, bytes]:
    event_id = uuid.uuid4()
    body = {"event_id": str(event_id), "type": type_name, "schema_version": 1,
            "station_id": STATION, "occurred_at": BASE.isoformat(), "causation_id": cause,
            "correlation_id": "x", "data": {"n": n, "transaction_pk": pk}}  # fmt: skip
    return event_id, orjson.dumps(body)


def _ensure_audit_tables(database_url: str) -> None:
    """The audit index's tables and views: the live audit version's, or, while the audit
    projection is not in the tree, tables of a schema of this test's own behind the views
    (not a registered version, so no projector waits on it)."""
    with psycopg.connect(database_url) as conn:
        found = conn.execute("SELECT to_regclass('public.frames')").fetchone()
        if found is not None and found[0] is not None:
            return
        conn.execute("CREATE SCHEMA audit_test")
        for statement in Projection(AUDIT, tables=(frames, frame_events)).ddl("audit_test"):
            conn.execute(statement)  # type: ignore[call-overload]  # our own declarations
        for table in ("frames", "frame_events"):
            conn.execute(f"CREATE VIEW public.{table} AS SELECT * FROM audit_test.{table}")  # type: ignore[call-overload]


def _index(database_url: str, rows: list[dict[str, Any]], caused: list[dict[str, Any]]) -> None:
    with psycopg.connect(database_url) as conn:
        cur = conn.cursor()
        cur.executemany(
            "INSERT INTO public.frames (topic, partition, \"offset\", station_id, seq, kind,"
            " direction, message_type, message_id, action, at, connection_id, ocpp_version,"
            " verdict, link) VALUES (%(topic)s, %(partition)s, %(offset)s, %(station_id)s,"
            " %(seq)s, 'frame', %(direction)s, %(message_type)s, %(message_id)s, %(action)s,"
            " %(at)s, %(connection_id)s, 'ocpp1.6', 'ok', %(link)s)", rows)  # fmt: skip
        cur.executemany(
            "INSERT INTO public.frame_events (event_topic, event_partition, event_offset,"
            " causation_id, event_id, type, station_id, transaction_pk) VALUES (%(topic)s,"
            " %(partition)s, %(offset)s, %(cause)s, %(event_id)s, %(type)s, %(station_id)s,"
            " %(pk)s)", caused)  # fmt: skip


async def _log_session(settings: Settings) -> Logged:
    frames_topic, events_topic = await _topics(settings)
    producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap, acks="all")
    await producer.start()
    rows: list[dict[str, Any]] = []
    caused: list[dict[str, Any]] = []
    seqs: list[int] = []
    events: dict[int, list[str]] = {}
    seq_of = {STATION: 0, OTHER: 0}
    try:
        for i, f in enumerate(SESSION):
            at = BASE + timedelta(seconds=i)
            meta = await (await producer.send(frames_topic, _record(f, at), partition=0))
            seq_of[f.station] += 1
            seqs.append(seq_of[f.station])
            message_type, message_id = f.message
            rows.append({"topic": frames_topic, "partition": 0, "offset": meta.offset,
                         "station_id": f.station, "seq": seq_of[f.station],
                         "direction": f.direction, "message_type": message_type,
                         "message_id": message_id, "action": f.action, "at": at,
                         "connection_id": f.connection,
                         "link": hashlib.sha256(f.raw.encode()).hexdigest()})  # fmt: skip
            cause = frame_causation(frames_topic, 0, meta.offset)
            for n, (type_name, pk) in enumerate(f.events):
                event_id, value = _event(type_name, pk, cause, n)
                placed = await (await producer.send(events_topic, value, partition=0))
                events.setdefault(i, []).append(str(event_id))
                caused.append({"topic": events_topic, "partition": 0, "offset": placed.offset,
                               "cause": cause, "event_id": event_id, "type": type_name,
                               "station_id": f.station, "pk": pk})  # fmt: skip
    finally:
        await producer.stop()
    _ensure_audit_tables(settings.libpq_url)
    _index(settings.libpq_url, rows, caused)
    return Logged([f.raw for f in SESSION], seqs, events)


async def _transaction_row(settings: Settings) -> None:
    """The transaction's read-model row, from a TransactionStarted on the real events log."""
    data: dict[str, Any] = {
        "id": PK, "transaction_id": "A-1", "ocpp_version": "ocpp1.6", "evse_id": 1,
        "connector_id": 1, "id_token": None, "id_token_type": None, "id_token_status": None,
        "seq_no": None, "trigger_reason": None, "charging_state": None, "offline": False,
        "started_at": BASE.isoformat(), "meter_start_wh": 0.0, "reservation_id": None,
        "remote_start_id": None, "start_key": None,
    }  # fmt: skip
    recorded = envelope(TransactionStarted.model_validate(data), event_id=uuid.uuid4(),
                        station_id=STATION, occurred_at=BASE, causation_id="test/audit",
                        correlation_id="t")  # fmt: skip
    topic = Topics(settings.topic_prefix).events
    producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(topic, recorded.encode(), key=STATION.encode())
    finally:
        await producer.stop()
    await wait_caught_up(settings.bootstrap, settings.libpq_url, [topic])


@pytest.fixture(scope="module")
async def logged(stack: ServiceSet, settings: Settings) -> Logged:
    await _transaction_row(settings)
    return await _log_session(settings)


async def _timeline(settings: Settings, **params: Any) -> dict[str, Any]:
    async with api_client(settings) as http:
        response = await http.get(f"/api/v1/transactions/{PK}/timeline", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_the_timeline_has_every_frame_of_the_transaction_in_order(
    settings: Settings, logged: Logged,
) -> None:
    body = await _timeline(settings)
    got = [f["raw"] for f in body["frames"]]
    assert got == [logged.raws[i] for i in IN_TIMELINE]
    assert [f["seq"] for f in body["frames"]] == [logged.seqs[i] for i in IN_TIMELINE]
    assert body["total"] == len(IN_TIMELINE) and body["next_cursor"] is None
    directions = [f["direction"] for f in body["frames"]]
    assert directions[:2] == ["in", "out"]  # StartTransaction and its answer
    remote_stop = [f for f in body["frames"] if f["action"] == "RemoteStopTransaction"]
    assert [(f["direction"], f["message_type"]) for f in remote_stop] == [("out", 2), ("in", 3)]


async def test_each_frame_carries_the_events_it_caused(settings: Settings,
                                                       logged: Logged) -> None:  # fmt: skip
    body = await _timeline(settings)
    for i, frame in zip(IN_TIMELINE, body["frames"], strict=True):
        assert [e["event_id"] for e in frame["events"]] == logged.events.get(i, [])
    start = body["frames"][0]
    assert [e["type"] for e in start["events"]] == ["TransactionStarted",
                                                    "AuthorizationChecked"]  # fmt: skip
    assert start["events"][0]["data"] == {"n": 0, "transaction_pk": PK}
    assert start["events"][0]["position"].startswith(f"{settings.topic_prefix}.audit-events")


async def test_the_last_page_ends_with_the_transaction_row(settings: Settings,
                                                           logged: Logged) -> None:  # fmt: skip
    end = (await _timeline(settings))["end"]
    assert end["transaction"]["id"] == PK and end["transaction"]["transaction_id"] == "A-1"
    assert isinstance(end["cdrs"], list)


async def test_pages_join_into_the_whole_timeline(settings: Settings, logged: Logged) -> None:
    whole = await _timeline(settings)
    pages, cursor = [], 0
    while True:
        page = await _timeline(settings, limit=3, cursor=cursor)
        pages.append(page)
        if page["next_cursor"] is None:
            break
        assert page["end"] is None and len(page["frames"]) == 3
        cursor = page["next_cursor"]
    assert [f for p in pages for f in p["frames"]] == whole["frames"]
    assert pages[-1]["end"] == whole["end"] and len(pages) == -(-len(IN_TIMELINE) // 3)


async def test_station_frames_in_log_order_with_raw_text(settings: Settings,
                                                         logged: Logged) -> None:  # fmt: skip
    mine = [i for i, f in enumerate(SESSION) if f.station == STATION]
    async with api_client(settings) as http:
        whole = (await http.get(f"/api/v1/stations/{STATION}/frames",
                                params={"limit": 1000})).json()  # fmt: skip
        first = (await http.get(f"/api/v1/stations/{STATION}/frames",
                                params={"limit": 2})).json()  # fmt: skip
        rest = (await http.get(f"/api/v1/stations/{STATION}/frames",
                               params={"cursor": first["next_cursor"]})).json()  # fmt: skip
        window = (await http.get(f"/api/v1/stations/{STATION}/frames", params={
            "since": (BASE + timedelta(seconds=4)).isoformat(),
            "until": (BASE + timedelta(seconds=7)).isoformat()})).json()  # fmt: skip
    assert [f["raw"] for f in whole["items"]] == [logged.raws[i] for i in mine]
    assert whole["next_cursor"] is None
    assert first["items"] + rest["items"] == whole["items"]
    assert [f["raw"] for f in window["items"]] == [logged.raws[i] for i in (4, 6)]


async def test_unknown_transaction_and_station_are_404(settings: Settings,
                                                       logged: Logged) -> None:  # fmt: skip
    async with api_client(settings) as http:
        tx = await http.get("/api/v1/transactions/8999999998/timeline")
        station = await http.get("/api/v1/stations/NO-SUCH-STATION/frames")
    assert tx.status_code == 404 and "8999999998" in tx.json()["detail"]
    assert station.status_code == 404 and "NO-SUCH-STATION" in station.json()["detail"]


@pytest.mark.parametrize(("path", "params", "field"), [
    (f"/api/v1/transactions/{PK}/timeline", {"limit": 0}, ["query", "limit"]),
    (f"/api/v1/transactions/{PK}/timeline", {"cursor": -1}, ["query", "cursor"]),
    ("/api/v1/transactions/0/timeline", {}, ["path", "id"]),
    ("/api/v1/transactions/abc/timeline", {}, ["path", "id"]),
    (f"/api/v1/stations/{STATION}/frames", {"limit": 1001}, ["query", "limit"]),
    (f"/api/v1/stations/{STATION}/frames", {"since": "yesterday"}, ["query", "since"]),
    (f"/api/v1/stations/{STATION}/frames", {"since": BASE.isoformat(),
                                            "until": BASE.isoformat()}, ["query", "until"]),
])  # fmt: skip
async def test_bad_parameters_are_422_naming_them(
    settings: Settings, logged: Logged, path: str, params: dict[str, Any], field: list[str],
) -> None:
    async with api_client(settings) as http:
        response = await http.get(path, params=params)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == field
