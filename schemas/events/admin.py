"""Admin events: reference data the operator sets through the API, appended to the admin log
(DESIGN decision 8)."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal
from zoneinfo import available_timezones

from pydantic import AfterValidator, Field

from ocpp import STATION_ID_MAX_LENGTH
from schemas.events.base import DomainEvent, Instant, upcasts
from schemas.tariffs import Tariff, TariffId

TokenType = Literal[
    "Central", "eMAID", "ISO14443", "ISO15693", "KeyCode", "Local", "MacAddress", "NoAuthorization"
]
"""OCPP 2.0.1 IdTokenEnumType (1.6 tokens are ISO14443 unless told otherwise)."""


class StationConfiguredV1(DomainEvent):
    """Admin: a station's configuration set by the operator (API PUT /api/v1/stations/{id}); only
    the fields given change.
    """

    type_name: ClassVar[str] = "StationConfigured"
    schema_version: ClassVar[int] = 1

    registration_status: Literal["Accepted", "Pending", "Rejected"] | None = None
    security_profile: Literal[1, 2, 3] | None = None
    password_hash: Annotated[str | None, Field(pattern="^scrypt\\$")] = None
    """schemas.credentials format; never the password."""


def _known_zone(name: str | None) -> str | None:
    if name is not None and name not in _ZONES:
        raise ValueError(f"not an IANA time zone: {name!r}")
    return name


_ZONES = frozenset(available_timezones())
TimeZoneName = Annotated[str | None, AfterValidator(_known_zone)]
"""An IANA time zone name ("Europe/Amsterdam"), as :mod:`zoneinfo` knows it."""


class StationConfigured(DomainEvent):
    """Admin: a station's configuration set by the operator (API PUT /api/v1/stations/{id}); only
    the fields given change.
    """

    schema_version: ClassVar[int] = 2

    registration_status: Literal["Accepted", "Pending", "Rejected"] | None = None
    security_profile: Literal[1, 2, 3] | None = None
    password_hash: Annotated[str | None, Field(pattern="^scrypt\\$")] = None
    """schemas.credentials format; never the password."""
    time_zone: TimeZoneName = None
    """Where the station stands: tariff restrictions' local times and dates are read in this
    zone (OCPI 2.2.1 TariffRestrictions: "local time, the time zone of the Location"); UTC
    until set."""
    cost_messages: bool | None = None
    """Whether the station is sent its running and final cost: OCPP 2.0.1 CostUpdated and
    TransactionEventResponse.totalCost (I02, I03; on unless set off), OCPP 1.6 the OCA
    California Pricing DataTransfer messages (off unless set on)."""


@upcasts(StationConfiguredV1)
def _configured_v2(old: StationConfiguredV1) -> StationConfigured:
    """Version 2 adds fields; a version 1 record set none of them."""
    return StationConfigured(**old.model_dump(exclude_unset=True))


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


TariffTarget = Literal["token_group", "evse", "station", "default"]
"""What a tariff is assigned to: a session is priced by the first of these, in this order,
that has a tariff (docs/BILLING.md, "Which tariff prices a session")."""


class TariffPublished(DomainEvent):
    """Admin: a new version of a tariff (API PUT /api/v1/tariffs/{id}); key = the tariff id.

    Versions count 1, 2, ... per tariff id; a version is never edited. A record whose version
    is not the one after the last version of its tariff (a write that raced another) is
    ignored by every reader: the API tells its writer that it lost (HTTP 409).
    """

    version: Annotated[int, Field(ge=1)]
    tariff: Tariff


class TariffDeleted(DomainEvent):
    """Admin: a tariff withdrawn (API DELETE /api/v1/tariffs/{id}); key = the tariff id. Its
    versions stay readable; sessions are no longer priced by it."""

    tariff_id: TariffId


class _TariffTargetFacts(DomainEvent):
    """Which sessions an assignment is for. Key = the station id for ``evse`` and ``station``
    (the station's partition), ``group:<id>`` for ``token_group``, ``default`` for
    ``default``."""

    shared_fields: ClassVar[bool] = True

    target: TariffTarget
    station_id: Annotated[str | None, Field(min_length=1, max_length=48)] = None
    """Set for ``evse`` and ``station``."""
    evse_id: Annotated[int | None, Field(ge=1)] = None
    """Set for ``evse`` (1.6: the connector id)."""
    group_id: Annotated[str | None, Field(min_length=1, max_length=36)] = None
    """Set for ``token_group``: the tokens' group id (TokenUpserted.group_id)."""


class TariffAssigned(_TariffTargetFacts):
    """Admin: sessions of ``target`` are priced by ``tariff_id`` (its newest version when they
    start)."""

    tariff_id: TariffId


class TariffUnassigned(_TariffTargetFacts):
    """Admin: ``target`` no longer has a tariff of its own."""


class CdrCorrectionRequested(DomainEvent):
    """Admin: re-rate an ended session whose CDR was wrong (API POST
    /api/v1/cdrs/{id}/corrections); key = the session's station id. The billing projection
    answers it with a credit CDR for the session's current CDR and a new CDR rated by
    ``tariff`` (OCPI 2.2.1 mod_cdrs "Credit CDRs": a CDR is never changed)."""

    transaction_pk: Annotated[int, Field(ge=1)]
    """The CSMS transaction id of the session."""
    cdr_id: Annotated[str, Field(min_length=1, max_length=39)]
    """The CDR being corrected; a request for a CDR that is no longer the session's current
    one (corrected meanwhile) is ignored."""
    tariff_version: Annotated[int, Field(ge=1)]
    tariff: Tariff
    reason: Annotated[str, Field(min_length=1, max_length=255)]


MeterKeyId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")]
"""The operator's name for a registered meter key, unique per station."""


class _MeterKeyFacts(DomainEvent):
    """Which station's key; key = the station id (its partition)."""

    shared_fields: ClassVar[bool] = True

    station_id: Annotated[str, Field(min_length=1, max_length=STATION_ID_MAX_LENGTH)]
    key_id: MeterKeyId


class MeterKeyRegistered(_MeterKeyFacts):
    """Admin: the public key of a station's meter (API PUT
    /api/v1/stations/{id}/meter-keys/{key_id}), replacing the key of that name. The station's
    signed meter values (of the EVSE or meter named, when one is) are verified against it
    (docs/AUDIT.md, "Signed meter values"; OCMF: the public key reaches the verifier "by
    means other than this protocol")."""

    public_key: Annotated[str, Field(min_length=2, max_length=2500, pattern=r"^[0-9A-F]+$")]
    """The DER SubjectPublicKeyInfo, hex (upper case), as the API checked it parses."""
    evse_id: Annotated[int | None, Field(ge=0)] = None
    """Only for this EVSE (1.6: connector); any of the station's when null."""
    meter_serial: Annotated[str | None, Field(min_length=1, max_length=64)] = None
    """Only for records of this meter (OCMF ``MS``, or the gateway's ``GS``)."""


class MeterKeyRemoved(_MeterKeyFacts):
    """Admin: a registered meter key withdrawn (API DELETE
    /api/v1/stations/{id}/meter-keys/{key_id}); values it verified are verified again
    without it."""
