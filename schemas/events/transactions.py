"""Authorization, transactions and meter values (OCPP 1.6 §4.1, §4.7, §4.8, §4.10; 2.0.1 C01,
E01-E15, J01)."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field

from schemas.events.admin import TariffTarget
from schemas.events.base import DomainEvent, EventPart, OcppVersionName, WireTime
from schemas.tariffs import Tariff, TariffId

Anomaly = Literal["meter_stop_below_start", "unknown_transaction", "meter_start_missing"]
"""What a transaction's data got wrong (docs/SESSIONS.md, "Anomalies")."""


class IdTokenAuthorized(DomainEvent):
    """An Authorize request answered (1.6 §4.1; 2.0.1 C01)."""

    id_token: Annotated[str, Field(max_length=36)]
    id_token_type: str | None
    status: str
    group_id: str | None
    expires_at: WireTime | None


class _TransactionFacts(DomainEvent):
    """What every transaction event states: which transaction, where, and the 2.0.1
    TransactionEvent's own fields (null for 1.6)."""

    shared_fields: ClassVar[bool] = True

    id: Annotated[int, Field(ge=1)]
    """CSMS-unique transaction id (1.6: the id sent to the station)."""
    transaction_id: Annotated[str, Field(max_length=36)]
    """The transaction id as on the wire."""
    ocpp_version: OcppVersionName
    evse_id: int | None
    connector_id: int | None
    seq_no: int | None
    trigger_reason: str | None
    charging_state: str | None
    offline: bool


class _TransactionFactsWithToken(_TransactionFacts):
    """... and the token presented with the event, as authorized (null when none was)."""

    shared_fields: ClassVar[bool] = True

    id_token: Annotated[str | None, Field(max_length=36)]
    id_token_type: str | None
    id_token_status: str | None


class TransactionStarted(_TransactionFactsWithToken):
    """A transaction started (1.6 StartTransaction, §4.8; 2.0.1 TransactionEvent Started, E01-E05).
    """

    started_at: WireTime
    meter_start_wh: float | None
    reservation_id: int | None
    remote_start_id: int | None
    start_key: str | None
    """1.6: connector|idTag|timestamp, identifies a retried StartTransaction."""


class TransactionUpdated(_TransactionFactsWithToken):
    """A 2.0.1 TransactionEvent Updated (or a repeated Started), possibly for a transaction the
    CSMS never saw start.
    """

    at: WireTime
    last_seq_no: int
    missing_seq_nos: tuple[int, ...]
    register_wh: float | None
    anomalies: tuple[Anomaly, ...]


class TransactionEnded(_TransactionFacts):
    """A transaction ended (1.6 StopTransaction, §4.10; 2.0.1 TransactionEvent Ended, E06)."""

    stopped_at: WireTime
    meter_start_wh: float | None
    meter_stop_wh: float | None
    energy_wh: Annotated[float | None, Field(ge=0)]
    stop_reason: str
    stop_id_token: Annotated[str | None, Field(max_length=36)]
    last_seq_no: int | None = None
    missing_seq_nos: tuple[int, ...]
    anomalies: tuple[Anomaly, ...]


class Sample(EventPart):
    """One item of MeterValuesReported."""

    sampled_at: WireTime
    measurand: str
    phase: str | None
    context: str
    location: str
    value: str
    """The value as sent (1.6 text; 2.0.1 number as text)."""
    unit: str | None
    """The unit as sent (null when absent)."""
    multiplier: int | None
    canonical_value: float | None
    canonical_unit: Literal["Wh", "varh", "W", "VA", "var", "A", "V", "%", "Hz", "Celsius"] | None
    format: str | None
    signed_data: str | dict[str, Any] | None
    """1.6 SignedData value text or 2.0.1 signedMeterValue object, verbatim."""


class MeterValuesReported(DomainEvent):
    """Sampled values from MeterValues, StopTransaction.transactionData or
    TransactionEvent.meterValue.
    """

    id: int | None
    transaction_id: Annotated[str | None, Field(max_length=36)]
    evse_id: int | None
    connector_id: int | None
    source: Literal["MeterValues", "StopTransaction", "TransactionEvent"]
    samples: tuple[Sample, ...]


class TariffApplied(DomainEvent):
    """The processor priced a transaction: the tariff version its cost is rated by, carried
    whole so the events log alone proves a price (OCPI 2.2.1 mod_tariffs: "a driver accepts
    the tariff which is valid when they start"; OCPP 2.0.1 I01-I03). Emitted once, with the
    transaction's TransactionStarted, when a tariff applies to it (docs/BILLING.md, "Which
    tariff prices a session"); a token presented later does not re-price the session.
    """

    id: Annotated[int, Field(ge=1)]
    """The CSMS transaction id."""
    transaction_id: Annotated[str, Field(max_length=36)]
    tariff_id: TariffId
    tariff_version: Annotated[int, Field(ge=1)]
    assigned_by: TariffTarget
    group_id: Annotated[str | None, Field(max_length=36)]
    """The token's group when ``assigned_by`` is ``token_group``."""
    time_zone: str
    """The station's IANA time zone when priced (UTC when it has none)."""
    tariff: Tariff
