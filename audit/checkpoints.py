"""Chain heads signed with the CSMS's Ed25519 key (docs/AUDIT.md, "Checkpoints").

A :class:`Checkpoint` states that a station's chain (:mod:`audit.chain`) had ``head`` after
its first ``count`` records, the last of them at ``partition`` / ``offset`` of the frames
log. Its signature is Ed25519 (RFC 8032) over :func:`message`, a fixed text that names every
field, so a checkpoint cannot be moved to another station, count or position. Ed25519
signatures are deterministic: the same key signs the same checkpoint to the same bytes, so a
rebuilt read model holds the same signatures.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

VERSION = "csms-audit-checkpoint/v1"


@dataclass(frozen=True, slots=True)
class Checkpoint:
    station_id: str
    count: int
    """Records chained, the checkpointed one included."""
    head: bytes
    """The chain's link after them (32 bytes)."""
    topic: str
    partition: int
    offset: int
    """Of the last record chained."""
    at: datetime
    """The last record's ``at`` (the gateway's time)."""

    def message(self) -> bytes:
        """What is signed."""
        return "\n".join((
            VERSION, self.station_id, str(self.count), self.head.hex(), self.topic,
            str(self.partition), str(self.offset), self.at.isoformat(),
        )).encode()  # fmt: skip


def sign(checkpoint: Checkpoint, key: Ed25519PrivateKey) -> bytes:
    return key.sign(checkpoint.message())


def valid(checkpoint: Checkpoint, signature: bytes, key: Ed25519PublicKey) -> bool:
    """Whether ``signature`` is ``key``'s over ``checkpoint``."""
    try:
        key.verify(signature, checkpoint.message())
    except InvalidSignature:
        return False
    return True


def load_or_create_key(path: Path) -> Ed25519PrivateKey:
    """The signing key in ``path`` (PKCS#8 PEM); a new one written there (mode 0600) when the
    file does not exist."""
    if path.exists():
        loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(loaded, Ed25519PrivateKey):
            raise ValueError(f"{path} holds no Ed25519 private key")
        return loaded
    key = Ed25519PrivateKey.generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())  # fmt: skip
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(pem)
    return key


def public_pem(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """The public key as auditors get it (SubjectPublicKeyInfo PEM)."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(serialization.Encoding.PEM,
                               serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def load_public(pem: str) -> Ed25519PublicKey:
    loaded = serialization.load_pem_public_key(pem.encode())
    if not isinstance(loaded, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return loaded
