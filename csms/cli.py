"""The ``csms`` command: run a service, provision local infra, or everything at once."""

from __future__ import annotations

import argparse
import asyncio
import logging
import resource
import sys

from csms import audit_commands, billing_commands, projection_commands
from csms.config import Settings

SERVICES = ("gateway", "processor", "projector", "api")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="csms", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("up", help="start local Kafka/Postgres if needed and every service")
    infra = sub.add_parser("infra", help="local Kafka and PostgreSQL")
    infra.add_argument("action", choices=("start", "stop", "status"))
    sub.add_parser("topics", help="create the Kafka topics")
    sub.add_parser("migrate", help="apply the read-store migrations")
    sub.add_parser("gateway", help="run the OCPP WebSocket gateway")
    sub.add_parser("processor", help="run the Faust stream processor (restarted if it crashes)")
    sub.add_parser("processor-worker", help="run one Faust worker process, unsupervised")
    projection_commands.add_parsers(sub)
    billing_commands.add_parsers(sub)
    audit_commands.add_parsers(sub)  # each audit subcommand sets its own `run`
    sub.add_parser("api", help="run the admin API")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for noisy in ("aiokafka", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    _raise_open_files_limit()
    settings = Settings()
    return _run(args, settings)


def _raise_open_files_limit() -> None:
    """A gateway holds one socket per station: allow as many open files as the system does."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _run(args: argparse.Namespace, settings: Settings) -> int:
    from csms import services, supervisor

    match args.command:
        case "up":
            return supervisor.up(settings)
        case "infra":
            return supervisor.infra(settings, args.action)
        case "topics":
            supervisor.prepare_kafka(settings)
        case "migrate":
            supervisor.prepare_database(settings)
        case "gateway":
            asyncio.run(services.run_gateway(settings))
        case "processor":
            from csms.restart import supervise

            worker = [sys.executable, "-m", "csms.cli", "processor-worker"]
            return supervise(worker, "processor worker")
        case "processor-worker":
            services.run_processor(settings)
        case "projector" | "projections":
            return projection_commands.run(args, settings)
        case "billing":
            return billing_commands.run(args, settings)
        case "audit":
            result: int = args.run(args, settings)
            return result
        case "api":
            services.run_api(settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
