"""Stations: PUT configuration (read-your-writes), GET, list, validation."""

from __future__ import annotations

import asyncio
import time

import psycopg
import pytest

from csms.config import Settings
from schemas.credentials import verify_password
from tests.services import ServiceSet, api_client

pytestmark = pytest.mark.integration

PASSWORD = "correct-horse-battery-staple"


async def test_put_station_hashes_the_password_and_never_returns_it(
    stack: ServiceSet, settings: Settings
) -> None:
    async with api_client(settings) as http:
        put = await http.put("/api/v1/stations/API-CP-1", json={
            "security_profile": 2, "password": PASSWORD, "registration_status": "Pending"})
        assert put.status_code == 200, put.text
        body = put.json()
        partial = await http.put("/api/v1/stations/API-CP-1",
                                 json={"registration_status": "Accepted"})  # fmt: skip
        got = (await http.get("/api/v1/stations/API-CP-1")).json()
    assert PASSWORD not in put.text and "password" not in body and "password_hash" not in body
    assert body["registration_status"] == "Pending" and body["security_profile"] == 2
    assert body["connected"] is False and body["evses"] == [] and body["boot_count"] == 0
    # only the fields given change
    assert partial.json()["registration_status"] == "Accepted"
    assert partial.json()["security_profile"] == 2
    assert got == partial.json()
    with psycopg.connect(settings.libpq_url) as conn:
        row = conn.execute(
            "SELECT password_hash FROM stations WHERE station_id = 'API-CP-1'").fetchone()
    stored = None if row is None else row[0]
    assert stored is not None and stored.startswith("scrypt$")
    assert verify_password(PASSWORD, stored) and not verify_password("wrong", stored)


@pytest.mark.parametrize(("body", "field"), [
    ({"security_profile": 4}, "security_profile"),
    ({"password": "tiny-pw-1"}, "password"),
    ({"password": "x" * 41}, "password"),
    ({"registration_status": "Maybe"}, "registration_status"),
    ({"vendor": "ACME"}, "vendor"),
])  # fmt: skip
async def test_bad_station_bodies_are_422_naming_the_field(
    stack: ServiceSet, settings: Settings, body: dict[str, object], field: str
) -> None:
    async with api_client(settings) as http:
        response = await http.put("/api/v1/stations/API-CP-BAD", json=body)
        assert response.status_code == 422
        assert [e["loc"] for e in response.json()["detail"]] == [["body", field]]
        assert "tiny-pw-1" not in response.text  # the input (maybe a password) is not echoed
        assert (await http.get("/api/v1/stations/API-CP-BAD")).status_code == 404


async def test_bad_station_id_is_422(stack: ServiceSet, settings: Settings) -> None:
    async with api_client(settings) as http:
        response = await http.put("/api/v1/stations/bad%20id", json={})
        too_long = await http.put(f"/api/v1/stations/{'C' * 49}", json={})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["path", "station_id"]
    assert too_long.status_code == 422


async def test_unknown_station_is_404(stack: ServiceSet, settings: Settings) -> None:
    async with api_client(settings) as http:
        response = await http.get("/api/v1/stations/API-NOBODY")
    assert response.status_code == 404 and "API-NOBODY" in response.json()["detail"]


async def test_list_is_paginated(stack: ServiceSet, settings: Settings) -> None:
    async with api_client(settings) as http:
        for i in range(3):
            assert (await http.put(f"/api/v1/stations/API-LIST-{i}", json={})).status_code == 200
        first = (await http.get("/api/v1/stations", params={"limit": 1})).json()
        everything = (await http.get("/api/v1/stations", params={"limit": 500})).json()
    assert first["total"] == everything["total"] >= 3 and len(first["items"]) == 1
    ids = [s["station_id"] for s in everything["items"]]
    assert ids == sorted(ids) and {f"API-LIST-{i}" for i in range(3)} <= set(ids)
    assert first["items"][0]["station_id"] == ids[0]


async def test_write_not_projected_in_time_is_504_and_still_lands(
    stack: ServiceSet, settings: Settings
) -> None:
    stack.stop("projector")
    try:
        async with api_client(settings) as http:
            started = time.monotonic()
            late = await http.put("/api/v1/stations/API-LATE", json={"security_profile": 1})
            waited = time.monotonic() - started
            assert (await http.get("/api/v1/stations/API-LATE")).status_code == 404
    finally:
        stack.start("projector")
    assert late.status_code == 504 and "not caught up" in late.json()["detail"]
    assert settings.api_write_timeout_s <= waited < settings.api_write_timeout_s + 5
    async with api_client(settings) as http:
        async def landed() -> bool:
            response = await http.get("/api/v1/stations/API-LATE")
            return response.status_code == 200 and response.json()["security_profile"] == 1

        deadline = time.monotonic() + 60
        while not await landed():
            assert time.monotonic() < deadline, "the write never landed"
            await asyncio.sleep(0.2)
