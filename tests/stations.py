"""A minimal simulated charge station for the integration tests (real WebSocket client)."""

from __future__ import annotations

import itertools
import json
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

BOOT_16 = {"chargePointVendor": "ACME", "chargePointModel": "Wallbox-16",
           "chargePointSerialNumber": "SN-16-001", "firmwareVersion": "1.6.9"}  # fmt: skip
BOOT_201 = {
    "reason": "PowerUp",
    "chargingStation": {"vendorName": "ACME", "model": "Pillar-201", "serialNumber": "SN-201-7",
                        "firmwareVersion": "2.0.1-rc3"},
}  # fmt: skip


class Station:
    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self._ids = itertools.count(1)

    async def call(self, action: str, payload: dict[str, Any], timeout: float = 60.0) -> list[Any]:
        unique_id = f"m{next(self._ids)}"
        await self.ws.send(json.dumps([2, unique_id, action, payload]))
        return await self.receive(timeout)

    async def receive(self, timeout: float = 60.0) -> list[Any]:
        import asyncio

        raw = await asyncio.wait_for(self.ws.recv(), timeout)
        frame: list[Any] = json.loads(raw)
        return frame

    async def result(
        self, action: str, payload: dict[str, Any], timeout: float = 60.0
    ) -> dict[str, Any]:
        """Send a Call and return its CallResult payload (fails on a CallError)."""
        reply = await self.call(action, payload, timeout)
        assert reply[0] == 3, f"{action} answered {reply}"
        result: dict[str, Any] = reply[2]
        return result


def station_url(port: int, station_id: str) -> str:
    return f"ws://127.0.0.1:{port}/ocpp/{station_id}"


def connect_station(port: int, station_id: str, subprotocol: str) -> connect:
    return connect(station_url(port, station_id), subprotocols=[Subprotocol(subprotocol)],
                   open_timeout=10)  # fmt: skip
