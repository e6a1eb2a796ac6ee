"""OCPI 2.2.1 Sessions sender: the Session object of a transaction (pure: a row as the query
returns it), and, on the real stack, GET /ocpi/2.2.1/cpo/sessions."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from api.ocpi.sessions import UNPRICED_CURRENCY, Party, session_of, token_of
from billing.rating import Reading, observe, open_meter, price
from csms.config import Settings
from schemas.ocpi.sessions import AuthMethod, SessionStatus, TokenType
from schemas.tariffs import Tariff
from tests.api.ocpi.roaming import (
    Roaming,
    emsp,
    evse_uid,
    location_id,
    mine,
    partner,
    roaming,
)
from tests.ocpi_peer import EmspPeer
from tests.services import api_client

__all__ = ["emsp", "partner", "roaming"]  # the fixtures

AT = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
CPO = Party("NL", "CSM")
TARIFF = Tariff.model_validate({
    "country_code": "NL", "party_id": "CSM", "id": "T-1", "currency": "EUR",
    "elements": [{"price_components": [{"type": "ENERGY", "price": "0.25", "vat": "21",
                                        "step_size": 1}]}],
    "last_updated": AT,
})  # fmt: skip


def row(**changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "id": 42, "started_at": AT, "stopped_at": None, "energy_wh": None, "status": "active",
        "id_token": "TOKEN-1", "id_token_type": "ISO14443", "evse_id": 1, "connector_id": 2,
        "location_id": "LOC-1", "evse_uid": "EVSE-1", "auth_method": "AUTH_REQUEST",
        "currency": None, "cost_excl_vat": None, "cost_incl_vat": None,
        "energy_kwh": Decimal(0), "meter": None, "tariff": None, "cdr_periods": None,
        "last_updated": AT + timedelta(minutes=5),
    }  # fmt: skip
    return fields | changes


def test_an_unpriced_open_session() -> None:
    session = session_of(row(), CPO)
    assert (session.id, session.status, session.end_date_time) == ("42", SessionStatus.ACTIVE,
                                                                   None)  # fmt: skip
    assert (session.country_code, session.party_id) == ("NL", "CSM")
    assert (session.location_id, session.evse_uid, session.connector_id) == ("LOC-1", "EVSE-1",
                                                                            "2")  # fmt: skip
    assert session.currency == UNPRICED_CURRENCY
    assert session.total_cost is None and session.charging_periods == ()
    assert session.kwh == 0 and session.last_updated == AT + timedelta(minutes=5)


def test_a_priced_open_session_has_its_running_cost_and_the_periods_rated_so_far() -> None:
    meter = open_meter(TARIFF, "UTC", AT, Reading(at=AT, energy_wh=Decimal(1000)))
    meter = observe(meter, TARIFF, Reading(at=AT + timedelta(minutes=30),
                                           energy_wh=Decimal(4500)))  # fmt: skip
    cost = price(meter, TARIFF)
    session = session_of(row(currency="EUR", cost_excl_vat=cost.excl_vat,
                             cost_incl_vat=cost.incl_vat, energy_kwh=cost.energy_kwh,
                             meter=meter.model_dump_json(),
                             tariff=TARIFF.model_dump(mode="json")), CPO)  # fmt: skip
    assert session.kwh == Decimal("3.5000")
    assert session.total_cost is not None
    cost_now = session.total_cost
    assert (cost_now.excl_vat, cost_now.incl_vat) == (Decimal("0.88"), Decimal("1.06"))
    [period] = session.charging_periods
    assert period.start_date_time == AT and period.tariff_id == "T-1"
    assert {d.type: d.volume for d in period.dimensions} == {
        "ENERGY": Decimal("3.5000"), "TIME": Decimal("0.5000"), "MIN_POWER": Decimal("7.0000"),
        "MAX_POWER": Decimal("7.0000")}  # fmt: skip
    wire = json.loads(session.model_dump_json())
    assert wire["total_cost"] == {"excl_vat": 0.88, "incl_vat": 1.06}
    assert wire["kwh"] == 3.5


def test_a_completed_session_has_its_end_and_the_cdr_periods() -> None:
    periods = [{"start_date_time": "2026-12-03T10:00:00Z", "tariff_id": "T-1",
                "dimensions": [{"type": "ENERGY", "volume": "3.5000"}]}]  # fmt: skip
    session = session_of(row(status="completed", stopped_at=AT + timedelta(hours=1),
                             energy_wh=3500.0, currency="EUR", cost_excl_vat=Decimal("0.88"),
                             cdr_periods=periods), CPO)  # fmt: skip
    assert session.status is SessionStatus.COMPLETED
    assert session.end_date_time == AT + timedelta(hours=1)
    assert session.kwh == Decimal("3.5000")
    assert session.charging_periods[0].dimensions[0].volume == Decimal("3.5")


def test_an_ocpp16_transaction_is_on_connector_1_of_its_evse() -> None:
    assert session_of(row(evse_id=None, connector_id=3), CPO).connector_id == "1"


def test_auth_method_and_token() -> None:
    assert session_of(row(auth_method="COMMAND"), CPO).auth_method is AuthMethod.COMMAND
    assert token_of("T", None, CPO).type is TokenType.RFID
    assert token_of("T", "Central", CPO).type is TokenType.APP_USER
    assert token_of("T", "eMAID", CPO).type is TokenType.OTHER
    unknown = token_of(None, None, CPO)
    assert (unknown.uid, unknown.contract_id, unknown.type) == ("UNKNOWN", "UNKNOWN",
                                                                TokenType.OTHER)  # fmt: skip
    assert (unknown.country_code, unknown.party_id) == ("NL", "CSM")


# --- on the real stack ----------------------------------------------------------------------

EPOCH = "2000-01-01T00:00:00Z"


@pytest.mark.integration
async def test_the_partner_pulls_every_mapped_session_in_pages(
    roaming: Roaming, settings: Settings,
) -> None:
    peer = roaming.peer
    pulled = await peer.pull("sessions", date_from=EPOCH, limit=2)
    sessions = {s["id"]: s for s in mine(pulled.objects, "location_id")}
    wanted = {str(pk) for pk in roaming.completed.values()} | {str(roaming.open_id)}
    assert set(sessions) == wanted
    assert str(roaming.unmapped_id) not in {s["id"] for s in pulled.objects}
    assert all(p.limit == "2" and p.count <= 2 for p in pulled.pages)
    assert len(pulled.pages) >= 2 and all(p.link for p in pulled.pages[:-1])
    assert pulled.pages[-1].link is None
    assert {p.total_count for p in pulled.pages} == {str(len(pulled.objects))}
    assert peer.violations == []
    async with api_client(settings) as http:
        for station, pk in roaming.completed.items():
            session = sessions[str(pk)]
            bill = (await http.get(f"/api/v1/billing/sessions/{pk}")).json()
            cdr = (await http.get(f"/api/v1/cdrs/{bill['cdr_id']}")).json()
            assert session["status"] == "COMPLETED" and session["end_date_time"]
            assert (session["location_id"], session["evse_uid"], session["connector_id"]) == (
                location_id(station), evse_uid(station), "1")
            assert Decimal(str(session["total_cost"]["excl_vat"])) == Decimal(
                bill["cost_excl_vat"])
            assert session["currency"] == "EUR" and session["kwh"] == 8.0
            assert len(session["charging_periods"]) == len(cdr["charging_periods"])
            assert session["cdr_token"]["uid"] == "BF-TAG"
            assert (session["country_code"], session["party_id"]) == (
                settings.cpo_country_code, settings.cpo_party_id)
        running = sessions[str(roaming.open_id)]
        bill = (await http.get(f"/api/v1/billing/sessions/{roaming.open_id}")).json()
        assert running["status"] == "ACTIVE" and running.get("end_date_time") is None
        assert Decimal(str(running["total_cost"]["excl_vat"])) == Decimal(bill["cost_excl_vat"])
        assert running["kwh"] == 2.0 and running["charging_periods"]


@pytest.mark.integration
async def test_the_window_filters_on_last_updated(roaming: Roaming) -> None:
    peer = roaming.peer
    every = mine((await peer.pull("sessions", date_from=EPOCH)).objects, "location_id")
    times = sorted({s["last_updated"] for s in every})
    assert len(times) >= 2
    later = mine((await peer.pull("sessions", date_from=times[1])).objects, "location_id")
    assert {s["id"] for s in later} == {s["id"] for s in every if s["last_updated"] >= times[1]}
    earlier = mine((await peer.pull("sessions", date_from=EPOCH, date_to=times[1])).objects,
                   "location_id")  # fmt: skip
    assert {s["id"] for s in earlier} == {s["id"] for s in every if s["last_updated"] < times[1]}
    assert peer.violations == []


@pytest.mark.integration
@pytest.mark.parametrize("query", ["", "?date_from=yesterday", f"?date_from={EPOCH}&limit=0",
                                   f"?date_from={EPOCH}&offset=-1"])  # fmt: skip
async def test_bad_parameters_are_2001(partner: EmspPeer, query: str) -> None:
    reply = await partner.request("GET", partner.endpoint("sessions", "SENDER") + query)
    assert (reply.status, reply.ocpi_status) == (400, 2001), reply.body


@pytest.mark.integration
async def test_charging_preferences_are_not_possible_and_an_ended_session_is_404(
    roaming: Roaming,
) -> None:
    base = roaming.peer.endpoint("sessions", "SENDER")
    prefs = {"profile_type": "FAST", "energy_need": 20}
    reply = await roaming.peer.request("PUT", f"{base}/{roaming.open_id}/charging_preferences",
                                       json=prefs)  # fmt: skip
    assert (reply.status, reply.ocpi_status, reply.data) == (200, 1000, "NOT_POSSIBLE")
    ended = next(iter(roaming.completed.values()))
    for session_id in (str(ended), "999999999", str(roaming.unmapped_id)):
        reply = await roaming.peer.request(
            "PUT", f"{base}/{session_id}/charging_preferences", json=prefs)
        assert reply.status == 404 and reply.ocpi_status == 2000, reply.body
    reply = await roaming.peer.request("PUT", f"{base}/{roaming.open_id}/charging_preferences",
                                       json={"profile_type": "SLOW"})  # fmt: skip
    assert (reply.status, reply.ocpi_status) == (400, 2001), reply.body


@pytest.mark.integration
async def test_an_unknown_token_gets_no_sessions(partner: EmspPeer) -> None:
    reply = await partner.request("GET", partner.endpoint("sessions", "SENDER")
                                  + f"?date_from={EPOCH}", token="not-a-partner")  # fmt: skip
    assert reply.status == 401 and reply.data is None, reply.body
