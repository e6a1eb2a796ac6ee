"""Transactions: filters, pagination, 404, validation (rows come from the session tests'
kind of events, produced here directly on the events log to control the data)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from csms.config import Settings
from schemas.events import (
    DomainEvent,
    EventEnvelope,
    TransactionEnded,
    TransactionStarted,
    envelope,
)
from schemas.topics import Topics
from tests.integration.read_store import wait_caught_up
from tests.services import ServiceSet, api_client

pytestmark = pytest.mark.integration

STATION = "API-TX-STATION"
BASE = datetime(2024, 1, 1, tzinfo=UTC)
BASE_ID = 9_000_000_000  # far above the ids the processor allocates in tests


def _recorded(event: DomainEvent, causation_id: str) -> EventEnvelope[DomainEvent]:
    return envelope(event, event_id=uuid.uuid4(), station_id=STATION, occurred_at=BASE,
                    causation_id=causation_id, correlation_id="t")  # fmt: skip


def started(n: int) -> EventEnvelope[DomainEvent]:
    at = (BASE + timedelta(hours=n)).isoformat()
    data: dict[str, Any] = {
        "id": BASE_ID + n, "transaction_id": f"W-{n}", "ocpp_version": "ocpp2.0.1",
        "evse_id": 1, "connector_id": 1, "id_token": None, "id_token_type": None,
        "id_token_status": None, "seq_no": 0, "trigger_reason": "Authorized",
        "charging_state": None, "offline": False, "started_at": at, "meter_start_wh": 0.0,
        "reservation_id": None, "remote_start_id": None, "start_key": None,
    }  # fmt: skip
    return _recorded(TransactionStarted.model_validate(data), f"test/{n}")


def ended(n: int) -> EventEnvelope[DomainEvent]:
    data: dict[str, Any] = {
        "id": BASE_ID + n, "transaction_id": f"W-{n}", "ocpp_version": "ocpp2.0.1",
        "evse_id": 1, "connector_id": 1, "seq_no": 1, "trigger_reason": "StopAuthorized",
        "charging_state": None, "offline": False,
        "stopped_at": (BASE + timedelta(hours=n, minutes=30)).isoformat(),
        "meter_start_wh": 0.0, "meter_stop_wh": 100.0 * n, "energy_wh": 100.0 * n,
        "stop_reason": "Local", "stop_id_token": None, "last_seq_no": 1, "missing_seq_nos": [],
        "anomalies": [],
    }  # fmt: skip
    return _recorded(TransactionEnded.model_validate(data), f"test/e{n}")


@pytest.fixture(scope="module")
async def six_sessions(stack: ServiceSet, settings: Settings) -> None:
    """Six sessions an hour apart; the even ones completed."""
    topic = Topics(settings.topic_prefix).events
    producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap, acks="all")
    await producer.start()
    try:
        for n in range(6):
            events = [started(n)] + ([ended(n)] if n % 2 == 0 else [])
            for event in events:
                await producer.send_and_wait(topic, event.encode(), key=STATION.encode())
    finally:
        await producer.stop()
    await wait_caught_up(settings.bootstrap, settings.libpq_url, [topic])


async def test_filters(stack: ServiceSet, settings: Settings, six_sessions: None) -> None:
    async def ids(**params: Any) -> list[int]:
        body = (await http.get("/api/v1/transactions",
                               params={"station_id": STATION, **params})).json()  # fmt: skip
        return [t["id"] - BASE_ID for t in body["items"]]

    async with api_client(settings) as http:
        assert await ids() == [5, 4, 3, 2, 1, 0]  # newest first
        assert await ids(status="completed") == [4, 2, 0]
        assert await ids(status="active") == [5, 3, 1]
        assert await ids(since=(BASE + timedelta(hours=2)).isoformat(),
                         until=(BASE + timedelta(hours=4)).isoformat()) == [3, 2]
        assert await ids(limit=2, offset=2) == [3, 2]
        page = (await http.get("/api/v1/transactions",
                               params={"station_id": STATION, "limit": 2})).json()  # fmt: skip
    assert page["total"] == 6 and page["limit"] == 2


async def test_get_by_id(stack: ServiceSet, settings: Settings, six_sessions: None) -> None:
    async with api_client(settings) as http:
        body = (await http.get(f"/api/v1/transactions/{BASE_ID + 4}")).json()
        missing = await http.get("/api/v1/transactions/8999999999")
        bad = await http.get("/api/v1/transactions/abc")
    assert body["transaction_id"] == "W-4" and body["energy_wh"] == 400
    assert body["status"] == "completed" and body["meter_values"] == []
    assert missing.status_code == 404 and "8999999999" in missing.json()["detail"]
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["path", "id"]


@pytest.mark.parametrize(("params", "field"), [
    ({"status": "paused"}, "status"), ({"since": "yesterday"}, "since"),
    ({"limit": 501}, "limit"), ({"offset": -1}, "offset"),
])  # fmt: skip
async def test_bad_filters_are_422(stack: ServiceSet, settings: Settings,
                                   params: dict[str, Any], field: str) -> None:  # fmt: skip
    async with api_client(settings) as http:
        response = await http.get("/api/v1/transactions", params=params)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", field]
