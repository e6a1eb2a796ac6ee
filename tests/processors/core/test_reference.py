"""Tariffs and their assignments as reference data (processors/core/reference.py): the admin
events into the processor's tables, and what the handlers read back."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from processors.core.reference import (
    AppliedTariff,
    TariffBook,
    TariffHead,
    apply_tariff_event,
)
from schemas.events import TariffAssigned, TariffDeleted, TariffPublished, TariffUnassigned
from tests.processors.conftest import energy_element, tariff


class Tables:
    def __init__(self) -> None:
        self.tariffs: dict[str, Any] = {}
        self.assignments: dict[str, Any] = {}

    def apply(self, event: TariffPublished | TariffDeleted | TariffAssigned | TariffUnassigned,
              ) -> None:  # fmt: skip
        apply_tariff_event(self.tariffs, self.assignments, event)

    @property
    def book(self) -> TariffBook:
        return TariffBook(self.tariffs, self.assignments)


def test_every_version_is_kept_and_the_newest_is_the_head() -> None:
    t = Tables()
    t.apply(TariffPublished(version=1, tariff=tariff("T1")))
    t.apply(TariffPublished(version=2, tariff=tariff("T1", energy_element("0.40"))))
    assert t.book.head("T1") == TariffHead(version=2)
    v1, v2 = t.book.version("T1", 1), t.book.version("T1", 2)
    assert v1 is not None and v2 is not None
    assert v1.elements[0].price_components[0].price == Decimal("0.30")
    assert v2.elements[0].price_components[0].price == Decimal("0.40")
    assert t.book.version("T1", 3) is None


def test_a_version_that_is_not_the_next_one_is_ignored() -> None:
    t = Tables()
    t.apply(TariffPublished(version=1, tariff=tariff("T1")))
    t.apply(TariffPublished(version=1, tariff=tariff("T1", energy_element("9.99"))))  # lost race
    t.apply(TariffPublished(version=3, tariff=tariff("T1", energy_element("9.99"))))  # a gap
    assert t.book.head("T1") == TariffHead(version=1)
    v1 = t.book.version("T1", 1)
    assert v1 is not None and v1.elements[0].price_components[0].price == Decimal("0.30")
    assert t.book.version("T1", 3) is None
    t.apply(TariffPublished(version=2, tariff=tariff("T2")))  # a new tariff starts at 1
    assert t.book.head("T2") is None


def test_a_deleted_tariff_keeps_its_versions_and_a_new_version_undeletes_it() -> None:
    t = Tables()
    t.apply(TariffPublished(version=1, tariff=tariff("T1")))
    t.apply(TariffDeleted(tariff_id="T1"))
    assert t.book.head("T1") == TariffHead(version=1, deleted=True)
    assert t.book.version("T1", 1) is not None
    t.apply(TariffDeleted(tariff_id="NOPE"))  # unknown: nothing
    assert "NOPE" not in t.tariffs
    t.apply(TariffPublished(version=2, tariff=tariff("T1")))
    assert t.book.head("T1") == TariffHead(version=2)


def test_assignments_by_target() -> None:
    t = Tables()
    t.apply(TariffPublished(version=1, tariff=tariff("T1")))
    t.apply(TariffAssigned(target="evse", station_id="CS-1", evse_id=2, tariff_id="T1"))
    t.apply(TariffAssigned(target="station", station_id="CS-1", tariff_id="T1"))
    t.apply(TariffAssigned(target="token_group", group_id="FLEET", tariff_id="T1"))
    t.apply(TariffAssigned(target="default", tariff_id="T1"))
    assert t.assignments == {"evse:CS-1:2": "T1", "station:CS-1": "T1", "group:FLEET": "T1",
                             "default": "T1"}  # fmt: skip
    applied = t.book.assigned("group:FLEET")
    assert isinstance(applied, AppliedTariff)
    assert (applied.tariff.id, applied.version, applied.assigned_by) == ("T1", 1, "token_group")
    t.apply(TariffUnassigned(target="station", station_id="CS-1"))
    t.apply(TariffUnassigned(target="station", station_id="CS-9"))  # nothing assigned: nothing
    assert "station:CS-1" not in t.assignments


def test_an_assignment_whose_fields_do_not_fit_its_target_is_ignored() -> None:
    t = Tables()
    t.apply(TariffAssigned(target="evse", station_id="CS-1", tariff_id="T1"))  # no EVSE
    t.apply(TariffAssigned(target="default", station_id="CS-1", tariff_id="T1"))
    assert t.assignments == {}


def test_nothing_applies_for_an_unknown_or_withdrawn_tariff() -> None:
    t = Tables()
    t.apply(TariffAssigned(target="default", tariff_id="T1"))
    assert t.book.assigned("default") is None  # never published
    t.apply(TariffPublished(version=1, tariff=tariff("T1")))
    assert t.book.assigned("default") is not None
    t.apply(TariffDeleted(tariff_id="T1"))
    assert t.book.assigned("default") is None
