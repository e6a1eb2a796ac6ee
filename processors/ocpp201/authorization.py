"""OCPP 2.0.1 Authorize (C01) and the IdTokenInfo the transaction answers carry (E01); the
rules are :mod:`processors.core.authorization`'s."""

from __future__ import annotations

from ocpp import Call
from ocpp.timestamps import format_datetime
from ocpp.v201.datatypes import IdTokenInfoType, IdTokenType
from ocpp.v201.enums import AuthorizationStatusEnumType, IdTokenEnumType
from ocpp.v201.requests import AuthorizeRequest
from ocpp.v201.responses import AuthorizeResponse
from processors.core.authorization import ACCEPTED, Authorization, authorize
from processors.core.decision import Context, Decision, answer
from processors.core.state import StationState
from processors.ocpp201 import costs


def id_token_info(auth: Authorization) -> IdTokenInfoType:
    """OCPP 2.0.1 IdTokenInfoType: the status, the expiry as cacheExpiryDateTime, and the
    group as groupIdToken (of the group token's type)."""
    expiry = None if auth.expires_at is None else format_datetime(auth.expires_at)
    group = None
    if auth.group_id is not None and auth.group_type is not None:
        group = IdTokenType(id_token=auth.group_id, type=IdTokenEnumType(auth.group_type))
    return IdTokenInfoType(status=AuthorizationStatusEnumType(auth.status),
                           cache_expiry_date_time=expiry, group_id_token=group)  # fmt: skip


def decide_authorize(state: StationState, call: Call, ctx: Context) -> Decision:
    """C01: answer AuthorizeRequest with the token's IdTokenInfo, and I01.FR.01: the tariff
    of an authorized token in its personalMessage. (ISO 15118 certificate checks, C07, are
    not offered: no certificateStatus is returned.)"""
    req = AuthorizeRequest.model_validate(call.payload)
    auth = authorize(req.id_token.id_token, req.id_token.type.value, ctx)
    event = ctx.event(auth.event())
    info = id_token_info(auth)
    if auth.status == ACCEPTED:
        info = costs.with_tariff(info, auth, costs.tariff_for_token(auth, ctx), state,
                                 ctx.now)  # fmt: skip
    reply = AuthorizeResponse(id_token_info=info)
    return Decision(events=(event,), reply=answer(call, reply))
