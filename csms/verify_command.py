"""``csms audit verify-transaction`` (csms/verify_transaction.py): its arguments here, its
work imported when it runs (it loads the processor's handlers, which no other command
needs)."""

from __future__ import annotations

import argparse
import asyncio
import sys

from csms.config import Settings


def add_parser(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``verify-transaction`` under ``csms audit``."""
    verify = actions.add_parser("verify-transaction", help="prove a transaction from the "
                                "wire: re-run the handlers on its frames, re-project its "
                                "events, report every difference")  # fmt: skip
    verify.add_argument("id", type=int, help="the CSMS transaction id")
    verify.add_argument("--json", action="store_true", help="the report as JSON")
    verify.set_defaults(run=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Exit 0 verified, 1 not verified (the report says where), 2 unknown transaction."""
    from csms.verify_transaction import UnknownTransaction, verify_transaction

    try:
        report = asyncio.run(verify_transaction(settings, args.id))
    except UnknownTransaction as e:
        print(f"csms audit verify-transaction: {e}", file=sys.stderr)
        return 2
    if args.json:
        print(report.model_dump_json(indent=2))
    else:
        print("\n".join(report.lines()))
    return 0 if report.ok else 1
