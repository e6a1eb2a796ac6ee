"""TLS for security profiles 2 and 3: the server context, and TLS handshakes we can see.

The server context requires TLS 1.2 or newer (OCPP 2.0.1 A00.FR.309: "TLS v1.2 or above")
and, when a CA is configured, *asks* for a client certificate (``CERT_OPTIONAL``): profile-2
stations present none, profile-3 stations must. OpenSSL verifies a presented certificate
(chain to the CA, validity dates) during the handshake and fails the handshake otherwise.

asyncio performs a server-side TLS handshake before any protocol object hears of the
connection, so a refused certificate (expired, wrong CA) would leave no trace. To record
every refused attempt, :func:`tls_connection_class` builds a websockets connection class
that accepts the plain TCP connection, upgrades it with ``loop.start_tls`` itself, reports
a failed handshake (remote address, OpenSSL's reason), and only then hands the TLS
transport to websockets.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, ClassVar, cast

from websockets.asyncio.server import ServerConnection

TlsRefused = Callable[[str | None, str], Awaitable[None]]
"""``(remote address, reason) -> None``: called once per failed TLS handshake."""


def server_context(cert_file: Path, key_file: Path, ca_file: Path | None) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert_file, key_file)
    if ca_file is not None:
        context.load_verify_locations(cafile=ca_file)
        context.verify_mode = ssl.CERT_OPTIONAL
    return context


def client_cert_cn(peercert: dict[str, Any] | None) -> str | None:
    """The subject CN of a verified peer certificate (``SSLObject.getpeercert()``).

    None when there is no certificate; several *different* CNs are joined with ``+`` so
    they never equal a station id (a certificate must name exactly one station).
    """
    if not peercert:
        return None
    names = {
        value for rdn in peercert.get("subject", ()) for key, value in rdn if key == "commonName"
    }
    if not names:
        return None
    return "+".join(sorted(names))


def peer_certificate(ws: ServerConnection) -> dict[str, Any] | None:
    ssl_object = ws.transport.get_extra_info("ssl_object")
    if not isinstance(ssl_object, ssl.SSLObject):
        return None
    cert: dict[str, Any] | None = ssl_object.getpeercert()
    return cert


def tls_connection_class(
    context: ssl.SSLContext, on_refused: TlsRefused, *, handshake_timeout_s: float = 10.0
) -> type[ServerConnection]:
    """A ServerConnection subclass that does the TLS handshake itself (pass it to
    ``serve(create_connection=...)`` *without* ``ssl=``)."""

    class TlsServerConnection(_TlsFirstConnection):
        tls_context = context
        tls_handshake_timeout_s = handshake_timeout_s

        async def report_refused(self, remote: str | None, reason: str) -> None:
            await on_refused(remote, reason)

    return TlsServerConnection


class _TlsFirstConnection(ServerConnection):
    tls_context: ClassVar[ssl.SSLContext]
    tls_handshake_timeout_s: ClassVar[float]
    pending: ClassVar[set[asyncio.Task[None]]] = set()

    async def report_refused(self, remote: str | None, reason: str) -> None:
        raise NotImplementedError  # defined by tls_connection_class

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._tls_up = False
        self._early: list[bytes] = []
        self._early_eof = False
        task = self.loop.create_task(self._start_tls(cast(asyncio.Transport, transport)))
        self.pending.add(task)
        task.add_done_callback(self.pending.discard)

    async def _start_tls(self, raw: asyncio.Transport) -> None:
        peer = raw.get_extra_info("peername")
        remote = f"{peer[0]}:{peer[1]}" if peer else None
        try:
            tls = await self.loop.start_tls(
                raw,
                self,
                self.tls_context,
                server_side=True,
                ssl_handshake_timeout=self.tls_handshake_timeout_s,
            )
        except (ssl.SSLError, OSError, TimeoutError) as e:
            raw.close()
            await self.report_refused(remote, f"TLS handshake failed: {_describe(e)}")
            return
        if tls is None:  # the peer went away during the handshake
            return
        self._tls_up = True
        super().connection_made(tls)
        for chunk in self._early:
            super().data_received(chunk)
        if self._early_eof:
            super().eof_received()

    # Until the TLS transport is handed to websockets, the SSL layer may already deliver
    # the first application bytes (a TLS 1.3 client sends its HTTP request right after its
    # Finished message); keep them for websockets.
    def data_received(self, data: bytes) -> None:
        if self._tls_up:
            super().data_received(data)
        else:
            self._early.append(data)

    def eof_received(self) -> None:
        if self._tls_up:
            super().eof_received()
        else:
            self._early_eof = True

    def connection_lost(self, exc: Exception | None) -> None:
        if self._tls_up:
            super().connection_lost(exc)


def _describe(error: BaseException) -> str:
    if isinstance(error, ssl.SSLCertVerificationError):
        return f"client certificate rejected: {error.verify_message}"
    if isinstance(error, ssl.SSLError):
        return error.reason or str(error)
    if isinstance(error, TimeoutError):
        return "timed out"
    return str(error) or type(error).__name__
