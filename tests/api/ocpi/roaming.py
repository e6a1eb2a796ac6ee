"""What the Sessions, CDRs and Tariffs sender tests share on the real stack: a tariff
published and assigned, OCPP 2.0.1 sessions run on real stations whose EVSEs the operator
mapped to locations (and one that no location maps), and the eMSP peer registered with us
through the credentials handshake, pulling pages as a partner does.

``roaming`` is session-scoped: the sessions run once for all three test modules."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from api.admin_log import AdminLog
from api.ocpi.auth import TokenSealer, token_hash
from csms.config import Settings
from schemas.events import OcpiPartnerRegistered
from schemas.ocpi.credentials import CredentialsRole
from schemas.readmodel import OCPI_PARTNERS
from schemas.tariffs import Tariff
from schemas.topics import Topics
from tests.integration.test_billing import assign, meter, priced_probe, publish, run_session
from tests.integration.test_sessions import eventually
from tests.ocpi_peer import EmspPeer
from tests.ocpi_peer.peer import CpoLink
from tests.services import ServiceSet, api_client
from tests.stations import BOOT_201, AnsweringStation, connect_station

TARIFF_ID = "OCPI-ROAM-T"
MAPPED = ("OCPI-RS-1", "OCPI-RS-2", "OCPI-RS-3")
UNMAPPED = "OCPI-RS-NOLOC"
START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def location_id(station_id: str) -> str:
    return f"LOC-{station_id}"


def evse_uid(station_id: str) -> str:
    return f"{station_id}-E1"


async def map_station(http: httpx.AsyncClient, station_id: str) -> None:
    """The operator enters a location whose one EVSE is the station's EVSE 1."""
    body = {
        "name": f"Site of {station_id}", "address": "Stationsplein 1", "city": "Arnhem",
        "postal_code": "6811KL", "country": "NLD",
        "coordinates": {"latitude": "51.98500", "longitude": "5.89900"},
        "time_zone": "Europe/Amsterdam",
        "evses": [{"uid": evse_uid(station_id), "station_id": station_id, "evse_id": 1,
                   "ocpi_evse_id": f"NL*CSM*E{station_id[-1]}",
                   "connectors": [{"id": "1", "standard": "IEC_62196_T2", "format": "SOCKET",
                                   "power_type": "AC_3_PHASE", "max_voltage": 230,
                                   "max_amperage": 32, "max_electric_power": 22000}]}],
    }  # fmt: skip
    response = await http.put(f"/api/v1/locations/{location_id(station_id)}", json=body)
    assert response.status_code in (200, 201), response.text


async def open_session(settings: Settings, station_id: str, txn: str, start: datetime) -> None:
    """A 2.0.1 session started and metered, never ended."""

    async def respond(action: str, payload: dict[str, Any]) -> dict[str, Any]:
        return {} if action == "CostUpdated" else {"status": "Accepted"}

    async with connect_station(settings.gateway_port, station_id, "ocpp2.0.1") as ws:
        cs = AnsweringStation(ws, respond)
        boot = await cs.call("BootNotification", BOOT_201, timeout=90)
        assert boot[0] == 3, boot
        for seq, (minutes, wh) in enumerate(((0, 500.0), (15, 2500.0))):
            payload = {"eventType": "Started" if seq == 0 else "Updated",
                       "timestamp": (start + timedelta(minutes=minutes)).isoformat(),
                       "seqNo": seq, "triggerReason": "Authorized",
                       "transactionInfo": {"transactionId": txn, "chargingState": "Charging"},
                       "evse": {"id": 1, "connectorId": 1},
                       "meterValue": meter(minutes, wh, start)}  # fmt: skip
            if seq == 0:
                payload["idToken"] = {"idToken": "OCPI-OPEN-TAG", "type": "ISO14443"}
            reply = await cs.call("TransactionEvent", payload)
            assert reply[0] == 3, reply
        await cs.close()


@dataclass(frozen=True)
class Roaming:
    peer: EmspPeer
    tariff: Tariff
    completed: dict[str, int]
    """Station → the CSMS transaction id of its ended session."""
    open_id: int
    """The CSMS id of the session still going (on MAPPED[0])."""
    unmapped_id: int


async def transaction_pk(http: httpx.AsyncClient, station_id: str, txn: str) -> int:
    async def probe() -> int | None:
        listed = await http.get("/api/v1/transactions", params={"station_id": station_id})
        ids = [t["id"] for t in listed.json()["items"] if t["transaction_id"] == txn]
        return ids[0] if ids else None

    found: int = await eventually(probe, timeout=60)
    return found


