"""Public API schemas (separate from the read-model tables): ``*In`` bodies, ``*Public``
resources."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Generic, Literal, TypeVar
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, SecretStr, StringConstraints

from ocpp import STATION_ID_MAX_LENGTH
from schemas.events import TariffTarget, TimeZoneName
from schemas.tariffs import (
    DisplayText,
    EnergyMix,
    Price,
    Tariff,
    TariffElement,
    TariffId,
    TariffType,
    UtcTime,
)

RegistrationStatus = Literal["Accepted", "Pending", "Rejected"]
TokenType = Literal["Central", "eMAID", "ISO14443", "ISO15693", "KeyCode", "Local", "MacAddress",
                    "NoAuthorization"]  # fmt: skip
TokenStatus = Literal["Accepted", "Blocked", "Expired", "Invalid"]
IdToken = Annotated[str, StringConstraints(min_length=1, max_length=36)]


class ConnectorPublic(BaseModel):
    connector_id: int
    status: str
    status_at: datetime
    error_code: str | None = None


class EvsePublic(BaseModel):
    evse_id: int
    connectors: list[ConnectorPublic]


class StationPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    station_id: str
    ocpp_version: str | None
    connected: bool
    vendor: str | None
    model: str | None
    serial_number: str | None
    firmware_version: str | None
    boot_reason: str | None
    boot_status: str | None
    boot_count: int
    last_boot_at: datetime | None
    last_seen_at: datetime | None
    registration_status: RegistrationStatus
    security_profile: int | None
    time_zone: str | None = Field(default=None, description="IANA time zone; null: never "
                                  "set (tariffs' local times are then read in UTC).")
    cost_messages: bool | None = Field(default=None, description="Whether the station is "
                                       "sent its running and final cost; null: never set.")
    evses: list[EvsePublic] = []


class StationConfigIn(BaseModel):
    """``PUT /api/v1/stations/{id}``: every field optional; only the fields given change."""

    model_config = ConfigDict(extra="forbid")

    security_profile: Literal[1, 2, 3] | None = None
    password: SecretStr | None = Field(
        default=None, min_length=16, max_length=40,
        description="HTTP Basic password (security profiles 1, 2): 16-40 characters "
        "(OCPP 2.0.1 passwordString). Stored salted-hashed, never returned.",
    )  # fmt: skip
    registration_status: RegistrationStatus | None = None
    time_zone: TimeZoneName = Field(default=None, examples=["Europe/Amsterdam"],
                                    description="IANA time zone of the station (tariff "
                                    "restrictions' local times); null clears it.")
    cost_messages: bool | None = Field(default=None, description="Send the station its "
                                       "running and final cost; null clears it.")


class TokenIn(BaseModel):
    """``PUT /api/v1/tokens/{id_token}``."""

    model_config = ConfigDict(extra="forbid")

    type: TokenType = "ISO14443"
    status: TokenStatus = "Accepted"
    expires_at: AwareDatetime | None = None
    group_id: IdToken | None = None


class TokenPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id_token: str
    type: str
    status: str
    expires_at: datetime | None
    group_id: str | None
    updated_at: datetime


class TransactionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int = Field(description="CSMS-unique id (for 1.6, the id the station was given).")
    transaction_id: str = Field(description="The transaction id as on the wire.")
    station_id: str
    ocpp_version: str
    evse_id: int | None
    connector_id: int | None
    id_token: str | None
    id_token_status: str | None
    stop_id_token: str | None
    started_at: datetime | None
    stopped_at: datetime | None
    meter_start_wh: float | None
    meter_stop_wh: float | None
    energy_wh: float | None
    stop_reason: str | None
    status: Literal["active", "completed"]
    charging_state: str | None
    last_seq_no: int | None
    missing_seq_nos: list[int]
    offline: bool
    anomalies: list[str] = Field(description="e.g. meter_stop_below_start, unknown_transaction")


class MeterValuePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    sampled_at: datetime
    measurand: str
    phase: str | None
    context: str
    location: str
    value: str = Field(description="As sent by the station.")
    unit: str | None = Field(description="As sent (null when the station omitted it).")
    multiplier: int | None
    canonical_value: float | None
    canonical_unit: str | None
    format: str | None
    signed_data: object | None
    source: str


class SignedMeterValuesSummary(BaseModel):
    """What the transaction's signed meter values prove (docs/AUDIT.md, "Signed meter
    values"): ``invalid`` if any is, else ``unverifiable`` if any is, ``verified`` when all
    verify, ``unsigned`` when none is signed."""

    status: Literal["verified", "invalid", "unverifiable", "unsigned"]
    verified: int
    invalid: int
    unverifiable: int


class TransactionDetail(TransactionPublic):
    meter_values: list[MeterValuePublic]
    signed_meter_values: SignedMeterValuesSummary


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    offset: int
    limit: int


class ConnectionPublic(BaseModel):
    """One WebSocket connection a station held (``station_connections`` read model)."""

    model_config = ConfigDict(from_attributes=True)

    connection_id: str
    gateway_id: str
    ocpp_version: str
    remote_address: str | None
    security_profile: int | None = Field(description="The OCPP security profile it was "
                                         "admitted with (1-3); null in open mode.")  # fmt: skip
    admitted_as: str | None = Field(description="How the gateway admitted it, in words.")
    connected_at: datetime
    disconnected_at: datetime | None = Field(description="null while it is open.")
    close_reason: str | None


class TariffIn(BaseModel):
    """``PUT /api/v1/tariffs/{id}``: an OCPI 2.2.1 Tariff object (mod_tariffs "Tariff
    Object") without the fields the CSMS sets: ``id`` (the path), ``country_code`` and
    ``party_id`` (the CPO's, from the configuration) and ``last_updated`` (the time of the
    write). Amounts are JSON numbers or strings."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code.")]
    type: TariffType | None = None
    tariff_alt_text: tuple[DisplayText, ...] = ()
    tariff_alt_url: Annotated[str, Field(max_length=255)] | None = None
    min_price: Price | None = None
    max_price: Price | None = None
    elements: Annotated[tuple[TariffElement, ...], Field(min_length=1)]
    start_date_time: UtcTime | None = None
    end_date_time: UtcTime | None = None
    energy_mix: EnergyMix | None = None


