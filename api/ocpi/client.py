"""Our outgoing OCPI 2.2.1 HTTP client: every request with the partner's credentials token
(``Authorization: Token <base64>``), a fresh ``X-Request-ID``, an ``X-Correlation-ID`` (given
or fresh) and, for functional modules, the routing headers (transport_and_format §"Message
Routing Headers"); replies read as the OCPI envelope.

Exception tree::

    PartnerError (Exception)          a partner's endpoint could not be used
     ├── PartnerUnreachable           no HTTP answer (connection, timeout)
     └── PartnerRefused               an answer that is not a success envelope (``reply`` kept)
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import TypeAdapter, ValidationError

from api.ocpi.auth import encode_token
from api.ocpi.envelope import OcpiStatus
from api.ocpi.headers import CORRELATION_ID, REQUEST_ID, Routing
from schemas.ocpi.credentials import Credentials, Version, VersionDetails

TIMEOUT_S = 10.0


class PartnerError(Exception):
    """A partner's endpoint could not be used."""


class PartnerUnreachable(PartnerError):
    """No HTTP answer from the partner."""


class PartnerRefused(PartnerError):
    """The partner answered, but not with a success envelope."""

    def __init__(self, message: str, reply: Reply) -> None:
        super().__init__(message)
        self.reply = reply


@dataclass(frozen=True, slots=True)
class Reply:
    """A partner's answer: HTTP status, the envelope's status code and data."""

    http_status: int
    status_code: int | None
    data: Any

    @property
    def ok(self) -> bool:
        return self.http_status < 300 and self.status_code == OcpiStatus.SUCCESS


def request_headers(token: str, *, routing: Routing | None = None,
                    correlation_id: str | None = None) -> dict[str, str]:  # fmt: skip
    """The headers of one request of ours (§"Unique message IDs": a new X-Request-ID each)."""
    headers = {"Authorization": encode_token(token), REQUEST_ID: str(uuid.uuid4()),
               CORRELATION_ID: correlation_id or str(uuid.uuid4())}  # fmt: skip
    if routing is not None:
        headers |= routing.headers()
    return headers


async def call(method: str, url: str, token: str, *, json: Any = None,
               routing: Routing | None = None, correlation_id: str | None = None,
               timeout_s: float = TIMEOUT_S) -> Reply:  # fmt: skip
    """One OCPI request; raises :class:`PartnerUnreachable` when no answer comes."""
    headers = request_headers(token, routing=routing, correlation_id=correlation_id)
    try:
        async with httpx.AsyncClient(timeout=timeout_s) as http:
            response = await http.request(method, url, json=json, headers=headers)
    except httpx.HTTPError as e:
        raise PartnerUnreachable(f"{method} {url}: {e!r}") from e
    try:
        body = response.json()
    except ValueError:
        body = None
    envelope = body if isinstance(body, dict) else {}
    status = envelope.get("status_code")
    return Reply(response.status_code, status if isinstance(status, int) else None,
                 envelope.get("data"))  # fmt: skip


async def _data(method: str, url: str, token: str, json: Any = None) -> Any:
    reply = await call(method, url, token, json=json)
    if not reply.ok:
        raise PartnerRefused(f"{method} {url}: HTTP {reply.http_status}, OCPI status "
                             f"{reply.status_code}", reply)  # fmt: skip
    return reply.data


_VERSIONS = TypeAdapter(list[Version])


async def get_versions(url: str, token: str) -> list[Version]:
    """version_information_endpoint §"Version information endpoint" of a partner."""
    try:
        return _VERSIONS.validate_python(await _data("GET", url, token))
    except ValidationError as e:
        raise PartnerRefused(f"GET {url}: not a versions list: {e}", Reply(200, 1000, None)) from e


async def get_version_details(url: str, token: str) -> VersionDetails:
    """version_information_endpoint §"Version details endpoint" of a partner."""
    try:
        return VersionDetails.model_validate(await _data("GET", url, token))
    except ValidationError as e:
        raise PartnerRefused(f"GET {url}: not version details: {e}", Reply(200, 1000, None)) from e


async def send_credentials(method: str, url: str, token: str,
                           credentials: Credentials) -> Credentials:  # fmt: skip
    """credentials §"POST Method" / §"PUT Method" at a partner: its credentials back."""
    data = await _data(method, url, token, credentials.model_dump(mode="json",
                                                                  exclude_none=True))
    try:
        return Credentials.model_validate(data)
    except ValidationError as e:
        raise PartnerRefused(f"{method} {url}: not credentials: {e}", Reply(200, 1000, None)) from e


async def delete_credentials(url: str, token: str) -> Reply:
    """credentials §"DELETE Method" at a partner (its answer, whatever it is)."""
    return await call("DELETE", url, token)
