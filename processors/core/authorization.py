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

Roaming drivers: a token the operator did not issue (for its value and, in 2.0.1, its type)
is looked up among the tokens OCPI partners pushed (:mod:`processors.core.roaming`); the
operator's own tokens take precedence (an operator can block a roaming card by issuing the
same id as Blocked).

The expiry is returned as ``expiryDate`` (1.6) / ``cacheExpiryDateTime`` (2.0.1) and the
group id as ``parentIdTag`` (1.6) / ``groupIdToken`` (2.0.1): :mod:`processors.ocpp16.authorization`
and :mod:`processors.ocpp201.authorization` build those.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ocpp import OcppVersion
from processors.core import roaming
from processors.core.decision import Context
from processors.core.reference import Token
from schemas.events import IdTokenAuthorized

ACCEPTED = "Accepted"
EXPIRED = "Expired"
NO_AUTHORIZATION = "NoAuthorization"
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

    def event(self) -> IdTokenAuthorized:
        return IdTokenAuthorized(id_token=self.id_token, id_token_type=self.id_token_type,
                                 status=self.status, group_id=self.group_id,
                                 expires_at=self.expires_at)  # fmt: skip


def authorize(id_token: str, id_token_type: str | None, ctx: Context) -> Authorization:
    """Apply the rules to a token presented as ``id_token`` (of ``id_token_type`` in 2.0.1)."""
    if ctx.version is OcppVersion.V201 and id_token_type == NO_AUTHORIZATION:
        return Authorization(id_token, id_token_type, ACCEPTED)
    token = ctx.tokens(id_token)
    if token is None or (ctx.version is OcppVersion.V201 and token.type != id_token_type):
        return _roaming(id_token, id_token_type, ctx)
    status = token.status
    if status == ACCEPTED and token.expires_at is not None and token.expires_at <= ctx.now:
        status = EXPIRED
    return Authorization(id_token, id_token_type, status, token.expires_at, token.group_id,
                         _group_type(token, ctx))  # fmt: skip


def _roaming(id_token: str, id_token_type: str | None, ctx: Context) -> Authorization:
    """A token an OCPI partner pushed (not one the operator issued), else Unknown/Invalid."""
    pushed = roaming.matching(ctx.ocpi_tokens(id_token), id_token_type)
    if pushed is None:
        status = "Unknown" if ctx.version is OcppVersion.V201 else "Invalid"
        return Authorization(id_token, id_token_type, status)
    group_type = None if pushed.group_id is None else GROUP_TOKEN_TYPE
    return Authorization(id_token, id_token_type, roaming.local_status(pushed),
                         group_id=pushed.group_id, group_type=group_type)  # fmt: skip


def _group_type(token: Token, ctx: Context) -> str | None:
    if token.group_id is None:
        return None
    group = ctx.tokens(token.group_id)
    return group.type if group is not None else GROUP_TOKEN_TYPE
