"""The OCPP versions this package speaks."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["OcppVersion"]


class OcppVersion(StrEnum):
    """An OCPP-J version; the value is the WebSocket subprotocol name (OCPP-J 1.6 §3.1.2,
    OCPP-J 2.0.1 §3.1.2)."""

    V16 = "ocpp1.6"
    V201 = "ocpp2.0.1"
