"""What 1.6 and 2.0.1 transactions share: the energy of a transaction and the anomalies a
transaction's data may show (docs/SESSIONS.md, "Anomalies").

The handlers are :mod:`processors.ocpp16.transactions` (StartTransaction / StopTransaction)
and :mod:`processors.ocpp201.transactions` (TransactionEvent).
"""

from __future__ import annotations

METER_STOP_BELOW_START = "meter_stop_below_start"
UNKNOWN_TRANSACTION = "unknown_transaction"
METER_START_MISSING = "meter_start_missing"


def energy_wh(meter_start: float | None, meter_stop: float | None,
              anomalies: list[str]) -> float | None:  # fmt: skip
    """stop − start in Wh; None (and flagged) when the meter went backwards (SteVe accepted a
    StopTransaction with meterStop < meterStart as negative energy)."""
    if meter_start is None or meter_stop is None:
        return None
    if meter_stop < meter_start:
        anomalies.append(METER_STOP_BELOW_START)
        return None
    return meter_stop - meter_start
