"""Handlers of OCPP 2.0.1 Calls: each reads its 2.0.1 request model and answers with its
2.0.1 response model; the rules both versions share are in :mod:`processors.core`."""

from __future__ import annotations

from processors.ocpp201 import (
    authorization,
    boot,
    device_model,
    meter_values,
    notifications,
    status,
    transactions,
)

__all__ = ["authorization", "boot", "device_model", "meter_values", "notifications", "status",
           "transactions"]  # fmt: skip
