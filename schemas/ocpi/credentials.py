"""The OCPI 2.2.1 objects of the configuration modules: versions (version_information_endpoint
§"Version information endpoint", §"Version details endpoint") and credentials
(credentials §"Credentials object"), with the types they use (types §"CiString", §"URL").
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

CiString2 = Annotated[str, StringConstraints(min_length=2, max_length=2, to_upper=True)]
"""A country code: ISO 3166-1 alpha-2 (OCPI 2.2.1 types §CiString: case-insensitive, kept
upper-case here so that "nl" and "NL" are one party)."""
CiString3 = Annotated[str, StringConstraints(min_length=3, max_length=3, to_upper=True)]
"""A party id: ISO 15118 (OCPI 2.2.1 credentials §CredentialsRole.party_id)."""
Url = Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=r"^https?://\S+$")]
"""OCPI 2.2.1 types §URL: string(255), an absolute http(s) URL here."""
CredentialsToken = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[\x21-\x7e]+$")
]
"""OCPI 2.2.1 credentials §"Credentials object" token: CiString(64), printable, non-whitespace
ASCII (transport_and_format §"Authorization header")."""


class _Object(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", use_attribute_docstrings=True)


class VersionNumber(StrEnum):
    """OCPI 2.2.1 version_information_endpoint §VersionNumber enum (the ones we know)."""

    V2_0 = "2.0"
    V2_1 = "2.1"
    V2_1_1 = "2.1.1"
    V2_2 = "2.2"
    V2_2_1 = "2.2.1"


class ModuleID(StrEnum):
    """OCPI 2.2.1 version_information_endpoint §ModuleID enum."""

    CDRS = "cdrs"
    CHARGING_PROFILES = "chargingprofiles"
    COMMANDS = "commands"
    CREDENTIALS = "credentials"
    HUB_CLIENT_INFO = "hubclientinfo"
    LOCATIONS = "locations"
    SESSIONS = "sessions"
    TARIFFS = "tariffs"
    TOKENS = "tokens"


class InterfaceRole(StrEnum):
    """OCPI 2.2.1 version_information_endpoint §InterfaceRole enum."""

    SENDER = "SENDER"
    RECEIVER = "RECEIVER"


class Role(StrEnum):
    """OCPI 2.2.1 types §Role enum."""

    CPO = "CPO"
    EMSP = "EMSP"
    HUB = "HUB"
    NAP = "NAP"
    NSP = "NSP"
    OTHER = "OTHER"
    SCSP = "SCSP"


class ImageCategory(StrEnum):
    """OCPI 2.2.1 mod_locations §ImageCategory enum."""

    CHARGER = "CHARGER"
    ENTRANCE = "ENTRANCE"
    LOCATION = "LOCATION"
    NETWORK = "NETWORK"
    OPERATOR = "OPERATOR"
    OTHER = "OTHER"
    OWNER = "OWNER"


class Version(_Object):
    """OCPI 2.2.1 version_information_endpoint §"Version class": one entry of the versions list.

    ``version`` is a plain string: a partner may list versions this code does not know, and
    they must not make the whole list unreadable.
    """

    version: Annotated[str, StringConstraints(min_length=1, max_length=16)]
    url: Url


class Endpoint(_Object):
    """OCPI 2.2.1 version_information_endpoint §"Endpoint class"."""

    identifier: ModuleID
    role: InterfaceRole
    url: Url


class VersionDetails(_Object):
    """OCPI 2.2.1 version_information_endpoint §"Version details endpoint" data."""

    version: Annotated[str, StringConstraints(min_length=1, max_length=16)]
    endpoints: Annotated[tuple[Endpoint, ...], Field(min_length=1)]


class Image(_Object):
    """OCPI 2.2.1 mod_locations §"Image class"."""

    url: Url
    thumbnail: Url | None = None
    category: ImageCategory
    type: Annotated[str, StringConstraints(min_length=1, max_length=4)]
    width: Annotated[int, Field(ge=0, le=99999)] | None = None
    height: Annotated[int, Field(ge=0, le=99999)] | None = None


class BusinessDetails(_Object):
    """OCPI 2.2.1 mod_locations §"BusinessDetails class"."""

    name: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    website: Url | None = None
    logo: Image | None = None


class CredentialsRole(_Object):
    """OCPI 2.2.1 credentials §"CredentialsRole class": one role of a platform."""

    role: Role
    business_details: BusinessDetails
    party_id: CiString3
    country_code: CiString2


class Credentials(_Object):
    """OCPI 2.2.1 credentials §"Credentials object"."""

    token: CredentialsToken
    url: Url
    """The platform's versions endpoint."""
    roles: Annotated[tuple[CredentialsRole, ...], Field(min_length=1)]
