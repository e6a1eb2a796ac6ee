"""OCPI 2.2.1 Tariffs sender on the real stack: GET /ocpi/2.2.1/cpo/tariffs as a registered
partner pulls it: the tariffs in use in their newest version, numbers as JSON numbers,
pages, the last_updated window; a withdrawn tariff is not listed."""

from __future__ import annotations

import pytest

from csms.config import Settings
from tests.api.ocpi.roaming import emsp, partner
from tests.integration.test_billing import publish
from tests.ocpi_peer import EmspPeer
from tests.services import api_client

__all__ = ["emsp", "partner"]  # the fixtures

pytestmark = pytest.mark.integration

OURS = ("OCPI-TT-1", "OCPI-TT-2", "OCPI-TT-3", "OCPI-TT-GONE")


def flat(price: str) -> dict[str, object]:
    return {"currency": "EUR", "elements": [
        {"price_components": [{"type": "FLAT", "price": price, "vat": "21", "step_size": 1}],
         "restrictions": {"max_kwh": "50.5"}}]}  # fmt: skip


async def test_the_partner_pulls_the_tariffs_in_use(partner: EmspPeer, settings: Settings) -> None:
    async with api_client(settings) as http:
        for tariff_id in OURS:
            await publish(http, tariff_id, flat("1.00"))
        await publish(http, "OCPI-TT-2", flat("1.50"))  # version 2
        gone = await http.delete("/api/v1/tariffs/OCPI-TT-GONE")
        assert gone.status_code in (200, 204), gone.text
    peer = partner
    pulled = await peer.pull("tariffs", limit=2)
    tariffs = {t["id"]: t for t in pulled.objects}
    assert {"OCPI-TT-1", "OCPI-TT-2", "OCPI-TT-3"} <= set(tariffs)
    assert "OCPI-TT-GONE" not in tariffs
    component = tariffs["OCPI-TT-2"]["elements"][0]["price_components"][0]
    assert component == {"type": "FLAT", "price": 1.5, "vat": 21.0, "step_size": 1}
    assert tariffs["OCPI-TT-1"]["elements"][0]["restrictions"]["max_kwh"] == 50.5
    assert (tariffs["OCPI-TT-1"]["country_code"], tariffs["OCPI-TT-1"]["party_id"]) == (
        settings.cpo_country_code, settings.cpo_party_id)
    assert len(pulled.pages) >= 2 and all(p.limit == "2" for p in pulled.pages)
    assert {p.total_count for p in pulled.pages} == {str(len(pulled.objects))}
    assert peer.violations == []

    newest = tariffs["OCPI-TT-2"]["last_updated"]
    since = {t["id"] for t in (await peer.pull("tariffs", date_from=newest)).objects}
    assert "OCPI-TT-2" in since and "OCPI-TT-1" not in since
    before = {t["id"] for t in (await peer.pull("tariffs", date_to=newest)).objects}
    assert "OCPI-TT-1" in before and "OCPI-TT-2" not in before


@pytest.mark.parametrize("query", ["?date_from=now", "?limit=-2"])
async def test_bad_parameters_are_2001(partner: EmspPeer, query: str) -> None:
    reply = await partner.request("GET", partner.endpoint("tariffs", "SENDER") + query)
    assert (reply.status, reply.ocpi_status) == (400, 2001), reply.body
