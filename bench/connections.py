"""Benchmark 1: concurrent idle stations one gateway process holds, and its memory per
connection (gateway RSS delta / connections)."""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import time
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from bench.stack import running_stack


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


async def open_idle(url: str, count: int, batch: int = 250) -> tuple[list[ClientConnection], int]:
    conns: list[ClientConnection] = []
    failures = 0

    async def one(i: int) -> None:
        nonlocal failures
        try:
            ws = await connect(f"{url}/IDLE-{i}", subprotocols=[Subprotocol("ocpp1.6")],
                               open_timeout=60, ping_interval=None, compression=None)  # fmt: skip
            conns.append(ws)
        except Exception:  # any failed handshake counts as a failure; keep going
            failures += 1

    for start in range(0, count, batch):
        await asyncio.gather(*(one(i) for i in range(start, min(count, start + batch))))
    return conns, failures


async def measure(url: str, gateway_pid: int, count: int) -> dict[str, Any]:
    await asyncio.sleep(2)
    before = rss_kib(gateway_pid)
    start = time.perf_counter()
    conns, failures = await open_idle(url, count)
    opened_s = time.perf_counter() - start
    await asyncio.sleep(5)  # settle: connected records flushed, buffers steady
    after = rss_kib(gateway_pid)
    still_open = sum(1 for c in conns if c.close_code is None)
    await asyncio.gather(*(c.close() for c in conns), return_exceptions=True)
    held = min(len(conns), still_open)
    return {
        "requested": count, "held": held, "failed": failures, "open_s": round(opened_s, 1),
        "gateway_rss_before_kib": before, "gateway_rss_after_kib": after,
        "kib_per_connection": round((after - before) / held, 1) if held else None,
    }  # fmt: skip


def run(count: int, log_dir: Path) -> dict[str, Any]:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    with running_stack(log_dir) as stack:
        url = f"ws://127.0.0.1:{stack.settings.gateway_port}/ocpp"
        pid = stack.procs["gateway"].pid
        return asyncio.run(measure(url, pid, count))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--connections", type=int, default=10000)
    p.add_argument("--logs", type=Path, default=Path("var/bench/logs"))
    args = p.parse_args()
    print(json.dumps(run(args.connections, args.logs), indent=2))


if __name__ == "__main__":
    main()
