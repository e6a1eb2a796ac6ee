"""``csms audit verify [--station ID] [--since ISO] [--topic T] [--public-key PEM] [--json]``:
the frames log checked against the signed checkpoints of the audit read model
(docs/AUDIT.md, "Tamper evidence"; the checks themselves are :mod:`audit.verification`).

1. The checkpoints, the signing keys' public keys (or the one given: an auditor's own copy)
   and the index's chain heads are read from the read store.
2. The log (the deployment's frames topic, or ``--topic``: a copy) is read once, partition
   by partition, every station's chain recomputed over the records' values as stored.
3. A checkpoint that does not hold, or a head of the index the recomputed chain does not
   reach with the same link, is located record by record: the index's links of the
   interval against the recomputed ones, and the log's two records at the first difference.

Exit 0 when every station verifies, 1 when any breaks, 2 when the logs or the read store
cannot be read.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Never, TextIO

import psycopg
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from tqdm import tqdm

from audit import checkpoints
from audit.checkpoints import Checkpoint
from audit.verification import (
    Break,
    StationChain,
    StoredCheckpoint,
    first_difference,
    located,
    position_of,
)
from audit.verification import unlocated as unlocated_break
from csms.config import Settings
from projections.runtime.projector import topic_partitions
from schemas.topics import Topics

LONG_READ = 10_000
"""Records above which the read shows a progress bar (on a terminal)."""


@dataclass(frozen=True, slots=True)
class VerifyOptions:
    topic: str | None = None
    station: str | None = None
    since: datetime | None = None
    public_key: Path | None = None


@dataclass(slots=True)
class StationReport:
    station_id: str
    status: str
    """ok, broken, or unindexed (records of a station the read store knows nothing of)."""
    records: int
    checkpoints: int
    verified_seq: int
    unsigned: int
    """Records after the last checkpoint that held (compared with the index only)."""
    broken: Break | None = None

    def as_json(self) -> dict[str, Any]:
        b = self.broken
        return {"station_id": self.station_id, "status": self.status, "records": self.records,
                "checkpoints": self.checkpoints, "verified_seq": self.verified_seq,
                "unsigned": self.unsigned,
                "break": None if b is None else {"kind": str(b.kind), "seq": b.seq,
                                                 "partition": b.partition, "offset": b.offset,
                                                 "detail": b.detail}}  # fmt: skip

    def line(self) -> str:
        if self.broken is not None:
            return f"{self.station_id}: BROKEN: {self.broken.kind} at {self.broken.detail}"
        if self.status == "unindexed":
            return (f"{self.station_id}: unindexed ({self.records} records, no checkpoint: the "
                    "audit index does not know the station)")  # fmt: skip
        return (f"{self.station_id}: ok ({self.records} records, {self.checkpoints} "
                f"checkpoints verified up to seq {self.verified_seq}, {self.unsigned} after it "
                "matched to the index only)")  # fmt: skip


@dataclass(slots=True)
class Report:
    topic: str
    key_source: str
    records: int = 0
    seconds: float = 0.0
    stations: list[StationReport] = field(default_factory=list)

    @property
    def frames_per_s(self) -> float:
        return self.records / self.seconds if self.seconds > 0 else 0.0

    @property
    def ok(self) -> bool:
        return all(s.broken is None for s in self.stations)

    def as_json(self) -> dict[str, Any]:
        return {"topic": self.topic, "key_source": self.key_source, "records": self.records,
                "seconds": round(self.seconds, 3), "frames_per_s": round(self.frames_per_s),
                "ok": self.ok, "stations": [s.as_json() for s in self.stations]}  # fmt: skip

    def text(self) -> str:
        broken = sum(1 for s in self.stations if s.broken is not None)
        head = (f"{self.topic}: {self.records} records of {len(self.stations)} stations in "
                f"{self.seconds:.1f} s ({self.frames_per_s:,.0f} frames/s); checkpoints "
                f"checked with {self.key_source}; "
                + ("every station verifies" if not broken else f"{broken} broken"))  # fmt: skip
        return "\n".join([head, *(s.line() for s in self.stations)])


class VerifyError(Exception):
    """The logs or the read store cannot be read."""


# -- the read store ---------------------------------------------------------------------------


@dataclass(slots=True)
class Stored:
    keys: dict[str, Ed25519PublicKey]
    key_source: str
    checkpoints: dict[str, list[StoredCheckpoint]]
    heads: dict[str, tuple[int, bytes]]


def _key_id(key: Ed25519PublicKey) -> str:
    der = key.public_bytes(serialization.Encoding.DER,
                           serialization.PublicFormat.SubjectPublicKeyInfo)  # fmt: skip
    return hashlib.sha256(der).hexdigest()[:16]


def read_store(database_url: str, options: VerifyOptions) -> Stored:
    """Checkpoints, keys and heads (of ``options.station`` only, when given)."""
    where, params = ("WHERE station_id = %s", (options.station,)) if options.station else ("", ())
    with psycopg.connect(database_url) as db:
        rows = db.execute('SELECT station_id, seq, link, topic, partition, "offset", at,'
                          f" signature, key_id FROM chain_checkpoints {where}",
                          params).fetchall()  # fmt: skip
        heads = db.execute(f"SELECT station_id, seq, link FROM chain_heads {where}",
                           params).fetchall()  # fmt: skip
        pems = [p for (p,) in db.execute("SELECT public_key FROM chain_keys")]
    stored: dict[str, list[StoredCheckpoint]] = {}
    for station, seq, link, topic, partition, offset, at, signature, key_id in rows:
        checkpoint = Checkpoint(station, seq, bytes.fromhex(link), topic, partition, offset, at)
        stored.setdefault(station, []).append(
            StoredCheckpoint(checkpoint, bytes.fromhex(signature), key_id))
    keys, source = _keys(pems, options.public_key)
    return Stored(keys, source, stored, {s: (q, bytes.fromhex(link)) for s, q, link in heads})


def _keys(pems: Sequence[str], given: Path | None) -> tuple[dict[str, Ed25519PublicKey], str]:
    if given is not None:
        key = checkpoints.load_public(given.read_text())
        return {_key_id(key): key}, f"the public key of {given} ({_key_id(key)})"
    keys = {_key_id(k): k for k in map(checkpoints.load_public, pems)}
    return keys, f"the read store's public keys ({', '.join(sorted(keys)) or 'none'})"


def index_links(database_url: str,
                wanted: Mapping[str, tuple[int, int]]) -> dict[str, dict[int, bytes]]:
    """The index's links of each station's seq interval (first, last], both given."""
    stations = list(wanted)
    with psycopg.connect(database_url) as db:
        rows = db.execute(
            "SELECT f.station_id, f.seq, f.link FROM unnest(%s::text[], %s::bigint[],"
            " %s::bigint[]) AS w(station_id, first, last) JOIN frames f ON"
            " f.station_id = w.station_id AND f.seq > w.first AND f.seq <= w.last",
            (stations, [wanted[s][0] for s in stations], [wanted[s][1] for s in stations]),
        ).fetchall()  # fmt: skip
    links: dict[str, dict[int, bytes]] = {s: {} for s in stations}
    for station, seq, link in rows:
        links[station][seq] = bytes.fromhex(link)
    return links


# -- the log ------------------------------------------------------------------------------------


def log_consumer(bootstrap: str) -> AIOKafkaConsumer:
    # Big fetches: the read is sequential and the records small (what limits it is Python).
    return AIOKafkaConsumer(bootstrap_servers=bootstrap, isolation_level="read_committed",
                            enable_auto_commit=False, fetch_max_bytes=64 << 20,
                            max_partition_fetch_bytes=16 << 20, fetch_max_wait_ms=50)  # fmt: skip


class Chains:
    """Every station's chain, by the key its records carry."""

    def __init__(self, stored: Stored, topic: str, options: VerifyOptions) -> None:
        self.stored = stored
        self.topic = topic
        self.only = None if options.station is None else options.station.encode()
        names = set(stored.checkpoints) | set(stored.heads)
        self.by_key: dict[bytes, StationChain] = {s.encode(): self._new(s) for s in names
                                                  if self.only in (None, s.encode())}
        self.starts: dict[bytes, int] = {}
        if options.since is not None:
            self._start_since(options.since)

    def _new(self, station: str) -> StationChain:
        mine = list(self.stored.checkpoints.get(station, []))
        same = any(c.checkpoint.topic == self.topic for c in mine) or not mine
        return StationChain(station, mine, self.stored.keys, same)

    def _start_since(self, since: datetime) -> None:
        """Each station from its last verified checkpoint at or before ``since``."""
        for key, station in self.by_key.items():
            earlier = [c for c in self.stored.checkpoints.get(station.station_id, [])
                       if c.checkpoint.at <= since and c.signed_by(self.stored.keys)]
            if earlier:
                start = max(earlier, key=lambda c: c.checkpoint.count)
                station.start_at(start)
                self.starts[key] = start.checkpoint.offset

    def partition_starts(self, tps: Sequence[TopicPartition]) -> dict[TopicPartition, int]:
        """Where to read each partition from: 0, or with ``--since`` the lowest offset a
        station of the partition needs."""
        if not self.starts:
            return {tp: 0 for tp in tps}
        lowest: dict[int, int] = {}
        for key, station in self.by_key.items():
            mine = self.stored.checkpoints.get(station.station_id, [])
            if not mine:
                continue
            partition = mine[0].checkpoint.partition
            first = self.starts[key] + 1 if key in self.starts else min(
                c.checkpoint.offset for c in mine)  # fmt: skip
            lowest[partition] = min(lowest.get(partition, first), first)
        return {tp: lowest.get(tp.partition, 0) for tp in tps}

    def feed(self, records: Sequence[Any]) -> None:
        """The hot path: one dict lookup and one SHA-256 per record."""
        by_key, only, starts = self.by_key, self.only, self.starts
        for r in records:
            key = r.key
            if only is not None and key != only:
                continue
            station = by_key.get(key)
            if station is None:
                station = by_key[key] = self._new((key or b"").decode(errors="replace"))
            elif starts and r.offset <= starts.get(key, -1):
                continue
            station.feed(r.partition, r.offset, r.value)


