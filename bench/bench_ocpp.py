"""Throughput of the OCPP core on one core: parse + validate + build the typed model.

    python bench/bench_ocpp.py [--seconds 1.0] [--out results.json]

Prints a table and JSON (to stdout, or to ``--out``). Frames: 1.6 Heartbeat, 1.6
MeterValues with 10 sampled values, 2.0.1 TransactionEvent Updated with meter values.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ocpp import Call, OcppVersion, parse, serialize, to_model, warm_up

V16, V201 = OcppVersion.V16, OcppVersion.V201


def _sample(value: str, measurand: str, unit: str, **extra: str) -> dict[str, str]:
    return {"value": value, "measurand": measurand, "unit": unit, **extra}


METER_VALUES_16: dict[str, Any] = {
    "connectorId": 1,
    "transactionId": 4711,
    "meterValue": [
        {
            "timestamp": "2024-05-01T12:30:00Z",
            "sampledValue": [
                _sample(
                    "15234.5", "Energy.Active.Import.Register", "Wh", context="Sample.Periodic"
                ),
                _sample("7360", "Power.Active.Import", "W", context="Sample.Periodic"),
                _sample("16.1", "Current.Import", "A", phase="L1"),
                _sample("16.0", "Current.Import", "A", phase="L2"),
                _sample("15.9", "Current.Import", "A", phase="L3"),
                _sample("230.1", "Voltage", "V", phase="L1-N"),
                _sample("229.8", "Voltage", "V", phase="L2-N"),
                _sample("231.0", "Voltage", "V", phase="L3-N"),
                _sample("54", "SoC", "Percent", location="EV"),
                _sample("31.5", "Temperature", "Celsius", location="Body"),
            ],
        }
    ],
}

TRANSACTION_EVENT_201: dict[str, Any] = {
    "eventType": "Updated",
    "timestamp": "2024-05-01T12:30:00.000Z",
    "triggerReason": "MeterValuePeriodic",
    "seqNo": 7,
    "transactionInfo": {"transactionId": "f1c6f2a8-0b2e-4a1e", "chargingState": "Charging"},
    "evse": {"id": 1, "connectorId": 1},
    "meterValue": [
        {
            "timestamp": "2024-05-01T12:30:00.000Z",
            "sampledValue": [
                {
                    "value": 15234.5,
                    "measurand": "Energy.Active.Import.Register",
                    "context": "Sample.Periodic",
                    "unitOfMeasure": {"unit": "Wh"},
                },
                {"value": 7360, "measurand": "Power.Active.Import", "unitOfMeasure": {"unit": "W"}},
                {"value": 16.1, "measurand": "Current.Import", "phase": "L1"},
                {"value": 16.0, "measurand": "Current.Import", "phase": "L2"},
                {"value": 15.9, "measurand": "Current.Import", "phase": "L3"},
                {"value": 230.1, "measurand": "Voltage", "phase": "L1-N"},
                {"value": 54, "measurand": "SoC", "location": "EV"},
            ],
        }
    ],
}

FRAMES: list[tuple[str, OcppVersion, str]] = [
    ("1.6 Heartbeat", V16, serialize(Call("hb-1", "Heartbeat", {}))),
    (
        "1.6 MeterValues (10 sampled values)",
        V16,
        serialize(Call("mv-1", "MeterValues", METER_VALUES_16)),
    ),
    (
        "2.0.1 TransactionEvent Updated",
        V201,
        serialize(Call("te-1", "TransactionEvent", TRANSACTION_EVENT_201)),
    ),
]


@dataclass(frozen=True)
class Result:
    frame: str
    bytes: int
    parse_validate_per_s: float
    parse_validate_model_per_s: float


def _handle(text: str, version: OcppVersion, build_model: bool) -> None:
    message = parse(text, version)
    if not isinstance(message, Call):
        raise SystemExit(f"benchmark frame rejected: {message}")
    if build_model:
        to_model(version, message.action, message.payload, response=False)


def _rate(text: str, version: OcppVersion, build_model: bool, seconds: float) -> float:
    count, start = 0, time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(200):
            _handle(text, version, build_model)
        count += 200
        now = time.perf_counter()
        if now >= deadline:
            return count / (now - start)


def run(seconds: float) -> list[Result]:
    warm_up(V16)
    warm_up(V201)
    results = []
    for name, version, text in FRAMES:
        _handle(text, version, True)
        results.append(
            Result(
                name,
                len(text.encode()),
                round(_rate(text, version, False, seconds)),
                round(_rate(text, version, True, seconds)),
            )
        )
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="time per measurement")
    parser.add_argument("--out", type=Path, help="write JSON here instead of stdout")
    args = parser.parse_args(argv)
    results = run(args.seconds)
    print(f"{'frame':40} {'bytes':>6} {'parse+validate/s':>17} {'+model/s':>10}", file=sys.stderr)
    for r in results:
        print(
            f"{r.frame:40} {r.bytes:6d} {r.parse_validate_per_s:17,.0f} "
            f"{r.parse_validate_model_per_s:10,.0f}",
            file=sys.stderr,
        )
    report = json.dumps({"python": sys.version.split()[0], "results": [asdict(r) for r in results]})
    if args.out:
        args.out.write_text(report + "\n")
    else:
        print(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
