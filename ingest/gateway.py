"""The gateway process: accepts stations, logs every frame, answers protocol errors itself,
and sends the frames the processors route to it.

Per connection, frames are handled in arrival order: each is appended to the frames log
(and acknowledged by Kafka) before anything acts on it. Well-formed frames are then left to
the processors; malformed ones are answered here with the CallError ``ocpp/`` prescribes.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

import ocpp
from ingest.delivery import DeliveryConsumer
from ingest.frames_log import FramesLog
from ingest.handshake import choose_version, station_id_from_path
from schemas.envelopes import Delivery, Direction, FrameRecord, RecordKind

log = logging.getLogger(__name__)

# RFC 6455 §7.4.1 close codes used here.
CLOSE_GOING_AWAY = 1001
CLOSE_PROTOCOL_ERROR = 1002
CLOSE_UNSUPPORTED_DATA = 1003
CLOSE_POLICY = 1008


@dataclass(frozen=True, slots=True)
class GatewayConfig:
    gateway_id: str
    host: str
    port: int
    max_frame_bytes: int = 65536
    ping_interval_s: float | None = 30.0


@dataclass(slots=True)
class Connection:
    station_id: str
    connection_id: str
    version: ocpp.OcppVersion
    ws: ServerConnection


class Gateway:
    """One gateway process: WebSocket server + frames-log producer + delivery consumer."""

    def __init__(self, config: GatewayConfig, frames_log: FramesLog, deliveries: DeliveryConsumer):
        self.config = config
        self.frames_log = frames_log
        self.deliveries = deliveries
        self.connections: dict[str, Connection] = {}
        self._server: Server | None = None
        self._delivery_task: asyncio.Task[None] | None = None

    @property
    def port(self) -> int:
        assert self._server is not None
        sockets = list(self._server.sockets)
        port: int = sockets[0].getsockname()[1]
        return port

    async def start(self) -> None:
        await self.frames_log.start()
        await self.deliveries.start()
        self._delivery_task = asyncio.create_task(self.deliveries.run(self.deliver))
        self._server = await serve(
            self._serve_connection,
            self.config.host,
            self.config.port,
            subprotocols=[Subprotocol(v.value) for v in ocpp.OcppVersion],
            select_subprotocol=_select_subprotocol,
            process_request=_check_path,
            max_size=self.config.max_frame_bytes,
            ping_interval=self.config.ping_interval_s,
            ping_timeout=self.config.ping_interval_s,
        )
        log.info("gateway %s listening on %s:%d", self.config.gateway_id, self.config.host, self.port)

    async def stop(self) -> None:
        """Graceful shutdown: stop accepting, close stations with 1001, flush to Kafka."""
        if self._server is not None:
            self._server.close(close_connections=False)
            closing = [c.ws.close(CLOSE_GOING_AWAY, "gateway shutting down") for c in self.connections.values()]
            await asyncio.gather(*closing, return_exceptions=True)
            await self._server.wait_closed()
        if self._delivery_task is not None:
            self._delivery_task.cancel()
            await asyncio.gather(self._delivery_task, return_exceptions=True)
        await self.deliveries.stop()
        await self.frames_log.stop()

    async def serve_forever(self) -> None:
        assert self._server is not None
        await self._server.serve_forever()

    # -- one station's connection ---------------------------------------------------------

    async def _serve_connection(self, ws: ServerConnection) -> None:
        assert ws.request is not None
        station_id = station_id_from_path(ws.request.path)
        assert station_id is not None  # _check_path refused every other path
        if ws.subprotocol is None:
            # OCPP-J 1.6 §3.1.2 / 2.0.1 §3.1.2: no common subprotocol → complete the
            # handshake without one, then close the connection at once.
            await ws.close(CLOSE_PROTOCOL_ERROR, "no supported OCPP subprotocol offered")
            return
        conn = Connection(station_id, uuid.uuid4().hex, ocpp.OcppVersion(ws.subprotocol), ws)
        previous = self.connections.get(station_id)
        self.connections[station_id] = conn
        if previous is not None:
            await previous.ws.close(CLOSE_POLICY, "replaced by a newer connection")
        await self.frames_log.append(self._record(conn, RecordKind.CONNECTED, Direction.IN,
                                                  remote_address=_remote(ws)))
        reason = "closed"
        try:
            reason = await self._read_loop(conn)
        finally:
            if self.connections.get(station_id) is conn:
                del self.connections[station_id]
            await self.frames_log.append(
                self._record(conn, RecordKind.DISCONNECTED, Direction.IN, reason=reason)
            )

    async def _read_loop(self, conn: Connection) -> str:
        try:
            async for message in conn.ws:
                if isinstance(message, bytes):
                    # OCPP-J §4: frames are text; RFC 6455 1003 for data we cannot accept.
                    await conn.ws.close(CLOSE_UNSUPPORTED_DATA, "binary frames are not OCPP-J")
                    return "binary frame"
                await self._on_text(conn, message)
        except ConnectionClosed as e:
            return f"{e.rcvd.code if e.rcvd else 1006} {e.rcvd.reason if e.rcvd else ''}".strip()
        close = conn.ws.close_code
        return f"{close} {conn.ws.close_reason or ''}".strip() if close else "closed"

    async def _on_text(self, conn: Connection, text: str) -> None:
        parsed = ocpp.parse(text, conn.version)
        verdict = parsed.verdict if isinstance(parsed, ocpp.Rejection) else "ok"
        await self.frames_log.append(self._record(conn, RecordKind.FRAME, Direction.IN,
                                                  raw=text, verdict=verdict))
        if isinstance(parsed, ocpp.Rejection):
            reply = parsed.to_call_error(conn.version)
            if reply is not None:
                await self._send(conn, ocpp.serialize(reply))

    async def _send(self, conn: Connection, raw: str) -> None:
        verdict = "ok"
        try:
            await conn.ws.send(raw)
        except ConnectionClosed:
            verdict = "not sent: connection closed"
        await self.frames_log.append(self._record(conn, RecordKind.FRAME, Direction.OUT,
                                                  raw=raw, verdict=verdict))

    async def deliver(self, delivery: Delivery) -> None:
        """Send a frame routed to this gateway, if the station's connection is still here."""
        conn = self.connections.get(delivery.station_id)
        stale = delivery.connection_id not in (None, conn.connection_id if conn else None)
        if conn is None or stale:
            log.warning("undeliverable frame for %s (connection gone): %s",
                        delivery.station_id, delivery.causation_id)
            return
        await self._send(conn, delivery.raw)

    def _record(self, conn: Connection, kind: RecordKind, direction: Direction,
                **fields: str | None) -> FrameRecord:
        return FrameRecord(
            kind=kind, station_id=conn.station_id, direction=direction,
            ocpp_version=conn.version.value, gateway_id=self.config.gateway_id,
            connection_id=conn.connection_id, at=datetime.now(UTC), **fields,
        )  # fmt: skip


def _remote(ws: ServerConnection) -> str | None:
    addr = ws.remote_address
    return f"{addr[0]}:{addr[1]}" if addr else None


def _check_path(ws: ServerConnection, request: Request) -> Response | None:
    if station_id_from_path(request.path) is None:
        return ws.respond(HTTPStatus.NOT_FOUND, "expected /ocpp/<station id>\n")
    return None


def _select_subprotocol(ws: ServerConnection, offered: Sequence[Subprotocol]) -> Subprotocol | None:
    version = choose_version(offered)
    return Subprotocol(version.value) if version else None


__all__ = ["Connection", "Gateway", "GatewayConfig", "Headers"]
