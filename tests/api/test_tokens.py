"""Tokens: PUT / GET / DELETE / list, read-your-writes through the admin log."""

from __future__ import annotations

import time

import pytest

from csms.config import Settings
from tests.services import ServiceSet, api_client

pytestmark = pytest.mark.integration


async def test_put_then_read_then_delete_without_waiting(
    stack: ServiceSet, settings: Settings
) -> None:
    async with api_client(settings) as http:
        started = time.perf_counter()
        put = await http.put("/api/v1/tokens/API-T1", json={
            "type": "eMAID", "status": "Blocked", "expires_at": "2030-01-01T00:00:00+01:00",
            "group_id": "API-GROUP"})  # fmt: skip
        elapsed_ms = (time.perf_counter() - started) * 1000
        assert put.status_code == 200, put.text
        body = put.json()
        assert body["id_token"] == "API-T1" and body["type"] == "eMAID"
        assert body["status"] == "Blocked" and body["group_id"] == "API-GROUP"
        assert body["expires_at"] == "2029-12-31T23:00:00Z"
        # read-your-writes: the very next GET shows it
        assert (await http.get("/api/v1/tokens/API-T1")).json() == body
        changed = await http.put("/api/v1/tokens/API-T1", json={"status": "Accepted"})
        assert changed.json()["status"] == "Accepted" and changed.json()["type"] == "ISO14443"
        assert changed.json()["expires_at"] is None  # PUT replaces the token
        deleted = await http.delete("/api/v1/tokens/API-T1")
        assert deleted.status_code == 204
        assert (await http.get("/api/v1/tokens/API-T1")).status_code == 404
    print(f"\nPUT /tokens read-your-writes round trip: {elapsed_ms:.1f} ms")


async def test_unknown_token_is_404(stack: ServiceSet, settings: Settings) -> None:
    async with api_client(settings) as http:
        assert (await http.get("/api/v1/tokens/NO-SUCH")).status_code == 404
        missing = await http.delete("/api/v1/tokens/NO-SUCH")
    assert missing.status_code == 404 and "NO-SUCH" in missing.json()["detail"]


@pytest.mark.parametrize(("body", "field"), [
    ({"status": "Maybe"}, "status"),
    ({"type": "Passport"}, "type"),
    ({"expires_at": "2030-01-01T00:00:00"}, "expires_at"),  # no zone
    ({"expires_at": "soon"}, "expires_at"),
    ({"group_id": "G" * 37}, "group_id"),
    ({"colour": "red"}, "colour"),
])  # fmt: skip
async def test_bad_token_bodies_are_422_naming_the_field(
    stack: ServiceSet, settings: Settings, body: dict[str, object], field: str
) -> None:
    async with api_client(settings) as http:
        response = await http.put("/api/v1/tokens/API-BAD", json=body)
        assert response.status_code == 422
        assert [e["loc"] for e in response.json()["detail"]] == [["body", field]]
        assert (await http.get("/api/v1/tokens/API-BAD")).status_code == 404  # nothing written


async def test_id_token_longer_than_36_is_422(stack: ServiceSet, settings: Settings) -> None:
    async with api_client(settings) as http:
        response = await http.put(f"/api/v1/tokens/{'X' * 37}", json={})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["path", "id_token"]


async def test_list_is_paginated_and_ordered(stack: ServiceSet, settings: Settings) -> None:
    async with api_client(settings) as http:
        for i in range(5):
            assert (await http.put(f"/api/v1/tokens/PAGE-{i}", json={})).status_code == 200
        pages = [(await http.get("/api/v1/tokens", params={"offset": o, "limit": 2})).json()
                 for o in range(0, 40, 2)]  # fmt: skip
        bad = await http.get("/api/v1/tokens", params={"limit": 0})
    total = pages[0]["total"]
    listed = [t["id_token"] for p in pages for t in p["items"]]
    assert total >= 5 and len(listed) == total == len(set(listed))
    assert listed == sorted(listed)
    assert {f"PAGE-{i}" for i in range(5)} <= set(listed)
    assert all(len(p["items"]) <= 2 and p["limit"] == 2 for p in pages)
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "limit"]
