"""Verifying the frames log against its signed checkpoints, sans I/O (docs/AUDIT.md, "Tamper
evidence"; ``csms audit verify`` feeds it).

Each station's chain (:mod:`audit.chain`) is recomputed over the records read
(:meth:`StationChain.feed`, the hot path: one SHA-256 per record, no decoding). When it
reaches the ``count`` of one of the station's checkpoints, the checkpoint must be signed by
a known key (:mod:`audit.checkpoints`) and state the recomputed link (and, when the log read
is the one the checkpoints name, the record's partition and offset). The first checkpoint
that does not hold is the station's first break; records after the last checkpoint are only
compared with the index (unsigned). A break is then located record by record
(:func:`locate`): the index's links (what the projector chained as the records arrived,
which agree with the checkpoints up to the last one that held) against the recomputed ones,
and the two records of the log read at the first difference tell a changed record from a
missing, an extra or a reordered one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from audit import chain, checkpoints
from audit.checkpoints import Checkpoint


class BreakKind(StrEnum):
    CHANGED = "changed"
    """The record differs from the one chained; the next one chains on."""
    MISSING = "missing"
    """A record chained is not in the log read (the next one is where it was)."""
    EXTRA = "extra"
    """The log read holds a record that was never chained."""
    REORDERED = "reordered"
    """Two records are in each other's place."""
    DIFFERS = "differs"
    """The chain differs from here on, more than one record's change explains."""
    LINK_MISMATCH = "link mismatch"
    """A checkpoint's link is not the recomputed one, and the index cannot say where (it
    disagrees with the checkpoint too)."""
    MOVED = "moved"
    """The checkpointed record is chained as signed, but at another position of the log."""
    FORGED_CHECKPOINT = "forged checkpoint"
    """A checkpoint whose signature is not its key's over its fields (or by an unknown key)."""


@dataclass(frozen=True, slots=True)
class Break:
    kind: BreakKind
    seq: int
    """The first seq of the station's chain that does not hold."""
    partition: int | None
    offset: int | None
    """Where the log read has that record (None: it has none there)."""
    detail: str


@dataclass(frozen=True, slots=True)
class StoredCheckpoint:
    """A checkpoint as the read store holds it, with its signature and key id."""

    checkpoint: Checkpoint
    signature: bytes
    key_id: str

    def signed_by(self, keys: Mapping[str, Ed25519PublicKey]) -> bool:
        key = keys.get(self.key_id)
        return key is not None and checkpoints.valid(self.checkpoint, self.signature, key)


@dataclass(slots=True)
class StationChain:
    """One station's chain as recomputed from the log read, checked at its checkpoints.

    ``trail`` keeps the (partition, offset, link) of every record after the last checkpoint
    that held, so a break or the unsigned tail can be located afterwards."""

    station_id: str
    pending: list[StoredCheckpoint]
    """The station's checkpoints not reached yet, highest seq first."""
    keys: Mapping[str, Ed25519PublicKey]
    same_topic: bool
    """Whether the log read is the one the checkpoints name (positions are then compared)."""
    seq: int = 0
    link: bytes = b""
    verified_seq: int = 0
    verified_link: bytes = b""
    checked: int = 0
    trail: list[tuple[int, int, bytes]] = field(default_factory=list)
    suspect: StoredCheckpoint | None = None
    """The first checkpoint that did not hold (a break between ``verified_seq`` and it)."""
    forged: Break | None = None

    def __post_init__(self) -> None:
        self.link = self.verified_link = chain.genesis(self.station_id)
        self.pending.sort(key=lambda c: c.checkpoint.count, reverse=True)

    @property
    def next_seq(self) -> int:
        return self.pending[-1].checkpoint.count if self.pending else 0

    def start_at(self, stored: StoredCheckpoint) -> None:
        """Verify from a checkpoint already checked (``--since``): its link is the start."""
        self.seq = self.verified_seq = stored.checkpoint.count
        self.link = self.verified_link = stored.checkpoint.head
        self.pending = [c for c in self.pending if c.checkpoint.count > self.seq]

    def feed(self, partition: int, offset: int, value: bytes) -> None:
        """The station's next record in the log read."""
        digest = hashlib.sha256(self.link)
        digest.update(value)
        self.link = digest.digest()
        self.seq += 1
        self.trail.append((partition, offset, self.link))
        if self.seq == self.next_seq:
            self._reached(partition, offset)

    def _reached(self, partition: int, offset: int) -> None:
        stored = self.pending.pop()
        if self.suspect is not None or self.forged is not None:
            return
        self.checked += 1
        if not stored.signed_by(self.keys):
            self.forged = Break(BreakKind.FORGED_CHECKPOINT, self.seq, partition, offset,
                                f"the checkpoint of seq {self.seq} is not signed by "
                                f"{'its key' if stored.key_id in self.keys else 'a known key'}"
                                f" (key id {stored.key_id})")  # fmt: skip
            return
        c = stored.checkpoint
        moved = self.same_topic and (c.partition, c.offset) != (partition, offset)
        if c.head != self.link or moved:
            self.suspect = stored
            return
        self.verified_seq, self.verified_link = self.seq, self.link
        self.trail.clear()

    def unreached(self) -> StoredCheckpoint | None:
        """After the last record: a checkpoint beyond the chain's end (records missing)."""
        if self.suspect is None and self.forged is None and self.pending:
            self.suspect = self.pending[0]
            for stored in self.pending:
                if stored.checkpoint.count < self.suspect.checkpoint.count:
                    self.suspect = stored
        return self.suspect


