"""``make bench``: every benchmark in one run, on this machine, with the raw Kafka floor
measured in the same run. Writes ``bench/results/<date>.json`` and ``docs/BENCHMARKS.md``.

    python -m bench.run_all [--quick]
    python -m bench.run_all --render bench/results/<date>.json   # the report only
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from csms.config import Settings

RESULTS = Path("bench/results")
DOC = Path("docs/BENCHMARKS.md")


def _module(name: str, *args: str, timeout: float = 3600) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-m", name, *args], capture_output=True, text=True,
                          timeout=timeout)  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"{name} failed:\n{done.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(done.stdout[done.stdout.index("{") :])
    return result


def machine() -> dict[str, Any]:
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), "unknown")  # fmt: skip
    mem_kib = int(Path("/proc/meminfo").read_text().split()[1])
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(mem_kib / 2**20, 1),
            "kernel": platform.release(), "python": platform.python_version(),
            "kafka": "Apache Kafka 4.0.0 (local KRaft, single node)",
            "postgres": subprocess.run(["psql", "--version"], capture_output=True,
                                       text=True).stdout.strip()}  # fmt: skip


def run(quick: bool) -> dict[str, Any]:
    duration = "8" if quick else "15"
    out: dict[str, Any] = {"date": datetime.now(UTC).isoformat(timespec="seconds"),
                           "machine": machine(), "quick": quick}  # fmt: skip
    started = time.time()
    out["ocpp"] = _module("bench.bench_ocpp", "--seconds", "2")
    out["latency"] = _module("bench.latency", "--duration", duration)
    out["connections"] = _module("bench.connections", "--connections",
                                 "2000" if quick else "10000")  # fmt: skip
    out["cpu"] = _module("bench.cpu_per_message", "--rate", "200", "--mix", "heartbeat")
    out["hops"] = _module("bench.hops", "--rate", "100", "--duration", duration)
    out["rebuild"] = _module("bench.rebuild", "--events", "100000" if quick else "1000000",
                             "--batch-size", "2000")  # fmt: skip
    out["billing"] = _module("bench.billing_backfill",
                             "--events", "100000" if quick else "1000000")  # fmt: skip
    out["audit_timeline"] = _module("bench.audit_timeline", "--meter-values", "1000",
                                    "--repeat", "3" if quick else "5")  # fmt: skip
    out["audit_verify"] = _module("bench.audit_verify",
                                  "--frames", "100000" if quick else "500000")  # fmt: skip
    out["commit_interval_s"] = Settings().processor_commit_interval_s
    out["elapsed_s"] = round(time.time() - started)
    return out


NOTES = """\
Reading: per station round trip the two cores go mostly to the Faust processor and the Kafka
broker (see the CPU table), not to the OCPP handlers (decide + evolve cost about 0.13 ms per
record, `python -m bench.sessions_sim`). A round trip crosses Kafka twice (station frame →
processor, reply → gateway); the step table shows each crossing at ~2 ms at p50 under the
stack's own load, against a raw floor of one crossing measured on the quiet broker. Three
latency traps were found by tracing each message through the frames and delivery topics
and fixed in `processors/kafka_clients.py` and the processor's defaults:

- Faust's consumer waits up to 1.5 s per fetch; aiokafka leaves buffered partitions out of
  the one fetch it keeps in flight, so under load the frames waited behind a fetch of idle
  partitions: at 500 msg/s offered the frame → reply step was 1.55 s at p50 with the
  processor 70% idle. Fetch wait now 10 ms: that step fell to ~0.6 s, answered rate 204 →
  402 msg/s.
- Faust committed each partition's transaction in turn, holding that partition's lock (and
  so the agent) for every round trip; now concurrently.
