"""The hash chain (audit/chain.py): each link commits to the records before it, their order
and count."""

from __future__ import annotations

import hashlib

from audit.chain import genesis, head, link

RECORDS = [b'{"raw":"[2,\\"1\\",\\"Heartbeat\\",{}]"}', b'{"raw":"[3,\\"1\\",{}]"}', b"{}"]


def test_a_link_is_sha256_of_the_previous_link_and_the_record() -> None:
    start = genesis("CS-1")
    assert start == hashlib.sha256(b"csms-audit-chain/v1\x00CS-1").digest()
    assert link(start, RECORDS[0]) == hashlib.sha256(start + RECORDS[0]).digest()
    assert head("CS-1", RECORDS) == link(link(link(start, RECORDS[0]), RECORDS[1]), RECORDS[2])


def test_a_changed_removed_or_reordered_record_changes_the_head() -> None:
    honest = head("CS-1", RECORDS)
    changed = [RECORDS[0].replace(b"Heartbeat", b"Heartbeaz"), *RECORDS[1:]]
    assert head("CS-1", changed) != honest
    assert head("CS-1", RECORDS[:1] + RECORDS[2:]) != honest
    assert head("CS-1", [RECORDS[1], RECORDS[0], RECORDS[2]]) != honest
    assert head("CS-2", RECORDS) != honest  # another station's chain


def test_a_chain_can_resume_from_a_link() -> None:
    middle = head("CS-1", RECORDS[:2])
    assert head("CS-1", RECORDS[2:], start=middle) == head("CS-1", RECORDS)
