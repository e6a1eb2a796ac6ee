"""Handlers of OCPP 1.6 Calls: each reads its 1.6 request model and answers with its 1.6
response model; the rules both versions share are in :mod:`processors.core`."""

from __future__ import annotations

from processors.ocpp16 import authorization, boot, meter_values, notifications, status, transactions

__all__ = ["authorization", "boot", "meter_values", "notifications", "status", "transactions"]