async def read_log(bootstrap: str, topic: str, chains: Chains, progress: TextIO) -> int:
    """Feed every record of ``topic`` up to its end now; the number read."""
    consumer = log_consumer(bootstrap)
    await consumer.start()
    try:
        tps = await topic_partitions(bootstrap, topic, wait_s=0)
        consumer.assign(tps)
        starts = chains.partition_starts(tps)
        for tp, offset in starts.items():
            consumer.seek(tp, offset)
        ends: dict[TopicPartition, int] = await consumer.end_offsets(tps)
        return await _read_to(consumer, ends, starts, chains, progress)
    finally:
        await consumer.stop()


async def _read_to(consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int],
                   starts: dict[TopicPartition, int], chains: Chains,
                   progress: TextIO) -> int:  # fmt: skip
    total = sum(max(0, ends[tp] - starts[tp]) for tp in ends)
    bar = _bar(total, progress)
    remaining = {tp for tp in ends if ends[tp] > starts[tp]}
    read = 0
    while remaining:
        batches = await consumer.getmany(*remaining, timeout_ms=1000, max_records=50_000)
        for tp, records in batches.items():
            records = [r for r in records if r.offset < ends[tp]]
            chains.feed(records)
            read += len(records)
            if bar is not None:
                bar.update(len(records))
            done = bool(records) and records[-1].offset >= ends[tp] - 1
            if done or await consumer.position(tp) >= ends[tp]:
                remaining.discard(tp)
    if bar is not None:
        bar.close()
    return read


