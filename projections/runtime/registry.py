"""Projection versions: built side by side, switched atomically, dropped when done with
(DESIGN decision 6; docs/ARCHITECTURE.md, "Projection versions").

A version of projection ``P`` is the schema ``P_v<N>`` holding a copy of P's tables, a row
of ``projection_versions`` and its own offsets in ``projection_offsets``. Its life:

- ``building``: created empty, filled from offset 0 of the logs by ``csms projections build``
  while the live version keeps serving; the build resumes where it stopped if interrupted;
- ``ready``: caught up once; every projector process running the same code follows it;
- ``live``: schema ``public`` has one view per table onto it, which the API and gateway
  read. ``switch`` replaces the views in one transaction; the version that was live goes
  back to ``ready``, still followed and readable (``P_v<N>.<table>``) until dropped.

A version records the fingerprint of the code that built it; a projector follows only the
versions its own code built, so old and new code can run side by side during an upgrade.
A projection with no version yet (a read model just added) gets version 1, live at once,
filled by the projector from offset 0 (:func:`ensure_initial`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection, sql
from psycopg.types.json import Jsonb

from projections import LifecycleError
from projections.runtime.projection import Projection
from projections.runtime.projector import Target

BUILDING, READY, LIVE = "building", "ready", "live"
FOLLOWED = (READY, LIVE)
"""The versions a projector service follows (a building one is followed by its build)."""


@dataclass(frozen=True, slots=True)
class Version:
    """A row of ``projection_versions``."""

    projection: str
    version: int
    status: str
    fingerprint: str | None
    created_at: datetime
    ready_at: datetime | None
    switched_at: datetime | None
    params: Mapping[str, Any] | None = None
    """What it is built with besides the code (:attr:`Target.params`)."""

    @property
    def label(self) -> str:
        return f"{self.projection}@{self.version}"


def parse_label(text: str) -> tuple[str, int]:
    """``NAME@VERSION`` → (name, version)."""
    name, at, version = text.partition("@")
    if not at or not name or not version.isdigit() or int(version) < 1:
        raise LifecycleError(f"{text!r} is not NAME@VERSION (e.g. transactions@2)")
    return name, int(version)


async def versions(db: AsyncConnection[object]) -> list[Version]:
    """Every registered version, read in a transaction of its own."""
    registered = await _registered(db)
    await db.commit()
    return registered


def followed(registered: Sequence[Version], projections: Sequence[Projection],
             statuses: Sequence[str] = FOLLOWED) -> list[Target]:  # fmt: skip
    """The registered versions in ``statuses`` that this code built."""
    code = {p.name: p for p in projections}
    return [Target(code[v.projection], v.version, v.params or {}) for v in registered
            if v.status in statuses and v.projection in code
            and v.fingerprint == code[v.projection].fingerprint()]  # fmt: skip


async def ensure_initial(db: AsyncConnection[object],
                         projections: Sequence[Projection]) -> list[str]:  # fmt: skip
    """Version 1, live, for every projection that has none; this code's fingerprint on the
    versions a migration registered without one. Returns what it did, one line each."""
    done: list[str] = []
    async with db.transaction():
        await db.execute("LOCK TABLE public.projection_versions IN SHARE ROW EXCLUSIVE MODE")
        registered = await _registered(db)
        for projection in projections:
            mine = [v for v in registered if v.projection == projection.name]
            if not mine:
                await _create(db, projection, 1, LIVE)
                await _create_views(db, projection, 1, ())
                done.append(f"{projection.name}@1 created live; it fills from offset 0")
            for v in mine:
                if v.fingerprint is None:
                    await db.execute(
                        "UPDATE public.projection_versions SET fingerprint = %s"
                        " WHERE projection = %s AND version = %s",
                        (projection.fingerprint(), v.projection, v.version),
                    )
                    done.append(f"{v.label} adopted by this code")
    return done


async def create(db: AsyncConnection[object], projection: Projection, version: int) -> None:
    """A new, empty ``building`` version; or the one being built already (a build resumed)."""
    async with db.transaction():
        await db.execute("LOCK TABLE public.projection_versions IN SHARE ROW EXCLUSIVE MODE")
        existing = _find(await _registered(db), projection.name, version)
        if existing is None:
            await _create(db, projection, version, BUILDING)
        elif existing.status != BUILDING:
            raise LifecycleError(f"{existing.label} is {existing.status} already")
        elif existing.fingerprint != projection.fingerprint():
            raise LifecycleError(f"{existing.label} is being built by other code; "
                                 "drop it or build another version")  # fmt: skip


async def create_within(db: AsyncConnection[object], projection: Projection, version: int,
                        params: Mapping[str, Any]) -> None:  # fmt: skip
    """A new ``building`` version with ``params``, in the caller's transaction (which holds
    :func:`lock`): for a version whose tables the caller fills itself (a billing backfill's
    fork)."""
    if _find(await _registered(db), projection.name, version) is not None:
        raise LifecycleError(f"{projection.name}@{version} exists already: drop it or choose "
                             "another version")  # fmt: skip
    await _create(db, projection, version, BUILDING, params)


async def lock(db: AsyncConnection[object]) -> None:
    """Hold the registry until the caller's transaction ends (versions created, switched and
    dropped one at a time)."""
    await db.execute("LOCK TABLE public.projection_versions IN SHARE ROW EXCLUSIVE MODE")


async def next_version(db: AsyncConnection[object], projection: Projection) -> int:
    taken = [v.version for v in await versions(db) if v.projection == projection.name]
    return max(taken, default=0) + 1


async def mark_ready(db: AsyncConnection[object], target: Target) -> None:
    async with db.transaction():
        await db.execute(
            "UPDATE public.projection_versions SET status = %s, ready_at = now()"
            " WHERE projection = %s AND version = %s AND status = %s",
            (READY, target.projection.name, target.version, BUILDING),
        )


async def switch(db: AsyncConnection[object], projection: Projection, version: int,
                 wait_s: float = 30.0) -> Version | None:  # fmt: skip
    """Make ``version`` the one the API reads, atomically. It must be ready and have caught
    up with the live version (waited for up to ``wait_s``). Returns the version that was
    live (None if there was none, or it was this one)."""
    registered = await versions(db)
    chosen = _find(registered, projection.name, version)
    if chosen is None:
        raise LifecycleError(f"{projection.name}@{version} does not exist")
    if chosen.status == LIVE:
        return None
    if chosen.status != READY:
        raise LifecycleError(f"{chosen.label} is {chosen.status}: build it to the end first")
    live = next((v for v in registered if v.projection == projection.name and v.status == LIVE),
                None)  # fmt: skip
    if live is not None:
        await _wait_caught_up(db, chosen, live, wait_s)
    async with db.transaction():
        await db.execute("LOCK TABLE public.projection_versions IN SHARE ROW EXCLUSIVE MODE")
        await db.execute(
            "UPDATE public.projection_versions SET status = %s"
            " WHERE projection = %s AND status = %s",
            (READY, projection.name, LIVE),
        )
        await db.execute(
            "UPDATE public.projection_versions SET status = %s, switched_at = now()"
            " WHERE projection = %s AND version = %s",
            (LIVE, projection.name, version),
        )
        await _create_views(db, projection, version, projection.table_names)
    return live


async def drop(db: AsyncConnection[object], projection_name: str, version: int) -> None:
    """Remove a version that is not live: its schema, tables, offsets and registration."""
    async with db.transaction():
        await db.execute("LOCK TABLE public.projection_versions IN SHARE ROW EXCLUSIVE MODE")
        found = _find(await _registered(db), projection_name, version)
        if found is None:
            raise LifecycleError(f"{projection_name}@{version} does not exist")
        if found.status == LIVE:
            raise LifecycleError(f"{found.label} is live: switch to another version first")
        for table in ("projection_offsets", "projection_versions"):
            await db.execute(
                sql.SQL("DELETE FROM public.{} WHERE projection = %s AND version = %s").format(
                    sql.Identifier(table)),
                (projection_name, version),
            )  # fmt: skip
        await db.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(
            sql.Identifier(f"{projection_name}_v{version}")))  # fmt: skip


async def checksum(db: AsyncConnection[object], projection: Projection,
                   version: int) -> dict[str, tuple[int, str]]:  # fmt: skip
    """Per table: (rows, md5 over the rows' text, in an order that does not depend on how
    they were written). Two versions built from the same log by the same code agree."""
    if _find(await versions(db), projection.name, version) is None:
        raise LifecycleError(f"{projection.name}@{version} does not exist")
    sums: dict[str, tuple[int, str]] = {}
    async with db.cursor() as cur:
        schema = sql.Identifier(projection.schema(version))
        for table in projection.table_names:
            await cur.execute(sql.SQL(
                "SELECT count(*), coalesce(md5(string_agg(h, '' ORDER BY h)), md5(''))"
                " FROM (SELECT md5(t::text) AS h FROM {}.{} t) rows"
            ).format(schema, sql.Identifier(table)))  # fmt: skip
            row: Any = await cur.fetchone()
            sums[table] = (int(row[0]), str(row[1]))
    await db.commit()
    return sums


async def offsets(db: AsyncConnection[object]) -> dict[tuple[str, int], dict[tuple[str, int], int]]:
    """(projection, version) → (topic, partition) → next offset."""
    async with db.cursor() as cur:
        await cur.execute("SELECT projection, version, topic, partition, next_offset"
                          " FROM public.projection_offsets")  # fmt: skip
        rows: list[Any] = await cur.fetchall()
    await db.commit()
    out: dict[tuple[str, int], dict[tuple[str, int], int]] = {}
    for projection, version, topic, partition, next_offset in rows:
        out.setdefault((projection, version), {})[(topic, partition)] = next_offset
    return out


async def _wait_caught_up(db: AsyncConnection[object], chosen: Version, live: Version,
                          wait_s: float) -> None:  # fmt: skip
    deadline = time.monotonic() + wait_s
    while True:
        stored = await offsets(db)
        ahead = stored.get((live.projection, live.version), {})
        mine = stored.get((chosen.projection, chosen.version), {})
        behind = {k: o - mine.get(k, 0) for k, o in ahead.items() if mine.get(k, 0) < o}
        if not behind:
            return
        if time.monotonic() > deadline:
            raise LifecycleError(f"{chosen.label} is {sum(behind.values())} offsets behind "
                                 f"{live.label}; is a projector following it?")  # fmt: skip
        await asyncio.sleep(0.2)


async def _registered(db: AsyncConnection[object]) -> list[Version]:
    """:func:`versions` inside the caller's transaction."""
    async with db.cursor() as cur:
        await cur.execute(
            "SELECT projection, version, status, fingerprint, created_at, ready_at,"
            " switched_at, params FROM public.projection_versions ORDER BY projection, version"
        )
        rows: list[Any] = await cur.fetchall()
    return [Version(*row) for row in rows]


