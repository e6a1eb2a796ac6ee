"""OCPI 2.2.1 CDRs sender: billing's CDR with the operator's location (pure: a row as the
query returns it), and, on the real stack, GET /ocpi/2.2.1/cpo/cdrs."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from api.ocpi.cdrs import cdr_of
from billing.cdr import SessionFacts, build_cdr, credit_of
from billing.rating import Reading, rate
from csms.config import Settings
from schemas.tariffs import Tariff
from tests.api.ocpi.roaming import (
    TARIFF_ID,
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
TARIFF = Tariff.model_validate({
    "country_code": "NL", "party_id": "CSM", "id": "T-1", "currency": "EUR",
    "elements": [{"price_components": [{"type": "ENERGY", "price": "0.25", "vat": "21",
                                        "step_size": 1}]}],
    "last_updated": AT,
})  # fmt: skip


def billed(evse_id: int | None = 1, connector_id: int | None = 1) -> dict[str, Any]:
    end = AT + timedelta(hours=1)
    cost = rate(TARIFF, "UTC", AT, [], stop=Reading(at=end, energy_wh=Decimal(7000)),
                start=Reading(at=AT, energy_wh=Decimal(0)))  # fmt: skip
    facts = SessionFacts(transaction_pk=7, station_id="CP-1", evse_id=evse_id,
                         connector_id=connector_id, id_token="TOKEN-1", id_token_type="ISO14443",
                         auth_method="AUTH_REQUEST", start_date_time=AT, end_date_time=end)
    cdr = build_cdr("7", facts, TARIFF, 1, cost, end)
    body: dict[str, Any] = json.loads(cdr.model_dump_json())
    return body


def row(body: dict[str, Any], **changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "body": body, "evse_id": 1, "location_id": "LOC-1", "name": "Depot", "address": "Main 1",
        "city": "Arnhem", "postal_code": "6811AA", "state": None, "country": "NLD",
        "latitude": "51.98000", "longitude": "5.91111", "evse_uid": "EVSE-1",
        "ocpi_evse_id": "NL*CSM*E1",
        "connectors": [{"id": "1", "standard": "IEC_62196_T2", "format": "SOCKET",
                        "power_type": "AC_3_PHASE"}],
    }  # fmt: skip
    return fields | changes


def test_billings_cdr_with_the_operators_location_and_only_ocpi_fields() -> None:
    cdr = cdr_of(row(billed()))
    location = cdr.cdr_location
    assert (location.id, location.evse_uid, location.evse_id, location.connector_id) == (
        "LOC-1", "EVSE-1", "NL*CSM*E1", "1")
    assert (location.address, location.country, location.connector_standard) == (
        "Main 1", "NLD", "IEC_62196_T2")
    assert (cdr.id, cdr.session_id, cdr.currency) == ("7", "7", "EUR")
    assert (cdr.total_cost.excl_vat, cdr.total_cost.incl_vat) == (Decimal("1.75"),
                                                                  Decimal("2.12"))  # fmt: skip
    wire = json.loads(cdr.model_dump_json(exclude_none=True))
    assert "tariff_version" not in wire
    assert wire["total_energy"] == 7.0 and wire["total_cost"]["excl_vat"] == 1.75
    assert wire["tariffs"][0]["elements"][0]["price_components"][0]["price"] == 0.25


def test_a_credit_cdr_is_served_with_its_negative_totals() -> None:
    original = billed()
    cdr = build_cdr("7", SessionFacts.model_validate({
        "transaction_pk": 7, "station_id": "CP-1", "evse_id": 1, "connector_id": 1,
        "id_token": "T", "id_token_type": None, "auth_method": "COMMAND",
        "start_date_time": AT, "end_date_time": AT + timedelta(hours=1)}), TARIFF, 1,
        rate(TARIFF, "UTC", AT, [], stop=Reading(at=AT + timedelta(hours=1),
                                                 energy_wh=Decimal(7000)),
             start=Reading(at=AT, energy_wh=Decimal(0))), AT)  # fmt: skip
    credit = json.loads(credit_of(cdr, "7-C1", AT + timedelta(days=1)).model_dump_json())
    served = cdr_of(row(credit))
    assert served.credit and served.credit_reference_id == "7"
    assert served.total_cost.excl_vat == Decimal("-1.75")
    assert original["id"] == "7"


def test_the_connector_of_an_ocpp16_evse_is_its_only_one() -> None:
    cdr = cdr_of(row(billed(evse_id=None, connector_id=2),
                     connectors=[{"id": "A", "standard": "IEC_62196_T2_COMBO", "format": "CABLE",
                                  "power_type": "DC"}]))  # fmt: skip
    assert cdr.cdr_location.connector_id == "1"
    assert cdr.cdr_location.connector_standard == "IEC_62196_T2_COMBO"


# --- on the real stack ----------------------------------------------------------------------


@pytest.mark.integration
async def test_the_partner_pulls_the_cdrs_of_mapped_sessions_in_pages(
    roaming: Roaming, settings: Settings,
) -> None:
    peer = roaming.peer
    pulled = await peer.pull("cdrs", limit=2)
    served = {c["session_id"]: c for c in mine(pulled.objects, "cdr_location")}
    assert set(served) == {str(pk) for pk in roaming.completed.values()}
    assert str(roaming.unmapped_id) not in {c["session_id"] for c in pulled.objects}
    assert all(p.limit == "2" and p.count <= 2 for p in pulled.pages)
    assert pulled.pages[-1].link is None and all(p.link for p in pulled.pages[:-1])
    assert peer.violations == []
    async with api_client(settings) as http:
        for station, pk in roaming.completed.items():
            cdr = served[str(pk)]
            issued = (await http.get(f"/api/v1/cdrs/{cdr['id']}")).json()
            assert Decimal(str(cdr["total_cost"]["excl_vat"])) == Decimal(
                issued["total_cost"]["excl_vat"])
            assert Decimal(str(cdr["total_cost"]["incl_vat"])) == Decimal(
                issued["total_cost"]["incl_vat"])
            assert cdr["total_energy"] == float(issued["total_energy"]) == 8.0
            assert len(cdr["charging_periods"]) == len(issued["charging_periods"])
            assert cdr["tariffs"][0]["id"] == TARIFF_ID and "tariff_version" not in cdr
            location = cdr["cdr_location"]
            assert (location["id"], location["evse_uid"], location["connector_id"]) == (
                location_id(station), evse_uid(station), "1")
            assert (location["city"], location["country"]) == ("Arnhem", "NLD")
            assert location["coordinates"] == {"latitude": "51.98500", "longitude": "5.89900"}
            assert location["connector_standard"] == "IEC_62196_T2"


@pytest.mark.integration
async def test_the_window_filters_on_last_updated(roaming: Roaming) -> None:
    peer = roaming.peer
    every = mine((await peer.pull("cdrs")).objects, "cdr_location")
    times = sorted({c["last_updated"] for c in every})
    assert len(times) >= 2
    since = mine((await peer.pull("cdrs", date_from=times[1])).objects, "cdr_location")
    assert {c["id"] for c in since} == {c["id"] for c in every if c["last_updated"] >= times[1]}
    before = mine((await peer.pull("cdrs", date_to=times[1])).objects, "cdr_location")
    assert {c["id"] for c in before} == {c["id"] for c in every if c["last_updated"] < times[1]}
    assert peer.violations == []


@pytest.mark.integration
@pytest.mark.parametrize("query", ["?date_to=soon", "?limit=0", "?limit=x", "?offset=-1"])
async def test_bad_parameters_are_2001(partner: EmspPeer, query: str) -> None:
    reply = await partner.request("GET", partner.endpoint("cdrs", "SENDER") + query)
    assert (reply.status, reply.ocpi_status) == (400, 2001), reply.body
