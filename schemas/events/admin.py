"""Admin events: reference data the operator sets through the API, appended to the admin log
(DESIGN decision 8)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from schemas.events.base import DomainEvent, Instant

TokenType = Literal[
    "Central", "eMAID", "ISO14443", "ISO15693", "KeyCode", "Local", "MacAddress", "NoAuthorization"
]
"""OCPP 2.0.1 IdTokenEnumType (1.6 tokens are ISO14443 unless told otherwise)."""


class StationConfigured(DomainEvent):
    """Admin: a station's configuration set by the operator (API PUT /api/v1/stations/{id}); only
    the fields given change.
    """

    registration_status: Literal["Accepted", "Pending", "Rejected"] | None = None
    security_profile: Literal[1, 2, 3] | None = None
    password_hash: Annotated[str | None, Field(pattern='^scrypt\\$')] = None
    """schemas.credentials format; never the password."""


class TokenUpserted(DomainEvent):
    """Admin: an id token issued or changed (API PUT /api/v1/tokens/{id_token}); key = the id
    token.
    """

    id_token: Annotated[str, Field(max_length=36, min_length=1)]
    type: TokenType
    status: Literal["Accepted", "Blocked", "Expired", "Invalid"]
    expires_at: Instant | None
    group_id: Annotated[str | None, Field(max_length=36, min_length=1)]


class TokenDeleted(DomainEvent):
    """Admin: an id token withdrawn (API DELETE /api/v1/tokens/{id_token}); key = the id token."""

    id_token: Annotated[str, Field(max_length=36, min_length=1)]
