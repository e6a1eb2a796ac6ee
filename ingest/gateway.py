"""The gateway process: admits stations, logs every frame, answers protocol errors itself,
and sends the frames the processors route to it. Choices: docs/GATEWAY.md.

Per connection, frames are handled in arrival order: each is appended to the frames log
(and acknowledged by Kafka) before anything acts on it, and the next frame is not read
until then (backpressure). Well-formed frames are then left to the processors; malformed,
binary, oversized or over-the-rate-limit ones are answered or closed here, each logged with
its verdict. Every connection attempt, admitted or refused, is a frames-log record too.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import ssl
import time
import uuid
import weakref
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.frames import Close
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

import ocpp
from ingest import CredentialStoreUnavailable, FramesLogUnavailable
from ingest.admission import Admission, Offer, decide
from ingest.credential_store import CredentialStore
from ingest.delivery import DeliveryConsumer
from ingest.frames_log import FramesLog
from ingest.handshake import basic_credentials, choose_version, station_id_from_path
from ingest.limits import FailureLimiter, TokenBucket
from ingest.tls import client_cert_cn, peer_certificate, tls_connection_class
from ocpp import CloseCode
from schemas.credentials import verify_password
from schemas.envelopes import (
    UNIDENTIFIED_STATION,
    VERDICT_OK,
    Delivery,
    Direction,
    FrameRecord,
    RecordKind,
)

log = logging.getLogger(__name__)

# Close codes: ocpp.CloseCode (RFC 6455 §7.4.1, with the use the CSMS makes of each).
REASON_REPLACED = "replaced by a newer connection for this station id"
REASON_RATE = "message rate limit exceeded"

# Statuses that count as a failed authentication attempt for the per-address limiter.
AUTH_FAILURES = frozenset({HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND})
# The version recorded on a refused attempt that offered none we speak (see GATEWAY.md).
FALLBACK_VERSION = ocpp.OcppVersion.V201
MAX_BACKGROUND_RECORDS = 1000


@dataclass(frozen=True, slots=True)
class TlsListener:
    port: int
    context: ssl.SSLContext


@dataclass(frozen=True, slots=True)
class GatewayConfig:
    gateway_id: str
    host: str
    port: int
    max_frame_bytes: int = 65536
    ping_interval_s: float | None = 30.0
    tls: TlsListener | None = None
    open_mode: bool = False
    auth_failure_limit: int = 10
    auth_failure_window_s: float = 60.0
    rate_limit_per_s: float = 100.0
    rate_limit_burst: int = 300
    close_timeout_s: float = 5.0


@dataclass(slots=True)
class Connection:
    station_id: str
    connection_id: str
    version: ocpp.OcppVersion
    ws: ServerConnection
    bucket: TokenBucket
    over_limit: int = 0
    busy: bool = False  # the read loop is handling a frame (waiting for Kafka), not reading
    last_frame_at: float = 0.0
    outbox: asyncio.Queue[str | None] = field(default_factory=asyncio.Queue)  # None: stop


class Gateway:
    """One gateway process: WebSocket server(s) + frames-log producer + delivery consumer."""

    def __init__(
        self,
        config: GatewayConfig,
        frames_log: FramesLog,
        deliveries: DeliveryConsumer,
        credentials: CredentialStore,
    ) -> None:
        self.config = config
        self.frames_log = frames_log
        self.deliveries = deliveries
        self.credentials = credentials
        self.connections: dict[str, Connection] = {}
        self._buckets: dict[str, TokenBucket] = {}
        self.failures = FailureLimiter(config.auth_failure_limit, config.auth_failure_window_s)
        self.unrecorded_refusals = 0
        self._servers: list[Server] = []
        self._admitted: weakref.WeakKeyDictionary[ServerConnection, Admission] = (
            weakref.WeakKeyDictionary()
        )
        self._tasks: set[asyncio.Task[None]] = set()
        self._delivery_task: asyncio.Task[None] | None = None

    @property
    def port(self) -> int:
        return _bound_port(self._servers[0])

    @property
    def tls_port(self) -> int | None:
        return _bound_port(self._servers[1]) if len(self._servers) > 1 else None

    async def start(self) -> None:
        await self.frames_log.start()
        await self.deliveries.start()
        self._delivery_task = asyncio.create_task(self.deliveries.run(self.deliver))
        self._servers.append(await self._serve(self.config.port))
        if self.config.tls is not None:
            cls = tls_connection_class(self.config.tls.context, self._tls_refused)
            self._servers.append(await self._serve(self.config.tls.port, cls))
        log.info(
            "gateway %s listening on %s:%d (wss: %s)",
            self.config.gateway_id,
            self.config.host,
            self.port,
            self.tls_port,
        )

    async def _serve(self, port: int, cls: type[ServerConnection] | None = None) -> Server:
        interval = self.config.ping_interval_s
        close_timeout = min(self.config.close_timeout_s, interval / 2) if interval else None
        return await serve(
            self._serve_connection,
            self.config.host,
            port,
            subprotocols=[Subprotocol(v.value) for v in ocpp.OcppVersion],
            select_subprotocol=_select_subprotocol,
            process_request=self._process_request,
            max_size=self.config.max_frame_bytes,
            create_connection=cls,
            # The gateway runs its own keep-alive (_keepalive): websockets' would close a
            # connection whose pong sits unread behind frames we hold back for Kafka.
            ping_interval=None,
            ping_timeout=None,
            close_timeout=close_timeout or self.config.close_timeout_s,
        )

    async def stop(self) -> None:
        """Graceful shutdown: stop accepting, close stations with 1001 (Going Away) so they
        reconnect elsewhere, log their Disconnected records, flush Kafka, exit."""
        for server in self._servers:
            server.close(close_connections=True)  # websockets closes them with 1001
        for server in self._servers:
            await server.wait_closed()  # every connection handler has finished
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._delivery_task is not None:
            self._delivery_task.cancel()
            await asyncio.gather(self._delivery_task, return_exceptions=True)
        await self.deliveries.stop()
        await self.frames_log.stop()
        await self.credentials.close()

    # -- the handshake: admission -------------------------------------------------------

    async def _process_request(self, ws: ServerConnection, request: Request) -> Response | None:
        station_id = station_id_from_path(request.path)
        offered = _offered(request)
        if station_id is None:
            admission = Admission.refuse(HTTPStatus.NOT_FOUND, "path is not /ocpp/<station id>")
        else:
            admission = await self._admit(ws, request, station_id)
        if admission.accepted:
            self._admitted[ws] = admission
            return None
        await self._record_refusal(ws, station_id, offered, admission)
        return _refusal_response(ws, admission)

    async def _admit(self, ws: ServerConnection, request: Request, station_id: str) -> Admission:
        backlog = self.frames_log.backlogged()
        if backlog is not None:
            return Admission.refuse(HTTPStatus.SERVICE_UNAVAILABLE, f"frames log: {backlog}")
        host = _host(ws)
        wait = self.failures.retry_after(host, time.monotonic())
        if wait is not None:
            return Admission.refuse(
                HTTPStatus.TOO_MANY_REQUESTS, f"too many failed attempts; retry after {wait:.0f}s"
            )
        try:
            creds = await self.credentials.lookup(station_id)
        except CredentialStoreUnavailable as e:
            log.error("credential lookup for %s failed: %s", station_id, e)
            return Admission.refuse(HTTPStatus.SERVICE_UNAVAILABLE, "credential store unavailable")
        cert = peer_certificate(ws)
        offer = Offer(
            station_id,
            tls=ws.transport.get_extra_info("ssl_object") is not None,
            basic_auth=basic_credentials(request.headers.get("Authorization")),
            client_cert_cn=client_cert_cn(cert),
        )
        admission = await asyncio.to_thread(
            decide, offer, creds, open_mode=self.config.open_mode, verify=verify_password
        )
        if admission.status in AUTH_FAILURES:
            self.failures.record_failure(host, time.monotonic())
        return admission

    async def _record_refusal(
        self,
        ws: ServerConnection,
        station_id: str | None,
        offered: Sequence[str],
        admission: Admission,
    ) -> None:
        version = choose_version(offered) or FALLBACK_VERSION
        record = FrameRecord(
            kind=RecordKind.REFUSED,
            station_id=station_id or UNIDENTIFIED_STATION,
            direction=Direction.IN,
            ocpp_version=version.value,
            gateway_id=self.config.gateway_id,
            connection_id=uuid.uuid4().hex,
            at=datetime.now(UTC),
            remote_address=_remote(ws),
            verdict=f"refused {admission.status.value}",
            http_status=admission.status.value,
            reason=_with_offer(admission.reason, offered),
        )
        if admission.status is HTTPStatus.SERVICE_UNAVAILABLE:
            self._append_in_background(record)  # Kafka may be the reason: do not wait on it
        else:
            await self.frames_log.append(record)

    async def _tls_refused(self, remote: str | None, reason: str) -> None:
        if remote is not None:
            self.failures.record_failure(remote.rsplit(":", 1)[0], time.monotonic())
        self._append_in_background(
            FrameRecord(
                kind=RecordKind.REFUSED,
                station_id=UNIDENTIFIED_STATION,
                direction=Direction.IN,
                ocpp_version=FALLBACK_VERSION.value,
                gateway_id=self.config.gateway_id,
                connection_id=uuid.uuid4().hex,
                at=datetime.now(UTC),
                remote_address=remote,
                verdict="refused TLS",
                reason=reason,
            )
        )

    def _append_in_background(self, record: FrameRecord) -> None:
        if len(self._tasks) >= MAX_BACKGROUND_RECORDS:
            self.unrecorded_refusals += 1
            log.warning(
                "refusal not recorded (%d so far, Kafka backlog): %s %s",
                self.unrecorded_refusals,
                record.station_id,
                record.reason,
            )
            return
        self._spawn(self._append_quietly(record))

    async def _append_quietly(self, record: FrameRecord) -> None:
        try:
            await self.frames_log.append(record)
        except FramesLogUnavailable as e:
            log.error("could not record %s for %s: %s", record.kind, record.station_id, e)

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- one station's connection ---------------------------------------------------------

    def _bucket(self, station_id: str) -> TokenBucket:
        """The station's message-rate bucket: per station, not per connection, so a station
        over its limit does not get a fresh burst by reconnecting."""
        bucket = self._buckets.get(station_id)
        if bucket is None:
            bucket = TokenBucket(self.config.rate_limit_per_s, self.config.rate_limit_burst)
            self._buckets[station_id] = bucket
        return bucket

    def _forget_bucket(self, station_id: str) -> None:
        """Drop the bucket of a station gone from this gateway once it has refilled (a full
        bucket is a new one); until then it waits for the station's reconnection. Buckets
        left waiting are swept when they outnumber the connections (amortised)."""
        now = time.monotonic()
        candidates = [station_id]
        if len(self._buckets) > 2 * len(self.connections) + 1000:
            candidates = list(self._buckets)
        for sid in candidates:
            bucket = self._buckets.get(sid)
            if bucket is not None and sid not in self.connections and bucket.full(now):
                del self._buckets[sid]

    async def _serve_connection(self, ws: ServerConnection) -> None:
        assert ws.request is not None
        station_id = station_id_from_path(ws.request.path)
        admission = self._admitted.pop(ws, None)
        assert station_id is not None and admission is not None  # _process_request admitted it
        if ws.subprotocol is None:
            # OCPP-J 1.6 / 2.0.1 §3.1.2: no common subprotocol → complete the handshake
            # without one, then close the connection at once.
            refusal = Admission.refuse(
                HTTPStatus.SWITCHING_PROTOCOLS,
                f"no supported OCPP subprotocol offered; closed {CloseCode.PROTOCOL_ERROR}",
            )
            await self._record_refusal(ws, station_id, _offered(ws.request), refusal)
            await ws.close(CloseCode.PROTOCOL_ERROR, "no supported OCPP subprotocol offered")
            return
        conn = Connection(
            station_id,
            uuid.uuid4().hex,
            ocpp.OcppVersion(ws.subprotocol),
            ws,
            self._bucket(station_id),
        )
        await self._open(conn, admission)
        writer = asyncio.create_task(self._write_loop(conn))
        keepalive = asyncio.create_task(self._keepalive(conn))
        reason = "closed"
        try:
            reason = await self._read_loop(conn)
        finally:
            keepalive.cancel()
            if self.connections.get(station_id) is conn:
                del self.connections[station_id]
            conn.outbox.put_nowait(None)  # frames still queued are tried, logged "not sent"
            await writer
            await self.frames_log.append(
                self._record(conn, RecordKind.DISCONNECTED, Direction.IN, reason=reason)
            )
            self._forget_bucket(station_id)

    async def _open(self, conn: Connection, admission: Admission) -> None:
        previous = self.connections.get(conn.station_id)
        self.connections[conn.station_id] = conn
        profile = admission.profile.value if admission.profile is not None else None
        await self.frames_log.append(
            self._record(
                conn,
                RecordKind.CONNECTED,
                Direction.IN,
                remote_address=_remote(conn.ws),
                reason=f"security profile {profile}: {admission.reason}",
                security_profile=profile,
            )
        )
        if previous is not None:
            # The old connection's handler keeps reading what it already received (frames
            # buffered before the close are still logged), then logs its Disconnected.
            self._spawn(previous.ws.close(CloseCode.POLICY_VIOLATION, REASON_REPLACED))

    async def _read_loop(self, conn: Connection) -> str:
        try:
            async for message in conn.ws:
                conn.busy, conn.last_frame_at = True, time.monotonic()
                if isinstance(message, bytes):
                    await self._on_binary(conn, message)
                    return f"closed by gateway: {CloseCode.UNSUPPORTED_DATA} binary frame"
                await self._on_text(conn, message)
                conn.busy = False
        except ConnectionClosed:
            pass
        await self._log_protocol_failure(conn)
        return close_reason(conn.ws)

    async def _on_text(self, conn: Connection, text: str) -> None:
        parsed = ocpp.parse(text, conn.version)
        answers_us = isinstance(parsed, ocpp.CallResult | ocpp.CallError)
        if not answers_us and not conn.bucket.take(time.monotonic()):
            await self._over_rate(conn, text, parsed)
            return
        conn.over_limit = 0
        verdict = parsed.verdict if isinstance(parsed, ocpp.Rejection) else VERDICT_OK
        await self.frames_log.append(
            self._record(conn, RecordKind.FRAME, Direction.IN, raw=text, verdict=verdict)
        )
        if isinstance(parsed, ocpp.Rejection):
            reply = parsed.to_call_error(conn.version)
            if reply is not None:
                self._queue(conn, ocpp.serialize(reply))

    async def _over_rate(
        self, conn: Connection, text: str, parsed: ocpp.Message | ocpp.Rejection
    ) -> None:
        """Over the per-station message rate: the frame is logged (not acted on) and a Call
        gets CallError GenericError; a station that keeps going past another burst is closed."""
        conn.over_limit += 1
        limit = f"{self.config.rate_limit_per_s:g} messages/s"
        await self.frames_log.append(
            self._record(
                conn, RecordKind.FRAME, Direction.IN, raw=text, verdict=f"RateLimited: over {limit}"
            )
        )
        unique_id = parsed.unique_id if isinstance(parsed, ocpp.Call | ocpp.Rejection) else None
        if unique_id is not None:
            error = ocpp.generic_error(conn.version, f"{REASON_RATE} ({limit}); retry later")
            self._queue(conn, ocpp.serialize(ocpp.call_error(conn.version, unique_id, error)))
        if conn.over_limit > self.config.rate_limit_burst:
            self._spawn(conn.ws.close(CloseCode.POLICY_VIOLATION, REASON_RATE))

    async def _on_binary(self, conn: Connection, data: bytes) -> None:
        # OCPP-J §4: frames are text; RFC 6455 1003 for data we cannot accept. The bytes are
        # logged (base64) because they crossed the wire.
        await self.frames_log.append(
            self._record(
                conn,
                RecordKind.FRAME,
                Direction.IN,
                raw=base64.b64encode(data).decode(),
                verdict=(
                    f"BinaryFrame: {len(data)} bytes (raw is base64); "
                    f"closed {CloseCode.UNSUPPORTED_DATA}"
                ),
            )
        )
        await conn.ws.close(CloseCode.UNSUPPORTED_DATA, "binary frames are not OCPP-J")

    async def _log_protocol_failure(self, conn: Connection) -> None:
        """websockets itself closes on an oversized frame (1009) or invalid UTF-8 (1007);
        the frame never reaches us, but its verdict is logged."""
        sent = conn.ws.protocol.close_sent
        if sent is None or sent.code not in (CloseCode.INVALID_PAYLOAD, CloseCode.MESSAGE_TOO_BIG):
            return
        what = "MessageTooBig" if sent.code == CloseCode.MESSAGE_TOO_BIG else "InvalidUtf8"
        await self.frames_log.append(
            self._record(
                conn,
                RecordKind.FRAME,
                Direction.IN,
                verdict=f"{what}: {sent.reason or 'refused'}; closed {sent.code}",
            )
        )

    async def _keepalive(self, conn: Connection) -> None:
        """RFC 6455 §5.5.2 ping every interval; a station that sends neither the pong nor
        any frame within half an interval, while we were reading it, is dead: close 1011.

        A dead station is pinged at most one interval after its last sign of life, declared
        dead half an interval later and torn down within ``close_timeout`` (<= half an
        interval) more: within two intervals. While the read loop waits for Kafka the pong
        sits unread behind held-back frames, so it is not held against the station."""
        interval = self.config.ping_interval_s
        if interval is None:
            return
        while True:
            await asyncio.sleep(interval)
            try:
                pong = asyncio.ensure_future(await conn.ws.ping())
            except ConnectionClosed:
                return
            pinged_at = time.monotonic()
            while not (await asyncio.wait({pong}, timeout=interval / 2))[0]:
                if not conn.busy and conn.last_frame_at < pinged_at:
                    await conn.ws.close(CloseCode.INTERNAL_ERROR, "keepalive ping timeout")
                    return
            if pong.exception() is not None:  # the connection closed meanwhile
                return

    # -- frames to the station ------------------------------------------------------------

    def _queue(self, conn: Connection, raw: str) -> None:
        conn.outbox.put_nowait(raw)

    async def _write_loop(self, conn: Connection) -> None:
        """One writer per connection: a slow station never holds up deliveries to others."""
        while (raw := await conn.outbox.get()) is not None:
            await self._send(conn, raw)

    async def _send(self, conn: Connection, raw: str) -> None:
        verdict = VERDICT_OK
        try:
            await conn.ws.send(raw)
        except ConnectionClosed:
            verdict = "not sent: connection closed"
        await self.frames_log.append(
            self._record(conn, RecordKind.FRAME, Direction.OUT, raw=raw, verdict=verdict)
        )

    async def deliver(self, delivery: Delivery) -> None:
        """Queue a frame routed to this gateway, if the station's connection is still here."""
        conn = self.connections.get(delivery.station_id)
        stale = delivery.connection_id not in (None, conn.connection_id if conn else None)
        if conn is None or stale:
            log.warning(
                "undeliverable frame for %s (connection gone): %s",
                delivery.station_id,
                delivery.causation_id,
            )
            return
        if delivery.close_code is not None:
            # The station connected again through another gateway: this one is superseded.
            self._spawn(conn.ws.close(delivery.close_code, delivery.close_reason or ""))
            return
        if delivery.raw is not None:
            self._queue(conn, delivery.raw)

    def _record(
        self, conn: Connection, kind: RecordKind, direction: Direction,
        **fields: str | int | None,
    ) -> FrameRecord:
        return FrameRecord(
            kind=kind,
            station_id=conn.station_id,
            direction=direction,
            ocpp_version=conn.version.value,
            gateway_id=self.config.gateway_id,
            connection_id=conn.connection_id,
            at=datetime.now(UTC),
            **fields,
        )


