"""The admin API requires the bearer token (api/deps.py ``require_token``)."""

from __future__ import annotations

import pytest

from csms.config import Settings
from tests.services import ServiceSet, api_client

pytestmark = pytest.mark.integration

ROUTES = [("GET", "/api/v1/stations"), ("GET", "/api/v1/stations/X"),
          ("PUT", "/api/v1/stations/X"), ("GET", "/api/v1/tokens"),
          ("PUT", "/api/v1/tokens/X"), ("DELETE", "/api/v1/tokens/X"),
          ("GET", "/api/v1/transactions"), ("GET", "/api/v1/transactions/1")]  # fmt: skip


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize("token", ["", "wrong-token-0123456789"])
async def test_missing_or_wrong_token_is_401(stack: ServiceSet, settings: Settings, method: str,
                                             path: str, token: str) -> None:  # fmt: skip
    async with api_client(settings, token=token) as http:
        response = await http.request(method, path, json={})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json() == {"detail": "missing or invalid bearer token"}


async def test_openapi_declares_http_bearer(stack: ServiceSet, settings: Settings) -> None:
    async with api_client(settings, token="") as http:
        spec = (await http.get("/openapi.json")).json()
    schemes = spec["components"]["securitySchemes"]
    assert schemes["HTTPBearer"] == {"type": "http", "scheme": "bearer",
                                     "description": "The CSMS API token (CSMS_API_TOKEN)."}
    assert spec["paths"]["/api/v1/tokens/{id_token}"]["put"]["security"] == [{"HTTPBearer": []}]


async def test_right_token_passes(stack: ServiceSet, settings: Settings) -> None:
    async with api_client(settings) as http:
        assert (await http.get("/api/v1/stations")).status_code == 200
