"""``csms billing backfill`` and ``csms billing diff``: re-rate a period of the log into a new
version of the billing projection, and compare two versions (docs/BILLING.md, "Backfill")."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta

from csms.config import Settings
from csms.projection_commands import columns, projector_config, until_signalled
from projections import LifecycleError
from projections.billing_backfill import Request, backfill
from projections.billing_diff import diff
from schemas.topics import Topics


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    billing = sub.add_parser("billing", help="billing backfills: re-rate a period, compare")
    actions = billing.add_subparsers(dest="action", required=True)
    fill = actions.add_parser("backfill", help="re-rate the sessions of a period under another "
                              "tariff version into a new billing version")  # fmt: skip
    fill.add_argument("--from", dest="since", type=_moment, required=True,
                      help="sessions started at or after (YYYY-MM-DD or ISO date-time, UTC)")
    fill.add_argument("--to", dest="until", type=_moment, required=True,
                      help="sessions started before")
    fill.add_argument("--tariff", required=True, metavar="ID@VERSION",
                      help="re-rate the period's sessions of tariff ID by its version VERSION")
    fill.add_argument("--as", dest="version", type=_version, required=True, metavar="vN",
                      help="the new billing version, e.g. v2")
    fill.add_argument("--lookback", type=float, default=24.0, metavar="HOURS",
                      help="how far before --from the log is read for the period's starts")
    compare = actions.add_parser("diff", help="totals of two billing versions and the sessions "
                                 "whose cost changed")  # fmt: skip
    compare.add_argument("old", type=_version, metavar="vN")
    compare.add_argument("new", type=_version, metavar="vM")
    compare.add_argument("--by", choices=("station", "day", "token"), default="station")
    compare.add_argument("--limit", type=int, default=50, help="changed sessions shown")
    compare.add_argument("--json", action="store_true", help="the whole diff as JSON")


def run(args: argparse.Namespace, settings: Settings) -> int:
    try:
        if args.action == "backfill":
            return _backfill(args, settings)
        return _diff(args, settings)
    except LifecycleError as e:
        print(f"csms billing {args.action}: {e}", file=sys.stderr)
        return 2


def _backfill(args: argparse.Namespace, settings: Settings) -> int:
    tariff_id, at, version = args.tariff.rpartition("@")
    if not at or not tariff_id or not version.isdigit():
        raise LifecycleError(f"--tariff {args.tariff!r} is not ID@VERSION (e.g. 13@2)")
    if args.until <= args.since:
        raise LifecycleError("--to must be after --from")
    request = Request(since=args.since, until=args.until, tariff_id=tariff_id,
                      tariff_version=int(version), version=args.version,
                      lookback=timedelta(hours=args.lookback))  # fmt: skip
    config = projector_config(settings)
    events = Topics(settings.topic_prefix).events
    report = until_signalled(lambda stop: backfill(config, events, request, stop))
    print("\n".join(report.lines()))
    print(f"billing@{request.version} ready; compare: csms billing diff v? v{request.version}; "
          f"make it live: csms projections switch billing {request.version}")  # fmt: skip
    return 0


def _diff(args: argparse.Namespace, settings: Settings) -> int:
    result = asyncio.run(diff(settings.libpq_url, args.old, args.new, args.by))
    if args.json:
        print(json.dumps(asdict(result), default=str, indent=2))
    else:
        print("\n".join(columns(result.lines(args.limit))))
    return 0


def _moment(text: str) -> datetime:
    """A date (midnight UTC) or an ISO date-time (UTC when it names no offset)."""
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        moment = datetime.fromisoformat(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"not a date or date-time: {text!r}") from e
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _version(text: str) -> int:
    digits = text[1:] if text[:1] in ("v", "V") else text
    if not digits.isdigit() or int(digits) < 1:
        raise argparse.ArgumentTypeError(f"not a version: {text!r} (e.g. v2)")
    return int(digits)
