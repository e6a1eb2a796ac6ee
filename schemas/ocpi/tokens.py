"""The OCPI 2.2.1 objects of the tokens module (mod_tokens §"Object description", §"Data
types"): Token, AuthorizationInfo, LocationReferences and their enums."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from schemas.ocpi.credentials import CiString2, CiString3
from schemas.ocpi.sessions import ProfileType, TokenType
from schemas.tariffs import DisplayText, UtcTime

TokenUid = Annotated[str, StringConstraints(min_length=1, max_length=36)]
"""Token.uid: CiString(36), the id the station presents (RFID hidden id, app user id)."""
CiString36 = Annotated[str, StringConstraints(min_length=1, max_length=36)]


class _Object(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)


class WhitelistType(StrEnum):
    """OCPI 2.2.1 mod_tokens §WhitelistType enum: when the CPO may authorize on its own."""

    ALWAYS = "ALWAYS"
    ALLOWED = "ALLOWED"
    ALLOWED_OFFLINE = "ALLOWED_OFFLINE"
    NEVER = "NEVER"


class AllowedType(StrEnum):
    """OCPI 2.2.1 mod_tokens §Allowed enum: the eMSP's real-time verdict."""

    ALLOWED = "ALLOWED"
    BLOCKED = "BLOCKED"
    EXPIRED = "EXPIRED"
    NO_CREDIT = "NO_CREDIT"
    NOT_ALLOWED = "NOT_ALLOWED"


class EnergyContract(_Object):
    """OCPI 2.2.1 mod_tokens §EnergyContract class."""

    supplier_name: Annotated[str, Field(max_length=64)]
    contract_id: Annotated[str, Field(max_length=64)] | None = None


class Token(_Object):
    """OCPI 2.2.1 mod_tokens §"Token Object"."""

    country_code: CiString2
    party_id: CiString3
    uid: TokenUid
    type: TokenType
    contract_id: CiString36
    visual_number: Annotated[str, Field(max_length=64)] | None = None
    issuer: Annotated[str, Field(max_length=64)]
    group_id: CiString36 | None = None
    valid: bool
    whitelist: WhitelistType
    language: Annotated[str, Field(min_length=2, max_length=2)] | None = None
    default_profile_type: ProfileType | None = None
    energy_contract: EnergyContract | None = None
    last_updated: UtcTime


class LocationReferences(_Object):
    """OCPI 2.2.1 mod_tokens §LocationReferences class."""

    location_id: CiString36
    evse_uids: tuple[CiString36, ...] = ()
    connector_ids: tuple[CiString36, ...] = ()


class AuthorizationInfo(BaseModel):
    """OCPI 2.2.1 mod_tokens §"AuthorizationInfo Object" (read from an eMSP: extra fields
    are ignored, not refused)."""

    model_config = ConfigDict(frozen=True, extra="ignore", use_attribute_docstrings=True)

    allowed: AllowedType
    token: Token
    location: LocationReferences | None = None
    authorization_reference: CiString36 | None = None
    info: DisplayText | None = None
