"""OCPP 2.0.1 Authorize (C01) and the IdTokenInfo the transaction answers carry (E01); the
rules are :mod:`processors.core.authorization`'s."""

from __future__ import annotations

from typing import Any

from ocpp import Call, CallResult
from ocpp.timestamps import format_datetime
from ocpp.v201.requests import AuthorizeRequest
from processors.core.authorization import Authorization, authorize
from processors.core.decision import Context, Decision
from processors.core.state import StationState


def id_token_info(auth: Authorization) -> dict[str, Any]:
    """OCPP 2.0.1 IdTokenInfoType."""
    info: dict[str, Any] = {"status": auth.status}
    if auth.expires_at is not None:
        info["cacheExpiryDateTime"] = format_datetime(auth.expires_at)
    if auth.group_id is not None:
        info["groupIdToken"] = {"idToken": auth.group_id, "type": auth.group_type}
    return info


def decide_authorize(state: StationState, call: Call, ctx: Context) -> Decision:
    """C01: answer AuthorizeRequest with the token's IdTokenInfo. (ISO 15118 certificate
    checks, C07, are not offered: no certificateStatus is returned.)"""
    req = AuthorizeRequest.model_validate(call.payload)
    auth = authorize(req.id_token.id_token, req.id_token.type.value, ctx)
    event = ctx.event(auth.event())
    reply = {"idTokenInfo": id_token_info(auth)}
    return Decision(events=(event,), reply=CallResult(call.unique_id, reply))