def close_reason(ws: ServerConnection) -> str:
    """Who closed the connection, with which code and reason (for the Disconnected record)."""
    proto = ws.protocol
    sent, rcvd = proto.close_sent, proto.close_rcvd
    if sent is not None and (rcvd is None or proto.close_rcvd_then_sent is False):
        return f"closed by gateway: {_close_text(sent)}"
    if rcvd is not None:
        return f"closed by station: {_close_text(rcvd)}"
    return f"connection lost: {CloseCode.NO_CLOSE_FRAME} (no close frame)"


def _close_text(close: Close) -> str:
    return f"{close.code} {close.reason}".strip()


def _refusal_response(ws: ServerConnection, admission: Admission) -> Response:
    response = ws.respond(admission.status, f"{admission.reason}\n")
    if admission.status is HTTPStatus.UNAUTHORIZED:
        # RFC 7235 §4.1 / RFC 7617: tell the client which scheme to use.
        response.headers["WWW-Authenticate"] = 'Basic realm="OCPP", charset="UTF-8"'
    if admission.status in (HTTPStatus.TOO_MANY_REQUESTS, HTTPStatus.SERVICE_UNAVAILABLE):
        response.headers["Retry-After"] = "30"
    return response


def _offered(request: Request) -> list[str]:
    return [
        p.strip()
        for h in request.headers.get_all("Sec-WebSocket-Protocol")
        for p in h.split(",")
        if p.strip()
    ]


def _with_offer(reason: str, offered: Sequence[str]) -> str:
    return f"{reason} (subprotocols offered: {', '.join(offered) or 'none'})"


def _host(ws: ServerConnection) -> str:
    addr = ws.remote_address
    return str(addr[0]) if addr else "unknown"


def _remote(ws: ServerConnection) -> str | None:
    addr = ws.remote_address
    return f"{addr[0]}:{addr[1]}" if addr else None


def _bound_port(server: Server) -> int:
    port: int = next(iter(server.sockets)).getsockname()[1]
    return port


def _select_subprotocol(ws: ServerConnection, offered: Sequence[Subprotocol]) -> Subprotocol | None:
    version = choose_version(offered)
    return Subprotocol(version.value) if version else None


__all__ = ["Connection", "Gateway", "GatewayConfig", "TlsListener", "close_reason"]
