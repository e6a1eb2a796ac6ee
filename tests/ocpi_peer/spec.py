"""The OCPI 2.2.1 objects the test eMSP checks what it receives against, written from the
specification alone (types.asciidoc, mod_*.asciidoc), independently of the product's own
models: a misreading on either side shows up as a violation.

Each model forbids unknown fields (a misspelt field is the commonest misreading) and states
the spec's lengths (``CiString(36)`` → ``max_length=36``) and enumerations. ``violations_of``
turns a validation failure into readable lines, ``envelope_violations`` checks the response
format (transport_and_format §Response format).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

# OCPI 2.2.1 types §DateTime: string(25), RFC 3339, UTC: "Z" or no designator; fractional
# seconds allowed ("2015-06-29T20:39:09Z", "2016-12-29T17:45:09.2", ...).
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z?$")


def _utc_datetime(value: str) -> str:
    if len(value) > 25 or not DATETIME.match(value):
        raise ValueError(f"not an OCPI DateTime (RFC 3339 UTC, string(25)): {value!r}")
    datetime.fromisoformat(value.removesuffix("Z"))
    return value


def _ascii(value: str) -> str:
    # OCPI 2.2.1 types §CiString: only printable ASCII.
    if not all(32 <= ord(c) < 127 for c in value):
        raise ValueError(f"not printable ASCII: {value!r}")
    return value


DateTime = Annotated[str, AfterValidator(_utc_datetime)]


# OCPI 2.2.1 types §CiString(n) (printable ASCII, case-insensitive) and §string(n).
CiString2 = Annotated[str, Field(max_length=2), AfterValidator(_ascii)]
CiString3 = Annotated[str, Field(max_length=3), AfterValidator(_ascii)]
CiString36 = Annotated[str, Field(max_length=36), AfterValidator(_ascii)]
CiString39 = Annotated[str, Field(max_length=39), AfterValidator(_ascii)]
CiString48 = Annotated[str, Field(max_length=48), AfterValidator(_ascii)]
String2 = Annotated[str, Field(max_length=2)]
String3 = Annotated[str, Field(max_length=3)]
String4 = Annotated[str, Field(max_length=4)]
String10 = Annotated[str, Field(max_length=10)]
String16 = Annotated[str, Field(max_length=16)]
String20 = Annotated[str, Field(max_length=20)]
String45 = Annotated[str, Field(max_length=45)]
String100 = Annotated[str, Field(max_length=100)]
String255 = Annotated[str, Field(max_length=255)]
String512 = Annotated[str, Field(max_length=512)]
URL = Annotated[str, Field(max_length=255)]


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


# -- types.asciidoc ----------------------------------------------------------------------


class DisplayText(Spec):
    language: String2
    text: String512


class Price(Spec):
    excl_vat: float
    incl_vat: float | None = None


class GeoLocation(Spec):
    # OCPI 2.2.1 mod_locations §GeoLocation: regexes -?[0-9]{1,2}\.[0-9]{5,7} (latitude)
    # and -?[0-9]{1,3}\.[0-9]{5,7} (longitude).
    latitude: Annotated[str, Field(max_length=10, pattern=r"^-?[0-9]{1,2}\.[0-9]{5,7}$")]
    longitude: Annotated[str, Field(max_length=11, pattern=r"^-?[0-9]{1,3}\.[0-9]{5,7}$")]


class BusinessDetails(Spec):
    name: String100
    website: URL | None = None
    logo: dict[str, Any] | None = None


# -- credentials.asciidoc, version_information_endpoint.asciidoc -------------------------

Role = Literal["CPO", "EMSP", "HUB", "NAP", "NSP", "OTHER", "SCSP"]
ModuleID = Literal["cdrs", "chargingprofiles", "commands", "credentials", "hubclientinfo",
                   "locations", "sessions", "tariffs", "tokens"]  # fmt: skip


class CredentialsRole(Spec):
    role: Role
    business_details: BusinessDetails
    party_id: CiString3
    country_code: CiString2


class Credentials(Spec):
    token: Annotated[str, Field(max_length=64, pattern=r"^[!-~]+$")]
    url: URL
    roles: Annotated[list[CredentialsRole], Field(min_length=1)]


class Version(Spec):
    version: Literal["2.0", "2.1", "2.1.1", "2.2", "2.2.1"] | str
    url: URL


class Endpoint(Spec):
    identifier: ModuleID
    role: Literal["SENDER", "RECEIVER"]
    url: URL


class VersionDetails(Spec):
    version: str
    endpoints: list[Endpoint]


# -- mod_locations.asciidoc --------------------------------------------------------------

EvseStatus = Literal["AVAILABLE", "BLOCKED", "CHARGING", "INOPERATIVE", "OUTOFORDER",
                     "PLANNED", "REMOVED", "RESERVED", "UNKNOWN"]  # fmt: skip
ConnectorFormat = Literal["SOCKET", "CABLE"]
PowerType = Literal["AC_1_PHASE", "AC_2_PHASE", "AC_2_PHASE_SPLIT", "AC_3_PHASE", "DC"]
ConnectorType = Literal[
    "CHADEMO", "CHAOJI", "DOMESTIC_A", "DOMESTIC_B", "DOMESTIC_C", "DOMESTIC_D", "DOMESTIC_E",
    "DOMESTIC_F", "DOMESTIC_G", "DOMESTIC_H", "DOMESTIC_I", "DOMESTIC_J", "DOMESTIC_K",
    "DOMESTIC_L", "DOMESTIC_M", "DOMESTIC_N", "DOMESTIC_O", "GBT_AC", "GBT_DC",
    "IEC_60309_2_single_16", "IEC_60309_2_three_16", "IEC_60309_2_three_32",
    "IEC_60309_2_three_64", "IEC_62196_T1", "IEC_62196_T1_COMBO", "IEC_62196_T2",
    "IEC_62196_T2_COMBO", "IEC_62196_T3A", "IEC_62196_T3C", "NEMA_5_20", "NEMA_6_30",
    "NEMA_6_50", "NEMA_10_30", "NEMA_10_50", "NEMA_14_30", "NEMA_14_50", "PANTOGRAPH_BOTTOM_UP",
    "PANTOGRAPH_TOP_DOWN", "TESLA_R", "TESLA_S",
]


class Connector(Spec):
    id: CiString36
    standard: ConnectorType
    format: ConnectorFormat
    power_type: PowerType
    max_voltage: int
    max_amperage: int
    max_electric_power: int | None = None
    tariff_ids: list[CiString36] | None = None
    terms_and_conditions: URL | None = None
    last_updated: DateTime


class Evse(Spec):
    uid: CiString36
    evse_id: CiString48 | None = None
    status: EvseStatus
    status_schedule: list[dict[str, Any]] | None = None
    capabilities: list[str] | None = None
    connectors: Annotated[list[Connector], Field(min_length=1)]
    floor_level: String4 | None = None
    coordinates: GeoLocation | None = None
    physical_reference: String16 | None = None
    directions: list[DisplayText] | None = None
    parking_restrictions: list[str] | None = None
    images: list[dict[str, Any]] | None = None
    last_updated: DateTime


class Location(Spec):
    country_code: CiString2
    party_id: CiString3
    id: CiString36
    publish: bool
    publish_allowed_to: list[dict[str, Any]] | None = None
    name: String255 | None = None
    address: String45
    city: String45
    postal_code: String10 | None = None
    state: String20 | None = None
    country: String3
    coordinates: GeoLocation
    related_locations: list[dict[str, Any]] | None = None
    parking_type: Literal["ALONG_MOTORWAY", "PARKING_GARAGE", "PARKING_LOT", "ON_DRIVEWAY",
                          "ON_STREET", "UNDERGROUND_GARAGE"] | None = None  # fmt: skip
    evses: list[Evse] | None = None
    directions: list[DisplayText] | None = None
    operator: BusinessDetails | None = None
    suboperator: BusinessDetails | None = None
    owner: BusinessDetails | None = None
    facilities: list[str] | None = None
    time_zone: String255
    opening_times: dict[str, Any] | None = None
    charging_when_closed: bool | None = None
    images: list[dict[str, Any]] | None = None
    energy_mix: dict[str, Any] | None = None
    last_updated: DateTime


# -- mod_tokens.asciidoc, mod_sessions.asciidoc, mod_cdrs.asciidoc ------------------------

TokenType = Literal["AD_HOC_USER", "APP_USER", "OTHER", "RFID"]
AuthMethod = Literal["AUTH_REQUEST", "COMMAND", "WHITELIST"]


class CdrToken(Spec):
    country_code: CiString2
    party_id: CiString3
    uid: CiString36
    type: TokenType
    contract_id: CiString36


class CdrDimension(Spec):
    type: Literal["CURRENT", "ENERGY", "ENERGY_EXPORT", "ENERGY_IMPORT", "MAX_CURRENT",
                  "MIN_CURRENT", "MAX_POWER", "MIN_POWER", "PARKING_TIME", "POWER",
                  "RESERVATION_TIME", "STATE_OF_CHARGE", "TIME"]  # fmt: skip
    volume: float


class ChargingPeriod(Spec):
    start_date_time: DateTime
    dimensions: Annotated[list[CdrDimension], Field(min_length=1)]
    tariff_id: CiString36 | None = None


class Session(Spec):
    country_code: CiString2
    party_id: CiString3
    id: CiString36
    start_date_time: DateTime
    end_date_time: DateTime | None = None
    kwh: float
    cdr_token: CdrToken
    auth_method: AuthMethod
    authorization_reference: CiString36 | None = None
    location_id: CiString36
    evse_uid: CiString36
    connector_id: CiString36
    meter_id: String255 | None = None
    currency: String3
    charging_periods: list[ChargingPeriod] | None = None
    total_cost: Price | None = None
    status: Literal["ACTIVE", "COMPLETED", "INVALID", "PENDING", "RESERVATION"]
    last_updated: DateTime


class CdrLocation(Spec):
    id: CiString36
    name: String255 | None = None
    address: String45
    city: String45
    postal_code: String10 | None = None
    state: String20 | None = None
    country: String3
    coordinates: GeoLocation
    evse_uid: CiString36
    evse_id: CiString48
    connector_id: CiString36
    connector_standard: ConnectorType
    connector_format: ConnectorFormat
    connector_power_type: PowerType


class Cdr(Spec):
    country_code: CiString2
    party_id: CiString3
    id: CiString39
    start_date_time: DateTime
    end_date_time: DateTime
    session_id: CiString36 | None = None
    cdr_token: CdrToken
    auth_method: AuthMethod
    authorization_reference: CiString36 | None = None
    cdr_location: CdrLocation
    meter_id: String255 | None = None
    currency: String3
    tariffs: list[dict[str, Any]] | None = None
    charging_periods: Annotated[list[ChargingPeriod], Field(min_length=1)]
    signed_data: dict[str, Any] | None = None
    total_cost: Price
    total_fixed_cost: Price | None = None
    total_energy: float
    total_energy_cost: Price | None = None
    total_time: float
    total_time_cost: Price | None = None
    total_parking_time: float | None = None
    total_parking_cost: Price | None = None
    total_reservation_cost: Price | None = None
    remark: String255 | None = None
    invoice_reference_id: CiString39 | None = None
    credit: bool | None = None
    credit_reference_id: CiString39 | None = None
    home_charging_compensation: bool | None = None
    last_updated: DateTime


# -- mod_tariffs.asciidoc ----------------------------------------------------------------


class PriceComponent(Spec):
    type: Literal["ENERGY", "FLAT", "PARKING_TIME", "TIME"]
    price: float
    vat: float | None = None
    step_size: int


class TariffElement(Spec):
    price_components: Annotated[list[PriceComponent], Field(min_length=1)]
    restrictions: dict[str, Any] | None = None


class Tariff(Spec):
    country_code: CiString2
    party_id: CiString3
    id: CiString36
    currency: String3
    type: Literal["AD_HOC_PAYMENT", "PROFILE_CHEAP", "PROFILE_FAST", "PROFILE_GREEN",
                  "REGULAR"] | None = None  # fmt: skip
    tariff_alt_text: list[DisplayText] | None = None
    tariff_alt_url: URL | None = None
    min_price: Price | None = None
    max_price: Price | None = None
    elements: Annotated[list[TariffElement], Field(min_length=1)]
    energy_mix: dict[str, Any] | None = None
    start_date_time: DateTime | None = None
    end_date_time: DateTime | None = None
    last_updated: DateTime


# -- mod_commands.asciidoc ---------------------------------------------------------------


class CommandResponse(Spec):
    result: Literal["NOT_SUPPORTED", "REJECTED", "ACCEPTED", "UNKNOWN_SESSION"]
    timeout: int
    message: list[DisplayText] | None = None


class CommandResult(Spec):
    result: Literal["ACCEPTED", "CANCELED_RESERVATION", "EVSE_OCCUPIED", "EVSE_INOPERATIVE",
                    "FAILED", "NOT_SUPPORTED", "REJECTED", "TIMEOUT", "UNKNOWN_RESERVATION"]
    message: list[DisplayText] | None = None


# The objects a peer receives or reads, by what they are called in its records.
OBJECTS: dict[str, type[Spec]] = {
    "locations": Location, "evses": Evse, "connectors": Connector, "sessions": Session,
    "cdrs": Cdr, "tariffs": Tariff, "credentials": Credentials, "versions": Version,
    "version_details": VersionDetails, "command_response": CommandResponse,
    "command_result": CommandResult,
}  # fmt: skip


def violations_of(kind: str, value: Any) -> list[str]:
    """What in ``value`` breaks the spec's ``kind`` object (empty when it conforms)."""
    try:
        OBJECTS[kind].model_validate(value)
    except ValidationError as e:
        return [f"{kind}: {'.'.join(map(str, err['loc']))}: {err['msg']}" for err in e.errors()]
    return []


