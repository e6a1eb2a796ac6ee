"""The OCPI 2.2.1 Session and CDR objects: the spec's lengths and enums, numbers as JSON
numbers, and the Tariff as OCPI writes it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from schemas.ocpi.cdrs import Cdr
from schemas.ocpi.sessions import ChargingPreferences, ProfileType, Session
from schemas.ocpi.tariffs import wire_value
from schemas.tariffs import Tariff

AT = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)


def session(**changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "country_code": "NL", "party_id": "CSM", "id": "101", "start_date_time": AT,
        "kwh": Decimal("1.2345"),
        "cdr_token": {"country_code": "NL", "party_id": "CSM", "uid": "TOKEN-1",
                      "type": "RFID", "contract_id": "TOKEN-1"},
        "auth_method": "AUTH_REQUEST", "location_id": "LOC-1", "evse_uid": "EVSE-1",
        "connector_id": "1", "currency": "EUR",
        "charging_periods": [{"start_date_time": AT, "dimensions": [
            {"type": "ENERGY", "volume": Decimal("1.2345")}], "tariff_id": "T-1"}],
        "total_cost": {"excl_vat": Decimal("0.31"), "incl_vat": Decimal("0.38")},
        "status": "ACTIVE", "last_updated": AT,
    }  # fmt: skip
    return fields | changes


def test_a_session_writes_numbers_as_json_numbers_and_times_in_utc() -> None:
    wire = json.loads(Session.model_validate(session()).model_dump_json(exclude_none=True))
    assert wire["kwh"] == 1.2345
    assert wire["total_cost"] == {"excl_vat": 0.31, "incl_vat": 0.38}
    assert wire["charging_periods"][0]["dimensions"] == [{"type": "ENERGY", "volume": 1.2345}]
    assert wire["start_date_time"] == "2026-12-03T10:00:00.000Z"
    assert "end_date_time" not in wire


@pytest.mark.parametrize(("field", "value"), [
    ("id", "x" * 37), ("country_code", "NLD"), ("party_id", "CS"), ("location_id", "L" * 37),
    ("evse_uid", ""), ("connector_id", "c" * 37), ("status", "STOPPED"), ("currency", "eur"),
    ("auth_method", "RFID"), ("meter_id", "m" * 256), ("kwh", Decimal(-1)),
    ("kwh", Decimal("NaN")),
])  # fmt: skip
def test_a_session_refuses_what_the_spec_does_not_allow(field: str, value: object) -> None:
    with pytest.raises(ValidationError) as caught:
        Session.model_validate(session(**{field: value}))
    assert caught.value.errors()[0]["loc"][0] == field


def test_every_2_2_1_session_status() -> None:
    for status in ("ACTIVE", "COMPLETED", "INVALID", "PENDING", "RESERVATION"):
        assert Session.model_validate(session(status=status)).status == status


def test_a_period_has_at_least_one_dimension() -> None:
    with pytest.raises(ValidationError):
        Session.model_validate(session(charging_periods=[{"start_date_time": AT,
                                                          "dimensions": []}]))  # fmt: skip


def test_charging_preferences_read_from_a_partner() -> None:
    prefs = ChargingPreferences.model_validate({
        "profile_type": "FAST", "departure_time": "2026-12-03T18:00:00Z", "energy_need": 12.5,
        "something_new": 1})  # fmt: skip
    assert prefs.profile_type is ProfileType.FAST
    assert prefs.energy_need == Decimal("12.5")
    assert not prefs.discharge_allowed
    with pytest.raises(ValidationError):
        ChargingPreferences.model_validate({"profile_type": "SLOW"})


def tariff() -> Tariff:
    return Tariff.model_validate({
        "country_code": "NL", "party_id": "CSM", "id": "T-1", "currency": "EUR",
        "elements": [{"price_components": [{"type": "ENERGY", "price": "0.25", "vat": "21",
                                            "step_size": 1}],
                      "restrictions": {"max_kwh": "10.5", "day_of_week": ["MONDAY"]}}],
        "min_price": {"excl_vat": "1.00"}, "last_updated": AT,
    })  # fmt: skip


def test_the_tariff_in_ocpi_json_has_numbers_and_leaves_out_what_is_not_set() -> None:
    wire = wire_value(tariff().model_dump(mode="python", exclude_none=True))
    assert isinstance(wire, dict)
    component = wire["elements"][0]["price_components"][0]  # type: ignore[index,call-overload]
    assert component == {"type": "ENERGY", "price": 0.25, "vat": 21.0, "step_size": 1}
    restrictions = wire["elements"][0]["restrictions"]  # type: ignore[index,call-overload]
    assert restrictions == {"max_kwh": 10.5, "day_of_week": ["MONDAY"]}
    assert wire["min_price"] == {"excl_vat": 1.0}
    assert wire["last_updated"] == "2026-12-03T10:00:00.000Z"


def cdr(**changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "country_code": "NL", "party_id": "CSM", "id": "101-C1", "start_date_time": AT,
        "end_date_time": AT, "session_id": "101", "cdr_token": session()["cdr_token"],
        "auth_method": "COMMAND",
        "cdr_location": {"id": "LOC-1", "address": "Main St 1", "city": "Arnhem",
                         "country": "NLD", "coordinates": {"latitude": "51.98000",
                                                           "longitude": "5.91111"},
                         "evse_uid": "EVSE-1", "evse_id": "NL*CSM*E1", "connector_id": "1",
                         "connector_standard": "IEC_62196_T2", "connector_format": "SOCKET",
                         "connector_power_type": "AC_3_PHASE"},
        "currency": "EUR", "tariffs": [tariff()], "charging_periods": session()["charging_periods"],
        "total_cost": {"excl_vat": Decimal("-0.31")}, "total_energy": Decimal("1.2345"),
        "total_time": Decimal("0.5"), "credit": True, "credit_reference_id": "101",
        "last_updated": AT,
    }  # fmt: skip
    return fields | changes


def test_a_credit_cdr_states_negative_amounts_as_numbers_and_its_tariff_in_ocpi_json() -> None:
    wire = json.loads(Cdr.model_validate(cdr()).model_dump_json(exclude_none=True))
    assert wire["total_cost"] == {"excl_vat": -0.31}
    assert wire["tariffs"][0]["elements"][0]["price_components"][0]["price"] == 0.25
    assert wire["cdr_location"]["coordinates"] == {"latitude": "51.98000",
                                                   "longitude": "5.91111"}  # fmt: skip


@pytest.mark.parametrize(("field", "value"), [
    ("id", "x" * 40), ("cdr_location", cdr()["cdr_location"] | {"address": "a" * 46}),
    ("cdr_location", cdr()["cdr_location"] | {"coordinates": {"latitude": "51.9",
                                                              "longitude": "5.91111"}}),
    ("cdr_location", cdr()["cdr_location"] | {"country": "NL"}), ("tariff_version", 1),
])  # fmt: skip
def test_a_cdr_refuses_what_the_spec_does_not_allow(field: str, value: object) -> None:
    with pytest.raises(ValidationError):
        Cdr.model_validate(cdr(**{field: value}))
