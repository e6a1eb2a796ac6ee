"""Admin events of the OCPI partner registry (OCPI 2.2.1 credentials module), keyed by partner
id: a partner invited with a registration token, registered (the credentials handshake done,
either way), its credentials updated, unregistered.

No event carries a credentials token in clear: the token a partner presents to us is kept as
its SHA-256 (``token_hash``), the token we present to it encrypted (``token_for_partner``,
Fernet with the API's key).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from schemas.events.base import DomainEvent
from schemas.ocpi.credentials import CredentialsRole, Endpoint

PartnerId = Annotated[str, Field(pattern=r"^[A-Za-z0-9._-]{1,36}$")]
"""The operator's name for a partner platform (one credentials token set)."""
TokenHash = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
"""SHA-256 of a credentials token, hex."""
SealedToken = Annotated[str, Field(min_length=1, max_length=512)]
"""A credentials token encrypted with the API's key (Fernet token, URL-safe base64)."""


class OcpiPartnerInvited(DomainEvent):
    """Admin: a partner invited to register with us (API POST /api/v1/ocpi/partners): the
    hash of the registration token A it will use (OCPI 2.2.1 credentials §Registration)."""

    partner_id: PartnerId
    name: Annotated[str, Field(max_length=100)] | None = None
    token_hash: TokenHash


class OcpiPartnerRegistered(DomainEvent):
    """Admin: the credentials handshake with a partner is done (OCPI 2.2.1 credentials
    §Registration). ``registered_by`` says who POSTed: ``partner`` (to our credentials
    endpoint, with token A) or ``cpo`` (we, to theirs, with their token A)."""

    partner_id: PartnerId
    name: Annotated[str, Field(max_length=100)] | None = None
    registered_by: Literal["partner", "cpo"]
    token_hash: TokenHash
    """The token the partner presents to us from now on (any earlier token dies)."""
    token_for_partner: SealedToken
    versions_url: str
    version: str
    endpoints: tuple[Endpoint, ...]
    roles: Annotated[tuple[CredentialsRole, ...], Field(min_length=1)]


class OcpiPartnerUpdated(DomainEvent):
    """Admin: a registered partner's credentials changed (OCPI 2.2.1 credentials §"PUT
    Method": new tokens both ways, its versions and roles read again)."""

    partner_id: PartnerId
    token_hash: TokenHash
    token_for_partner: SealedToken
    versions_url: str
    version: str
    endpoints: tuple[Endpoint, ...]
    roles: Annotated[tuple[CredentialsRole, ...], Field(min_length=1)]


class OcpiPartnerUnregistered(DomainEvent):
    """Admin: a partner unregistered (OCPI 2.2.1 credentials §"DELETE Method", by them or by
    the operator): every token of it revoked, its rows gone."""

    partner_id: PartnerId
    by: Literal["partner", "cpo"]
