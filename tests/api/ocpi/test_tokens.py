"""OCPI 2.2.1 Tokens receiver on the real stack: the eMSP peer, registered with us, PUTs,
PATCHes and GETs its tokens; bad input and another party's URL are refused with nothing
written; and a token it pushed is used by real OCPP 1.6 and 2.0.1 stations at Authorize
(whitelist ALWAYS: valid → Accepted, valid=false → not accepted)."""

from __future__ import annotations

from typing import Any

import pytest

from csms.config import Settings
from tests.api.ocpi.roaming import emsp, partner
from tests.integration.test_sessions import eventually
from tests.ocpi_peer import EmspPeer
from tests.stations import BOOT_16, BOOT_201, Station, connect_station

__all__ = ["emsp", "partner"]  # the fixtures

pytestmark = pytest.mark.integration


@pytest.fixture
def peer(partner: EmspPeer, settings: Settings) -> EmspPeer:
    """The partner, with our tokens receiver endpoint known (the handshake discovers it; a
    partner registered straight on the admin log is told it here)."""
    cpo = partner.cpo
    assert cpo is not None
    cpo.endpoints.setdefault(("tokens", "RECEIVER"),
                             f"http://127.0.0.1:{settings.api_port}/ocpi/2.2.1/cpo/tokens")
    return partner


def url(peer: EmspPeer, uid: str, party: tuple[str, str] | None = None) -> str:
    cc, pid = party or (peer.country_code, peer.party_id)
    return f"{peer.endpoint('tokens', 'RECEIVER')}/{cc}/{pid}/{uid}"


async def get(peer: EmspPeer, uid: str, query: str = "") -> Any:
    return await peer.request("GET", url(peer, uid) + query)


async def test_put_patch_get(peer: EmspPeer) -> None:
    put = await peer.push_token(peer.token("OCPI-TK-1", whitelist="ALWAYS", group_id="G1"))
    assert (put.status, put.ocpi_status) == (200, 1000), put.body
    got = await get(peer, "OCPI-TK-1")
    assert (got.status, got.ocpi_status) == (200, 1000), got.body
    assert got.data["uid"] == "OCPI-TK-1" and got.data["valid"] is True
    assert got.data["group_id"] == "G1"
    patched = await peer.patch_token("OCPI-TK-1", {"valid": False,
                                                   "last_updated": "2026-12-03T16:40:00Z"})
    assert (patched.status, patched.ocpi_status) == (200, 1000), patched.body
    got = await get(peer, "ocpi-tk-1", "?type=RFID")  # uid is a CiString
    assert got.data["valid"] is False and got.data["whitelist"] == "ALWAYS"
    assert got.data["last_updated"].startswith("2026-12-03T16:40:00")
    assert peer.violations == []


async def test_unknown_token_is_2004(peer: EmspPeer) -> None:
    got = await get(peer, "OCPI-TK-NONE")
    assert (got.status, got.ocpi_status) == (404, 2004), got.body
    other_type = await get(peer, "OCPI-TK-1", "?type=APP_USER")
    assert other_type.ocpi_status == 2004
    patch = await peer.request("PATCH", url(peer, "OCPI-TK-NONE"),
                               json={"valid": False, "last_updated": "2026-12-03T16:40:00Z"})
    assert (patch.status, patch.ocpi_status) == (404, 2004), patch.body


@pytest.mark.parametrize("body", [
    {"uid": "OCPI-TK-BAD"},  # required fields missing
    "not a token",
    {"whitelist": "SOMETIMES"},
])  # fmt: skip
async def test_malformed_put_is_2001_and_writes_nothing(peer: EmspPeer, body: Any) -> None:
    if isinstance(body, dict) and "whitelist" in body:
        body = peer.token("OCPI-TK-BAD", whitelist="SOMETIMES")
    reply = await peer.request("PUT", url(peer, "OCPI-TK-BAD"), json=body)
    assert (reply.status, reply.ocpi_status) == (400, 2001), reply.body
    assert (await get(peer, "OCPI-TK-BAD")).ocpi_status == 2004


async def test_patch_needs_last_updated_and_a_valid_merge(peer: EmspPeer) -> None:
    await peer.push_token(peer.token("OCPI-TK-2", whitelist="ALWAYS"))
    no_time = await peer.request("PATCH", url(peer, "OCPI-TK-2"), json={"valid": False})
    assert (no_time.status, no_time.ocpi_status) == (400, 2001), no_time.body
    bad = await peer.request("PATCH", url(peer, "OCPI-TK-2"),
                             json={"whitelist": "X", "last_updated": "2026-12-03T16:40:00Z"})
    assert (bad.status, bad.ocpi_status) == (400, 2001), bad.body
    assert (await get(peer, "OCPI-TK-2")).data["valid"] is True


async def test_another_party_or_identity_is_refused(peer: EmspPeer) -> None:
    token = peer.token("OCPI-TK-3")
    foreign = await peer.request("PUT", url(peer, "OCPI-TK-3", ("DE", "XYZ")),
                                 json={**token, "country_code": "DE", "party_id": "XYZ"})
    assert (foreign.status, foreign.ocpi_status) == (400, 2001), foreign.body
    read = await peer.request("GET", url(peer, "OCPI-TK-1", ("DE", "XYZ")))
    assert read.ocpi_status == 2001
    mismatch = await peer.request("PUT", url(peer, "OCPI-TK-OTHER"), json=token)
    assert (mismatch.status, mismatch.ocpi_status) == (400, 2001), mismatch.body
    assert (await get(peer, "OCPI-TK-3")).ocpi_status == 2004


async def test_wrong_credentials_are_401(peer: EmspPeer) -> None:
    reply = await peer.request("GET", url(peer, "OCPI-TK-1"), token="not-our-token")
    assert reply.status == 401


async def authorize_16(settings: Settings, uid: str) -> str:
    async with connect_station(settings.gateway_port, "OCPI-TK-CP16", "ocpp1.6") as ws:
        station = Station(ws)
        assert (await station.call("BootNotification", BOOT_16, timeout=90))[0] == 3
        answer = await station.call("Authorize", {"idTag": uid})
    status: str = answer[2]["idTagInfo"]["status"]
    return status


async def authorize_201(settings: Settings, uid: str) -> str:
    async with connect_station(settings.gateway_port, "OCPI-TK-CP201", "ocpp2.0.1") as ws:
        station = Station(ws)
        assert (await station.call("BootNotification", BOOT_201, timeout=90))[0] == 3
        answer = await station.call("Authorize",
                                    {"idToken": {"idToken": uid, "type": "ISO14443"}})
    status: str = answer[2]["idTokenInfo"]["status"]
    return status


async def test_a_pushed_token_is_used_at_authorize(peer: EmspPeer, settings: Settings) -> None:
    for uid, valid in (("04AA0001", True), ("04AA0002", False)):
        reply = await peer.push_token(peer.token(uid, whitelist="ALWAYS", valid=valid))
        assert reply.ocpi_status == 1000, reply.body

    for authorize in (authorize_16, authorize_201):

        async def accepted(authorize: Any = authorize) -> bool:
            # The processor consumes the admin log on its own (docs/SESSIONS.md, "Consistency").
            return bool(await authorize(settings, "04AA0001") == "Accepted")

        assert await eventually(accepted, timeout=60)
        assert await authorize(settings, "04AA0002") == "Invalid"
    assert await authorize_201(settings, "04AA0003") == "Unknown"
