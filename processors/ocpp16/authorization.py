"""OCPP 1.6 Authorize (§4.1) and the IdTagInfo every 1.6 transaction answer carries (§7.27);
the rules are :mod:`processors.core.authorization`'s."""

from __future__ import annotations

import logging

from ocpp import Call
from ocpp.timestamps import format_datetime
from ocpp.v16.datatypes import IdTagInfo
from ocpp.v16.enums import AuthorizationStatus
from ocpp.v16.requests import AuthorizeRequest
from ocpp.v16.responses import AuthorizeResponse
from processors.core.authorization import Authorization, authorize
from processors.core.decision import Context, Decision, answer
from processors.core.state import StationState
from processors.ocpp16 import cost_messages

log = logging.getLogger(__name__)

PARENT_ID_TAG_MAX = 20  # OCPP 1.6 IdToken is CiString20Type


def id_tag_info(auth: Authorization) -> IdTagInfo:
    """OCPP 1.6 IdTagInfo (§7.27): the status, the expiry, and the group as parentIdTag."""
    expiry = None if auth.expires_at is None else format_datetime(auth.expires_at)
    return IdTagInfo(status=AuthorizationStatus(auth.status), expiry_date=expiry,
                     parent_id_tag=_parent_id_tag(auth))  # fmt: skip


def _parent_id_tag(auth: Authorization) -> str | None:
    if auth.group_id is not None and len(auth.group_id) > PARENT_ID_TAG_MAX:
        log.warning("group id of %s is too long for a 1.6 parentIdTag", auth.id_token)
        return None
    return auth.group_id


def decide_authorize(state: StationState, call: Call, ctx: Context) -> Decision:
    """§4.1: answer Authorize.req with the token's IdTagInfo; then, for a station with cost
    messages on, the user's price (California Pricing SetUserPrice, no connector known yet)."""
    req = AuthorizeRequest.model_validate(call.payload)
    auth = authorize(req.id_tag, None, ctx)
    event = ctx.event(auth.event())
    reply = AuthorizeResponse(id_tag_info=id_tag_info(auth))
    price = cost_messages.set_user_price(state, auth, None, ctx)
    return Decision(events=(event, *price.events), reply=answer(call, reply), send=price.send)
