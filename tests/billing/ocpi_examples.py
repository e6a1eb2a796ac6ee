"""The example tariffs of OCPI 2.2.1 mod_tariffs, as in the specification repository
(github.com/ocpi/ocpi, ``examples/<name>.json``, the 2.2.1 versions).

Two are adapted to the model: ``"tax_included"`` (a field of a later draft, not of 2.2.1) is
left out, and ``tariff_5_free_of_charge`` states ``"step_size": 1`` where the file has 0 (the
model requires a step_size of at least 1; FLAT has no unit for it, so the value is moot).
"""

from __future__ import annotations

from schemas.tariffs import Tariff

EXAMPLES: dict[str, str] = {
    "tariff_8_simple_025kwh": """{
  "country_code": "DE", "party_id": "ALL", "id": "16", "currency": "EUR",
  "elements": [{"price_components": [
    {"type": "ENERGY", "price": 0.25, "vat": 10.0, "step_size": 1}]}],
  "last_updated": "2018-12-17T11:16:55Z"}""",
    "tariff_9_025kwh_start": """{
  "country_code": "DE", "party_id": "ALL", "id": "17", "currency": "EUR",
  "elements": [{"price_components": [
    {"type": "FLAT", "price": 0.50, "vat": 20.0, "step_size": 1},
    {"type": "ENERGY", "price": 0.25, "vat": 10.0, "step_size": 1}]}],
  "last_updated": "2018-12-17T11:36:01Z"}""",
    "tariff_12_025kwh_min_price": """{
  "country_code": "DE", "party_id": "ALL", "id": "20", "currency": "EUR",
  "min_price": {"excl_vat": 0.50, "incl_vat": 0.55},
  "elements": [{"price_components": [
    {"type": "ENERGY", "price": 0.25, "vat": 10.0, "step_size": 1}]}],
  "last_updated": "2018-12-17T16:45:21Z"}""",
    "tariff_10_025kwh_parking_start": """{
  "country_code": "DE", "party_id": "ALL", "id": "18", "currency": "EUR",
  "elements": [{"price_components": [
    {"type": "FLAT", "price": 0.50, "vat": 20.0, "step_size": 1},
    {"type": "ENERGY", "price": 0.25, "vat": 10.0, "step_size": 1},
    {"type": "PARKING_TIME", "price": 2.00, "vat": 20.0, "step_size": 900}]}],
  "last_updated": "2018-12-17T11:44:10Z"}""",
    "tariff_6_025kwh_start_max_price": """{
  "country_code": "DE", "party_id": "ALL", "id": "16", "currency": "EUR",
  "max_price": {"excl_vat": 10.00, "incl_vat": 11.00},
  "elements": [{"price_components": [
    {"type": "FLAT", "price": 0.50, "vat": 20.0, "step_size": 1},
    {"type": "ENERGY", "price": 0.25, "vat": 10.0, "step_size": 1}]}],
  "end_date_time": "2019-06-30T23:59:59Z",
  "last_updated": "2018-12-17T17:15:01Z"}""",
    "tariff_1_simple_2hour": """{
  "country_code": "DE", "party_id": "ALL", "id": "12", "currency": "EUR",
  "elements": [{"price_components": [
    {"type": "TIME", "price": 2.00, "vat": 10.0, "step_size": 60}]}],
  "last_updated": "2015-06-29T20:39:09Z"}""",
    "tariff_13_simple_3hour_5parking": """{
  "country_code": "DE", "party_id": "ALL", "id": "21", "currency": "EUR",
  "elements": [{"price_components": [
    {"type": "TIME", "price": 3.00, "vat": 10.0, "step_size": 60},
    {"type": "PARKING_TIME", "price": 5.00, "vat": 20.0, "step_size": 300}]}],
  "last_updated": "2018-12-17T17:00:43Z"}""",
    "tariff_2_alt_text": """{
  "country_code": "DE", "party_id": "ALL", "id": "12", "currency": "EUR",
  "type": "AD_HOC_PAYMENT",
  "tariff_alt_text": [{"language": "en", "text": "2.00 euro p/hour including VAT."},
                      {"language": "nl", "text": "2.00 euro p/uur inclusief BTW."}],
  "elements": [{"price_components": [
    {"type": "TIME", "price": 1.90, "vat": 5.2, "step_size": 300}]}],
  "last_updated": "2015-06-29T20:39:09Z"}""",
    "tariff_3_alt_url": """{
  "country_code": "DE", "party_id": "ALL", "id": "13", "currency": "EUR",
  "type": "PROFILE_CHEAP", "tariff_alt_url": "https://company.com/tariffs/13",
  "elements": [{"price_components": [
    {"type": "FLAT", "price": 0.50, "vat": 20.0, "step_size": 1},
    {"type": "ENERGY", "price": 0.25, "vat": 10.0, "step_size": 100}]}],
  "last_updated": "2015-06-29T20:39:09Z"}""",
    "tariff_4_complex": """{
  "country_code": "DE", "party_id": "ALL", "id": "14", "currency": "EUR", "type": "REGULAR",
  "tariff_alt_url": "https://company.com/tariffs/14",
  "elements": [
    {"price_components": [{"type": "FLAT", "price": 2.50, "vat": 15.0, "step_size": 1}]},
    {"price_components": [{"type": "TIME", "price": 1.00, "vat": 20.0, "step_size": 900}],
     "restrictions": {"max_current": 32.00}},
    {"price_components": [{"type": "TIME", "price": 2.00, "vat": 20.0, "step_size": 600}],
     "restrictions": {"min_current": 32.00,
                      "day_of_week": ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"]}},
    {"price_components": [{"type": "TIME", "price": 1.25, "vat": 20.0, "step_size": 600}],
     "restrictions": {"min_current": 32.00, "day_of_week": ["SATURDAY", "SUNDAY"]}},
    {"price_components": [
      {"type": "PARKING_TIME", "price": 5.00, "vat": 10.0, "step_size": 300}],
     "restrictions": {"start_time": "09:00", "end_time": "18:00",
                      "day_of_week": ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"]}},
    {"price_components": [
      {"type": "PARKING_TIME", "price": 6.00, "vat": 10.0, "step_size": 300}],
     "restrictions": {"start_time": "10:00", "end_time": "17:00", "day_of_week": ["SATURDAY"]}}
  ],
  "last_updated": "2015-06-29T20:39:09Z"}""",
    "tariff_5_free_of_charge": """{
  "country_code": "DE", "party_id": "ALL", "id": "15", "currency": "EUR",
  "elements": [{"price_components": [{"type": "FLAT", "price": 0.00, "step_size": 1}]}],
  "last_updated": "2015-06-29T20:39:09Z"}""",
    "tariff_7_first_hour_kwh_free": """{
  "country_code": "DE", "party_id": "ALL", "id": "52", "currency": "EUR",
  "elements": [
    {"price_components": [{"type": "PARKING_TIME", "price": 0.0, "step_size": 60}],
     "restrictions": {"min_duration": 0, "max_duration": 3600}},
    {"price_components": [{"type": "PARKING_TIME", "price": 2.0, "step_size": 60}],
     "restrictions": {"min_duration": 3600, "max_duration": 10800}},
    {"price_components": [{"type": "PARKING_TIME", "price": 3.0, "step_size": 60}],
     "restrictions": {"min_duration": 10800}},
    {"price_components": [{"type": "ENERGY", "price": 0.0, "step_size": 1}],
     "restrictions": {"max_kwh": 1.0}},
    {"price_components": [{"type": "ENERGY", "price": 0.2, "step_size": 1}],
     "restrictions": {"min_kwh": 1.0}}
  ],
  "last_updated": "2018-12-17T16:45:21Z"}""",
    "tariff_14_step_size": """{
  "country_code": "DE", "party_id": "ALL", "id": "22", "currency": "EUR",
  "elements": [
    {"price_components": [{"type": "TIME", "price": 1.20, "step_size": 1800},
                          {"type": "PARKING_TIME", "price": 1.00, "step_size": 900}],
     "restrictions": {"start_time": "00:00", "end_time": "17:00"}},
    {"price_components": [{"type": "TIME", "price": 2.40, "step_size": 900},
                          {"type": "PARKING_TIME", "price": 1.00, "step_size": 900}],
     "restrictions": {"start_time": "17:00", "end_time": "20:00"}},
    {"price_components": [{"type": "TIME", "price": 2.40, "step_size": 900}],
     "restrictions": {"start_time": "20:00", "end_time": "23:59"}}
  ],
  "last_updated": "2018-12-18T17:07:11Z"}""",
    "tariff_15_reservation_5_euro_per_hour": """{
  "country_code": "DE", "party_id": "ALL", "id": "20", "currency": "EUR",
  "elements": [
    {"price_components": [{"type": "TIME", "price": 5.00, "vat": 20.0, "step_size": 60}],
     "restrictions": {"reservation": "RESERVATION"}},
    {"price_components": [{"type": "FLAT", "price": 0.50, "vat": 20.0, "step_size": 1},
                          {"type": "ENERGY", "price": 0.25, "vat": 10.0, "step_size": 1}]}
  ],
  "last_updated": "2019-02-03T17:00:11Z"}""",
    "tariff_16_reservation_2_euro_fee_5_euro_per_hour": """{
  "country_code": "DE", "party_id": "ALL", "id": "20", "currency": "EUR",
  "elements": [
    {"price_components": [{"type": "FLAT", "price": 2.00, "vat": 20.0, "step_size": 1},
                          {"type": "TIME", "price": 5.00, "vat": 20.0, "step_size": 300}],
     "restrictions": {"reservation": "RESERVATION"}},
    {"price_components": [{"type": "FLAT", "price": 0.50, "vat": 20.0, "step_size": 1},
                          {"type": "ENERGY", "price": 0.25, "vat": 10.0, "step_size": 1}]}
  ],
  "last_updated": "2019-02-03T17:00:11Z"}""",
    "tariff_17_reservation_with_expire_fee": """{
  "country_code": "DE", "party_id": "ALL", "id": "20", "currency": "EUR",
  "elements": [
    {"price_components": [{"type": "FLAT", "price": 4.00, "vat": 20.0, "step_size": 1}],
     "restrictions": {"reservation": "RESERVATION_EXPIRES"}},
    {"price_components": [{"type": "TIME", "price": 2.00, "vat": 20.0, "step_size": 600}],
     "restrictions": {"reservation": "RESERVATION"}},
    {"price_components": [{"type": "FLAT", "price": 0.50, "vat": 20.0, "step_size": 1},
                          {"type": "ENERGY", "price": 0.25, "vat": 10.0, "step_size": 1}]}
  ],
  "last_updated": "2019-02-03T17:00:11Z"}""",
    "tariff_18_reservation_with_expire_time": """{
  "country_code": "DE", "party_id": "ALL", "id": "20", "currency": "EUR",
  "elements": [
    {"price_components": [{"type": "TIME", "price": 6.00, "vat": 20.0, "step_size": 600}],
     "restrictions": {"reservation": "RESERVATION_EXPIRES"}},
    {"price_components": [{"type": "TIME", "price": 3.00, "vat": 20.0, "step_size": 600}],
     "restrictions": {"reservation": "RESERVATION"}},
    {"price_components": [{"type": "FLAT", "price": 0.50, "vat": 20.0, "step_size": 1},
                          {"type": "ENERGY", "price": 0.25, "vat": 10.0, "step_size": 1}]}
  ],
  "last_updated": "2019-02-03T17:00:11Z"}""",
    "tariffrestriction_example_max_power": """{
  "country_code": "DE", "party_id": "ALL", "id": "1", "currency": "EUR", "type": "REGULAR",
  "elements": [
    {"price_components": [{"type": "ENERGY", "price": 0.20, "vat": 20.0, "step_size": 1}],
     "restrictions": {"max_power": 16.00}},
    {"price_components": [{"type": "ENERGY", "price": 0.35, "vat": 20.0, "step_size": 1}],
     "restrictions": {"max_power": 32.00}},
    {"price_components": [{"type": "ENERGY", "price": 0.50, "vat": 20.0, "step_size": 1}]}
  ],
  "last_updated": "2018-12-05T12:01:09Z"}""",
    "tariffrestriction_example_max_duration": """{
  "country_code": "DE", "party_id": "ALL", "id": "2", "currency": "EUR", "type": "REGULAR",
  "elements": [
    {"price_components": [{"type": "ENERGY", "price": 0.00, "vat": 20.0, "step_size": 1}],
     "restrictions": {"max_duration": 1800}},
    {"price_components": [{"type": "ENERGY", "price": 0.25, "vat": 20.0, "step_size": 1}],
     "restrictions": {"max_duration": 3600}},
    {"price_components": [{"type": "ENERGY", "price": 0.40, "vat": 20.0, "step_size": 1}]}
  ],
  "last_updated": "2018-12-05T13:12:44Z"}""",
}


def example(name: str) -> Tariff:
    """The example tariff ``name`` (its file name without ``.json``)."""
    return Tariff.model_validate_json(EXAMPLES[name])
