"""Which side initiates each action: the CSMS or the charging station.

The OCA JSON schemas (``schemas/ocpp16``, ``schemas/ocpp201``) define every message but not
who sends it, so the CSMS-initiated actions are stated here, once, from the specifications:

- OCPP 1.6 §5 "Operations initiated by Central System", plus the CSMS-initiated messages of
  the OCPP 1.6 Security Whitepaper (CertificateSigned, DeleteCertificate,
  ExtendedTriggerMessage, GetInstalledCertificateIds, GetLog, InstallCertificate,
  SignedUpdateFirmware);
- OCPP 2.0.1 Part 2, the messages its use cases send from the CSMS to the station.

Every other action of a version is initiated by the station. DataTransfer goes both ways
(1.6 §4.3 and §5.6; 2.0.1 P01 / P02), so it is in both sets.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from ocpp.validation import known_actions
from ocpp.versions import OcppVersion

__all__ = ["BOTH_WAYS", "CSMS_INITIATED", "csms_initiated", "station_initiated"]

BOTH_WAYS: Final = frozenset({"DataTransfer"})

CSMS_INITIATED: Final[Mapping[OcppVersion, frozenset[str]]] = {
    OcppVersion.V16: frozenset({
        "CancelReservation", "CertificateSigned", "ChangeAvailability", "ChangeConfiguration",
        "ClearCache", "ClearChargingProfile", "DataTransfer", "DeleteCertificate",
        "ExtendedTriggerMessage", "GetCompositeSchedule", "GetConfiguration", "GetDiagnostics",
        "GetInstalledCertificateIds", "GetLocalListVersion", "GetLog", "InstallCertificate",
        "RemoteStartTransaction", "RemoteStopTransaction", "ReserveNow", "Reset",
        "SendLocalList", "SetChargingProfile", "SignedUpdateFirmware", "TriggerMessage",
        "UnlockConnector", "UpdateFirmware",
    }),
    OcppVersion.V201: frozenset({
        "CancelReservation", "CertificateSigned", "ChangeAvailability", "ClearCache",
        "ClearChargingProfile", "ClearDisplayMessage", "ClearVariableMonitoring", "CostUpdated",
        "CustomerInformation", "DataTransfer", "DeleteCertificate", "GetBaseReport",
        "GetChargingProfiles", "GetCompositeSchedule", "GetDisplayMessages",
        "GetInstalledCertificateIds", "GetLocalListVersion", "GetLog", "GetMonitoringReport",
        "GetReport", "GetTransactionStatus", "GetVariables", "InstallCertificate",
        "PublishFirmware", "RequestStartTransaction", "RequestStopTransaction", "ReserveNow",
        "Reset", "SendLocalList", "SetChargingProfile", "SetDisplayMessage",
        "SetMonitoringBase", "SetMonitoringLevel", "SetNetworkProfile", "SetVariableMonitoring",
        "SetVariables", "TriggerMessage", "UnlockConnector", "UnpublishFirmware",
        "UpdateFirmware",
    }),
}  # fmt: skip
"""Per version: the actions the CSMS may send as a CALL."""


def csms_initiated(version: OcppVersion) -> frozenset[str]:
    """The actions the CSMS sends to a station of ``version``."""
    return CSMS_INITIATED[version]


def station_initiated(version: OcppVersion) -> frozenset[str]:
    """The actions a station of ``version`` sends to the CSMS."""
    return (known_actions(version) - CSMS_INITIATED[version]) | BOTH_WAYS
