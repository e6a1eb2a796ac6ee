"""Station credentials for the handshake, read from the read store with a short cache.

DESIGN decision 8 lets edge services that are not replayed read the read store: the
gateway reads ``stations(station_id, security_profile, password_hash,
registration_status)``, which the projections write from admin events. "Unknown station"
means no row. Results (including "no such row") are cached for ``ttl_s`` seconds, so a
reconnect storm after a gateway restart costs one query per station, and a changed password
or profile takes effect within ``ttl_s``.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol

import psycopg

from ingest import CredentialStoreUnavailable
from ingest.admission import StationCredentials

QUERY = """
SELECT station_id, security_profile, password_hash, registration_status
FROM stations WHERE station_id = %s
"""


class CredentialStore(Protocol):
    async def lookup(self, station_id: str) -> StationCredentials | None:
        """The station's credentials; None when the station is unknown (no row).

        Raises CredentialStoreUnavailable when the store cannot answer."""
        ...

    async def close(self) -> None: ...


class PostgresCredentialStore:
    """One psycopg async connection (lookups are single-row primary-key reads), reopened
    after a failure; each query is bounded by ``timeout_s``."""

    def __init__(self, url: str, *, timeout_s: float = 2.0) -> None:
        self._url = url
        self._timeout_s = timeout_s
        self._conn: psycopg.AsyncConnection[tuple[object, ...]] | None = None
        self._lock = asyncio.Lock()

    async def lookup(self, station_id: str) -> StationCredentials | None:
        async with self._lock:
            try:
                row = await asyncio.wait_for(self._query(station_id), self._timeout_s)
            except (psycopg.Error, OSError, TimeoutError) as e:
                await self._discard()
                raise CredentialStoreUnavailable(f"read store lookup failed: {e}") from e
        if row is None:
            return None
        sid, profile, password_hash, status = row
        return StationCredentials(
            station_id=str(sid),
            security_profile=_int_or_none(profile),
            password_hash=None if password_hash is None else str(password_hash),
            registration_status=None if status is None else str(status),
        )

    async def _query(self, station_id: str) -> tuple[object, ...] | None:
        if self._conn is None or self._conn.closed:
            self._conn = await psycopg.AsyncConnection.connect(
                self._url,
                autocommit=True,
                connect_timeout=max(1, int(self._timeout_s)),
                application_name="csms-gateway",
            )
        cursor = await self._conn.execute(QUERY, (station_id,))
        return await cursor.fetchone()

    async def _discard(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    async def close(self) -> None:
        async with self._lock:
            await self._discard()


class CachedCredentialStore:
    """A TTL cache (bounded, least recently used evicted) in front of another store."""

    def __init__(
        self,
        inner: CredentialStore,
        *,
        ttl_s: float,
        max_entries: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._inner = inner
        self._ttl_s = ttl_s
        self._max = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, StationCredentials | None]] = OrderedDict()

    async def lookup(self, station_id: str) -> StationCredentials | None:
        now = self._clock()
        hit = self._entries.get(station_id)
        if hit is not None and hit[0] > now:
            self._entries.move_to_end(station_id)
            return hit[1]
        creds = await self._inner.lookup(station_id)
        self._entries[station_id] = (now + self._ttl_s, creds)
        self._entries.move_to_end(station_id)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)
        return creds

    async def close(self) -> None:
        await self._inner.close()


class StaticCredentialStore:
    """A fixed table (unit tests, and a gateway run without a read store)."""

    def __init__(self, stations: dict[str, StationCredentials] | None = None) -> None:
        self.stations = dict(stations or {})
        self.lookups = 0

    async def lookup(self, station_id: str) -> StationCredentials | None:
        self.lookups += 1
        return self.stations.get(station_id)

    async def close(self) -> None:
        return None


def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) else None
