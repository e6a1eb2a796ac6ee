"""The credentials handshake both ways on the real stack, against the eMSP peer of
tests/ocpi_peer: a partner registering with our token A, we registering with its token A,
updates, unregistering from either side; bad input refused with the right status and
nothing written."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from api.ocpi.auth import TokenSealer
from api.ocpi.partners import partner_endpoints
from csms.config import Settings
from tests.ocpi_peer import EmspPeer
from tests.services import ServiceSet, api_client

pytestmark = pytest.mark.integration


@pytest.fixture
def peer() -> Iterator[EmspPeer]:
    # A party of its own per test: a party registers with one partner at most.
    with EmspPeer.running(party_id="C" + secrets.token_hex(1).upper()) as running:
        yield running


def versions_url(settings: Settings) -> str:
    return f"http://127.0.0.1:{settings.api_port}/ocpi/versions"


def header(token: str) -> dict[str, str]:
    return {"Authorization": "Token " + base64.b64encode(token.encode()).decode()}


async def invite(settings: Settings, partner_id: str) -> str:
    async with api_client(settings) as http:
        made = await http.post("/api/v1/ocpi/partners", json={"partner_id": partner_id})
    assert made.status_code == 201, made.text
    assert made.json()["versions_url"] == versions_url(settings)
    token: str = made.json()["token"]
    return token


async def partner(settings: Settings, partner_id: str) -> dict[str, Any]:
    async with api_client(settings) as http:
        found = await http.get(f"/api/v1/ocpi/partners/{partner_id}")
    assert found.status_code == 200, found.text
    body: dict[str, Any] = found.json()
    assert not [k for k in body if "token" in k]  # no token, sealed or hashed, shown
    return body


async def ocpi_get(url: str, token: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=30) as http:
        return await http.get(url, headers=header(token))


async def test_a_partner_registers_updates_and_unregisters(
    stack: ServiceSet, settings: Settings, peer: EmspPeer
) -> None:
    token_a = await invite(settings, "cred-in")
    assert (await partner(settings, "cred-in"))["status"] == "invited"
    reply = await peer.register_with(versions_url(settings), token_a)
    assert reply.status == 200 and reply.ocpi_status == 1000, reply.body
    assert peer.cpo is not None and peer.cpo.token != token_a
    shown = await partner(settings, "cred-in")
    assert shown["status"] == "registered" and shown["registered_by"] == "partner"
    assert [(r["country_code"], r["party_id"], r["role"]) for r in shown["roles"]] == [
        ("NL", peer.party_id, "EMSP")]
    assert {e["identifier"] for e in shown["endpoints"]} >= {"credentials", "tokens"}
    # Token A is spent (credentials §Registration); token C opens everything.
    assert (await ocpi_get(versions_url(settings), token_a)).status_code == 401
    assert (await ocpi_get(versions_url(settings), peer.cpo.token)).status_code == 200
    again = await peer.request("POST", peer.endpoint("credentials", "RECEIVER"),
                               json=peer.own_credentials("another-token-b"), check=False)
    assert again.status == 405 and again.ocpi_status == 2000
    old_c = peer.cpo.token
    updated = await peer.update_credentials()
    assert updated.status == 200 and updated.ocpi_status == 1000, updated.body
    assert (await ocpi_get(versions_url(settings), old_c)).status_code == 401
    gone = await peer.unregister()
    assert gone.status == 200 and gone.ocpi_status == 1000, gone.body
    assert (await ocpi_get(versions_url(settings), peer.cpo.token)).status_code == 401
    async with api_client(settings) as http:
        assert (await http.get("/api/v1/ocpi/partners/cred-in")).status_code == 404
    assert peer.violations == []


async def test_we_register_with_a_partner_then_unregister(
    stack: ServiceSet, settings: Settings, peer: EmspPeer
) -> None:
    async with api_client(settings) as http:
        made = await http.post("/api/v1/ocpi/partners/cred-out/registration",
                               json={"versions_url": peer.versions_url, "token": peer.invite()})
        assert made.status_code == 200, made.text
        assert made.json()["status"] == "registered" and made.json()["registered_by"] == "cpo"
        assert peer.cpo is not None  # it has our token B, and uses it with us
        assert (await ocpi_get(versions_url(settings), peer.cpo.token)).status_code == 200
        token_b = peer.cpo.token
        assert (await http.delete("/api/v1/ocpi/partners/cred-out")).status_code == 204
    assert peer.cpo is None  # our DELETE reached its credentials endpoint
    assert (await ocpi_get(versions_url(settings), token_b)).status_code == 401
    assert peer.violations == []


async def test_bad_credentials_write_nothing(stack: ServiceSet, settings: Settings,
                                             peer: EmspPeer) -> None:  # fmt: skip
    token_a = await invite(settings, "cred-bad")
    before = await partner(settings, "cred-bad")
    url = f"http://127.0.0.1:{settings.api_port}/ocpi/2.2.1/credentials"
    bodies: list[Any] = [
        {"token": "t", "url": peer.versions_url},  # no roles
        {"token": "t" * 65, "url": peer.versions_url, "roles": peer.own_credentials("x")["roles"]},
    ]
    async with httpx.AsyncClient(timeout=30) as http:
        for body in bodies:
            refused = await http.post(url, json=body, headers=header(token_a))
            assert refused.status_code == 400 and refused.json()["status_code"] == 2001
            assert refused.json()["data"] is None
        not_json = await http.post(url, content=b"{oops", headers=header(token_a) | {
            "Content-Type": "application/json"})  # fmt: skip
        assert not_json.status_code == 400 and not_json.json()["status_code"] == 2001
        unreachable = await http.post(url, headers=header(token_a), json={
            **peer.own_credentials("tok-b"), "url": "http://127.0.0.1:9/ocpi/versions"})
        assert unreachable.status_code == 400 and unreachable.json()["status_code"] == 3001
        unknown = await http.post(url, json=peer.own_credentials("x"),
                                  headers=header("no-such-token"))  # fmt: skip
        assert unknown.status_code == 401 and unknown.json()["status_code"] == 2000
        bare = await http.get(versions_url(settings))
        assert bare.status_code == 401
        # A token A opens versions and credentials only (transport_and_format: 401).
        assert (await ocpi_get(versions_url(settings), token_a)).status_code == 200
        assert (await http.get(url.replace("credentials", "cpo/tariffs"),
                               headers=header(token_a))).status_code == 401
    assert await partner(settings, "cred-bad") == before


async def test_one_party_one_partner_and_its_endpoints_for_the_modules(
    stack: ServiceSet, settings: Settings, peer: EmspPeer
) -> None:
    reply = await peer.register_with(versions_url(settings), await invite(settings, "cred-one"))
    assert reply.status == 200 and reply.ocpi_status == 1000, reply.body
    with EmspPeer.running(party_id=peer.party_id) as twin:
        token_a = await invite(settings, "cred-twin")
        before = await partner(settings, "cred-twin")
        refused = await twin.register_with(versions_url(settings), token_a)
    assert refused.status == 409 and refused.ocpi_status == 2000, refused.body
    assert await partner(settings, "cred-twin") == before
    engine = create_async_engine(settings.sqlalchemy_url)
    try:
        async with engine.connect() as db:
            found = await partner_endpoints(db, "tokens", "SENDER",
                                            sealer=TokenSealer(settings.ocpi_token_secret()))
    finally:
        await engine.dispose()
    mine = [e for e in found if e.partner_id == "cred-one"]
    assert peer.cpo is not None and len(mine) == 1
    assert mine[0].url == f"{peer.base_url}/2.2.1/emsp/tokens"
    # The token we call it with is the one it gave us (its token C), opened.
    reached = await ocpi_get(mine[0].url, mine[0].token)
    assert reached.status_code == 200, reached.text
