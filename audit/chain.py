"""The per-station hash chain over the frames log (docs/AUDIT.md, "Tamper evidence").

Every record of the frames log is keyed by its station, so one station's records are in one
partition, in log order. Their chain is::

    link_0 = SHA-256("csms-audit-chain/v1" NUL station id)
    link_n = SHA-256(link_{n-1} || record_n)

where ``record_n`` is the record's value exactly as the gateway appended it (its canonical
bytes: the log stores them as written, and nothing re-encodes them). A link therefore
commits to every record of the station before it, their order and their count: a changed
byte, a removed, inserted or reordered record changes every link from there on.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

DOMAIN = b"csms-audit-chain/v1\x00"


def genesis(station_id: str) -> bytes:
    """The link before a station's first record."""
    return hashlib.sha256(DOMAIN + station_id.encode()).digest()


def link(previous: bytes, record: bytes) -> bytes:
    """The link after ``record`` (the record value's bytes) follows ``previous``."""
    digest = hashlib.sha256(previous)
    digest.update(record)
    return digest.digest()


def head(station_id: str, records: Iterable[bytes], start: bytes | None = None) -> bytes:
    """The link after ``records`` (from ``start``, or the station's genesis)."""
    current = genesis(station_id) if start is None else start
    for record in records:
        current = link(current, record)
    return current
