"""The benchmark report (bench/run_all.py) renders every section from a run's results."""

from __future__ import annotations

import json
from pathlib import Path

from bench.run_all import markdown

LAST_RUN = Path("bench/results/2026-11-22.json")
HOPS = {"rate": 100.0, "round_trip": {"p50_ms": 5.2, "p95_ms": 12.0, "p99_ms": 20.0},
        "steps": {"to_reply": {"p50_ms": 3.0, "p95_ms": 8.0, "p99_ms": 23.0},
                  "to_sent": {"p50_ms": 2.0, "p95_ms": 4.0, "p99_ms": 8.0}}}  # fmt: skip


def test_the_report_has_every_section_and_the_round_trip_steps() -> None:
    result = json.loads(LAST_RUN.read_text()) | {"hops": HOPS}
    text = markdown(result, str(LAST_RUN))
    for heading in ("## 1. Connections", "## 2-3. Round trip", "## 4. Throughput",
                    "## Where the time goes", "## 5. Rebuild"):  # fmt: skip
        assert heading in text
    assert "| frame appended → reply appended (Kafka hop + processor) | 3 | 8 | 23 |" in text
    assert "| station round trip (load generator) | 5.2 | 12.0 | 20.0 |" in text


def test_a_run_without_the_round_trip_steps_still_renders() -> None:
    result = json.loads(LAST_RUN.read_text())
    result.pop("hops", None)
    text = markdown(result, str(LAST_RUN))
    assert "Where a round trip goes" not in text and "## 5. Rebuild" in text


def test_the_floors_of_a_run_are_reported() -> None:
    result = json.loads(LAST_RUN.read_text())
    result["latency"]["rates"]["100"]["floor"]["broker_cpu_ms_per_message"] = 0.9
    result["rebuild"] |= {"meter_value_rows": 4_200_000, "store_floor_s": 25.0,
                          "store_floor_events_per_s": 40_000}  # fmt: skip
    text = markdown(result, str(LAST_RUN))
    assert "one produce, one fetch): 0.9 ms at 100 msg/s" in text
    assert "4,200,000 meter-value rows" in text and "beats 40,000 events/s" in text


def test_the_billing_backfill_and_its_floors_are_reported() -> None:
    result = json.loads(LAST_RUN.read_text()) | {"billing": {
        "events": 1_000_040, "sessions": 45_456, "replayed": 1_000_040, "replay_s": 31.2,
        "records_per_s": 32_052, "kafka_floor_records_per_s": 210_000,
        "in_process_floor_events_per_s": 40_000, "store_floor_events_per_s": 300_000,
        "billing_v1_excl_vat": "44314.50", "billing_v2_excl_vat": "47950.80",
    }}  # fmt: skip
    text = markdown(result, str(LAST_RUN))
    assert "## 6. Billing backfill" in text
    assert "| 1,000,040 | 31.2 | 32,052 | 210,000 | 40,000 | 300,000 |" in text
    assert "## 6. Billing backfill" not in markdown(json.loads(LAST_RUN.read_text()), "x")


def test_the_audit_timeline_and_its_floor_are_reported() -> None:
    timing = {"best_s": 0.2, "median_s": 0.25}
    result = json.loads(LAST_RUN.read_text()) | {"audit_timeline": {
        "meter_values": 1000, "other_stations": 12, "records_in_spans": 9_000,
        "timeline": {"frames": 2004, "events": 1010, "bytes": 2_400_000, "pages": 1},
        "api": timing, "cli_in_process": timing, "cli_process": {"best_s": 1.5, "median_s": 1.6},
        "kafka_floor": {"best_s": 0.03, "median_s": 0.04},
    }}  # fmt: skip
    text = markdown(result, str(LAST_RUN))
    assert "## Audit: a transaction's timeline" in text
    assert "2,004 frames and 1,010 events (2.4 MB of JSON, 1 page(s))" in text
    assert "| floor: the same spans fetched by a started bare consumer, not decoded | 0.03 |" \
        in text
    assert "## Audit: a transaction's timeline" not in markdown(json.loads(LAST_RUN.read_text()),
                                                               "x")  # fmt: skip