STATUS_RANGES = ((1000, 1999), (2000, 2999), (3000, 3999), (4000, 4999))


def envelope_violations(body: Any, *, http_status: int) -> list[str]:
    """OCPI 2.2.1 transport_and_format §Response format: data (optional), status_code (int,
    four digits, status_codes.asciidoc), status_message (optional string), timestamp
    (DateTime); nothing else. A 1xxx status on an HTTP error, or an error status on HTTP 200
    for a client error, is reported too."""
    if not isinstance(body, dict):
        return [f"envelope: not a JSON object: {body!r:.200}"]
    found: list[str] = []
    extra = set(body) - {"data", "status_code", "status_message", "timestamp"}
    if extra:
        found.append(f"envelope: unknown fields {sorted(extra)}")
    code = body.get("status_code")
    if type(code) is not int or not any(lo <= code <= hi for lo, hi in STATUS_RANGES):
        found.append(f"envelope: status_code not an OCPI status: {code!r}")
    elif code < 2000 and http_status >= 400:
        found.append(f"envelope: success status {code} on HTTP {http_status}")
    message = body.get("status_message")
    if message is not None and not isinstance(message, str):
        found.append(f"envelope: status_message not a string: {message!r}")
    stamp = body.get("timestamp")
    try:
        _utc_datetime(stamp) if isinstance(stamp, str) else _utc_datetime("")
    except ValueError:
        found.append(f"envelope: timestamp not an OCPI DateTime: {stamp!r}")
    return found