def _bar(total: int, out: TextIO) -> tqdm[Never] | None:
    if total < LONG_READ or not out.isatty():
        return None
    return tqdm(total=total, unit="frame", unit_scale=True, file=out, desc="verifying",
                dynamic_ncols=True)  # fmt: skip


async def read_values(bootstrap: str, topic: str, positions: Sequence[tuple[int, int]]
                      ) -> dict[tuple[int, int], bytes]:  # fmt: skip
    """The values at these (partition, offset) positions of ``topic``."""
    consumer = log_consumer(bootstrap)
    await consumer.start()
    found: dict[tuple[int, int], bytes] = {}
    try:
        for partition, offset in positions:
            tp = TopicPartition(topic, partition)
            consumer.assign([tp])
            consumer.seek(tp, offset)
            batch = await consumer.getmany(tp, timeout_ms=5000, max_records=1)
            for record in batch.get(tp, []):
                found[(partition, record.offset)] = record.value or b""
    finally:
        await consumer.stop()
    return found


# -- the verdicts -----------------------------------------------------------------------------


def _interval(station: StationChain, head: tuple[int, bytes] | None) -> tuple[int, int] | None:
    """The seqs to locate a break in, or None when the station verifies: the first checkpoint
    that did not hold, else a head of the index the recomputed chain does not reach alike."""
    suspect = station.unreached()
    if suspect is not None:
        return station.verified_seq, suspect.checkpoint.count + 1
    if head is None:
        return None
    seq, link = head
    offset = seq - station.verified_seq - 1
    if seq <= station.verified_seq:
        return None  # the index's head is behind a verified checkpoint: nothing unsigned
    if offset < len(station.trail) and station.trail[offset][2] == link:
        return None
    return station.verified_seq, seq + 1


