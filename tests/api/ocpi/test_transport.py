"""The OCPI transport's pure parts: envelope, credentials tokens in the Authorization header,
routing headers, the pagination Link, the version details; and the error rendering and
unique message ids on a small app with the OCPI handlers installed."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.testclient import TestClient
from pydantic import BaseModel

from api.app import _validation_error
from api.ocpi import install
from api.ocpi.auth import TokenSealer, encode_token, new_token, presented_tokens, token_hash
from api.ocpi.envelope import OcpiError, OcpiStatus, error_body, ok
from api.ocpi.headers import routing_of
from api.ocpi.paging import MAX_LIMIT, next_link, paging
from api.ocpi.versions import version_details


def test_ok_envelope_is_1000_with_utc_timestamp() -> None:
    body = ok([1, 2]).model_dump(mode="json")
    assert body["data"] == [1, 2] and body["status_code"] == 1000
    assert body["status_message"] is None and body["timestamp"].endswith("Z")


def test_error_body_has_null_data() -> None:
    body = error_body(OcpiStatus.UNKNOWN_LOCATION, "no such location", datetime(2026, 1, 1,
                                                                               tzinfo=UTC))
    assert body == {"data": None, "status_code": 2003, "status_message": "no such location",
                    "timestamp": "2026-01-01T00:00:00.000Z"}


def test_token_header_is_base64_and_read_back() -> None:
    token = new_token()
    header = encode_token(token)
    assert header == "Token " + base64.b64encode(token.encode()).decode()
    assert presented_tokens(header)[0] == token
    assert len(token) <= 64


@pytest.mark.parametrize(("header", "expected"), [
    (None, ()),
    ("Bearer abc", ()),
    ("Token ", ()),
    ("Token a b", ()),
    ("Token plain-token!", ("plain-token!",)),  # not base64: as sent (OCPI 2.1.1 style)
    ("token " + base64.b64encode(b"abc-123").decode(), ("abc-123", "YWJjLTEyMw==")),
    ("Token " + base64.b64encode(b"\x00\xff").decode(), ("AP8=",)),  # not text: as sent
])  # fmt: skip
def test_presented_tokens(header: str | None, expected: tuple[str, ...]) -> None:
    assert presented_tokens(header) == expected


def test_token_hash_is_sha256_hex() -> None:
    assert token_hash("abc") == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")


def test_sealer_round_trip_and_other_key() -> None:
    from cryptography.fernet import Fernet

    sealer = TokenSealer(Fernet.generate_key().decode())
    sealed = sealer.seal("secret-token")
    assert "secret-token" not in sealed and sealer.open(sealed) == "secret-token"
    with pytest.raises(ValueError, match="another key"):
        TokenSealer(Fernet.generate_key().decode()).open(sealed)


US = ("NL", "CSM")
PARTIES = (("DE", "EMS"), ("NL", "EMS"))


def test_routing_swapped_in_the_response() -> None:
    routing = routing_of("nl", "ems", "NL", "CSM", PARTIES, US)
    assert routing.headers() == {
        "OCPI-from-country-code": "NL", "OCPI-from-party-id": "CSM",
        "OCPI-to-country-code": "NL", "OCPI-to-party-id": "EMS"}  # fmt: skip


def test_routing_without_headers_addresses_the_main_party() -> None:
    routing = routing_of(None, None, None, None, PARTIES, US)
    assert (routing.to_country_code, routing.to_party_id) == ("DE", "EMS")


@pytest.mark.parametrize(("headers", "names"), [
    (("FR", "EMS", None, None), "FR/EMS"),  # not the caller's party
    ((None, None, "BE", "CSM"), "BE/CSM"),  # not us
    (("DE", None, None, None), "both"),
])  # fmt: skip
def test_routing_mismatch_is_2001(
    headers: tuple[str | None, str | None, str | None, str | None], names: str
) -> None:
    from_country, from_party, to_country, to_party = headers
    with pytest.raises(OcpiError) as refused:
        routing_of(from_country, from_party, to_country, to_party, PARTIES, US)
    assert refused.value.status == OcpiStatus.INVALID_PARAMETERS
    assert refused.value.http_status == 400 and names in refused.value.message


def test_next_link_keeps_filters() -> None:
    link = next_link("https://cpo.example/", "/ocpi/2.2.1/cpo/cdrs",
                     [("date_from", "2016-01-01T00:00:00Z"), ("offset", "0"), ("limit", "10")],
                     10, 10)  # fmt: skip
    assert link == ('<https://cpo.example/ocpi/2.2.1/cpo/cdrs?offset=10&limit=10'
                    '&date_from=2016-01-01T00%3A00%3A00Z>; rel="next"')


def test_paging_caps_the_limit_and_reads_naive_times_as_utc() -> None:
    page = paging(offset=5, limit=10_000, date_from=datetime(2026, 1, 1), date_to=None)
    assert page.limit == MAX_LIMIT and page.offset == 5
    assert page.date_from == datetime(2026, 1, 1, tzinfo=UTC)


def test_version_details_list_credentials_on_the_base_url() -> None:
    details = version_details("https://cpo.example")
    urls = {(e.identifier.value, e.role.value): e.url for e in details.endpoints}
    assert details.version == "2.2.1"
    assert urls[("credentials", "RECEIVER")] == "https://cpo.example/ocpi/2.2.1/credentials"


class _Body(BaseModel):
    name: str


def _app() -> TestClient:
    app = FastAPI()
    install(app)

    @app.get("/ocpi/test/refused")
    async def refused() -> None:
        raise OcpiError(OcpiStatus.UNKNOWN_LOCATION, "no such location", 404)

    @app.post("/ocpi/test/body")
    async def body(payload: _Body) -> dict[str, str]:
        return {"name": payload.name}

    @app.get("/ocpi/test/broken")
    async def broken() -> None:
        raise RuntimeError("boom")

    # the API's own validation handler, which defers to OCPI's under /ocpi/
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    return TestClient(app, raise_server_exceptions=False)


def test_ocpi_error_rendered_with_ids_echoed() -> None:
    response = _app().get("/ocpi/test/refused", headers={"X-Request-ID": "r-1",
                                                         "X-Correlation-ID": "c-1"})
    assert response.status_code == 404
    assert response.json()["status_code"] == 2003 and response.json()["data"] is None
    assert response.headers["X-Request-ID"] == "r-1"
    assert response.headers["X-Correlation-ID"] == "c-1"


def test_ids_generated_when_absent() -> None:
    response = _app().get("/ocpi/test/refused")
    assert len(response.headers["X-Request-ID"]) == 36
    assert len(response.headers["X-Correlation-ID"]) == 36


@pytest.mark.parametrize("content", [b'{"name": 5}', b"{not json", b"{}"])
def test_bad_body_is_2001_http_400(content: bytes) -> None:
    response = _app().post("/ocpi/test/body", content=content,
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and response.json()["status_code"] == 2001


def test_unknown_path_and_server_error_in_the_envelope() -> None:
    client = _app()
    missing = client.get("/ocpi/test/nothing")
    assert missing.status_code == 404 and missing.json()["status_code"] == 2000
    broken = client.get("/ocpi/test/broken")
    assert broken.status_code == 500 and broken.json()["status_code"] == 3000