class TariffPublic(BaseModel):
    """A tariff's newest version (``tariffs`` read model); amounts are decimal strings."""

    tariff_id: str
    version: int = Field(description="1, 2, ...: one more for every PUT.")
    deleted: bool
    published_at: datetime = Field(description="When this version was published.")
    updated_at: datetime = Field(description="When it was last published or deleted.")
    tariff: Tariff


class TariffVersionPublic(BaseModel):
    """One version of a tariff, as published (``tariff_versions`` read model)."""

    tariff_id: str
    version: int
    published_at: datetime
    tariff: Tariff


class TariffAssignmentIn(BaseModel):
    """``PUT /api/v1/tariff-assignments``: which sessions ``tariff_id`` prices. ``evse``
    needs ``station_id`` and ``evse_id``, ``station`` needs ``station_id``, ``token_group``
    needs ``group_id``, ``default`` needs none; a field the target does not use is refused."""

    model_config = ConfigDict(extra="forbid")

    target: TariffTarget
    station_id: Annotated[str, StringConstraints(min_length=1,
                                                 max_length=STATION_ID_MAX_LENGTH)] | None = None
    evse_id: Annotated[int, Field(ge=1, description="1.6: the connector id.")] | None = None
    group_id: IdToken | None = None
    tariff_id: TariffId


class TariffAssignmentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    target: TariffTarget
    station_id: str | None
    evse_id: int | None
    group_id: str | None
    tariff_id: str
    assigned_at: datetime


