"""Tariffs and their assignments: PUT (versions, read-your-writes, a lost race is 409), GET,
versions, list, DELETE, validation (the model's and billing's), and the stations' time zone
and cost messages."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from pydantic.fields import FieldInfo

from api.admin_log import AdminLog, Position
from api.models import TariffIn
from csms.config import Settings
from schemas.events import TariffPublished
from schemas.tariffs import Tariff
from schemas.topics import Topics
from tests.services import ServiceSet, api_client

pytestmark = pytest.mark.integration


def energy(price: object, **element: object) -> dict[str, object]:
    return {"price_components": [{"type": "ENERGY", "price": price, "step_size": 1}],
            **element}  # fmt: skip


def body(price: object = "0.25", **fields: object) -> dict[str, object]:
    return {"currency": "EUR", "elements": [energy(price)], **fields}


def price_of(resource: dict[str, Any]) -> str:
    price: str = resource["tariff"]["elements"][0]["price_components"][0]["price"]
    return price


def test_the_body_is_the_ocpi_tariff_without_what_the_csms_sets() -> None:
    csms_sets = {"id", "country_code", "party_id", "last_updated"}
    assert set(TariffIn.model_fields) == set(Tariff.model_fields) - csms_sets
    def shape(field: FieldInfo) -> tuple[str, str, object]:
        return repr(field.annotation), repr(field.metadata), field.default

    for name, field in TariffIn.model_fields.items():
        assert shape(field) == shape(Tariff.model_fields[name]), name


async def test_put_publishes_versions_read_back_listed_and_deleted(
    stack: ServiceSet, settings: Settings
) -> None:
    async with api_client(settings) as http:
        created = await http.put("/api/v1/tariffs/API-TAR-1", json=body(0.25))
        assert created.status_code == 201, created.text
        first = created.json()
        changed = await http.put("/api/v1/tariffs/API-TAR-1", json=body("0.30", type="REGULAR"))
        assert changed.status_code == 200, changed.text
        second = changed.json()
        got = (await http.get("/api/v1/tariffs/API-TAR-1")).json()
        versions = (await http.get("/api/v1/tariffs/API-TAR-1/versions")).json()
        one = (await http.get("/api/v1/tariffs/API-TAR-1/versions/1")).json()
        missing = await http.get("/api/v1/tariffs/API-TAR-1/versions/3")
    assert first["version"] == 1 and second["version"] == 2 and got == second
    tariff = second["tariff"]
    assert (tariff["id"], tariff["country_code"], tariff["party_id"]) == ("API-TAR-1", "NL", "CSM")
    assert tariff["type"] == "REGULAR" and price_of(first) == "0.25" and price_of(got) == "0.30"
    assert datetime.fromisoformat(tariff["last_updated"]) > datetime.fromisoformat(
        first["tariff"]["last_updated"])
    assert [v["version"] for v in versions["items"]] == [1, 2] and versions["total"] == 2
    assert one["tariff"] == first["tariff"] and one["published_at"] == first["published_at"]
    assert missing.status_code == 404


async def test_deleted_tariffs_are_gone_but_their_versions_stay(
    stack: ServiceSet, settings: Settings
) -> None:
    async with api_client(settings) as http:
        assert (await http.put("/api/v1/tariffs/API-TAR-DEL", json=body())).status_code == 201
        deleted = await http.delete("/api/v1/tariffs/API-TAR-DEL")
        after = await http.get("/api/v1/tariffs/API-TAR-DEL")
        again = await http.delete("/api/v1/tariffs/API-TAR-DEL")
        listed = await all_tariffs(http, include_deleted=False)
        with_deleted = await all_tariffs(http, include_deleted=True)
        versions = (await http.get("/api/v1/tariffs/API-TAR-DEL/versions")).json()
        restored = await http.put("/api/v1/tariffs/API-TAR-DEL", json=body("0.40"))
        unknown = await http.delete("/api/v1/tariffs/API-TAR-NOBODY")
        unknown_versions = await http.get("/api/v1/tariffs/API-TAR-NOBODY/versions")
    assert deleted.status_code == 204 and after.status_code == 404 and again.status_code == 404
    assert "API-TAR-DEL" not in listed
    assert with_deleted["API-TAR-DEL"]["deleted"] is True
    assert [v["version"] for v in versions["items"]] == [1]
    assert restored.status_code == 201 and restored.json()["version"] == 2
    assert unknown.status_code == 404 and "API-TAR-NOBODY" in unknown.json()["detail"]
    assert unknown_versions.status_code == 404


async def all_tariffs(http: httpx.AsyncClient, *, include_deleted: bool) -> dict[str, Any]:
    items: dict[str, Any] = {}
    for offset in range(0, 1000, 2):
        page = (await http.get("/api/v1/tariffs", params={
            "offset": offset, "limit": 2, "include_deleted": include_deleted})).json()  # fmt: skip
        assert len(page["items"]) <= 2
        items.update((t["tariff_id"], t) for t in page["items"])
        if offset + 2 >= page["total"]:
            assert len(items) == page["total"]
            assert list(items) == sorted(items)
            return items
    raise AssertionError("more tariffs than expected")


async def test_amounts_are_exact_decimal_strings(stack: ServiceSet, settings: Settings) -> None:
    exact = (b'{"currency": "EUR", "elements": [{"price_components": [{"type": "TIME",'
             b' "price": 0.1234567890123456789, "step_size": 60, "vat": 21.0}]}],'
             b' "max_price": {"excl_vat": "10.00", "incl_vat": 12.1}}')
    async with api_client(settings) as http:
        put = await http.put("/api/v1/tariffs/API-TAR-EXACT", content=exact,
                             headers={"Content-Type": "application/json"})  # fmt: skip
    assert put.status_code == 201, put.text
    tariff = put.json()["tariff"]
    component = tariff["elements"][0]["price_components"][0]
    assert component["price"] == "0.1234567890123456789" and component["vat"] == "21.0"
    assert tariff["max_price"] == {"excl_vat": "10.00", "incl_vat": "12.1"}


async def test_concurrent_puts_each_get_their_own_version_or_409(
    stack: ServiceSet, settings: Settings
) -> None:
    async with api_client(settings) as http:
        assert (await http.put("/api/v1/tariffs/API-TAR-RACE", json=body())).status_code == 201
        puts = await asyncio.gather(*(
            http.put("/api/v1/tariffs/API-TAR-RACE", json=body(f"1.{n}")) for n in range(6)))
        versions = (await http.get("/api/v1/tariffs/API-TAR-RACE/versions")).json()["items"]
    assert {p.status_code for p in puts} <= {200, 409}
    won = sorted((p.json()["version"], price_of(p.json())) for p in puts if p.status_code == 200)
    assert [(v["version"], price_of(v)) for v in versions[1:]] == won
    assert [v["version"] for v in versions] == list(range(1, len(won) + 2))
    for lost in (p for p in puts if p.status_code == 409):
        assert "another write" in lost.json()["detail"]


async def test_a_put_that_lost_the_race_is_409(stack: ServiceSet, settings: Settings) -> None:
    """A competing version 2 lands on the log before the API's own (the projector is stopped
    so the API still reads version 1): the competitor is version 2, the API answers 409."""
    async with api_client(settings) as http:
        first = await http.put("/api/v1/tariffs/API-TAR-LOST", json=body())
        assert first.status_code == 201
        competitor = Tariff.model_validate({**first.json()["tariff"], "currency": "USD"})
        stack.stop("projector")
        try:
            at = await append(settings, TariffPublished(version=2, tariff=competitor))
            put = asyncio.create_task(http.put("/api/v1/tariffs/API-TAR-LOST", json=body("9")))
            await wait_end_offset(settings, at, at.offset + 2)  # the API's record is after it
        finally:
            stack.start("projector")
        lost = await put
        stored = (await http.get("/api/v1/tariffs/API-TAR-LOST")).json()
    assert lost.status_code == 409, lost.text
    assert "version 2" in lost.json()["detail"]
    assert stored["version"] == 2 and stored["tariff"]["currency"] == "USD"


async def append(settings: Settings, event: TariffPublished) -> Position:
    log = AdminLog(settings.bootstrap, Topics(settings.topic_prefix).admin)
    try:
        return await log.append(event, event.tariff.id, None, uuid.uuid4().hex)
    finally:
        await log.close()


async def wait_end_offset(settings: Settings, at: Position, end: int) -> None:
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.bootstrap)
    await consumer.start()
    try:
        tp = TopicPartition(Topics(settings.topic_prefix).admin, at.partition)
        deadline = time.monotonic() + 10
        while (await consumer.end_offsets([tp]))[tp] < end:
            assert time.monotonic() < deadline, "the API never appended its version"
            await asyncio.sleep(0.05)
    finally:
        await consumer.stop()


@pytest.mark.parametrize(("tariff", "loc"), [
    (body(-1), ["body", "elements", 0, "price_components", 0, "price"]),
    (body(currency="XYZ"), ["body", "currency"]),
    (body(currency="eur"), ["body", "currency"]),
    ({"currency": "EUR", "elements": []}, ["body", "elements"]),
    (body(id="OTHER"), ["body", "id"]),
    (body(last_updated="2026-01-01T00:00:00Z"), ["body", "last_updated"]),
])  # fmt: skip
async def test_bad_tariffs_are_422_naming_the_field(
    stack: ServiceSet, settings: Settings, tariff: dict[str, object], loc: list[object]
) -> None:
    path = f"/api/v1/tariffs/API-TAR-BAD-{uuid.uuid4().hex[:8]}"
    async with api_client(settings) as http:
        response = await http.put(path, json=tariff)
        assert response.status_code == 422, response.text
        assert loc in [e["loc"] for e in response.json()["detail"]]
        assert all(e["type"] and e["msg"] for e in response.json()["detail"])
        assert (await http.get(path)).status_code == 404  # nothing written


async def test_an_element_that_can_never_apply_is_422_naming_it(
    stack: ServiceSet, settings: Settings
) -> None:
    """OCPI 2.2.1 mod_tariffs: the first element whose restrictions hold prices a dimension,
    so an unrestricted ENERGY element leaves none for a later ENERGY element."""
    shadowed = {"currency": "EUR", "elements": [energy("0.25"), energy("0.30", restrictions={
        "start_time": "18:00", "end_time": "22:00"})]}  # fmt: skip
    async with api_client(settings) as http:
        response = await http.put("/api/v1/tariffs/API-TAR-SHADOW", json=shadowed)
    assert response.status_code == 422, response.text
    locs = [e["loc"] for e in response.json()["detail"]]
    assert any(loc[:3] == ["body", "elements", 1] for loc in locs), locs
    assert all(e["type"] == "value_error" for e in response.json()["detail"])


async def test_assignments_put_list_delete(stack: ServiceSet, settings: Settings) -> None:
    station = {"target": "station", "station_id": "API-TAR-CP", "tariff_id": "API-TAR-A"}
    evse = {"target": "evse", "station_id": "API-TAR-CP", "evse_id": 2, "tariff_id": "API-TAR-A"}
    group = {"target": "token_group", "group_id": "API-TAR-FLEET", "tariff_id": "API-TAR-B"}
    async with api_client(settings) as http:
        for tariff_id in ("API-TAR-A", "API-TAR-B"):
            assert (await http.put(f"/api/v1/tariffs/{tariff_id}", json=body())).is_success
        puts = [await http.put("/api/v1/tariff-assignments", json=a)
                for a in (station, evse, group)]
        moved = await http.put("/api/v1/tariff-assignments", json={**station,
                                                                   "tariff_id": "API-TAR-B"})
        of_station = await http.get("/api/v1/tariff-assignments",
                                    params={"station_id": "API-TAR-CP"})  # fmt: skip
        of_b = await http.get("/api/v1/tariff-assignments", params={"tariff_id": "API-TAR-B"})
        removed = await http.delete("/api/v1/tariff-assignments", params={
            "target": "evse", "station_id": "API-TAR-CP", "evse_id": 2})  # fmt: skip
        again = await http.delete("/api/v1/tariff-assignments", params={
            "target": "evse", "station_id": "API-TAR-CP", "evse_id": 2})  # fmt: skip
        after = await http.get("/api/v1/tariff-assignments", params={"station_id": "API-TAR-CP"})
    assert [p.status_code for p in puts] == [200, 200, 200], [p.text for p in puts]
    assert puts[1].json() | {"assigned_at": None} == {**evse, "group_id": None,
                                                      "assigned_at": None}  # fmt: skip
    assert moved.status_code == 200 and moved.json()["tariff_id"] == "API-TAR-B"
    assert [(a["target"], a["tariff_id"]) for a in of_station.json()["items"]] == [
        ("evse", "API-TAR-A"), ("station", "API-TAR-B")]  # fmt: skip
    assert {a["target"] for a in of_b.json()["items"]} >= {"station", "token_group"}
    assert removed.status_code == 204 and again.status_code == 404
    assert [a["target"] for a in after.json()["items"]] == ["station"]


@pytest.mark.parametrize(("assignment", "loc"), [
    ({"target": "evse", "station_id": "CP-X"}, ["body", "evse_id"]),
    ({"target": "station"}, ["body", "station_id"]),
    ({"target": "station", "station_id": "CP-X", "group_id": "G"}, ["body", "group_id"]),
    ({"target": "token_group", "station_id": "CP-X", "group_id": "G"}, ["body", "station_id"]),
    ({"target": "default", "evse_id": 1}, ["body", "evse_id"]),
    ({"target": "planet"}, ["body", "target"]),
    ({"target": "default", "tariff_id": "API-TAR-NOBODY"}, ["body", "tariff_id"]),
])  # fmt: skip
async def test_bad_assignments_are_422_naming_the_field(
    stack: ServiceSet, settings: Settings, assignment: dict[str, object], loc: list[object]
) -> None:
    async with api_client(settings) as http:
        assert (await http.put("/api/v1/tariffs/API-TAR-OK", json=body())).is_success
        response = await http.put("/api/v1/tariff-assignments",
                                  json={"tariff_id": "API-TAR-OK", **assignment})  # fmt: skip
        bad_delete = await http.delete("/api/v1/tariff-assignments",
                                       params={"target": "evse", "station_id": "CP-X"})
    assert response.status_code == 422, response.text
    assert [e["loc"] for e in response.json()["detail"]] == [loc]
    assert bad_delete.status_code == 422
    assert [e["loc"] for e in bad_delete.json()["detail"]] == [["query", "evse_id"]]


async def test_a_deleted_tariff_cannot_be_assigned(stack: ServiceSet, settings: Settings) -> None:
    async with api_client(settings) as http:
        assert (await http.put("/api/v1/tariffs/API-TAR-GONE", json=body())).is_success
        assert (await http.delete("/api/v1/tariffs/API-TAR-GONE")).status_code == 204
        response = await http.put("/api/v1/tariff-assignments", json={
            "target": "token_group", "group_id": "API-TAR-G", "tariff_id": "API-TAR-GONE"})
    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["detail"]] == [["body", "tariff_id"]]


async def test_station_time_zone_and_cost_messages_round_trip(
    stack: ServiceSet, settings: Settings
) -> None:
    path = "/api/v1/stations/API-TAR-ST"
    async with api_client(settings) as http:
        plain = (await http.put(path, json={"registration_status": "Pending"})).json()
        priced = await http.put(path, json={"time_zone": "Europe/Amsterdam",
                                            "cost_messages": False})  # fmt: skip
        other = (await http.put(path, json={"registration_status": "Accepted"})).json()
        got = (await http.get(path)).json()
        cleared = (await http.put(path, json={"time_zone": None})).json()
        bad = await http.put(path, json={"time_zone": "Mars/Olympus_Mons"})
        listed = (await http.get("/api/v1/stations", params={"limit": 500})).json()
    assert (plain["time_zone"], plain["cost_messages"]) == (None, None)  # never configured
    assert priced.status_code == 200, priced.text
    assert (priced.json()["time_zone"], priced.json()["cost_messages"]) == ("Europe/Amsterdam",
                                                                            False)  # fmt: skip
    assert other == got and (got["time_zone"], got["cost_messages"]) == ("Europe/Amsterdam", False)
    assert got["registration_status"] == "Accepted"
    assert (cleared["time_zone"], cleared["cost_messages"]) == (None, False)
    assert bad.status_code == 422
    assert [e["loc"] for e in bad.json()["detail"]] == [["body", "time_zone"]]
    mine = [s for s in listed["items"] if s["station_id"] == "API-TAR-ST"]
    assert mine == [cleared]


async def test_read_your_writes_right_after_the_put(stack: ServiceSet, settings: Settings) -> None:
    started = datetime.now(UTC)
    async with api_client(settings) as http:
        put = await http.put("/api/v1/tariffs/API-TAR-RYW", json=body())
        got = await http.get("/api/v1/tariffs/API-TAR-RYW")
    assert put.status_code == 201 and got.json() == put.json()
    assert datetime.fromisoformat(got.json()["published_at"]) >= started.replace(microsecond=0)