def _find(registered: Sequence[Version], name: str, version: int) -> Version | None:
    return next((v for v in registered if (v.projection, v.version) == (name, version)), None)


async def _create(db: AsyncConnection[object], projection: Projection, version: int,
                  status: str, params: Mapping[str, Any] | None = None) -> None:  # fmt: skip
    schema = projection.schema(version)
    await db.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    for statement in projection.ddl(schema):
        await db.execute(sql.SQL(statement))  # DDL compiled from our own declarations
    await db.execute(
        "INSERT INTO public.projection_versions"
        " (projection, version, status, fingerprint, params) VALUES (%s, %s, %s, %s, %s)",
        (projection.name, version, status, projection.fingerprint(),
         None if params is None else Jsonb(dict(params))),
    )  # fmt: skip


async def _create_views(db: AsyncConnection[object], projection: Projection, version: int,
                        replaced: Sequence[str]) -> None:  # fmt: skip
    """The views of schema ``public`` onto ``version``'s tables (replacing those named)."""
    for table in replaced:
        await db.execute(sql.SQL("DROP VIEW IF EXISTS public.{}").format(sql.Identifier(table)))
    for table in projection.table_names:
        await db.execute(sql.SQL("CREATE VIEW public.{} AS SELECT * FROM {}.{}").format(
            sql.Identifier(table), sql.Identifier(projection.schema(version)),
            sql.Identifier(table)))  # fmt: skip
