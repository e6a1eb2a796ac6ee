"""ocpp.directions: who initiates each action."""

from __future__ import annotations

import pytest

from ocpp import OcppVersion, csms_initiated, known_actions, station_initiated
from ocpp.directions import BOTH_WAYS

V16, V201 = OcppVersion.V16, OcppVersion.V201


@pytest.mark.parametrize("version", list(OcppVersion))
def test_every_action_has_a_side_and_only_data_transfer_has_both(version: OcppVersion) -> None:
    csms, station = csms_initiated(version), station_initiated(version)
    assert csms <= known_actions(version)
    assert csms | station == known_actions(version)
    assert csms & station == BOTH_WAYS == {"DataTransfer"}


@pytest.mark.parametrize(("version", "action"), [
    (V16, "RemoteStartTransaction"), (V16, "GetConfiguration"), (V16, "GetLog"),
    (V16, "ExtendedTriggerMessage"), (V201, "RequestStartTransaction"),
    (V201, "GetVariables"), (V201, "SetNetworkProfile"), (V201, "CostUpdated"),
])  # fmt: skip
def test_csms_initiated(version: OcppVersion, action: str) -> None:
    assert action in csms_initiated(version) and action not in station_initiated(version)


@pytest.mark.parametrize(("version", "action"), [
    (V16, "BootNotification"), (V16, "StartTransaction"), (V16, "SignCertificate"),
    (V16, "SecurityEventNotification"), (V201, "TransactionEvent"), (V201, "NotifyReport"),
    (V201, "Get15118EVCertificate"), (V201, "ReservationStatusUpdate"),
])  # fmt: skip
def test_station_initiated(version: OcppVersion, action: str) -> None:
    assert action in station_initiated(version) and action not in csms_initiated(version)
