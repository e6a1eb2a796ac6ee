"""Diagnostic: CPU time each process spends per answered message, at a fixed offered rate
below saturation (from /proc/<pid>/stat while the load generator runs).

    python -m bench.cpu_per_message --rate 200 --mix heartbeat
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.stack import running_stack


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def broker_pid() -> int:
    """The local Kafka broker's process."""
    found = subprocess.run(["pgrep", "-f", "kafka.Kafka"], capture_output=True, text=True)
    return int(found.stdout.split()[0])


def _tree(pid: int) -> list[int]:
    """A process and its children (the processor runs its Faust worker as a child)."""
    children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [pid, *(int(c) for c in children.split())]


def run(rate: float, mix: str, seconds: float) -> dict[str, Any]:
    with running_stack(Path("var/bench/logs-cpu")) as stack:
        url = f"ws://127.0.0.1:{stack.settings.gateway_port}/ocpp"
        warm = [
            sys.executable,
            "-m",
            "bench.loadgen",
            "--url",
            url,
            "--stations",
            "20",
            "--rate",
            "20",
            "--duration",
            "3",
            "--mix",
            "heartbeat",
            "--prefix",
            "W-",
        ]
        subprocess.run(warm, check=True, capture_output=True)
        kafka = broker_pid()
        pids = {
            name: _tree(stack.procs[name].pid) for name in ("gateway", "processor", "projector")
        }
        pids["kafka"] = [kafka]
        load = subprocess.Popen([sys.executable, "-m", "bench.loadgen", "--url", url,
                                 "--stations", str(max(50, int(rate // 2))), "--rate", str(rate),
                                 "--duration", str(seconds + 8), "--mix", mix],
                                stdout=subprocess.PIPE, text=True)  # fmt: skip
        time.sleep(4)
        pids["loadgen"] = [load.pid]
        before = {n: sum(cpu_seconds(p) for p in ps) for n, ps in pids.items()}
        start = time.monotonic()
        time.sleep(seconds)
        after = {n: sum(cpu_seconds(p) for p in ps) for n, ps in pids.items()}
        elapsed = time.monotonic() - start
        summary = json.loads(load.communicate()[0])
    answered = summary["answered_per_s"]
    return {
        "rate": rate, "mix": mix, "answered_per_s": answered, "latency": summary["ALL"],
        "cpu_percent": {n: round(100 * (after[n] - before[n]) / elapsed, 1) for n in pids},
        "cpu_ms_per_message": {n: round(1000 * (after[n] - before[n]) / elapsed / answered, 2)
                               for n in pids},
    }  # fmt: skip


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--rate", type=float, default=200)
    p.add_argument("--mix", default="heartbeat")
    p.add_argument("--seconds", type=float, default=12)
    args = p.parse_args()
    print(json.dumps(run(args.rate, args.mix, args.seconds), indent=2))


if __name__ == "__main__":
    main()
