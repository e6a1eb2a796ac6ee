"""Which station Calls a TriggerMessage asks for.

OCPP 1.6 §5.17 / §6.53 (TriggerMessage) and the Security Whitepaper's
ExtendedTriggerMessage, OCPP 2.0.1 F06 (MessageTriggerEnumType): the requested message is
named by an enum value, mostly the action itself; the certificate ones ask for a
SignCertificate, and 1.6's extended FirmwareStatusNotification for the signed variant.
"""

from __future__ import annotations

from datetime import timedelta

WINDOW = timedelta(seconds=120)
"""How long after accepting a TriggerMessage a station not yet Accepted may send what it
asked for (a StatusNotification without a connector id brings one per connector)."""

_SIGN = ("SignCertificate",)
_ACTIONS: dict[str, tuple[str, ...]] = {
    "FirmwareStatusNotification": ("FirmwareStatusNotification",
                                   "SignedFirmwareStatusNotification"),
    "SignChargePointCertificate": _SIGN,
    "SignChargingStationCertificate": _SIGN,
    "SignV2GCertificate": _SIGN,
    "SignCombinedCertificate": _SIGN,
}  # fmt: skip


def requested_actions(requested_message: str) -> tuple[str, ...]:
    """The Call actions that answer a trigger for ``requested_message``."""
    return _ACTIONS.get(requested_message, (requested_message,))