def _link(previous: bytes, value: bytes | None) -> bytes | None:
    return None if value is None else chain.link(previous, value)


def classify(seq: int, before: bytes, indexed: Sequence[bytes], here: bytes | None,
             following: bytes | None) -> BreakKind:  # fmt: skip
    """What happened at ``seq``, the first record whose recomputed link differs from the
    index's: ``before`` is the link both agree on before it, ``indexed`` the index's links of
    seq and seq + 1 (as many as it has), ``here`` and ``following`` the values the log read
    holds at seq and seq + 1 (None: it ends before)."""
    at = indexed[0] if indexed else None
    after = indexed[1] if len(indexed) > 1 else None
    if (at is not None and after is not None and here is not None and following is not None
            and _link(before, following) == at and _link(at, here) == after):
        return BreakKind.REORDERED
    if at is not None and after is not None and _link(at, here) == after:
        return BreakKind.MISSING
    if here is not None and at is not None and _link(before, following) == at:
        return BreakKind.EXTRA
    if here is None and at is not None:
        return BreakKind.MISSING
    if at is None and here is not None:
        return BreakKind.EXTRA
    if after is not None and _link(at or before, following) == after:
        return BreakKind.CHANGED
    return BreakKind.DIFFERS


_DETAIL: Mapping[BreakKind, str] = {
    BreakKind.CHANGED: "the record differs from the one chained (the next record chains on)",
    BreakKind.MISSING: "the record chained here is not in the log read",
    BreakKind.EXTRA: "the log read holds a record here that was never chained",
    BreakKind.REORDERED: "this record and the next are in each other's place",
    BreakKind.DIFFERS: "the chain differs from here on",
}


def first_difference(station: StationChain, indexed: Mapping[int, bytes]) -> int | None:
    """The first seq after ``verified_seq`` where the recomputed chain and the index's links
    differ (one of them ending counts); None when they agree as far as both go."""
    seq = station.verified_seq
    for seq, (_, _, link) in enumerate(station.trail, station.verified_seq + 1):
        if indexed.get(seq) != link:
            return seq
    last = max(indexed, default=0)
    return seq + 1 if last > seq else None


def located(station: StationChain, seq: int, indexed: Mapping[int, bytes],
            values: tuple[bytes | None, bytes | None]) -> Break:  # fmt: skip
    """The break at ``seq`` (from :func:`first_difference`), told from the log read's values
    at seq and seq + 1 (read back by the caller at the trail's positions)."""
    before = station.verified_link if seq == station.verified_seq + 1 else indexed[seq - 1]
    kind = classify(seq, before, [v for v in (indexed.get(seq), indexed.get(seq + 1))
                                  if v is not None], *values)  # fmt: skip
    position = position_of(station, seq)
    partition, offset = position if position is not None else (None, None)
    where = "" if position is None else f" (partition {partition}, offset {offset})"
    return Break(kind, seq, partition, offset, f"seq {seq}{where}: {_DETAIL[kind]}")


def position_of(station: StationChain, seq: int) -> tuple[int, int] | None:
    """Where the log read has the station's record ``seq`` (None: not in the trail)."""
    index = seq - station.verified_seq - 1
    if 0 <= index < len(station.trail):
        partition, offset, _ = station.trail[index]
        return partition, offset
    return None


def unlocated(station: StationChain) -> Break:
    """A checkpoint that does not hold where the index cannot say more."""
    stored = station.suspect
    assert stored is not None
    c = stored.checkpoint
    position = position_of(station, c.count)
    if position is None:
        return Break(BreakKind.MISSING, station.seq + 1, None, None,
                     f"the log read ends at seq {station.seq}; a checkpoint states seq "
                     f"{c.count} at partition {c.partition}, offset {c.offset}")  # fmt: skip
    recomputed = station.trail[c.count - station.verified_seq - 1][2]
    if recomputed == c.head:
        return Break(BreakKind.MOVED, c.count, *position,
                     f"seq {c.count} is chained as signed but at partition {position[0]}, "
                     f"offset {position[1]}; the checkpoint states partition {c.partition}, "
                     f"offset {c.offset}")  # fmt: skip
    return Break(BreakKind.LINK_MISMATCH, c.count, *position,
                 f"the checkpoint of seq {c.count} states link {c.head.hex()[:16]}…, the log "
                 f"read gives {recomputed.hex()[:16]}… (the break is after seq "
                 f"{station.verified_seq})")  # fmt: skip
