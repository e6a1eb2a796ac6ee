"""OCPP 1.6 Authorize (§4.1) and the IdTagInfo every 1.6 transaction answer carries (§7.27);
the rules are :mod:`processors.core.authorization`'s."""

from __future__ import annotations

import logging
from typing import Any

from ocpp import Call, CallResult
from ocpp.timestamps import format_datetime
from ocpp.v16.requests import AuthorizeRequest
from processors.core.authorization import Authorization, authorize
from processors.core.decision import Context, Decision
from processors.core.state import StationState

log = logging.getLogger(__name__)

PARENT_ID_TAG_MAX = 20  # OCPP 1.6 IdToken is CiString20Type


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


def decide_authorize(state: StationState, call: Call, ctx: Context) -> Decision:
    """§4.1: answer Authorize.req with the token's IdTagInfo."""
    req = AuthorizeRequest.model_validate(call.payload)
    auth = authorize(req.id_tag, None, ctx)
    event = ctx.event(auth.event())
    reply = {"idTagInfo": id_tag_info(auth)}
    return Decision(events=(event,), reply=CallResult(call.unique_id, reply))
