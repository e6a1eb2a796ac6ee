"""The HTTP headers every OCPI request and response carries besides the envelope:

- ``X-Request-ID`` / ``X-Correlation-ID`` (OCPI 2.2.1 transport_and_format §"Unique message
  IDs"): echoed in the response, generated (UUID4) when a request has none.
- the routing headers ``OCPI-from-country-code`` / ``OCPI-from-party-id`` /
  ``OCPI-to-country-code`` / ``OCPI-to-party-id`` (§"Message Routing Headers"), on the
  functional modules only (configuration modules SHALL NOT be routed). A request's from-*
  must name one of the caller's registered parties and its to-* our CPO party (else 2001,
  HTTP 400: we are no hub, so there is nowhere else to route it); the response is addressed
  back, swapped (§"Party to Party (without Hub)": "Direct response: TO = requesting party,
  FROM = receiving party").

:class:`OcpiHeaders` is the ASGI middleware that writes them on every response under
``/ocpi/``, including errors; :func:`check_routing` (run by ``CallerDep``) checks a request
and leaves the response's routing in the request's state.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.ocpi.envelope import OcpiError, OcpiStatus

OCPI_PREFIX = "/ocpi"
REQUEST_ID = "X-Request-ID"
CORRELATION_ID = "X-Correlation-ID"
FROM_COUNTRY = "OCPI-from-country-code"
FROM_PARTY = "OCPI-from-party-id"
TO_COUNTRY = "OCPI-to-country-code"
TO_PARTY = "OCPI-to-party-id"

_ROUTING_STATE = "ocpi_routing"


@dataclass(frozen=True, slots=True)
class Routing:
    """The routing headers of one message: who it is from, who it is to."""

    from_country_code: str
    from_party_id: str
    to_country_code: str
    to_party_id: str

    def headers(self) -> dict[str, str]:
        return {FROM_COUNTRY: self.from_country_code, FROM_PARTY: self.from_party_id,
                TO_COUNTRY: self.to_country_code, TO_PARTY: self.to_party_id}  # fmt: skip


def _party(country: str | None, party: str | None, header: str) -> tuple[str, str] | None:
    if country is None and party is None:
        return None
    if country is None or party is None:
        raise OcpiError(OcpiStatus.INVALID_PARAMETERS, f"{header}: both the country code and "
                        "the party id must be given")  # fmt: skip
    return country.strip().upper(), party.strip().upper()


def routing_of(from_country: str | None, from_party: str | None, to_country: str | None,
               to_party: str | None, parties: Sequence[tuple[str, str]],
               us: tuple[str, str]) -> Routing:  # fmt: skip
    """The response's routing for a request with these headers from a caller with
    ``parties`` to ``us``; raises 2001 when from-* is not the caller's or to-* not ours."""
    sender = _party(from_country, from_party, "OCPI-from-*")
    if sender is not None and sender not in parties:
        raise OcpiError(OcpiStatus.INVALID_PARAMETERS, f"OCPI-from-* {sender[0]}/{sender[1]} "
                        "is not a party registered with this credentials token")  # fmt: skip
    receiver = _party(to_country, to_party, "OCPI-to-*")
    if receiver is not None and receiver != us:
        raise OcpiError(OcpiStatus.INVALID_PARAMETERS, f"OCPI-to-* {receiver[0]}/{receiver[1]} "
                        f"is not this platform's party ({us[0]}/{us[1]})")  # fmt: skip
    to = sender or (parties[0] if parties else None)
    if to is None:
        raise OcpiError(OcpiStatus.CLIENT_ERROR, "the caller has no registered party")
    return Routing(us[0], us[1], to[0], to[1])


def check_routing(request: Request, parties: Sequence[tuple[str, str]],
                  us: tuple[str, str]) -> Routing:  # fmt: skip
    """Check the request's routing headers; the response will carry the routing returned."""
    h = request.headers
    routing = routing_of(h.get(FROM_COUNTRY), h.get(FROM_PARTY), h.get(TO_COUNTRY),
                         h.get(TO_PARTY), parties, us)  # fmt: skip
    request.state.ocpi_routing = routing
    return routing


class OcpiHeaders:
    """ASGI middleware: X-Request-ID / X-Correlation-ID and the routing headers on every
    response under ``/ocpi/``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope["path"]).startswith(OCPI_PREFIX):
            await self.app(scope, receive, send)
            return
        given = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        ids = {REQUEST_ID: given.get("x-request-id") or str(uuid.uuid4()),
               CORRELATION_ID: given.get("x-correlation-id") or str(uuid.uuid4())}  # fmt: skip
        state = scope.setdefault("state", {})

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = dict(ids)
                routing = state.get(_ROUTING_STATE)
                if isinstance(routing, Routing):
                    extra.update(routing.headers())
                names = {k.lower().encode("latin-1") for k in extra}
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
                added = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in extra.items()]
                message = {**message, "headers": kept + added}
            await send(message)

        await self.app(scope, receive, send_with_headers)
