"""billing.validation.problems: each kind of problem at its location; the spec's examples
are clean."""

from __future__ import annotations

from typing import Any

import pytest

from billing.validation import problems
from schemas.tariffs import Tariff
from tests.billing.ocpi_examples import EXAMPLES, example


def _tariff(**fields: Any) -> Tariff:
    body: dict[str, Any] = {
        "country_code": "DE", "party_id": "ALL", "id": "T1", "currency": "EUR",
        "elements": [{"price_components": [{"type": "ENERGY", "price": "0.25", "step_size": 1}]}],
        "last_updated": "2026-01-01T00:00:00Z",
    }  # fmt: skip
    body.update(fields)
    return Tariff.model_validate(body)


def _element(restrictions: dict[str, Any] | None = None, *types: str) -> dict[str, Any]:
    components = [{"type": t, "price": "1.00", "step_size": 1} for t in types or ("ENERGY",)]
    element: dict[str, Any] = {"price_components": components}
    if restrictions is not None:
        element["restrictions"] = restrictions
    return element


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_the_specification_examples_are_clean(name: str) -> None:
    assert problems(example(name)) == []


CASES: list[tuple[str, dict[str, Any], tuple[str | int, ...], str]] = [
    ("unknown currency", {"currency": "XYZ"}, ("currency",), "ISO 4217"),
    ("min price above max price (excl)",
     {"min_price": {"excl_vat": "5"}, "max_price": {"excl_vat": "4"}},
     ("min_price", "excl_vat"), "above max_price.excl_vat"),
    ("min price above max price (incl)",
     {"min_price": {"excl_vat": "1", "incl_vat": "9"},
      "max_price": {"excl_vat": "4", "incl_vat": "5"}},
     ("min_price", "incl_vat"), "above max_price.incl_vat"),
    ("incl below excl", {"max_price": {"excl_vat": "10", "incl_vat": "9"}},
     ("max_price", "incl_vat"), "below its excl_vat"),
    ("validity ends before it starts",
     {"start_date_time": "2026-02-01T00:00:00Z", "end_date_time": "2026-01-01T00:00:00Z"},
     ("start_date_time",), "not before end_date_time"),
    ("kwh range", {"elements": [_element({"min_kwh": 5, "max_kwh": 2})]},
     ("elements", 0, "restrictions", "min_kwh"), "not below max_kwh"),
    ("current range", {"elements": [_element({"min_current": 32, "max_current": 16})]},
     ("elements", 0, "restrictions", "min_current"), "not below max_current"),
    ("power range", {"elements": [_element({"min_power": 50, "max_power": 50})]},
     ("elements", 0, "restrictions", "min_power"), "not below max_power"),
    ("duration range", {"elements": [_element({"min_duration": 7200, "max_duration": 3600})]},
     ("elements", 0, "restrictions", "min_duration"), "not below max_duration"),
    ("date range",
     {"elements": [_element({"start_date": "2026-03-01", "end_date": "2026-03-01"})]},
     ("elements", 0, "restrictions", "start_date"), "not before end_date"),
    ("empty time window", {"elements": [_element({"start_time": "10:00", "end_time": "10:00"})]},
     ("elements", 0, "restrictions", "start_time"), "window is empty"),
    ("same dimension twice", {"elements": [_element(None, "TIME", "ENERGY", "TIME")]},
     ("elements", 0, "price_components", 2), "a second TIME component"),
    ("reservation priced by energy",
     {"elements": [_element({"reservation": "RESERVATION"}, "TIME", "ENERGY"), _element()]},
     ("elements", 0, "price_components", 1), "only FLAT and TIME"),
    ("shadowed by an unrestricted element", {"elements": [_element(), _element({"min_kwh": 5})]},
     ("elements", 1, "price_components", 0), "elements[0] comes first"),
    ("shadowed by a wider range",
     {"elements": [_element({"max_power": 32}), _element({"min_power": 11, "max_power": 22})]},
     ("elements", 1, "price_components", 0), "elements[1] never prices ENERGY"),
    ("shadowed by a wider time window across midnight",
     {"elements": [_element({"start_time": "20:00", "end_time": "06:00"}),
                   _element({"start_time": "22:00", "end_time": "02:00"})]},
     ("elements", 1, "price_components", 0), "elements[0]"),
    ("shadowed by more weekdays and a wider date range",
     {"elements": [_element({"day_of_week": ["SATURDAY", "SUNDAY"], "start_date": "2026-01-01"}),
                   _element({"day_of_week": ["SUNDAY"], "start_date": "2026-02-01",
                             "end_date": "2026-03-01"})]},
     ("elements", 1, "price_components", 0), "elements[0]"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "fields", "loc", "words"), CASES, ids=[c[0] for c in CASES])
def test_each_problem_is_found_where_it_is(
    case: str, fields: dict[str, Any], loc: tuple[str | int, ...], words: str
) -> None:
    found = problems(_tariff(**fields))
    assert [p.loc for p in found] == [loc], found
    assert words in found[0].msg


NOT_SHADOWED: list[tuple[str, list[dict[str, Any]]]] = [
    ("narrower first", [_element({"min_kwh": 5}), _element()]),
    ("other dimension", [_element(None, "TIME"), _element({"min_kwh": 5}, "ENERGY")]),
    ("disjoint ranges", [_element({"max_power": 16}), _element({"min_power": 16})]),
    ("a window not covering the other",
     [_element({"start_time": "22:00", "end_time": "02:00"}),
      _element({"start_time": "20:00", "end_time": "06:00"})]),
    ("fewer weekdays first", [_element({"day_of_week": ["MONDAY"]}), _element({})]),
    ("reservation apart", [_element({"reservation": "RESERVATION"}, "TIME"),
                           _element(None, "TIME")]),
]  # fmt: skip


@pytest.mark.parametrize(("case", "elements"), NOT_SHADOWED, ids=[c[0] for c in NOT_SHADOWED])
def test_an_element_that_can_apply_is_not_shadowed(
    case: str, elements: list[dict[str, Any]]
) -> None:
    assert problems(_tariff(elements=elements)) == []
