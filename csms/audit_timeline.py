"""``csms audit transaction ID [--json]``: a transaction's timeline on the terminal, the same
as ``GET /api/v1/transactions/{id}/timeline`` (read here straight from the read store and
the logs, no API needed): one block per frame in log order, the events it caused indented
under it, and the transaction's row, billing session and CDRs at the end
(docs/AUDIT.md, "The index and the replay of a transaction")."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Never

from csms.config import Settings

if TYPE_CHECKING:  # the API's modules (FastAPI, SQLAlchemy, aiokafka) load when it runs
    from tqdm import tqdm

    from api.routes.audit import TimelineEnd, TimelinePage
    from api.timeline import TimelineFrame

LONG_READ = 1000
"""Records from the logs above which the read shows a progress bar (on a terminal)."""
_TYPES = {2: "CALL", 3: "CALLRESULT", 4: "CALLERROR"}


def add_parser(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``transaction`` under ``csms audit``."""
    show = actions.add_parser("transaction", help="a transaction's timeline: every frame, both "
                              "directions, with the events it caused, then its rows")  # fmt: skip
    show.add_argument("id", type=_transaction_id, help="the CSMS transaction id")
    show.add_argument("--json", action="store_true", help="the timeline as JSON")
    show.set_defaults(run=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from api.frames_log import LogReadError
    from api.routes.audit import TransactionNotFound
    from api.timeline import TimelineError

    try:
        page = asyncio.run(read_timeline(settings, args.id))
    except TransactionNotFound:
        print(f"csms audit transaction: transaction {args.id} not found", file=sys.stderr)
        return 1
    except (LogReadError, TimelineError) as e:
        print(f"csms audit transaction: {e}", file=sys.stderr)
        return 2
    if args.json:
        print(page.model_dump_json(indent=2))
    else:
        print("\n".join(lines(page)))
    return 0


async def read_timeline(settings: Settings, transaction_pk: int) -> TimelinePage:
    """The whole timeline (one page), with a progress bar when the read is long."""
    from sqlalchemy.ext.asyncio import create_async_engine

    from api.frames_log import LogReader
    from api.routes.audit import timeline_page

    engine = create_async_engine(settings.sqlalchemy_url, pool_size=1)
    reader = LogReader(settings.bootstrap, pool_size=2)
    try:
        with Bar() as bar:
            async with engine.connect() as db:
                return await timeline_page(db, reader, transaction_pk, progress=bar)
    finally:
        await reader.close()
        await engine.dispose()


class Bar:
    """A tqdm bar on stderr for a read of more than :data:`LONG_READ` records."""

    def __init__(self) -> None:
        self._bar: tqdm[Never] | None = None

    def planned(self, records: int) -> None:
        if records > LONG_READ and sys.stderr.isatty():
            from tqdm import tqdm

            self._bar = tqdm(total=records, unit=" records", desc="reading the logs",
                             file=sys.stderr, leave=False)  # fmt: skip

    def advanced(self, records: int) -> None:
        if self._bar is not None:
            self._bar.update(records)

    def __enter__(self) -> Bar:
        return self

    def __exit__(self, *_: object) -> None:
        if self._bar is not None:
            self._bar.close()


def lines(page: TimelinePage) -> Iterator[str]:
    """The timeline for reading: a block per frame, its events indented, then the end."""
    yield f"transaction {page.transaction_pk}: {page.total} frames"
    for frame in page.frames:
        yield ""
        yield from _frame_lines(frame)
    if page.end is not None:
        yield ""
        yield from _end_lines(page.end)


def _frame_lines(frame: TimelineFrame) -> Iterator[str]:
    kind = _TYPES.get(frame.message_type or 0, frame.kind)
    arrow = "station → CSMS" if frame.direction == "in" else "CSMS → station"
    action = f" {frame.action}" if frame.action else ""
    mid = f" [{frame.message_id}]" if frame.message_id is not None else ""
    verdict = "" if frame.verdict == "ok" else f"  !! {frame.verdict}"
    yield (f"#{frame.seq} {frame.at.isoformat()} {arrow} {kind}{action}{mid}  "
           f"({frame.position}){verdict}")  # fmt: skip
    yield f"  {frame.raw if frame.raw is not None else '(no frame text)'}"
    for event in frame.events:
        yield f"    → {event.type} v{event.schema_version} {event.event_id} ({event.position})"
        yield f"      {json.dumps(event.data, sort_keys=True, default=str)}"


def _end_lines(end: TimelineEnd) -> Iterator[str]:
    yield "transaction row:"
    if end.transaction is None:
        yield "  (none in the transactions read model)"
    else:
        yield from _fields(end.transaction.model_dump(mode="json"))
    if end.billing_session is not None:
        yield "billing session:"
        yield from _fields(end.billing_session.model_dump(mode="json"))
    for cdr in end.cdrs:
        yield f"CDR {cdr.id}:"
        yield from _fields(cdr.model_dump(mode="json"))


def _fields(values: dict[str, object]) -> Iterator[str]:
    width = max(len(k) for k in values)
    for name, value in values.items():
        yield f"  {name:<{width}}  {value}"


def _transaction_id(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"not a transaction id: {text!r} (a positive integer)")
    return int(text)
