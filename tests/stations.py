"""A minimal simulated charge station for the integration tests (real WebSocket client)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections.abc import Awaitable, Callable
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


Responder = Callable[[str, dict[str, Any]], Awaitable[list[Any] | dict[str, Any] | None]]


class AnsweringStation:
    """A station that answers the CSMS's calls while it makes its own.

    A reader task takes every frame: a Call from the CSMS is kept in ``calls_received``
    (and the ``inbox`` queue) and answered with what ``responder(action, payload)`` returns
    (a dict: CallResult payload; a list: the frame after the message id, e.g.
    ``[4, <id>, "NotSupported", "", {}]`` is built from ``["NotSupported", "no"]``; None:
    not answered, the test answers with :meth:`answer`). Answers to the station's own calls
    resolve :meth:`call`.
    """

    def __init__(self, ws: ClientConnection, responder: Responder | None = None) -> None:
        self.ws = ws
        self.responder = responder
        self.calls_received: list[list[Any]] = []
        self.inbox: asyncio.Queue[list[Any]] = asyncio.Queue()
        self._ids = itertools.count(1)
        self._pending: dict[str, asyncio.Future[list[Any]]] = {}
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for raw in self.ws:
            frame: list[Any] = json.loads(raw)
            if frame[0] == 2:
                self.calls_received.append(frame)
                self.inbox.put_nowait(frame)
                answer = await self.responder(frame[2], frame[3]) if self.responder else None
                if answer is not None:
                    await self.answer(frame[1], answer)
            elif frame[1] in self._pending:
                self._pending.pop(frame[1]).set_result(frame)

    async def answer(self, message_id: str, answer: list[Any] | dict[str, Any]) -> None:
        if isinstance(answer, dict):
            await self.ws.send(json.dumps([3, message_id, answer]))
        else:
            code, description = answer[0], answer[1] if len(answer) > 1 else ""
            await self.ws.send(json.dumps([4, message_id, code, description, {}]))

    async def next_call(self, timeout: float = 30.0) -> list[Any]:
        return await asyncio.wait_for(self.inbox.get(), timeout)

    async def call(self, action: str, payload: dict[str, Any], timeout: float = 60.0) -> list[Any]:
        unique_id = f"s{next(self._ids)}"
        future: asyncio.Future[list[Any]] = asyncio.get_running_loop().create_future()
        self._pending[unique_id] = future
        await self.ws.send(json.dumps([2, unique_id, action, payload]))
        return await asyncio.wait_for(future, timeout)

    async def close(self) -> None:
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._reader
