"""Benchmarks 2-4: round-trip latency at fixed offered rates, the raw Kafka floor measured in
the same run, and the highest rate at which p99 stays under 100 ms with no errors or backlog.

Every run starts an isolated stack (own topics, database and ports) on the local broker and
PostgreSQL, so the whole CSMS and the load generator share this machine's cores."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.stack import running_stack
from csms.config import Settings

P99_LIMIT_MS = 100.0


def loadgen(url: str, *, stations: int, rate: float, duration: float, mix: str,
            procs: int = 1, prefix: str = "LG-") -> dict[str, Any]:  # fmt: skip
    cmd = [
        sys.executable, "-m", "bench.loadgen", "--url", url, "--stations", str(stations),
        "--rate", str(rate), "--duration", str(duration), "--mix", mix, "--procs", str(procs),
        "--prefix", prefix,
    ]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"load generator failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def floor(bootstrap: str, rate: float, duration: float) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "bench.kafka_floor", "--bootstrap", bootstrap,
           "--rate", str(rate), "--duration", str(duration)]  # fmt: skip
    done = subprocess.run(cmd, check=True, capture_output=True, text=True)
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def healthy(result: dict[str, Any]) -> bool:
    return (
        result["ALL"]["p99_ms"] <= P99_LIMIT_MS
        and not result["errors"]
        and result["backlogged"] == 0
    )


def stations_for(rate: float) -> int:
    """Enough stations that each sends at most ~2 Calls/s (a realistic, busy station)."""
    return max(50, int(rate / 2))


def measure(log_dir: Path, rate: float, duration: float, mix: str) -> dict[str, Any]:
    """One offered rate and mix on a fresh stack, so no backlog from an earlier overload
    run is still being worked off while this one is measured."""
    with running_stack(log_dir) as stack:
        url = f"ws://127.0.0.1:{stack.settings.gateway_port}/ocpp"
        loadgen(url, stations=20, rate=20, duration=5, mix="heartbeat", prefix="WARM-")
        return loadgen(
            url,
            stations=stations_for(rate),
            rate=rate,
            duration=duration,
            mix=mix,
            procs=2 if rate >= 2000 else 1,
            prefix=f"{mix[:2].upper()}{int(rate)}-",
        )


def run(rates: list[float], duration: float, search: list[float], log_dir: Path) -> dict[str, Any]:
    out: dict[str, Any] = {"rates": {}, "throughput": {}}
    bootstrap = Settings().bootstrap
    for rate in rates:
        row: dict[str, Any] = {"floor": floor(bootstrap, min(rate, 2000), duration)}
        for mix in ("heartbeat", "txevent"):
            row[mix] = measure(log_dir, rate, duration, mix)
        out["rates"][str(int(rate))] = row
    best = 0.0
    for rate in search:
        result = measure(log_dir, rate, duration, "realistic")
        out["throughput"][str(int(rate))] = result
        if not healthy(result):
            break
        best = rate
    out["max_healthy_rate"] = best
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--rates", default="100,1000,5000")
    p.add_argument("--search", default="100,150,200,250,300,400,500,750,1000,2000,5000")
    p.add_argument("--duration", type=float, default=20)
    p.add_argument("--logs", type=Path, default=Path("var/bench/logs"))
    args = p.parse_args()
    started = time.time()
    result = run([float(r) for r in args.rates.split(",")], args.duration,
                 [float(r) for r in args.search.split(",")], args.logs)  # fmt: skip
    result["elapsed_s"] = round(time.time() - started, 1)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
