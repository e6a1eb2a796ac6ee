"""A station's connections (``station_connections`` read model): each one it held, newest
first, with its gateway, its security profile and when it closed."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from csms.config import Settings
from tests.integration.gateways import basic_auth
from tests.services import ServiceSet, api_client
from tests.stations import station_url

pytestmark = pytest.mark.integration

PASSWORD = "connections-password-123"


async def test_each_connection_is_listed_newest_first_with_its_profile(
    stack: ServiceSet, settings: Settings
) -> None:
    async with api_client(settings) as http:
        put = await http.put("/api/v1/stations/API-CONN-1",
                             json={"security_profile": 1, "password": PASSWORD})  # fmt: skip
        assert put.status_code == 200, put.text
        for _ in range(2):
            async with connect(station_url(settings.gateway_port, "API-CONN-1"),
                               subprotocols=[Subprotocol("ocpp1.6")],
                               additional_headers=basic_auth("API-CONN-1", PASSWORD)):  # fmt: skip
                await asyncio.sleep(0.2)
        page = await _until_closed(http, "API-CONN-1", count=2)
        one = await http.get("/api/v1/stations/API-CONN-1/connections", params={"limit": 1})
    newer, older = page["items"]
    assert page["total"] == 2 and newer["connected_at"] > older["connected_at"]
    for c in (newer, older):
        assert c["security_profile"] == 1 and c["ocpp_version"] == "ocpp1.6"
        assert c["gateway_id"] == settings.gateway_id and c["remote_address"]
        assert c["admitted_as"].startswith("security profile 1")
        assert c["disconnected_at"] >= c["connected_at"] and c["close_reason"]
    assert one.json()["items"] == [newer] and one.json()["total"] == 2


async def test_connections_of_an_unknown_station_are_404(
    stack: ServiceSet, settings: Settings
) -> None:
    async with api_client(settings) as http:
        response = await http.get("/api/v1/stations/API-NOBODY/connections")
        bad = await http.get("/api/v1/stations/API-CONN-1/connections", params={"limit": 0})
    assert response.status_code == 404
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "limit"]


async def _until_closed(http: httpx.AsyncClient, station_id: str,
                        count: int) -> dict[str, Any]:  # fmt: skip
    """The connections page once ``count`` connections are projected, all closed."""
    deadline = time.monotonic() + 60
    while True:
        page: dict[str, Any] = (await http.get(f"/api/v1/stations/{station_id}/connections")).json()
        items = page.get("items", [])
        if len(items) == count and all(c["disconnected_at"] for c in items):
            return page
        assert time.monotonic() < deadline, page
        await asyncio.sleep(0.2)
