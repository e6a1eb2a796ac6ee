"""billing.cdr: the OCPI 2.2.1 CDR of a rated session, and its credit CDR."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from billing.cdr import Cdr, SessionFacts, build_cdr, credit_of
from billing.rating import rate
from schemas.tariffs import Price
from tests.billing.ocpi_examples import example
from tests.billing.sessions import Phase, local, session

D = Decimal
START = local("2019-03-04 09:30")
ISSUED = datetime(2019, 3, 4, 12, 0, tzinfo=UTC)


def _facts(**fields: object) -> SessionFacts:
    body: dict[str, object] = {
        "transaction_pk": 4711, "station_id": "CP-1", "evse_id": 2, "connector_id": 1,
        "id_token": "04A2B3C4D5E6F7", "id_token_type": "ISO14443", "auth_method": "WHITELIST",
        "start_date_time": START, "end_date_time": START + timedelta(minutes=189),
        "meter_id": "M-1",
    }  # fmt: skip
    body.update(fields)
    return SessionFacts.model_validate(body)


def _complex_cdr(**facts: object) -> Cdr:
    # The complex tariff example on a Monday: 147 minutes charging at 16 A, 42 parking.
    tariff = example("tariff_4_complex")
    s = session(START, [Phase(147 * 60, D(27_000), current_a=D(16)),
                        Phase(42 * 60, charging=False)])  # fmt: skip
    cost = rate(tariff, "Europe/Berlin", START, s.readings, s.stop)
    return build_cdr("CDR-1", _facts(**facts), tariff, 3, cost, ISSUED)


def test_the_cdr_of_a_session() -> None:
    cdr = _complex_cdr()
    assert (cdr.country_code, cdr.party_id, cdr.id, cdr.session_id) == ("DE", "ALL", "CDR-1",
                                                                        "4711")  # fmt: skip
    assert (cdr.currency, cdr.tariff_version, cdr.tariffs[0].id) == ("EUR", 3, "14")
    assert cdr.total_cost == Price(excl_vat=D("8.75"), incl_vat=D("10.00"))
    assert cdr.total_fixed_cost == Price(excl_vat=D("2.50"), incl_vat=D("2.88"))
    assert cdr.total_energy_cost is None  # the tariff does not price energy
    assert cdr.total_time_cost == Price(excl_vat=D("2.50"), incl_vat=D("3.00"))
    assert cdr.total_parking_cost == Price(excl_vat=D("3.75"), incl_vat=D("4.13"))
    assert cdr.total_reservation_cost is None
    # total_time: the whole session (charging and not); total_parking_time: not charging.
    assert (cdr.total_energy, cdr.total_time, cdr.total_parking_time) == (
        D("27.0000"), D("3.1500"), D("0.7000"))
    assert (cdr.credit, cdr.credit_reference_id, cdr.last_updated) == (False, None, ISSUED)
    assert cdr.meter_id == "M-1"


def test_the_charging_periods_state_their_volumes_with_four_decimals() -> None:
    cdr = _complex_cdr()
    charging, parking = cdr.charging_periods
    volumes = {d.type: d.volume for d in charging.dimensions}
    assert volumes["ENERGY"] == D("27.0000")
    assert volumes["TIME"] == D("2.4500")
    assert (volumes["MIN_CURRENT"], volumes["MAX_CURRENT"]) == (D(16), D(16))
    assert [(d.type, d.volume) for d in parking.dimensions] == [("PARKING_TIME", D("0.7000"))]
    assert parking.start_date_time == START + timedelta(minutes=147)
    assert {p.tariff_id for p in cdr.charging_periods} == {"14"}


@pytest.mark.parametrize(("token_type", "ocpi_type"), [
    ("ISO14443", "RFID"), ("ISO15693", "RFID"), (None, "RFID"), ("Central", "APP_USER"),
    ("eMAID", "OTHER"), ("KeyCode", "OTHER"), ("Local", "OTHER"), ("MacAddress", "OTHER"),
    ("NoAuthorization", "OTHER"),
])  # fmt: skip
def test_the_token_type(token_type: str | None, ocpi_type: str) -> None:
    token = _complex_cdr(id_token_type=token_type).cdr_token
    assert (token.type, token.uid, token.contract_id) == (ocpi_type, "04A2B3C4D5E6F7",
                                                          "04A2B3C4D5E6F7")  # fmt: skip
    assert (token.country_code, token.party_id) == ("DE", "ALL")


@pytest.mark.parametrize(("evse", "connector", "evse_uid", "connector_id"), [
    (2, 1, "CP-1*2", "1"),  # OCPP 2.0.1: the EVSE and its connector
    (None, 3, "CP-1*3", "1"),  # OCPP 1.6: the connector is the EVSE
    (None, None, "CP-1*0", "1"),
])  # fmt: skip
def test_the_location(evse: int | None, connector: int | None, evse_uid: str,
                      connector_id: str) -> None:  # fmt: skip
    location = _complex_cdr(evse_id=evse, connector_id=connector).cdr_location
    assert (location.id, location.evse_uid, location.evse_id, location.connector_id) == (
        "CP-1", evse_uid, evse_uid, connector_id)


def test_a_session_without_token() -> None:
    token = _complex_cdr(id_token=None, id_token_type=None).cdr_token
    assert (token.uid, token.type) == ("UNKNOWN", "OTHER")


def test_the_reservation_cost() -> None:
    tariff = example("tariff_16_reservation_2_euro_fee_5_euro_per_hour")
    s = session(START, [Phase(3600, D(20_000))])
    cost = rate(tariff, "Europe/Berlin", START, s.readings, s.stop,
                reserved_at=START - timedelta(minutes=13))  # fmt: skip
    cdr = build_cdr("CDR-2", _facts(end_date_time=s.ended_at), tariff, 1, cost, ISSUED)
    assert cdr.total_reservation_cost == Price(excl_vat=D("3.25"), incl_vat=D("3.90"))
    assert cdr.total_fixed_cost == Price(excl_vat=D("0.50"), incl_vat=D("0.60"))
    assert cdr.total_cost == Price(excl_vat=D("8.75"), incl_vat=D("10.00"))
    assert cdr.charging_periods[0].dimensions[0].type == "RESERVATION_TIME"


def test_a_cdr_without_vat_states_no_incl_vat() -> None:
    tariff = example("tariff_7_first_hour_kwh_free")
    s = session(START, [Phase(4, D(20_000)), Phase(9900, charging=False)])
    cost = rate(tariff, "Europe/Berlin", START, s.readings, s.stop)
    cdr = build_cdr("CDR-3", _facts(end_date_time=s.ended_at), tariff, 1, cost, ISSUED)
    assert cdr.total_cost == Price(excl_vat=D("7.30"))
    assert cdr.total_energy_cost == Price(excl_vat=D("3.80"))


def test_the_credit_cdr_negates_the_costs_and_references_the_original() -> None:
    cdr = _complex_cdr()
    later = ISSUED + timedelta(days=3)
    credit = credit_of(cdr, "CDR-1-C", later)
    assert (credit.id, credit.credit, credit.credit_reference_id, credit.last_updated) == (
        "CDR-1-C", True, "CDR-1", later)
    assert (credit.total_cost.excl_vat, credit.total_cost.incl_vat) == (D("-8.75"), D("-10.00"))
    assert credit.total_parking_cost is not None
    assert credit.total_parking_cost.excl_vat == D("-3.75")
    assert credit.total_energy_cost is None
    # "The Credit CDR will contain all the data of the original CDR"
    unchanged = ("charging_periods", "total_energy", "total_time", "total_parking_time",
                 "cdr_token", "cdr_location", "tariffs", "start_date_time", "end_date_time")
    assert all(getattr(credit, f) == getattr(cdr, f) for f in unchanged)


def test_cdrs_round_trip_through_json() -> None:
    cdr = _complex_cdr()
    credit = credit_of(cdr, "CDR-1-C", ISSUED)
    for c in (cdr, credit):
        assert Cdr.model_validate_json(c.model_dump_json()) == c
