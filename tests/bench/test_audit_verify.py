"""bench/audit_verify.py: the records it fills the log with, and its section of the report."""

from __future__ import annotations

from bench.audit_verify import records
from bench.run_all import _audit_verify
from schemas.envelopes import FrameRecord


def test_each_station_gets_calls_and_their_answers_keyed_by_it() -> None:
    pairs = records(8, 2)
    assert [k for k, _ in pairs] == [b"BENCH-00000", b"BENCH-00001"] * 4
    first = [FrameRecord.decode(v) for k, v in pairs if k == b"BENCH-00000"]
    assert [r.raw[:2] if r.raw else "" for r in first] == ["[2", "[3", "[2", "[3"]


def test_the_report_shows_verify_beside_its_floor() -> None:
    lines = "\n".join(_audit_verify({
        "frames": 500_000, "stations": 500, "checkpoints": 1000, "index_s": 40.0,
        "index_frames_per_s": 12_500, "verify_s": 3.0, "verify_frames_per_s": 166_667,
        "floor_s": 2.0, "floor_frames_per_s": 250_000}))  # fmt: skip
    assert "| verify (read, chain, checkpoints, report) | 3.0 | 166,667 |" in lines
    assert "| floor: the same records read from Kafka, nothing done | 2.0 | 250,000 |" in lines
    assert _audit_verify(None) == []
