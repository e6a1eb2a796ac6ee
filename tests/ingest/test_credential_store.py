"""The credential cache (ingest/credential_store.py)."""

from __future__ import annotations

import pytest

from ingest import CredentialStoreUnavailable
from ingest.admission import StationCredentials
from ingest.credential_store import (
    CachedCredentialStore,
    PostgresCredentialStore,
    StaticCredentialStore,
)

CP1 = StationCredentials("CP-1", 1, "hash", "Accepted")


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_hits_and_misses_are_cached_for_the_ttl() -> None:
    inner, clock = StaticCredentialStore({"CP-1": CP1}), Clock()
    store = CachedCredentialStore(inner, ttl_s=5, clock=clock)
    assert await store.lookup("CP-1") == CP1
    assert await store.lookup("nope") is None
    assert await store.lookup("CP-1") == CP1 and await store.lookup("nope") is None
    assert inner.lookups == 2
    inner.stations["nope"] = CP1
    clock.now = 5.1
    assert await store.lookup("nope") == CP1  # a registration shows after the TTL
    assert inner.lookups == 3


async def test_cache_is_bounded() -> None:
    inner = StaticCredentialStore()
    store = CachedCredentialStore(inner, ttl_s=60, max_entries=2, clock=Clock())
    for sid in ("a", "b", "c", "a"):
        await store.lookup(sid)
    assert inner.lookups == 4  # "a" was evicted by "c"


async def test_unreachable_database_is_an_unavailable_store() -> None:
    store = PostgresCredentialStore("postgresql://x:y@127.0.0.1:1/none", timeout_s=1)
    with pytest.raises(CredentialStoreUnavailable):
        await store.lookup("CP-1")
    await store.close()
