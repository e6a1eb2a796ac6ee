"""Security profiles 1–3 on a live gateway (real Kafka and read store): who gets in, who is
refused with which status, and that every attempt is a frames-log record with its reason."""

from __future__ import annotations

import asyncio
import ssl
import time
from http import HTTPStatus
from pathlib import Path

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidHandshake, InvalidStatus
from websockets.typing import Subprotocol

from csms.config import Settings
from ingest.gateway import Gateway
from schemas.envelopes import UNIDENTIFIED_STATION, FrameRecord, RecordKind
from tests.integration.gateways import basic_auth, register, running_gateway, wait_frames
from tests.pki import CertificateAuthority, Issued, client_context

pytestmark = pytest.mark.integration

PASSWORD = "0123456789abcdef-station-secret"
V16 = [Subprotocol("ocpp1.6")]


async def status_of(url: str, **kwargs: object) -> int:
    """101 when the handshake succeeds, else the HTTP status the gateway answered."""
    try:
        async with connect(url, subprotocols=V16, open_timeout=10, **kwargs) as ws:  # type: ignore[arg-type]
            assert ws.subprotocol == "ocpp1.6"
            return 101
    except InvalidStatus as e:
        return e.response.status_code


def ws_url(gw: Gateway, station_id: str) -> str:
    return f"ws://127.0.0.1:{gw.port}/ocpp/{station_id}"


def wss_url(gw: Gateway, station_id: str) -> str:
    return f"wss://localhost:{gw.tls_port}/ocpp/{station_id}"


def refused(gw: Gateway, station_id: str) -> object:
    def match(r: FrameRecord) -> bool:
        return (
            r.kind is RecordKind.REFUSED
            and r.gateway_id == gw.config.gateway_id
            and r.station_id == station_id
        )

    return match


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    d: Path = tmp_path_factory.mktemp("pki")
    ca, rogue = CertificateAuthority(d, "csms"), CertificateAuthority(d, "rogue")
    return {
        "ca": ca,
        "server": ca.issue("server", "localhost", server=True),
        "cp3": ca.issue("cp3", "CP-P3"),
        "expired": ca.issue("expired", "CP-P3", expired=True),
        "wrong_cn": ca.issue("wrong-cn", "CP-OTHER"),
        "rogue": rogue.issue("rogue", "CP-P3"),
    }


def tls_overrides(pki: dict[str, object]) -> dict[str, object]:
    ca, server = pki["ca"], pki["server"]
    assert isinstance(ca, CertificateAuthority) and isinstance(server, Issued)
    return {
        "gateway_tls_port": 0,
        "gateway_tls_cert": server.cert,
        "gateway_tls_key": server.key,
        "gateway_tls_ca": ca.cert_file,
    }


async def test_profile_1_basic_auth_and_every_refusal_is_recorded(settings: Settings) -> None:
    register(settings, "CP-P1", 1, PASSWORD)
    register(settings, "CP-NOPROFILE", None)
    async with running_gateway(settings) as gw:
        assert (
            await status_of(ws_url(gw, "CP-P1"), additional_headers=basic_auth("CP-P1", PASSWORD))
            == 101
        )
        assert (
            await status_of(ws_url(gw, "CP-P1"), additional_headers=basic_auth("CP-P1", "wrong"))
            == 401
        )
        assert await status_of(ws_url(gw, "CP-P1")) == 401
        assert (
            await status_of(ws_url(gw, "CP-P1"), additional_headers=basic_auth("CP-X", PASSWORD))
            == 401
        )
        assert await status_of(ws_url(gw, "CP-UNKNOWN")) == 404
        assert await status_of(ws_url(gw, "CP-NOPROFILE")) == 403

    p1 = await wait_frames(
        settings, lambda r: r.station_id == "CP-P1" and r.gateway_id == gw.config.gateway_id, 5
    )
    connected = [r for r in p1 if r.kind is RecordKind.CONNECTED]
    assert len(connected) == 1 and connected[0].reason == "security profile 1: Basic auth"
    assert connected[0].remote_address and connected[0].remote_address.startswith("127.0.0.1:")
    reasons = [(r.http_status, r.reason) for r in p1 if r.kind is RecordKind.REFUSED]
    assert [s for s, _ in reasons] == [401, 401, 401]
    assert "wrong password" in str(reasons[0][1]) and "missing Basic auth" in str(reasons[1][1])
    assert "ocpp1.6" in str(reasons[0][1])  # the offered subprotocols are recorded
    unknown = await wait_frames(settings, refused(gw, "CP-UNKNOWN"), 1)  # type: ignore[arg-type]
    assert unknown[0].http_status == 404 and unknown[0].reason.startswith("unknown station")  # type: ignore[union-attr]
    noprof = await wait_frames(settings, refused(gw, "CP-NOPROFILE"), 1)  # type: ignore[arg-type]
    assert noprof[0].http_status == 403