class ErrorBody(BaseModel):
    detail: str


NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorBody}}
"""The ``responses`` of a route that answers 404."""
WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    503: {"model": ErrorBody}, 504: {"model": ErrorBody},
}  # fmt: skip
"""The ``responses`` of a write: 503 the log is unavailable, 504 the read model did not show
the write in time."""


CallStatus = Literal["queued", "sent", "answered", "rejected", "timed_out", "expired",
                     "cancelled"]  # fmt: skip
FINAL_CALL_STATUSES = frozenset({"answered", "rejected", "timed_out", "expired", "cancelled"})


class CallIn(BaseModel):
    """``POST /api/v1/stations/{id}/calls``: any CSMS-initiated action of the station's
    version, with its payload as OCPP has it."""

    model_config = ConfigDict(extra="forbid")

    action: str = Field(min_length=1, max_length=64, examples=["Reset"])
    payload: dict[str, object] = Field(default_factory=dict, examples=[{"type": "Soft"}])
    expires_in_s: int | None = Field(
        default=None, ge=1, le=7 * 24 * 3600,
        description="How long the call may wait in the station's queue (default: the setting).",
    )  # fmt: skip


class CallErrorPublic(BaseModel):
    code: str
    description: str
    details: dict[str, object]


class CallPublic(BaseModel):
    id: str = Field(description="The call id, also its OCPP message id.")
    station_id: str
    action: str
    payload: dict[str, object]
    ocpp_version: str | None
    status: CallStatus
    created_at: datetime
    expires_at: datetime
    sent_at: datetime | None
    answered_at: datetime | None
    response: dict[str, object] | None
    error: CallErrorPublic | None
    late: bool = Field(description="The answer came after the call timed out.")
    status_reason: str | None = None


class MeterKeyIn(BaseModel):
    """``PUT /api/v1/stations/{id}/meter-keys/{key_id}``: a meter's public key."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    public_key: str = Field(min_length=1, max_length=4000, description=(
        "The meter's elliptic-curve public key as DER SubjectPublicKeyInfo: hex, base64 or PEM "
        "(OCMF Table 23 key types)."))  # fmt: skip
    evse_id: int | None = Field(default=None, ge=0, description=(
        "Only for this EVSE (1.6: connector); for any of the station's when omitted."))
    meter_serial: str | None = Field(default=None, min_length=1, max_length=64, description=(
        "Only for OCMF records of this meter (their MS, or GS) when given."))


class MeterKeyPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    station_id: str
    key_id: str
    public_key: str = Field(description="DER SubjectPublicKeyInfo, hex.")
    curve: str
    fingerprint: str = Field(description="SHA-256 of the DER, hex, first 16 characters.")
    evse_id: int | None
    meter_serial: str | None
    registered_at: datetime


class SignedMeterValuePublic(BaseModel):
    """One signed sample and its verdict; ``event_id`` and ``seq`` name the sample as the
    events log holds it (the MeterValuesReported event and the sample's index in it)."""

    model_config = ConfigDict(from_attributes=True)

    event_id: UUID
    seq: int
    sampled_at: datetime
    measurand: str
    context: str
    source: str
    evse_id: int | None
    verdict: Literal["verified", "invalid", "unverifiable"]
    reason: str
    key_source: Literal["registered", "frame"] | None = Field(description=(
        "Which key verified it (or failed to): one registered for the station, or the one in "
        "the frame (integrity only: the station vouches for its own key)."))
    key_id: str | None
    key_fingerprint: str | None
    algorithm: str | None
    meter_serial: str | None
    pagination: str | None
    signed_reading: str | None = Field(description="The signed reading compared, e.g. "
                                       "'2965.1 kWh'.")  # fmt: skip
    plain_value: str | None
    plain_unit: str | None
    signed_data: object = Field(description="As sent: 1.6 SignedData text or the 2.0.1 "
                                "signedMeterValue object.")  # fmt: skip
