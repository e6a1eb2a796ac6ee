"""Signed chain heads (audit/checkpoints.py)."""

from __future__ import annotations

import dataclasses
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit.checkpoints import (
    Checkpoint,
    load_or_create_key,
    load_public,
    public_pem,
    sign,
    valid,
)

CHECKPOINT = Checkpoint(station_id="CS-1", count=100, head=bytes(range(32)), topic="p.frames",
                        partition=3, offset=12345,
                        at=datetime(2026, 12, 3, 9, 0, tzinfo=UTC))  # fmt: skip


def test_a_signed_checkpoint_verifies_and_a_changed_one_does_not() -> None:
    key = Ed25519PrivateKey.generate()
    signature = sign(CHECKPOINT, key)
    public = load_public(public_pem(key))
    assert valid(CHECKPOINT, signature, public)
    assert sign(CHECKPOINT, key) == signature  # Ed25519 is deterministic
    for change in ({"count": 101}, {"head": bytes(32)}, {"station_id": "CS-2"},
                   {"offset": 12346}, {"partition": 2}):  # fmt: skip
        assert not valid(dataclasses.replace(CHECKPOINT, **change), signature, public), change
    other = Ed25519PrivateKey.generate()
    assert not valid(CHECKPOINT, signature, other.public_key())


def test_the_key_is_created_once_private_to_its_owner(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "audit.pem"
    key = load_or_create_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = load_or_create_key(path)
    assert public_pem(again) == public_pem(key)


def test_a_file_with_another_kind_of_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "rsa.pem"
    path.write_text(public_pem(Ed25519PrivateKey.generate()))
    with pytest.raises(ValueError):
        load_or_create_key(path)