async def verdicts(settings: Settings, topic: str, chains: Chains) -> list[StationReport]:
    intervals = {s.station_id: i for s in chains.by_key.values() if s.forged is None
                 and (i := _interval(s, chains.stored.heads.get(s.station_id))) is not None}
    links = index_links(settings.libpq_url, intervals) if intervals else {}
    breaks: dict[str, Break] = {}
    wanted: list[tuple[StationChain, int]] = []
    for station in chains.by_key.values():
        if station.forged is not None:
            breaks[station.station_id] = station.forged
        elif station.station_id in intervals:
            seq = first_difference(station, links[station.station_id])
            if seq is None:
                breaks[station.station_id] = unlocated_break(station)
            else:
                wanted.append((station, seq))
    await _locate(settings.bootstrap, topic, wanted, links, breaks)
    return [_report(s, breaks.get(s.station_id), chains.stored)
            for s in sorted(chains.by_key.values(), key=lambda s: s.station_id)]


async def _locate(bootstrap: str, topic: str, wanted: list[tuple[StationChain, int]],
                  links: Mapping[str, Mapping[int, bytes]],
                  breaks: dict[str, Break]) -> None:  # fmt: skip
    positions = [p for station, seq in wanted for k in (seq, seq + 1)
                 if (p := position_of(station, k)) is not None]
    values = await read_values(bootstrap, topic, positions) if positions else {}
    for station, seq in wanted:
        here, following = (values.get(p) if (p := position_of(station, k)) else None
                           for k in (seq, seq + 1))  # fmt: skip
        breaks[station.station_id] = located(station, seq, links[station.station_id],
                                             (here, following))  # fmt: skip


def _report(station: StationChain, broken: Break | None, stored: Stored) -> StationReport:
    known = station.station_id in stored.checkpoints or station.station_id in stored.heads
    status = "broken" if broken is not None else ("ok" if known else "unindexed")
    return StationReport(station.station_id, status, station.seq, station.checked,
                         station.verified_seq, station.seq - station.verified_seq, broken)


async def verify(settings: Settings, options: VerifyOptions,
                 progress: TextIO = sys.stderr) -> Report:  # fmt: skip
    topic = options.topic or Topics(settings.topic_prefix).frames
    try:
        stored = read_store(settings.libpq_url, options)
    except psycopg.Error as e:
        raise VerifyError(f"the read store cannot be read: {e}") from e
    report = Report(topic, stored.key_source)
    chains = Chains(stored, topic, options)
    start = time.perf_counter()
    try:
        report.records = await read_log(settings.bootstrap, topic, chains, progress)
        report.seconds = time.perf_counter() - start
        report.stations = await verdicts(settings, topic, chains)
    except KafkaError as e:
        raise VerifyError(f"{topic} cannot be read: {e}") from e
    return report


# -- the command ------------------------------------------------------------------------------


def run(args: argparse.Namespace, settings: Settings) -> int:
    options = VerifyOptions(args.topic, args.station, args.since, args.public_key)
    if options.since is not None and options.since.tzinfo is None:
        print("--since needs a UTC offset (e.g. 2026-03-01T10:00:00Z)", file=sys.stderr)
        return 2
    try:
        report = asyncio.run(verify(settings, options))
    except VerifyError as e:
        print(f"csms audit verify: {e}", file=sys.stderr)
        return 2
    print(json.dumps(report.as_json(), indent=2) if args.json else report.text())
    return 0 if report.ok else 1
