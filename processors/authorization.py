"""Authorization rules, shared by Authorize, StartTransaction, StopTransaction and
TransactionEvent (OCPP 1.6 §4.1, §5.x IdTagInfo; OCPP 2.0.1 C01, E01 IdTokenInfo).

The rules, in order (docs/SESSIONS.md, "Authorization"):

1. 2.0.1 ``NoAuthorization`` tokens are Accepted without a lookup (2.0.1 C01: the idToken
   of that type carries no identity).
2. A token the operator never issued is ``Invalid`` in 1.6 (AuthorizationStatus has no
   Unknown) and ``Unknown`` in 2.0.1. In 2.0.1 a token is (idToken, type): a known value
   presented with another type is Unknown too.
3. A token whose status is not Accepted keeps it (Blocked, Expired, Invalid).
4. An Accepted token whose ``expires_at`` is not after ``now`` is ``Expired``.

The expiry is returned as ``expiryDate`` (1.6) / ``cacheExpiryDateTime`` (2.0.1) and the
group id as ``parentIdTag`` (1.6) / ``groupIdToken`` (2.0.1).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ocpp import Call, CallResult, OcppVersion
from ocpp.timestamps import format_datetime
from ocpp.v16.requests import AuthorizeRequest as Authorize16
from ocpp.v201.requests import AuthorizeRequest as Authorize201
from processors.decision import Context, Decision
from processors.reference import Token
from processors.state import StationState

log = logging.getLogger(__name__)

ACCEPTED = "Accepted"
EXPIRED = "Expired"
NO_AUTHORIZATION = "NoAuthorization"
PARENT_ID_TAG_MAX = 20  # OCPP 1.6 IdToken is CiString20Type
GROUP_TOKEN_TYPE = "Central"


@dataclass(frozen=True, slots=True)
class Authorization:
    """The verdict on one presented token."""

    id_token: str
    id_token_type: str | None
    status: str
    expires_at: datetime | None = None
    group_id: str | None = None
    group_type: str | None = None

    def event_data(self) -> dict[str, Any]:
        return {
            "id_token": self.id_token, "id_token_type": self.id_token_type,
            "status": self.status, "group_id": self.group_id,
            "expires_at": None if self.expires_at is None else format_datetime(self.expires_at),
        }  # fmt: skip


def authorize(id_token: str, id_token_type: str | None, ctx: Context) -> Authorization:
    """Apply the rules to a token presented as ``id_token`` (of ``id_token_type`` in 2.0.1)."""
    if ctx.version is OcppVersion.V201 and id_token_type == NO_AUTHORIZATION:
        return Authorization(id_token, id_token_type, ACCEPTED)
    token = ctx.tokens(id_token)
    if token is None or (ctx.version is OcppVersion.V201 and token.type != id_token_type):
        status = "Unknown" if ctx.version is OcppVersion.V201 else "Invalid"
        return Authorization(id_token, id_token_type, status)
    status = token.status
    if status == ACCEPTED and token.expires_at is not None and token.expires_at <= ctx.now:
        status = EXPIRED
    return Authorization(id_token, id_token_type, status, token.expires_at, token.group_id,
                         _group_type(token, ctx))  # fmt: skip


def _group_type(token: Token, ctx: Context) -> str | None:
    if token.group_id is None:
        return None
    group = ctx.tokens(token.group_id)
    return group.type if group is not None else GROUP_TOKEN_TYPE


def id_tag_info(auth: Authorization) -> dict[str, Any]:
    """OCPP 1.6 IdTagInfo."""
    info: dict[str, Any] = {"status": auth.status}
    if auth.expires_at is not None:
        info["expiryDate"] = format_datetime(auth.expires_at)
    if auth.group_id is not None:
        if len(auth.group_id) <= PARENT_ID_TAG_MAX:
            info["parentIdTag"] = auth.group_id
        else:
            log.warning("group id of %s is too long for a 1.6 parentIdTag", auth.id_token)
    return info


def id_token_info(auth: Authorization) -> dict[str, Any]:
    """OCPP 2.0.1 IdTokenInfoType."""
    info: dict[str, Any] = {"status": auth.status}
    if auth.expires_at is not None:
        info["cacheExpiryDateTime"] = format_datetime(auth.expires_at)
    if auth.group_id is not None:
        info["groupIdToken"] = {"idToken": auth.group_id, "type": auth.group_type}
    return info


def decide_authorize_v16(state: StationState, call: Call, ctx: Context) -> Decision:
    """OCPP 1.6 §4.1: answer Authorize.req with the token's IdTagInfo."""
    req = Authorize16.model_validate(call.payload)
    auth = authorize(req.id_tag, None, ctx)
    event = ctx.event("IdTokenAuthorized", auth.event_data())
    reply = {"idTagInfo": id_tag_info(auth)}
    return Decision(events=(event,), reply=CallResult(call.unique_id, reply))


def decide_authorize_v201(state: StationState, call: Call, ctx: Context) -> Decision:
    """OCPP 2.0.1 C01: answer AuthorizeRequest with the token's IdTokenInfo. (ISO 15118
    certificate checks, C07, are not offered: no certificateStatus is returned.)"""
    req = Authorize201.model_validate(call.payload)
    auth = authorize(req.id_token.id_token, req.id_token.type.value, ctx)
    event = ctx.event("IdTokenAuthorized", auth.event_data())
    reply = {"idTokenInfo": id_token_info(auth)}
    return Decision(events=(event,), reply=CallResult(call.unique_id, reply))