async def test_repeated_failures_from_one_address_are_rate_limited(settings: Settings) -> None:
    register(settings, "CP-GUESS", 1, PASSWORD)
    async with running_gateway(settings, gateway_auth_failure_limit=3) as gw:
        for _ in range(3):
            assert (
                await status_of(
                    ws_url(gw, "CP-GUESS"), additional_headers=basic_auth("CP-GUESS", "x")
                )
                == 401
            )
        # Even the right password waits now: the address is blocked before any check.
        assert (
            await status_of(
                ws_url(gw, "CP-GUESS"), additional_headers=basic_auth("CP-GUESS", PASSWORD)
            )
            == 429
        )
    records = await wait_frames(settings, refused(gw, "CP-GUESS"), 4)  # type: ignore[arg-type]
    assert [r.http_status for r in records] == [401, 401, 401, 429]


async def test_profile_2_needs_tls(settings: Settings, pki: dict[str, object]) -> None:
    register(settings, "CP-P2", 2, PASSWORD)
    ca = pki["ca"]
    assert isinstance(ca, CertificateAuthority)
    async with running_gateway(settings, **tls_overrides(pki)) as gw:
        auth = basic_auth("CP-P2", PASSWORD)
        assert (
            await status_of(wss_url(gw, "CP-P2"), additional_headers=auth, ssl=client_context(ca))
            == 101
        )
        assert await status_of(ws_url(gw, "CP-P2"), additional_headers=auth) == HTTPStatus.FORBIDDEN
        bad = basic_auth("CP-P2", "nope")
        assert (
            await status_of(wss_url(gw, "CP-P2"), additional_headers=bad, ssl=client_context(ca))
            == 401
        )
    records = await wait_frames(settings, lambda r: r.station_id == "CP-P2", 4)
    connected = [r for r in records if r.kind is RecordKind.CONNECTED]
    refusals = [r for r in records if r.kind is RecordKind.REFUSED]
    assert [r.reason for r in connected] == ["security profile 2: Basic auth over TLS"]
    assert [r.http_status for r in refusals] == [403, 401]
    assert "requires security profile 2" in str(refusals[0].reason)


async def test_profile_3_client_certificates(settings: Settings, pki: dict[str, object]) -> None:
    register(settings, "CP-P3", 3, PASSWORD)
    ca = pki["ca"]
    assert isinstance(ca, CertificateAuthority)

    def ctx(name: str | None) -> ssl.SSLContext:
        issued = pki[name] if name else None
        assert issued is None or isinstance(issued, Issued)
        return client_context(ca, issued)

    async with running_gateway(settings, **tls_overrides(pki)) as gw:
        url = wss_url(gw, "CP-P3")
        assert await status_of(url, ssl=ctx("cp3")) == 101
        assert await status_of(url, ssl=ctx("wrong_cn")) == 401
        assert (
            await status_of(url, ssl=ctx(None), additional_headers=basic_auth("CP-P3", PASSWORD))
            == 401
        )
        assert (
            await status_of(ws_url(gw, "CP-P3"), additional_headers=basic_auth("CP-P3", PASSWORD))
            == 403
        )
        for bad in ("expired", "rogue"):  # refused by the TLS handshake itself
            with pytest.raises((OSError, InvalidHandshake)):
                await status_of(url, ssl=ctx(bad))

    records = await wait_frames(settings, lambda r: r.station_id == "CP-P3", 5)
    assert records[0].kind is RecordKind.CONNECTED
    assert records[0].reason == "security profile 3: client certificate"
    statuses = [(r.http_status, r.reason) for r in records if r.kind is RecordKind.REFUSED]
    assert [s for s, _ in statuses] == [401, 401, 403]
    assert "CP-OTHER" in str(statuses[0][1])
    tls_failures = await wait_frames(settings, refused(gw, UNIDENTIFIED_STATION), 2)  # type: ignore[arg-type]
    reasons = " | ".join(str(r.reason) for r in tls_failures)
    assert "certificate has expired" in reasons, reasons
    assert "unable to get local issuer certificate" in reasons, reasons
    assert all(r.http_status is None and r.remote_address for r in tls_failures)


async def test_refusals_become_connection_refused_events(stack: object, settings: Settings) -> None:
    """The processor turns each REFUSED record into a versioned ConnectionRefused event."""
    from schemas.events import ConnectionRefused, decode_event
    from tests.integration.kafka_reading import read_all

    async with running_gateway(settings) as gw:
        assert await status_of(ws_url(gw, "CP-NOBODY")) == 404
    deadline = time.monotonic() + 60
    while True:
        events = [
            decode_event(r.value)
            for r in await read_all(settings.bootstrap, f"{settings.topic_prefix}.events")
            if r.key == b"CP-NOBODY"
        ]
        if events or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.5)
    assert [type(e.data) for e in events] == [ConnectionRefused]
    data = events[0].data
    assert isinstance(data, ConnectionRefused)
    assert data.http_status == 404 and data.gateway_id == gw.config.gateway_id
    assert data.reason.startswith("unknown station") and data.remote_address
