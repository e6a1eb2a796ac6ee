"""``csms audit ...``: replay and verify what crossed the wire (docs/AUDIT.md).

Each subcommand is a module with ``add_parser(actions)`` that sets its own ``run(args,
settings) -> int``; adding one is adding it to :data:`SUBCOMMANDS`.

- ``transaction ID``: a transaction's timeline (:mod:`csms.audit_timeline`);
- ``verify-transaction ID``: a transaction re-derived from the wire (:mod:`csms.verify_command`);
- ``verify``: the frames log against the signed checkpoints (:mod:`csms.audit_verify`);
- ``public-key``: the checkpoint signing key's public key, PEM (this module).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TypeAlias

from audit import checkpoints
from csms import audit_timeline, verify_command
from csms.config import Settings

Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def _add_verify(actions: Subparsers) -> None:
    """``verify`` under ``csms audit`` (:mod:`csms.audit_verify`, imported when it runs: it
    loads the projector, which no other command needs)."""
    check = actions.add_parser("verify", help="recompute every station's hash chain over the "
                               "frames log, check it against the signed checkpoints")
    check.add_argument("--station", help="only this station")
    check.add_argument("--since", type=datetime.fromisoformat, metavar="ISO",
                       help="from each station's last checkpoint at or before this time")
    check.add_argument("--topic", help="the log to read (default: the deployment's frames "
                       "topic), e.g. an auditor's copy")  # fmt: skip
    check.add_argument("--public-key", type=Path, metavar="PEM",
                       help="check the signatures with this key (default: the read store's)")
    check.add_argument("--json", action="store_true", help="the report as JSON")
    check.set_defaults(run=_verify)


def _verify(args: argparse.Namespace, settings: Settings) -> int:
    from csms import audit_verify

    return audit_verify.run(args, settings)


def _add_public_key(actions: Subparsers) -> None:
    show = actions.add_parser("public-key", help="the public key that verifies the chain's "
                              "checkpoints (PEM; the key pair is made if there is none)")
    show.set_defaults(run=public_key)


SUBCOMMANDS: tuple[Callable[[Subparsers], None], ...] = (
    audit_timeline.add_parser, verify_command.add_parser, _add_verify,
    _add_public_key,
)  # fmt: skip


def add_parsers(sub: Subparsers) -> None:
    audit = sub.add_parser("audit", help="replay and verify what crossed the wire")
    actions = audit.add_subparsers(dest="action", required=True)
    for add in SUBCOMMANDS:
        add(actions)


def public_key(args: argparse.Namespace, settings: Settings) -> int:
    """Print the public key of ``CSMS_AUDIT_SIGNING_KEY`` (created on first use, as the
    projector would: an operator may publish it before the first checkpoint)."""
    key = checkpoints.load_or_create_key(settings.audit_key_path)
    print(checkpoints.public_pem(key), end="")
    return 0
