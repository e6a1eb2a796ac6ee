"""The eMSP peer against itself: its spec checks on the specification's own examples, and
two peers going through the credentials handshake and a push (the second one stands in for
the CPO: its missing CPO role is the one violation the first records)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.ocpi_peer import EmspPeer
from tests.ocpi_peer.peer import token_header
from tests.ocpi_peer.spec import envelope_violations, violations_of


def location(**changes: Any) -> dict[str, Any]:
    """After the mod_locations example "Location with EVSE" (OCPI 2.2.1 §8.3.1)."""
    return {
        "country_code": "BE", "party_id": "BEC", "id": "LOC1", "publish": True,
        "name": "Gent Zuid", "address": "F.Rooseveltlaan 3A", "city": "Gent",
        "postal_code": "9000", "country": "BEL",
        "coordinates": {"latitude": "51.047599", "longitude": "3.729944"},
        "parking_type": "ON_STREET",
        "evses": [{
            "uid": "3256", "evse_id": "BE*BEC*E041503001", "status": "AVAILABLE",
            "capabilities": ["RESERVABLE"],
            "connectors": [{"id": "1", "standard": "IEC_62196_T2", "format": "CABLE",
                            "power_type": "AC_3_PHASE", "max_voltage": 220, "max_amperage": 16,
                            "tariff_ids": ["11"], "last_updated": "2015-03-16T10:10:02Z"}],
            "physical_reference": "1", "floor_level": "-1",
            "last_updated": "2015-06-28T08:12:01Z"}],
        "operator": {"name": "BeCharged"}, "time_zone": "Europe/Brussels",
        "last_updated": "2015-06-29T20:39:09Z", **changes,
    }  # fmt: skip


def test_the_spec_example_location_conforms() -> None:
    assert violations_of("locations", location()) == []


@pytest.mark.parametrize(("changes", "fragment"), [
    ({"id": "L" * 37}, "id"),
    ({"address": "A" * 46}, "address"),
    ({"last_updated": "2015-06-29 20:39:09+02:00"}, "last_updated"),
    ({"coordinates": {"latitude": "51.04", "longitude": "3.729944"}}, "latitude"),
    ({"evse": []}, "evse"),
    ({"publish": "true"}, "publish"),
])  # fmt: skip
def test_spec_breaks_are_named(changes: dict[str, Any], fragment: str) -> None:
    found = violations_of("locations", location(**changes))
    assert found and any(fragment in f for f in found), found


def test_envelope_checks() -> None:
    good = {"data": [], "status_code": 1000, "timestamp": "2015-06-30T21:59:59Z"}
    assert envelope_violations(good, http_status=200) == []
    error = {"status_code": 2001, "status_message": "Missing required field: type",
             "timestamp": "2015-06-30T21:59:59Z"}  # fmt: skip
    assert envelope_violations(error, http_status=400) == []
    assert envelope_violations({**good, "timestamp": "2015-06-30T21:59:59+00:00"},
                               http_status=200)  # fmt: skip
    assert envelope_violations({**good, "status_code": 200}, http_status=200)
    assert envelope_violations({**good, "status_code": "1000"}, http_status=200)
    assert envelope_violations({**good, "status": 1000}, http_status=200)
    assert envelope_violations(good, http_status=404)
    assert envelope_violations("error", http_status=500)


@pytest.fixture
def peers() -> Iterator[tuple[EmspPeer, EmspPeer]]:
    with EmspPeer.running(party_id="PE1") as one, EmspPeer.running(party_id="PE2") as two:
        yield one, two


async def test_two_peers_exchange_credentials_and_push(peers: tuple[EmspPeer, EmspPeer]) -> None:
    one, two = peers
    reply = await one.register_with(two.versions_url, two.invite())
    assert reply.status == 200 and reply.ocpi_status == 1000, reply.body
    assert one.cpo is not None and two.cpo is not None
    assert one.cpo.parties == [("NL", "PE2")] and two.cpo.parties == [("NL", "PE1")]
    assert [v for v in one.violations if "no CPO role" not in v] == []

    # `one` pushes a location of its own to `two`'s receiver, as a CPO would.
    url = f"{two.base_url}/2.2.1/emsp/locations/NL/PE1/LOC1"
    body = location(country_code="NL", party_id="PE1")
    assert (await one.request("PUT", url, json=body)).status == 200
    patch = {"status": "CHARGING", "last_updated": "2015-06-29T21:00:00Z"}
    assert (await one.request("PATCH", f"{url}/3256", json=patch)).status == 200
    stored = two.object("locations", "NL", "PE1", "LOC1")
    assert stored is not None and stored["evses"][0]["status"] == "CHARGING"
    assert [r.method for r in two.pushes("locations")] == ["PUT", "PATCH"]
    assert two.violations == []

    # Out of order, wrong id, no last_updated: each recorded.
    await one.request("PATCH", f"{url}/3256", json={"status": "AVAILABLE"})
    await one.request("PUT", url, json=location(country_code="NL", party_id="PE1", id="X"))
    await one.request("PATCH", url, json={"last_updated": "2015-01-01T00:00:00Z"})
    found = two.violations
    assert any("without last_updated" in v for v in found), found
    assert any("differs from the URL" in v for v in found), found
    assert any("went back" in v for v in found), found


async def test_unknown_token_down_and_up() -> None:
    with EmspPeer.running() as peer:
        async with httpx.AsyncClient() as http:
            wrong = await http.get(peer.versions_url, headers={"Authorization": token_header("x")})
            assert wrong.status_code == 401 and wrong.json()["status_code"] == 2000
            token_a = peer.invite()
            ids = {"X-Request-ID": "r1", "X-Correlation-ID": "c1"}
            authorized = {"Authorization": token_header(token_a), **ids}
            ok = await http.get(peer.versions_url, headers=authorized)
            assert ok.status_code == 200 and ok.json()["data"][0]["version"] == "2.2.1"
            assert ok.headers["X-Request-ID"] == "r1" and ok.headers["X-Correlation-ID"] == "c1"
            peer.down()
            assert (await http.get(peer.versions_url)).status_code == 503
            peer.down(stop=True)
            with pytest.raises(httpx.ConnectError):
                await http.get(peer.versions_url)
            peer.up()
            again = await http.get(peer.versions_url, headers=authorized)
            assert again.status_code == 200
        assert peer.refused_while_down == 1
        assert len([v for v in peer.violations if "Authorization" in v]) == 1
