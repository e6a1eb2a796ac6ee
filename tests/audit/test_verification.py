"""The verification core (audit.verification): checkpoints reached while a station's chain
is recomputed, and a break told apart from the two records at the first difference."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit import chain, checkpoints
from audit.checkpoints import Checkpoint
from audit.verification import (
    BreakKind,
    StationChain,
    StoredCheckpoint,
    classify,
    first_difference,
    located,
    unlocated,
)

KEY = Ed25519PrivateKey.generate()
AT = datetime(2026, 3, 1, tzinfo=UTC)
RECORDS = [f'{{"n":{n}}}'.encode() for n in range(10)]


def links(values: list[bytes]) -> list[bytes]:
    out, link = [], chain.genesis("CP")
    for value in values:
        link = chain.link(link, value)
        out.append(link)
    return out


def stored(seq: int, key: Ed25519PrivateKey = KEY, offset: int | None = None) -> StoredCheckpoint:
    c = Checkpoint("CP", seq, links(RECORDS)[seq - 1], "t", 0,
                   seq - 1 if offset is None else offset, AT)  # fmt: skip
    return StoredCheckpoint(c, checkpoints.sign(c, key), "k")


def fed(values: list[bytes], *at: StoredCheckpoint) -> StationChain:
    station = StationChain("CP", list(at), {"k": KEY.public_key()}, same_topic=True)
    for offset, value in enumerate(values):
        station.feed(0, offset, value)
    return station


def test_the_log_as_chained_verifies_at_every_checkpoint() -> None:
    station = fed(RECORDS, stored(1), stored(5), stored(9))
    assert (station.checked, station.verified_seq, station.suspect, station.forged) == (
        3, 9, None, None)
    assert [t[1] for t in station.trail] == [9]  # after the last checkpoint
    assert station.unreached() is None


def test_a_signature_by_another_key_is_a_forged_checkpoint() -> None:
    station = fed(RECORDS, stored(1), stored(5, key=Ed25519PrivateKey.generate()))
    assert station.forged is not None
    assert (station.forged.kind, station.forged.seq) == (BreakKind.FORGED_CHECKPOINT, 5)


def test_a_changed_record_fails_the_next_checkpoint_and_is_located() -> None:
    forged = list(RECORDS)
    forged[3] = b'{"n":99}'
    station = fed(forged, stored(1), stored(5), stored(9))
    assert station.suspect is not None and station.suspect.checkpoint.count == 5
    index = dict(enumerate(links(RECORDS), 1))
    seq = first_difference(station, index)
    assert seq == 4
    found = located(station, 4, index, (forged[3], forged[4]))
    assert (found.kind, found.seq, found.offset) == (BreakKind.CHANGED, 4, 3)


@pytest.mark.parametrize(("edit", "kind"), [
    (lambda v: v[:3] + v[4:], BreakKind.MISSING),
    (lambda v: [*v[:3], b"x", *v[3:]], BreakKind.EXTRA),
    (lambda v: [*v[:3], v[4], v[3], *v[5:]], BreakKind.REORDERED),
    (lambda v: [*v[:3], b"x", b"y", *v[5:]], BreakKind.DIFFERS),
])  # fmt: skip
def test_the_kind_of_break_is_told_by_the_two_records_there(edit: object, kind: BreakKind) -> None:
    forged = edit(list(RECORDS))  # type: ignore[operator]
    index = links(RECORDS)
    got = classify(4, index[2], index[3:5], forged[3], forged[4] if len(forged) > 4 else None)
    assert got == kind


def test_a_log_that_ends_before_a_checkpoint_is_missing_records() -> None:
    station = fed(RECORDS[:6], stored(1), stored(9))
    assert station.unreached() is not None
    found = unlocated(station)
    assert (found.kind, found.seq) == (BreakKind.MISSING, 7)


def test_a_record_chained_as_signed_at_another_offset_has_moved() -> None:
    station = fed(RECORDS, stored(1), stored(5, offset=40))
    assert station.suspect is not None
    assert unlocated(station).kind == BreakKind.MOVED


def test_start_at_a_checkpoint_verifies_from_there() -> None:
    station = StationChain("CP", [stored(5), stored(9)], {"k": KEY.public_key()}, True)
    station.start_at(stored(5))
    for offset, value in enumerate(RECORDS[5:], 5):
        station.feed(0, offset, value)
    assert (station.verified_seq, station.checked, station.suspect) == (9, 1, None)
