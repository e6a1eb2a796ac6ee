"""Load generator: N simulated stations (OCPP 1.6 / 2.0.1 mix) at a fixed offered rate.

    python -m bench.loadgen --url ws://127.0.0.1:9000/ocpp --stations 500 --rate 1000 \\
        --duration 30 --mix realistic [--procs 2] [--json out.json]

Open loop: Calls are offered at ``--rate`` per second in total, spread round-robin over the
stations; a station sends its next Call only when its previous one was answered (OCPP-J
§4.1.1), so when the CSMS falls behind the offered Calls that find every station busy are
counted as ``backlogged`` instead of silently slowing the offered rate down.

Mixes: ``heartbeat`` (Heartbeat only), ``txevent`` (2.0.1 TransactionEvent Updated with 8
sampled values), ``realistic`` (each station boots, reports status, authorizes, starts a
transaction, sends meter values, stops, with heartbeats in between).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import resource
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from bench.station_sim import (
    V16,
    V201,
    Outcome,
    SimStation,
    authorize,
    boot,
    heartbeat,
    meter_values_16,
    now_iso,
    status,
    transaction_event,
)


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return math.nan
    index = min(len(sorted_values) - 1, max(0, math.ceil(q / 100 * len(sorted_values)) - 1))
    return sorted_values[index]


def summarize(latencies: dict[str, list[float]], errors: dict[str, int]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    everything = sorted(v for values in latencies.values() for v in values)
    for action, values in [*sorted(latencies.items()), ("ALL", everything)]:
        values = sorted(values)
        out[action] = {
            "count": len(values),
            "p50_ms": round(percentile(values, 50), 2),
            "p95_ms": round(percentile(values, 95), 2),
            "p99_ms": round(percentile(values, 99), 2),
            "max_ms": round(values[-1], 2) if values else math.nan,
        }
    out["errors"] = dict(errors)
    return out


class Life:
    """What a station sends next in the ``realistic`` mix."""

    def __init__(self, station: SimStation) -> None:
        self.station = station
        self.steps = self._steps()
        self.tx16: int | None = None

    def next_call(self) -> tuple[str, dict[str, Any]]:
        return next(self.steps)

    def on_result(self, outcome: Outcome) -> None:
        if outcome.action == "StartTransaction" and outcome.result:
            self.tx16 = int(outcome.result.get("transactionId", 0))

    def _steps(self) -> Iterator[tuple[str, dict[str, Any]]]:
        st, v = self.station, self.station.version
        while True:
            yield status(v, 1, "Available")
            yield heartbeat(v)
            yield authorize(v, "LOADGEN")
            if v == V16:
                st.meter_wh += 10
                yield "StartTransaction", {
                    "connectorId": 1, "idTag": "LOADGEN", "meterStart": st.meter_wh,
                    "timestamp": now_iso(),
                }  # fmt: skip
                yield status(v, 1, "Charging")
                for _ in range(5):
                    st.meter_wh += 150
                    yield "MeterValues", meter_values_16(1, self.tx16, st.meter_wh)
                yield heartbeat(v)
                yield "StopTransaction", {"transactionId": self.tx16 or 0, "idTag": "LOADGEN",
                                          "meterStop": st.meter_wh, "timestamp": now_iso(),
                                          "reason": "Local"}  # fmt: skip
            else:
                yield transaction_event(st, "Started")
                for _ in range(5):
                    yield transaction_event(st, "Updated")
                yield heartbeat(v)
                yield transaction_event(st, "Ended")


async def run_load(args: argparse.Namespace, first: int, count: int, rate: float) -> dict[str, Any]:
    versions = [V201 if (first + i) % 100 >= args.v16_percent else V16 for i in range(count)]
    if args.mix == "txevent":
        versions = [V201] * count
    stations = [
        SimStation(f"{args.prefix}{first + i}", versions[i], args.url) for i in range(count)
    ]
    connect_start = time.perf_counter()
    errors: dict[str, int] = defaultdict(int)
    connected: list[SimStation] = []
    for chunk in range(0, count, 200):
        batch = stations[chunk : chunk + 200]
        outcomes = await asyncio.gather(*(s.connect() for s in batch), return_exceptions=True)
        for station, outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                errors[f"connect:{type(outcome).__name__}"] += 1
            else:
                connected.append(station)
    stations, count = connected, len(connected)
    connect_s = time.perf_counter() - connect_start
    if not stations:
        return {"latencies": {}, "errors": dict(errors), "backlogged": 0, "offered": 0,
                "offered_s": 0.0, "connect_s": connect_s}  # fmt: skip
    lives = {s.station_id: Life(s) for s in stations}
    await asyncio.gather(*(s.call(*boot(s.version)) for s in stations))
    if args.mix == "txevent":
        await asyncio.gather(*(s.call(*transaction_event(s, "Started")) for s in stations))

    latencies: dict[str, list[float]] = defaultdict(list)
    backlogged = 0
    tasks: set[asyncio.Task[None]] = set()

    async def one(station: SimStation, call: tuple[str, dict[str, Any]]) -> None:
        outcome = await station.call(*call)
        if outcome.ok:
            latencies[outcome.action].append(outcome.rtt_ms)
            lives[station.station_id].on_result(outcome)
        else:
            errors[f"{outcome.action}:{outcome.error}"] += 1

    loop = asyncio.get_running_loop()
    total = int(rate * args.duration)
    start = loop.time()
    cursor = 0
    for i in range(total):
        due = start + i / rate
        if due > loop.time():
            await asyncio.sleep(due - loop.time())
        for _ in range(count):
            station = stations[cursor % count]
            cursor += 1
            if not station.busy:
                break
        else:
            backlogged += 1
            continue
        station.busy = True
        call = _call_for(args.mix, station, lives[station.station_id])
        task = asyncio.create_task(one(station, call))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    offered_s = loop.time() - start
    await asyncio.gather(*tasks)
    await asyncio.gather(*(s.close() for s in stations), return_exceptions=True)
    return {
        "latencies": {k: v for k, v in latencies.items()},
        "errors": dict(errors),
        "backlogged": backlogged,
        "offered": total,
        "offered_s": offered_s,
        "connect_s": connect_s,
    }


def _call_for(mix: str, station: SimStation, life: Life) -> tuple[str, dict[str, Any]]:
    if mix == "heartbeat":
        return heartbeat(station.version)
    if mix == "txevent":
        return transaction_event(station, "Updated")
    return life.next_call()


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--url", default="ws://127.0.0.1:9000/ocpp")
    p.add_argument("--stations", type=int, default=100)
    p.add_argument("--rate", type=float, default=100.0, help="offered Calls per second, total")
    p.add_argument("--duration", type=float, default=10.0, help="seconds of offered load")
    p.add_argument("--mix", choices=("heartbeat", "txevent", "realistic"), default="realistic")
    p.add_argument("--v16-percent", type=int, default=50, help="share of 1.6 stations")
    p.add_argument("--prefix", default="LG-", help="station id prefix")
    p.add_argument("--procs", type=int, default=1, help="client processes")
    p.add_argument("--json", help="write the summary JSON here")
    p.add_argument("--child", nargs=2, type=int, metavar=("FIRST", "COUNT"), help=argparse.SUPPRESS)
    return p


def _raise_fd_limit() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Run the load (in ``--procs`` processes) and return the merged summary."""
    _raise_fd_limit()
    if args.procs <= 1:
        raw = asyncio.run(run_load(args, 0, args.stations, args.rate))
        return _merge([raw], args)
    share = args.stations // args.procs
    children = []
    for k in range(args.procs):
        cmd = [sys.executable, "-m", "bench.loadgen", *_child_argv(args),
               "--child", str(k * share), str(share)]  # fmt: skip
        children.append(subprocess.Popen(cmd, stdout=subprocess.PIPE, env=dict(os.environ)))
    raws = [json.loads(c.communicate()[0]) for c in children]
    return _merge(raws, args)