- A commit every 5 ms kept commits running back to back (Faust warned "Timer commit is
  overlapping"): at 300 msg/s realistic p50 270 ms with a backlog; every 100 ms: p50 34 ms,
  no backlog. Replies to station calls do not wait for the commit; CSMS-initiated calls and
  events become visible at the commit (≤ 100 ms later).

Tried and not kept: letting the agent go on while a partition commits (its sends held for
the next transaction). Commits take ~10 ms at p50 here, but four alternating 30 s runs each
at 150 msg/s TransactionEvent and 300 msg/s realistic showed no difference beyond run-to-run
noise, so the simpler blocking commit stays.

Beyond a few hundred msg/s the machine itself is the limit: all processes together use
nearly both cores (CPU table: processor, broker and gateway each spend milliseconds of CPU
per message). The raw floor shows what one Kafka crossing (one produce, one fetch) costs
the broker alone; a station round trip makes two crossings plus the gateway's record of the
frame it sent, and the processor's exactly-once transactions and events add more. 5,000
msg/s on these two cores would need under 0.4 ms of CPU per message for the whole path,
below what the broker alone spends per message here. Guarantees were not traded: every
number above is with acks=all, idempotent producers and exactly-once processing.

Knobs measured on this machine and left at their defaults (realistic mix, 15 s runs,
`bench.latency.measure`):

- `CSMS_PROCESSOR_PRODUCER_LINGER_S=0.002` batches the processor's produce requests: at 500
  msg/s offered, 443 instead of 396 answered/s, but Heartbeat p50 at 100 msg/s rises from
  5.4 to 7.8 ms. Default 0 (latency first).
- `CSMS_PARTITIONS=1` (one transactional producer instead of four): 200 msg/s p50/p99
  8/93 ms instead of 16/127 ms, 400 msg/s 398 instead of 364 answered/s. Default 4, because
  the partition count fixes how many processor workers can share the load later.

Rebuild: `csms projections build --all --detach`, a new version of every projection built
from offset 0 beside the live ones, timed until it has caught up. Each partition has its
own task and connection, fed batches through a short queue so decoding overlaps
PostgreSQL; each record is decoded once for every version, and every version's part of a
batch (offsets compare-and-set first) goes out in one pipeline; meter values are formatted
as COPY text straight from the event's JSON (orjson) and copied into the table in one COPY
per batch; a batch's Started /
Updated / Ended events of one transaction merge into one upsert and a connector's status
reports into the latest (both checked against one write per event on PostgreSQL, random
sequences, rows present or not). Half the events are meter values of eight samples each,
and the table keeps three indexes: PostgreSQL's own floor (below) caps any rebuild of these
read models on this server well under 50,000 events/s."""


def _row(name: str, r: dict[str, Any]) -> str:
    a = r["ALL"]
    return (f"| {name} | {a['p50_ms']} | {a['p95_ms']} | {a['p99_ms']} | "
            f"{r.get('answered_per_s', '')} | {r.get('backlogged', 0)} | "
            f"{sum(r.get('errors', {}).values())} |")  # fmt: skip


def _rebuild(rb: dict[str, Any]) -> list[str]:
    lines = ["## 5. Rebuild of every read model from offset 0 (new versions beside the live ones)",
             "",
             "| events | rebuild (s) | events/s | projector batch |", "|---|---|---|---|",
             f"| {rb['events']} | {rb['rebuild_s']} | {rb['events_per_s']} | {rb['batch_size']} |"]
    if "store_floor_s" in rb:
        lines += ["", f"PostgreSQL's floor, in the same run: storing the rebuilt "
                  f"{rb['meter_value_rows']:,} meter-value rows alone (one `INSERT ... SELECT` "
                  f"into an empty copy of the table, same indexes) takes {rb['store_floor_s']} s, "
                  f"so no rebuild of these read models on this server beats "
                  f"{rb['store_floor_events_per_s']:,} events/s."]  # fmt: skip
    return lines


def _billing(b: dict[str, Any] | None) -> list[str]:
    if b is None:
        return []
    return [
        "", "## 6. Billing backfill (`csms billing backfill`, bench/billing_backfill.py)", "",
        f"{b['events']:,} events of simulated priced sessions in the log; every session "
        f"({b['sessions']:,}) re-rated by tariff version 2 into billing v2 beside the live v1.",
        "",
        "| records replayed | replay (s) | records/s | Kafka floor (records/s) | "
        "in-process floor (events/s) | PostgreSQL floor (events/s) |",
        "|---|---|---|---|---|---|",
        f"| {b['replayed']:,} | {b['replay_s']} | {b['records_per_s']:,} | "
        f"{b['kafka_floor_records_per_s']:,} | {b['in_process_floor_events_per_s']:,} | "
        f"{b['store_floor_events_per_s']:,} |",
        "",
        "Floors, same run: Kafka = the same records read from offset 0, not decoded; "
        "in-process = the same kind of events decoded and rated in one Python process, no "
        "PostgreSQL; PostgreSQL = storing the re-rated rows alone (`INSERT ... SELECT` into "
        f"empty copies). Totals excl. VAT: v1 {b['billing_v1_excl_vat']}, "
        f"v2 {b['billing_v2_excl_vat']}.",
    ]


def _audit_timeline(a: dict[str, Any] | None) -> list[str]:
    if a is None:
        return []
    t = a["timeline"]
    return [
        "", "## Audit: a transaction's timeline (bench/audit_timeline.py)", "",
        f"A 1.6 session of {a['meter_values']:,} MeterValues logged while "
        f"{a['other_stations']} other stations chattered in its partition; its timeline is "
        f"{t['frames']:,} frames and {t['events']:,} events ({t['bytes'] / 1e6:.1f} MB of JSON, "
        f"{t['pages']} page(s)), read from {a['records_in_spans']:,} records of the logs' "
        "offset spans.", "",
        "| path | best (s) | median (s) |", "|---|---|---|",
        f"| API, `GET /api/v1/transactions/{{id}}/timeline` | {a['api']['best_s']} | "
        f"{a['api']['median_s']} |",
        f"| CLI in process (`read_timeline`) | {a['cli_in_process']['best_s']} | "
        f"{a['cli_in_process']['median_s']} |",
        f"| CLI as a process (`csms audit transaction --json`, start-up included) | "
        f"{a['cli_process']['best_s']} | {a['cli_process']['median_s']} |",
        f"| floor: the same spans fetched by a started bare consumer, not decoded | "
        f"{a['kafka_floor']['best_s']} | {a['kafka_floor']['median_s']} |",
    ]


def _audit_verify(a: dict[str, Any] | None) -> list[str]:
    if a is None:
        return []
    return [
        "", "## Audit: `csms audit verify` (bench/audit_verify.py)", "",
        f"{a['frames']:,} frames of {a['stations']} stations, indexed and checkpointed by the "
        f"audit projection ({a['checkpoints']:,} checkpoints), then verified.", "",
        "| step | s | frames/s |", "|---|---|---|",
        f"| index + checkpoints (projector) | {a['index_s']} | {a['index_frames_per_s']:,} |",
        f"| verify (read, chain, checkpoints, report) | {a['verify_s']} | "
        f"{a['verify_frames_per_s']:,} |",
        f"| floor: the same records read from Kafka, nothing done | {a['floor_s']} | "
        f"{a['floor_frames_per_s']:,} |",
    ]


def _broker_floor(latency: dict[str, Any]) -> list[str]:
    costs = [(rate, row["floor"].get("broker_cpu_ms_per_message"))
             for rate, row in latency["rates"].items()]  # fmt: skip
    known = [f"{cost} ms at {rate} msg/s" for rate, cost in costs if cost is not None]
    if not known:
        return []
    return ["", "Broker CPU per message of the raw floor (one produce, one fetch): "
            + ", ".join(known) + "."]


def _hops(hops: dict[str, Any] | None) -> list[str]:
    if hops is None:
        return []
    rt, steps = hops["round_trip"], hops["steps"]
    lines = ["", f"Where a round trip goes (`python -m bench.hops --rate {hops['rate']:g}`, "
             "Heartbeats; Kafka append timestamps, 1 ms resolution):", "",
             "| step | p50 ms | p95 ms | p99 ms |", "|---|---|---|---|",
             f"| station round trip (load generator) | {rt['p50_ms']} | {rt['p95_ms']} | "
             f"{rt['p99_ms']} |"]  # fmt: skip
    names = {"to_reply": "frame appended → reply appended (Kafka hop + processor)",
             "to_sent": "reply appended → sent frame appended (Kafka hop + gateway send)"}
    for key, name in names.items():
        s = steps[key]
        lines.append(f"| {name} | {s['p50_ms']:g} | {s['p95_ms']:g} | {s['p99_ms']:g} |")
    return lines


def markdown(res: dict[str, Any], source: str) -> str:
    m = res["machine"]
    lines = [
        "# Benchmarks",
        "",
        f"Measured {res['date']} by `make bench` (`python -m bench.run_all`), raw results in "
        f"`{source}`.",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, Linux {m['kernel']}, "
        f"Python {m['python']}, {m['kafka']}, {m['postgres']}. The whole stack (gateway, "
        "processor, projector, API, Kafka, PostgreSQL) and the load generator share these cores.",
        "",
        "Guarantees held in every run: gateway producer acks=all + idempotent; processor "
        f"exactly-once (Kafka transactions, commit interval "
        f"{res.get('commit_interval_s', 0.1) * 1000:g} ms); gateways read committed.",
        "",
        "## 1. Connections (one gateway process, idle stations)",
        "",
        "| held | failed | open time (s) | RSS before (KiB) | RSS after (KiB) | KiB / connection |",
        "|---|---|---|---|---|---|",
    ]
    c = res["connections"]
    lines.append(f"| {c['held']} | {c['failed']} | {c['open_s']} | {c['gateway_rss_before_kib']} "
                 f"| {c['gateway_rss_after_kib']} | {c['kib_per_connection']} |")  # fmt: skip
    lines += ["", "## 2-3. Round trip (station Call → CallResult) at fixed offered rates, and "
              "the raw Kafka floor", "",
              "| offered msg/s | mix | p50 ms | p95 ms | p99 ms | answered/s | backlogged "
              "| errors |",
              "|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for rate, row in res["latency"]["rates"].items():
        floor = row["floor"]["ALL"]
        lines.append(f"| {rate} | raw Kafka produce→consume | {floor['p50_ms']} | "
                     f"{floor['p95_ms']} | {floor['p99_ms']} | | | |")  # fmt: skip
        for mix in ("heartbeat", "txevent"):
            lines.append(_row(f"{rate} | {mix}", row[mix]).replace("| ", "| ", 1))
    lines += ["", "p50 as a multiple of the raw Kafka floor:", ""]
    for rate, row in res["latency"]["rates"].items():
        floor = row["floor"]["ALL"]["p50_ms"]
        ratios = ", ".join(f"{mix} {row[mix]['ALL']['p50_ms'] / floor:.1f}×"
                           for mix in ("heartbeat", "txevent"))  # fmt: skip
        lines.append(f"- {rate} msg/s: {ratios}")
    lines += _broker_floor(res["latency"])
    lines += ["", "## 4. Throughput (realistic mix: boot, status, authorize, transactions with "
              "meter values, heartbeats; 1.6/2.0.1 half and half)", "",
              "| offered msg/s | p50 ms | p95 ms | p99 ms | answered/s | backlogged | errors |",
              "|---|---|---|---|---|---|---|"]  # fmt: skip
    for rate, r in res["latency"]["throughput"].items():
        lines.append(_row(rate, r))
    lines += ["", f"Highest offered rate with p99 < 100 ms, no errors, no backlog: "
              f"**{res['latency']['max_healthy_rate']:g} msg/s**.", ""]  # fmt: skip
    cpu = res["cpu"]
    lines += ["## Where the time goes (`python -m bench.cpu_per_message --rate 200`)", "",
              f"At {cpu['rate']:g} Heartbeats/s offered ({cpu['answered_per_s']} answered/s, "
              f"p50 {cpu['latency']['p50_ms']} ms), CPU per answered message:", "",
              "| process | CPU % | CPU ms / message |", "|---|---|---|"]  # fmt: skip
    for name, percent in cpu["cpu_percent"].items():
        lines.append(f"| {name} | {percent} | {cpu['cpu_ms_per_message'][name]} |")
    lines += _hops(res.get("hops"))
    lines += ["", NOTES, ""]
    lines += _rebuild(res["rebuild"])
    lines += _billing(res.get("billing"))
    lines += _audit_timeline(res.get("audit_timeline"))
    lines += _audit_verify(res.get("audit_verify"))
    lines += ["", "## OCPP core (one core): parse + validate + typed model", "",
              "| frame | parse + validate /s | + typed model /s |", "|---|---|---|"]  # fmt: skip
    for r in res["ocpp"]["results"]:
        lines.append(f"| {r['frame']} | {r['parse_validate_per_s']} | "
                     f"{r['parse_validate_model_per_s']} |")  # fmt: skip
    return "\n".join(lines) + "\n"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--quick", action="store_true", help="shorter runs, fewer events")
    p.add_argument("--render", type=Path, help="only write the report, from this results file")
    args = p.parse_args()
    if args.render:
        path, result = args.render, json.loads(args.render.read_text())
    else:
        result = run(args.quick)
        RESULTS.mkdir(parents=True, exist_ok=True)
        path = RESULTS / f"{result['date'][:10]}{'-quick' if args.quick else ''}.json"
        path.write_text(json.dumps(result, indent=2) + "\n")
    DOC.write_text(markdown(result, str(path)))
    print(DOC.read_text())


if __name__ == "__main__":
    main()
