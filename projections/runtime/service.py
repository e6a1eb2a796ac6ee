"""The projector service (``csms projector``) and the lifecycle commands
(``csms projections list | build | switch | drop | checksum``), over
:mod:`projections.runtime.registry`.

The service follows every version this code built that is ``ready`` or ``live``, and picks
up changes to the registry (a build that became ready, a version dropped) within
``registry_poll_s``. A build follows only the versions it builds, shows its progress, marks
them ready once caught up, and then goes on following the log live like the service does
(two projectors on the same version are safe: the offsets are compare-and-set).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import sys
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Never, TextIO

from aiokafka import AIOKafkaConsumer, TopicPartition
from psycopg import AsyncConnection
from tqdm import tqdm

from projections import LifecycleError, ProjectionDropped
from projections.runtime import registry
from projections.runtime.discovery import discover, projection_named
from projections.runtime.projection import Projection
from projections.runtime.projector import Projector, Target, connect, topic_partitions

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ProjectorConfig:
    bootstrap: str
    database_url: str
    topics: tuple[str, ...]
    """The logs every projection reads: the events log and the admin log."""
    batch_size: int = 1000
    registry_poll_s: float = 2.0
    frames_topic: str | None = None
    """The frames log, followed for the projections that read it (none: not followed)."""
    settings: Mapping[str, object] = field(default_factory=dict, hash=False, compare=False)
    """Each projection's settings by name (e.g. the audit's checkpoint rule and key)."""


@contextlib.asynccontextmanager
async def batch_friendly_collector(every_s: float = 10.0) -> AsyncIterator[None]:
    """The garbage collector, run every ``every_s`` instead of every few hundred allocations.

    A projector decodes a batch into thousands of small dicts and models that all die with
    the batch, by reference count. The collector's automatic runs scanned them anyway and
    took a sixth of a rebuild's CPU (13.6 s instead of 16.2 s of projector CPU for 200,000
    events with it off). Objects alive at start-up are frozen out of its scans; a periodic
    full collection still reclaims reference cycles, which are few."""
    gc.freeze()
    gc.disable()

    async def collect() -> None:
        while True:
            await asyncio.sleep(every_s)
            gc.collect()

    task = asyncio.create_task(collect())
    try:
        yield
    finally:
        task.cancel()
        gc.enable()


async def prepare(database_url: str, projections: Sequence[Projection] | None = None) -> None:
    """Version 1 of every read model that has none yet (run by ``csms migrate`` too)."""
    async with await connect(database_url) as db:
        for line in await registry.ensure_initial(db, projections or discover()):
            log.info("%s", line)


async def serve(config: ProjectorConfig, stopping: asyncio.Event) -> None:
    """Follow this code's ready and live versions until ``stopping`` is set."""
    projections = discover()
    await prepare(config.database_url, projections)
    async with batch_friendly_collector():
        await _serve(config, projections, stopping)


async def _serve(config: ProjectorConfig, projections: Sequence[Projection],
                 stopping: asyncio.Event) -> None:  # fmt: skip
    reported: set[str] = set()
    while not stopping.is_set():
        targets = await _followable(config, projections, reported)
        if not targets:
            await _wait(stopping, config.registry_poll_s)
            continue
        projector = Projector(bootstrap=config.bootstrap, database_url=config.database_url,
                              topics=config.topics, targets=targets,
                              batch_size=config.batch_size, frames_topic=config.frames_topic,
                              settings=config.settings)  # fmt: skip
        running = asyncio.create_task(projector.run())
        while not running.done() and not stopping.is_set():
            await _wait(stopping, config.registry_poll_s, running)
            if not running.done() and await _followable(config, projections,
                                                        reported) != targets:  # fmt: skip
                log.info("projection versions changed; following the new set")
                break
        projector.stop()
        try:
            await running
        except ProjectionDropped as e:
            log.info("%s; following the new set", e)


async def _followable(config: ProjectorConfig, projections: Sequence[Projection],
                      reported: set[str]) -> list[Target]:  # fmt: skip
    """This code's ready and live versions; a version built by other code is reported once
    (``reported``: those reported, updated here)."""
    async with await connect(config.database_url) as db:
        registered = await registry.versions(db)
    targets = registry.followed(registered, projections)
    mine = {(t.projection.name, t.version) for t in targets}
    others = {v.label for v in registered
              if v.status in registry.FOLLOWED and (v.projection, v.version) not in mine}
    for label in sorted(others - reported):
        # E.g. after an upgrade that changed a read model's tables: the old code's projector
        # follows it; this code needs its own version (csms projections build NAME).
        log.warning("%s was built by other code: this projector does not follow it", label)
    reported.clear()
    reported.update(others)
    return targets


