"""Admin events of the OCPI tokens module (OCPI 2.2.1 mod_tokens, CPO receiver interface):
a token a partner (eMSP) pushed, as the full Token object after its PUT or after the API
merged its PATCH. Key on the admin log = the token's uid upper-cased, so that the processor
(``ocpi-tokens`` table) finds it by the id a station presents (OCPI uid is a CiString)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from schemas.events.base import DomainEvent
from schemas.ocpi.tokens import Token


class OcpiTokenUpserted(DomainEvent):
    """Admin: a partner's token stored or changed (OCPI 2.2.1 mod_tokens §"PUT Method",
    §"PATCH Method"); tokens are never deleted (invalidated with ``valid: false``)."""

    partner_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9._-]{1,36}$")]
    """The partner platform that pushed it (whose tokens endpoint answers real-time
    authorization)."""
    token: Token
