"""A simulated charge station: one WebSocket connection, one outstanding Call at a time
(OCPP-J §4.1.1), answers the CSMS's own Calls, and measures each Call's round trip."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from ocpp.timestamps import format_datetime

V16 = "ocpp1.6"
V201 = "ocpp2.0.1"


def now_iso() -> str:
    return format_datetime(datetime.now(UTC))


@dataclass
class Outcome:
    action: str
    rtt_ms: float
    ok: bool
    error: str | None = None
    result: dict[str, Any] | None = None


@dataclass
class SimStation:
    station_id: str
    version: str
    url: str
    timeout_s: float = 10.0
    ws: ClientConnection | None = None
    busy: bool = False
    meter_wh: int = 0
    transaction: str | None = None
    seq_no: int = 0
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _pending: dict[str, asyncio.Future[list[Any]]] = field(default_factory=dict)
    _reader: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        self.ws = await connect(
            f"{self.url}/{self.station_id}",
            subprotocols=[Subprotocol(self.version)],
            open_timeout=30,
            ping_interval=None,
            max_queue=4,
            compression=None,
        )
        self._reader = asyncio.create_task(self._read())

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)

    async def _read(self) -> None:
        assert self.ws is not None
        try:
            async for raw in self.ws:
                frame = json.loads(raw)
                if frame[0] == 2:
                    await self.ws.send(json.dumps([3, frame[1], _answer(frame[2])]))
                    continue
                future = self._pending.pop(frame[1], None)
                if future is not None and not future.done():
                    future.set_result(frame)
        except ConnectionClosed:
            pass
        for future in self._pending.values():
            if not future.done():
                future.set_exception(ConnectionError("connection closed"))

    async def call(self, action: str, payload: dict[str, Any]) -> Outcome:
        assert self.ws is not None
        unique_id = f"{self.station_id}-{next(self._ids)}"
        future: asyncio.Future[list[Any]] = asyncio.get_running_loop().create_future()
        self._pending[unique_id] = future
        self.busy = True
        start = time.perf_counter()
        try:
            await self.ws.send(json.dumps([2, unique_id, action, payload]))
            frame = await asyncio.wait_for(future, self.timeout_s)
        except (TimeoutError, ConnectionError, ConnectionClosed) as e:
            self._pending.pop(unique_id, None)
            return Outcome(action, (time.perf_counter() - start) * 1000, False, type(e).__name__)
        finally:
            self.busy = False
        rtt = (time.perf_counter() - start) * 1000
        if frame[0] == 4:
            return Outcome(action, rtt, False, str(frame[2]))
        return Outcome(action, rtt, True, result=frame[2])


def _answer(action: str) -> dict[str, Any]:
    """A schema-valid answer to the CSMS Calls a load test may see."""
    if action in ("GetConfiguration",):
        return {"configurationKey": []}
    if action in ("GetVariables", "SetVariables"):
        return {"getVariableResult": []} if action == "GetVariables" else {"setVariableResult": []}
    if action == "GetLocalListVersion":
        return {"listVersion": 0}
    return {"status": "Accepted"}


# -- the messages of a station's life ---------------------------------------------------------


def boot(version: str) -> tuple[str, dict[str, Any]]:
    if version == V16:
        return "BootNotification", {"chargePointVendor": "LoadGen", "chargePointModel": "Sim-16"}
    return "BootNotification", {
        "reason": "PowerUp",
        "chargingStation": {"vendorName": "LoadGen", "model": "Sim-201"},
    }


def heartbeat(version: str) -> tuple[str, dict[str, Any]]:
    return "Heartbeat", {}


def status(version: str, connector: int, state: str) -> tuple[str, dict[str, Any]]:
    if version == V16:
        return "StatusNotification", {
            "connectorId": connector, "errorCode": "NoError", "status": state,
            "timestamp": now_iso(),
        }  # fmt: skip
    return "StatusNotification", {
        "timestamp": now_iso(), "connectorStatus": "Occupied" if state == "Charging" else state,
        "evseId": 1, "connectorId": connector,
    }  # fmt: skip


def authorize(version: str, token: str) -> tuple[str, dict[str, Any]]:
    if version == V16:
        return "Authorize", {"idTag": token}
    return "Authorize", {"idToken": {"idToken": token, "type": "ISO14443"}}


def sampled_values_201(wh: int) -> list[dict[str, Any]]:
    values: list[dict[str, Any]] = [
        {"value": wh, "measurand": "Energy.Active.Import.Register",
         "unitOfMeasure": {"unit": "Wh"}},
        {"value": 11000, "measurand": "Power.Active.Import", "unitOfMeasure": {"unit": "W"}},
    ]  # fmt: skip
    for phase in ("L1", "L2", "L3"):
        values.append({"value": 16.0, "measurand": "Current.Import", "phase": phase,
                       "unitOfMeasure": {"unit": "A"}})  # fmt: skip
        values.append({"value": 230.1, "measurand": "Voltage", "phase": f"{phase}-N",
                       "unitOfMeasure": {"unit": "V"}})  # fmt: skip
    return values


def meter_values_16(connector: int, transaction_id: int | None, wh: int) -> dict[str, Any]:
    sampled = [
        {"value": str(wh), "measurand": "Energy.Active.Import.Register", "unit": "Wh"},
        {"value": "11000", "measurand": "Power.Active.Import", "unit": "W"},
    ]
    for phase in ("L1", "L2", "L3"):
        sampled.append({"value": "16.0", "measurand": "Current.Import", "phase": phase,
                        "unit": "A"})  # fmt: skip
        sampled.append({"value": "230.1", "measurand": "Voltage", "phase": f"{phase}-N",
                        "unit": "V"})  # fmt: skip
    payload: dict[str, Any] = {
        "connectorId": connector,
        "meterValue": [{"timestamp": now_iso(), "sampledValue": sampled}],
    }
    if transaction_id is not None:
        payload["transactionId"] = transaction_id
    return payload


def transaction_event(station: SimStation, event_type: str) -> tuple[str, dict[str, Any]]:
    """A 2.0.1 TransactionEvent with meter values (8 sampled values)."""
    if station.transaction is None or event_type == "Started":
        station.transaction = f"{station.station_id}-tx{next(station._ids)}"
        station.seq_no = 0
    station.meter_wh += 150
    payload: dict[str, Any] = {
        "eventType": event_type, "timestamp": now_iso(),
        "triggerReason": {"Started": "Authorized", "Updated": "MeterValuePeriodic",
                          "Ended": "StopAuthorized"}[event_type],
        "seqNo": station.seq_no,
        "transactionInfo": {"transactionId": station.transaction,
                            "chargingState": "Charging"},
        "evse": {"id": 1, "connectorId": 1},
        "meterValue": [{"timestamp": now_iso(),
                        "sampledValue": sampled_values_201(station.meter_wh)}],
    }  # fmt: skip
    if event_type == "Started":
        payload["idToken"] = {"idToken": "LOADGEN", "type": "ISO14443"}
    station.seq_no += 1
    return "TransactionEvent", payload