async def _wait(stopping: asyncio.Event, seconds: float | None,
                task: asyncio.Task[None] | None = None) -> None:  # fmt: skip
    waiters: set[asyncio.Future[object]] = {asyncio.ensure_future(stopping.wait())}
    if task is not None:
        waiters.add(task)  # type: ignore[arg-type]
    _, pending = await asyncio.wait(waiters, timeout=seconds,
                                    return_when=asyncio.FIRST_COMPLETED)  # fmt: skip
    for waiter in pending:
        if waiter is not task:
            waiter.cancel()


# -- the lifecycle commands ------------------------------------------------------------------


async def build(config: ProjectorConfig, labels: Sequence[str], stopping: asyncio.Event, *,
                follow: bool = True, progress: TextIO = sys.stderr) -> list[Target]:  # fmt: skip
    """Build the versions named (``NAME@VERSION``, or ``NAME`` for its next version) from
    offset 0 beside the live ones; returns them once ready, or when stopped. What it does
    is said on standard output, the progress on ``progress``."""
    async with await connect(config.database_url) as db:
        targets = []
        for label in labels:
            name, version = await _resolve(db, label)
            projection = projection_named(name)
            await registry.create(db, projection, version)
            targets.append(await _target(db, projection, version))
    print(f"building {', '.join(t.label for t in targets)} from offset 0", flush=True)
    async with batch_friendly_collector():
        return await build_targets(config, targets, stopping, follow=follow, progress=progress)


async def _target(db: AsyncConnection[object], projection: Projection, version: int) -> Target:
    """The version as registered, with its params; a backfill that stopped before its replay
    was done cannot be resumed by a build (its fork offsets would skip what it missed)."""
    params = next((v.params or {} for v in await registry.versions(db)
                   if (v.projection, v.version) == (projection.name, version)), {})  # fmt: skip
    if params.get("replay") == "pending":
        raise LifecycleError(f"{projection.name}@{version} is a backfill that stopped before its "
                             "replay was done: drop it and run the backfill again")  # fmt: skip
    return Target(projection, version, params)


async def build_targets(config: ProjectorConfig, targets: list[Target], stopping: asyncio.Event, *,
                 follow: bool, progress: TextIO) -> list[Target]:  # fmt: skip
    """Follow ``targets`` until they have caught up with the log, mark them ready, then go on
    following the log live if ``follow``."""
    projector = Projector(bootstrap=config.bootstrap, database_url=config.database_url,
                          topics=config.topics, targets=targets,
                          batch_size=config.batch_size, frames_topic=config.frames_topic,
                          settings=config.settings)  # fmt: skip
    running = asyncio.create_task(projector.run())
    try:
        ready = await _until_ready(projector, running, stopping, progress)
        if ready:
            async with await connect(config.database_url) as db:
                for target in targets:
                    await registry.mark_ready(db, target)
            print(f"{', '.join(t.label for t in targets)} ready"
                  + ("; following the log live (Ctrl-C to stop)" if follow else ""),
                  flush=True)  # fmt: skip
            if follow:
                await _wait(stopping, None, running)
    finally:
        projector.stop()
        with contextlib.suppress(asyncio.CancelledError):
            await running
    return targets


async def _resolve(db: AsyncConnection[object], label: str) -> tuple[str, int]:
    if "@" in label:
        return registry.parse_label(label)
    return label, await registry.next_version(db, projection_named(label))


async def _until_ready(projector: Projector, running: asyncio.Task[None],
                       stopping: asyncio.Event, out: TextIO) -> bool:  # fmt: skip
    """Show progress until the projector has caught up with the log (True), or stops."""
    progress = Progress(out)
    try:
        while not running.done() and not stopping.is_set():
            await _wait(stopping, 0.5, running)
            ends = await projector.end_offsets()
            if not ends:
                continue
            progress.update(_done(projector, ends), _total(projector, ends))
            if await projector.caught_up(ends):
                progress.update(_total(projector, ends), _total(projector, ends))
                return True
    finally:
        progress.close()
    if running.done():
        running.result()  # a failed projector fails the build
    return False


