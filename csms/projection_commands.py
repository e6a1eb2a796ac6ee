"""``csms projector`` and ``csms projections ...``: the projector service and the lifecycle of
projection versions (docs/ARCHITECTURE.md, "Projection versions")."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Awaitable, Callable
from typing import TypeVar

from csms.config import Settings
from projections import LifecycleError
from projections.audit import AuditSettings
from projections.runtime import registry, service
from projections.runtime.discovery import discover
from projections.runtime.service import ProjectorConfig
from schemas.readmodel import AUDIT
from schemas.topics import Topics

T = TypeVar("T")


def projector_config(settings: Settings) -> ProjectorConfig:
    topics = Topics(settings.topic_prefix)
    audit = AuditSettings(settings.audit_checkpoint_every, settings.audit_checkpoint_seconds,
                          settings.audit_key_path)  # fmt: skip
    return ProjectorConfig(bootstrap=settings.bootstrap, database_url=settings.libpq_url,
                           topics=(topics.events, topics.admin),
                           batch_size=settings.projector_batch_size,
                           frames_topic=topics.frames, settings={AUDIT: audit})  # fmt: skip


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sub.add_parser("projector", help="run the projector: follow every ready and live version")
    projections = sub.add_parser("projections", help="projection versions: list, build, "
                                 "switch, drop, checksum")  # fmt: skip
    actions = projections.add_subparsers(dest="action", required=True)
    actions.add_parser("list", help="every version, its status and how far behind the log")
    build = actions.add_parser("build", help="build versions from offset 0 beside the live ones")
    build.add_argument("versions", nargs="*", metavar="NAME[@VERSION]",
                       help="e.g. transactions@2; NAME alone builds its next version")
    build.add_argument("--all", action="store_true", help="the next version of every projection")
    build.add_argument("--detach", action="store_true",
                       help="exit once caught up instead of following the log live")
    switch = actions.add_parser("switch", help="make a ready version the one the API reads")
    switch.add_argument("name")
    switch.add_argument("version", type=int)
    switch.add_argument("--wait", type=float, default=30.0, metavar="SECONDS",
                        help="how long to wait for it to catch up with the live version")
    for action, text in (("drop", "remove a version that is not live"),
                         ("checksum", "rows and a checksum per table of a version")):  # fmt: skip
        parser = actions.add_parser(action, help=text)
        parser.add_argument("version", metavar="NAME@VERSION")


def run(args: argparse.Namespace, settings: Settings) -> int:
    config = projector_config(settings)
    if args.command == "projector":
        until_signalled(lambda stop: service.serve(config, stop))
        return 0
    try:
        return _action(args, config)
    except (LifecycleError, KeyError) as e:
        print(f"csms projections {args.action}: {e.args[0] if e.args else e}", file=sys.stderr)
        return 2


def _action(args: argparse.Namespace, config: ProjectorConfig) -> int:
    match args.action:
        case "list":
            lines = asyncio.run(service.listing(config))
            print("\n".join(columns(lines)))
        case "build":
            labels = [p.name for p in discover()] if args.all else list(args.versions)
            if not labels:
                raise LifecycleError("name the versions to build, or --all")
            until_signalled(lambda stop: service.build(config, labels, stop,
                                                        follow=not args.detach))  # fmt: skip
        case "switch":
            print(asyncio.run(service.switch(config, args.name, args.version, args.wait)))
        case "drop":
            print(asyncio.run(service.drop(config, *registry.parse_label(args.version))))
        case "checksum":
            lines = asyncio.run(service.checksum(config, *registry.parse_label(args.version)))
            print("\n".join(columns(["table\trows\tmd5", *lines])))
    return 0


def columns(lines: list[str]) -> list[str]:
    rows = [line.split("\t") for line in lines]
    widths = [max(len(row[i]) for row in rows if i < len(row)) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)).rstrip()
            for row in rows]  # fmt: skip


def until_signalled(main: Callable[[asyncio.Event], Awaitable[T]]) -> T:
    """Run ``main(stop)`` until it returns; SIGINT / SIGTERM set ``stop``."""

    async def runner() -> T:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        return await main(stop)

    return asyncio.run(runner())