async def billed(http: httpx.AsyncClient, pk: int, *, ended: bool) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        found = await http.get(f"/api/v1/billing/sessions/{pk}")
        session: dict[str, Any] = found.json() if found.status_code == 200 else {}
        return session if session and (session["cdr_id"] is not None or not ended) else None

    found: dict[str, Any] = await eventually(probe, timeout=60)
    return found


@pytest.fixture(scope="session")
def emsp() -> Iterator[EmspPeer]:
    with EmspPeer.running(party_id="RMS") as running:
        yield running


@pytest.fixture(scope="session")
async def partner(stack: ServiceSet, settings: Settings, emsp: EmspPeer) -> EmspPeer:
    """The eMSP peer as a registered partner: through the credentials handshake with our
    token A where the API invites partners, else registered on the admin log the way the
    handshake records it (``OcpiPartnerRegistered``, projected by ``ocpi_partners``)."""
    versions = f"http://127.0.0.1:{settings.api_port}/ocpi/versions"
    async with api_client(settings) as http:
        response = await http.post("/api/v1/ocpi/partners", json={"partner_id": "roaming"})
    if response.status_code in (200, 201):
        reply = await emsp.register_with(versions, response.json()["token"])
        assert reply.status == 200 and reply.ocpi_status == 1000, reply.body
        return emsp
    token = secrets.token_urlsafe(24)
    registered = OcpiPartnerRegistered(
        partner_id="roaming", registered_by="partner", token_hash=token_hash(token),
        token_for_partner=TokenSealer(settings.ocpi_token_secret()).seal(secrets.token_urlsafe()),
        versions_url=emsp.versions_url, version="2.2.1", endpoints=(),
        roles=(CredentialsRole.model_validate({
            "role": "EMSP", "country_code": emsp.country_code, "party_id": emsp.party_id,
            "business_details": {"name": "Roaming eMSP"}}),))  # fmt: skip
    log = AdminLog(settings.bootstrap, Topics(settings.topic_prefix).admin)
    engine = create_async_engine(settings.sqlalchemy_url)
    try:
        at = await log.append(registered, "roaming", None, uuid.uuid4().hex)
        await log.wait_projected(engine, OCPI_PARTNERS, at, 30)
    finally:
        await log.close()
        await engine.dispose()
    base = f"http://127.0.0.1:{settings.api_port}/ocpi/2.2.1/cpo"
    emsp.cpo = CpoLink(versions, token, {
        (m, "SENDER"): f"{base}/{m}" for m in ("locations", "sessions", "cdrs", "tariffs")},
        [(settings.cpo_country_code, settings.cpo_party_id)])  # fmt: skip
    return emsp


@pytest.fixture(scope="session")
async def roaming(stack: ServiceSet, settings: Settings, partner: EmspPeer) -> Roaming:
    async with api_client(settings) as http:
        tariff = await publish(http, TARIFF_ID, {"currency": "EUR", "elements": [
            {"price_components": [{"type": "ENERGY", "price": "0.25", "vat": 21, "step_size": 1},
                                  {"type": "TIME", "price": "1.20", "vat": 21,
                                   "step_size": 60}]}]})  # fmt: skip
        for station in (*MAPPED, UNMAPPED, "OCPI-RS-PROBE"):
            await assign(http, station, TARIFF_ID)
        for station in MAPPED:
            await map_station(http, station)
        await priced_probe(settings, http, "OCPI-RS-PROBE")
        completed = {}
        for n, station in enumerate(MAPPED):
            await run_session(settings, station, f"RT-{station}", START + timedelta(hours=n))
            completed[station] = await transaction_pk(http, station, f"RT-{station}")
        await run_session(settings, UNMAPPED, "RT-NOLOC", START)
        await open_session(settings, MAPPED[0], "RT-OPEN", START + timedelta(hours=5))
        open_id = await transaction_pk(http, MAPPED[0], "RT-OPEN")
        for pk in completed.values():
            await billed(http, pk, ended=True)
        await billed(http, open_id, ended=False)
        unmapped_id = await transaction_pk(http, UNMAPPED, "RT-NOLOC")
    return Roaming(partner, tariff, completed, open_id, unmapped_id)


def mine(objects: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """The pulled objects of these tests' locations (other tests may map stations too)."""
    wanted = {location_id(s) for s in MAPPED}
    return [o for o in objects if (o[key]["id"] if key == "cdr_location" else o[key]) in wanted]


__all__ = ["Roaming", "emsp", "mine", "partner", "roaming"]
