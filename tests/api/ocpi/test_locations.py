"""The operator's locations (/api/v1/locations) and the OCPI 2.2.1 Locations sender on the
real stack: a location published, its EVSE's status following a real station's
StatusNotification, one location/EVSE/connector by id, unknown ids 2003/404, an EVSE mapped
twice 409, a malformed body 422 with nothing written, a deleted location's EVSEs REMOVED."""

from __future__ import annotations

import asyncio
import base64
import time
from typing import Any

import httpx
import pytest

from csms.config import Settings
from tests.api.ocpi.roaming import emsp, evse_uid, location_id, map_station, partner
from tests.ocpi_peer import EmspPeer
from tests.services import api_client
from tests.stations import BOOT_201, AnsweringStation, connect_station

__all__ = ["emsp", "partner"]  # the fixtures

pytestmark = pytest.mark.integration


async def evse_of(peer: EmspPeer, station_id: str) -> dict[str, Any]:
    pulled = await peer.pull("locations")
    ours = [loc for loc in pulled.objects if loc["id"] == location_id(station_id)]
    assert len(ours) == 1, [loc["id"] for loc in pulled.objects]
    evse: dict[str, Any] = ours[0]["evses"][0]
    return evse


async def status_becomes(peer: EmspPeer, station_id: str, status: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while True:
        evse = await evse_of(peer, station_id)
        if evse["status"] == status:
            return evse
        assert time.monotonic() < deadline, evse
        await _sleep()


async def _sleep() -> None:
    await asyncio.sleep(0.2)


async def ocpi_get(peer: EmspPeer, path: str, *, expect_status: int = 200) -> dict[str, Any]:
    """GET ``path`` under the CPO's locations endpoint with the peer's credentials token."""
    assert peer.cpo is not None
    token = base64.b64encode(peer.cpo.token.encode()).decode()
    url = peer.endpoint("locations", "SENDER") + path
    async with httpx.AsyncClient(timeout=10) as client:
        answer = await client.get(url, headers={"Authorization": f"Token {token}"})
    assert answer.status_code == expect_status, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def test_a_location_serves_its_evse_status_live(partner: EmspPeer,
                                                      settings: Settings) -> None:  # fmt: skip
    station = "OCPI-LOC-1"
    async with api_client(settings) as http:
        await map_station(http, station)
        got = await http.get(f"/api/v1/locations/{location_id(station)}")
        assert got.status_code == 200 and got.json()["city"] == "Arnhem", got.text
    assert (await evse_of(partner, station))["status"] == "UNKNOWN"  # no report yet
    async with connect_station(settings.gateway_port, station, "ocpp2.0.1") as ws:
        cs = AnsweringStation(ws, _accept)
        boot = await cs.call("BootNotification", BOOT_201, timeout=90)
        assert boot[0] == 3, boot
        for reported, expected in (("Available", "AVAILABLE"), ("Occupied", "CHARGING"),
                                   ("Faulted", "OUTOFORDER")):  # fmt: skip
            reply = await cs.call("StatusNotification", {
                "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "connectorStatus": reported, "evseId": 1, "connectorId": 1})  # fmt: skip
            assert reply[0] == 3, reply
            evse = await status_becomes(partner, station, expected)
        assert evse["uid"] == evse_uid(station) and evse["connectors"][0]["id"] == "1"
        await cs.close()
    assert partner.violations == []


async def _accept(action: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {"status": "Accepted"}


async def test_one_object_unknown_ids_conflicts_bad_input_and_deletion(
    partner: EmspPeer, settings: Settings,
) -> None:
    station = "OCPI-LOC-2"
    loc, uid = location_id(station), evse_uid(station)
    async with api_client(settings) as http:
        await map_station(http, station)
        body = (await http.get(f"/api/v1/locations/{loc}")).json()
        clash = {k: v for k, v in body.items() if k not in ("id", "updated_at")}
        clash["evses"][0]["uid"] = "OTHER-UID"
        taken = await http.put("/api/v1/locations/OCPI-LOC-OTHER", json=clash)
        assert taken.status_code == 409, taken.text
        bad = await http.put("/api/v1/locations/OCPI-LOC-BAD", json={"address": "x"})
        assert bad.status_code == 422 and "city" in bad.text, bad.text
        assert (await http.get("/api/v1/locations/OCPI-LOC-BAD")).status_code == 404
        assert (await http.get("/api/v1/locations/OCPI-LOC-OTHER")).status_code == 404

        one = await ocpi_get(partner, f"/{loc}")
        assert one["data"]["id"] == loc and one["status_code"] == 1000, one
        evse = await ocpi_get(partner, f"/{loc}/{uid}")
        assert evse["data"]["uid"] == uid, evse
        connector = await ocpi_get(partner, f"/{loc}/{uid}/1")
        assert connector["data"]["standard"] == "IEC_62196_T2", connector
        for missing in ("/NO-SUCH-LOC", f"/{loc}/NO-EVSE", f"/{loc}/{uid}/9"):
            answer = await ocpi_get(partner, missing, expect_status=404)
            assert answer["status_code"] == 2003, answer

        gone = await http.delete(f"/api/v1/locations/{loc}")
        assert gone.status_code == 204, gone.text
        assert (await http.get(f"/api/v1/locations/{loc}")).status_code == 404
    assert (await evse_of(partner, station))["status"] == "REMOVED"