def _child_argv(args: argparse.Namespace) -> list[str]:
    return [
        "--url", args.url, "--stations", str(args.stations), "--rate", str(args.rate / args.procs),
        "--duration", str(args.duration), "--mix", args.mix,
        "--v16-percent", str(args.v16_percent), "--prefix", args.prefix,
    ]  # fmt: skip


def _merge(raws: list[dict[str, Any]], args: argparse.Namespace) -> dict[str, Any]:
    latencies: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    for raw in raws:
        for action, values in raw["latencies"].items():
            latencies[action].extend(values)
        for kind, n in raw["errors"].items():
            errors[kind] += n
    answered = sum(len(v) for v in latencies.values())
    offered_s = max(r["offered_s"] for r in raws)
    summary = summarize(latencies, errors)
    summary["params"] = {"stations": args.stations, "rate": args.rate, "duration": args.duration,
                         "mix": args.mix, "procs": args.procs}  # fmt: skip
    summary["offered"] = sum(r["offered"] for r in raws)
    summary["backlogged"] = sum(r["backlogged"] for r in raws)
    summary["answered_per_s"] = round(answered / offered_s, 1) if offered_s else 0.0
    summary["connect_s"] = round(max(r["connect_s"] for r in raws), 2)
    return summary


def main() -> int:
    args = _parser().parse_args()
    if args.child:
        first, count = args.child
        raw = asyncio.run(run_load(args, first, count, args.rate))
        print(json.dumps(raw))
        return 0
    summary = run(args)
    text = json.dumps(summary, indent=2)
    if args.json:
        with open(args.json, "w") as f:
            f.write(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