def _total(projector: Projector, ends: dict[TopicPartition, int]) -> int:
    return sum(max(0, end - projector.started.get(tp, 0)) for tp, end in ends.items())


def _done(projector: Projector, ends: dict[TopicPartition, int]) -> int:
    return sum(min(end, projector.applied.get(tp, 0)) - projector.started.get(tp, 0)
               for tp, end in ends.items())  # fmt: skip


class Progress:
    """Records done of the log, rate and ETA: a progress bar on a terminal, a log line every
    few seconds otherwise (a build's output in a file or a CI log)."""

    EVERY_S = 5.0

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.bar: tqdm[Never] | None = None
        if out.isatty():
            self.bar = tqdm(total=0, unit="record", unit_scale=True, file=out,
                            desc="replaying", dynamic_ncols=True)  # fmt: skip
        self.started = time.monotonic()
        self.last_line = 0.0

    def update(self, done: int, total: int) -> None:
        if self.bar is not None:
            self.bar.total = total
            self.bar.n = done
            self.bar.refresh()
            return
        now = time.monotonic()
        if now - self.last_line < self.EVERY_S and done < total:
            return
        self.last_line = now
        print(self.line(done, total, now - self.started), file=self.out, flush=True)

    @staticmethod
    def line(done: int, total: int, elapsed_s: float) -> str:
        rate = done / elapsed_s if elapsed_s > 0 else 0.0
        eta = f"{(total - done) / rate:.0f} s" if rate > 0 else "?"
        share = f"{100 * done / total:.0f}%" if total else "100%"
        return f"replayed {done}/{total} records ({share}), {rate:.0f}/s, ETA {eta}"

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


async def switch(config: ProjectorConfig, name: str, version: int, wait_s: float) -> str:
    async with await connect(config.database_url) as db:
        before = await registry.switch(db, projection_named(name), version, wait_s)
    if before is None:
        return f"{name}@{version} is live"
    return f"{name}@{version} is live; {before.label} stays readable until dropped"


async def drop(config: ProjectorConfig, name: str, version: int) -> str:
    async with await connect(config.database_url) as db:
        await registry.drop(db, name, version)
    return f"{name}@{version} dropped"


async def checksum(config: ProjectorConfig, name: str, version: int) -> list[str]:
    async with await connect(config.database_url) as db:
        sums = await registry.checksum(db, projection_named(name), version)
    return [f"{table}\t{rows}\t{digest}" for table, (rows, digest) in sums.items()]


async def listing(config: ProjectorConfig) -> list[str]:
    """One line per version: status, whether this code follows it, offsets behind the log."""
    projections = discover()
    async with await connect(config.database_url) as db:
        registered = await registry.versions(db)
        stored = await registry.offsets(db)
    ends = await _log_ends(config)
    statuses = (*registry.FOLLOWED, registry.BUILDING)
    mine = {(t.projection.name, t.version)
            for t in registry.followed(registered, projections, statuses)}  # fmt: skip
    lines = ["version\tstatus\tthis code\toffsets behind\tcreated\tready\tswitched"]
    for v in registered:
        done = stored.get((v.projection, v.version), {})
        behind = sum(max(0, end - done.get(k, 0)) for k, end in ends.items())
        lines.append("\t".join((
            v.label, v.status, "yes" if (v.projection, v.version) in mine else "no",
            str(behind), _when(v.created_at), _when(v.ready_at), _when(v.switched_at),
        )))  # fmt: skip
    for projection in projections:
        if not any(v.projection == projection.name for v in registered):
            lines.append(f"{projection.name}\tnot built\t\t\t\t\t")
    return lines


def _when(moment: object) -> str:
    return "-" if moment is None else str(moment)[:19]


async def _log_ends(config: ProjectorConfig) -> dict[tuple[str, int], int]:
    tps = [tp for topic in config.topics for tp in await topic_partitions(config.bootstrap, topic)]
    consumer = AIOKafkaConsumer(bootstrap_servers=config.bootstrap,
                                isolation_level="read_committed")  # fmt: skip
    await consumer.start()
    try:
        ends = await consumer.end_offsets(tps)
    finally:
        await consumer.stop()
    return {(tp.topic, tp.partition): end for tp, end in ends.items()}


__all__ = ["LifecycleError", "Progress", "ProjectorConfig", "build", "checksum", "drop",
           "listing", "prepare", "serve", "switch"]  # fmt: skip
