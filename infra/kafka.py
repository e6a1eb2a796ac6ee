"""A real Apache Kafka 4.0 single-node KRaft broker, from Apache's jars on Maven Central.

``ensure_started`` is idempotent: it resolves the jars once (``mvn dependency:copy-dependencies``
into ``$state_dir/kafka/libs``, git-ignored), formats the storage once, starts the broker
detached on 127.0.0.1 with settings fit for tests (replication factor 1 everywhere, including
the transaction state log, so Kafka transactions work) and waits for a metadata answer.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import signal
import socket
import time
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from infra import ProvisioningFailed, ServiceNotReady
from infra.config import LOCAL_KAFKA_CONTROLLER_PORT, LOCAL_KAFKA_PORT, KafkaBrokerConfig
from infra.process import run, running_pid, spawn, terminate

log = logging.getLogger(__name__)

TEMPLATES = Path(__file__).resolve().parent / "kafka_broker"
BROKER_HEAP = "-Xmx768m -Xms256m"


def kafka_dir(broker: KafkaBrokerConfig) -> Path:
    return broker.state_dir / "kafka"


def ensure_jars(broker: KafkaBrokerConfig) -> Path:
    """Resolve kafka_2.13 and its log4j binding with Maven, once."""
    libs = kafka_dir(broker) / "libs"
    if any(libs.glob("kafka_2.13-*.jar")):
        return libs
    if shutil.which("mvn") is None:
        raise ProvisioningFailed("mvn (Apache Maven) is needed to fetch the Kafka broker jars")
    log.info("resolving Apache Kafka jars from Maven Central into %s", libs)
    run(
        [
            "mvn", "-q", "-B", "-f", str(TEMPLATES / "pom.xml"),
            "dependency:copy-dependencies", f"-DoutputDirectory={libs}", "-DincludeScope=runtime",
        ]
    )  # fmt: skip
    return libs


def _render_config(broker: KafkaBrokerConfig) -> Path:
    home = kafka_dir(broker)
    config = home / "server.properties"
    text = (
        (TEMPLATES / "server.properties.in")
        .read_text()
        .format(
            port=LOCAL_KAFKA_PORT,
            controller_port=LOCAL_KAFKA_CONTROLLER_PORT,
            data_dir=home / "data",
        )
    )
    config.write_text(text)
    return config


def _java(libs: Path, *args: str) -> list[str]:
    return ["java", "-cp", f"{libs}/*", *args]


def _format_storage(libs: Path, config: Path, data_dir: Path) -> None:
    if (data_dir / "meta.properties").exists():
        return
    cluster_id = run(_java(libs, "kafka.tools.StorageTool", "random-uuid")).strip()
    run(_java(libs, "kafka.tools.StorageTool", "format", "-t", cluster_id, "-c", str(config)))


def _port_open(bootstrap: str) -> bool:
    host, _, port = bootstrap.split(",")[0].rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=1.0):
            return True
    except OSError:
        return False


async def _metadata_ok(bootstrap: str) -> bool:
    if not _port_open(bootstrap):
        return False
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=3000)
    try:
        await admin.start()
        await admin.list_topics()
    except (KafkaError, OSError):
        return False
    finally:
        await admin.close()
    return True


def is_ready(bootstrap: str) -> bool:
    """True when a metadata request to ``bootstrap`` succeeds."""
    return asyncio.run(_metadata_ok(bootstrap))


def wait_ready(bootstrap: str, timeout_s: float = 90.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if is_ready(bootstrap):
            return
        time.sleep(0.5)
    raise ServiceNotReady(f"Kafka at {bootstrap} did not answer within {timeout_s:.0f}s")


def ensure_started(broker: KafkaBrokerConfig) -> None:
    """Start the local broker unless one already answers (or an external one is configured)."""
    if not broker.local:
        wait_ready(broker.bootstrap)
        return
    home = kafka_dir(broker)
    pid_file = home / "broker.pid"
    if running_pid(pid_file) is None and not is_ready(broker.bootstrap):
        libs = ensure_jars(broker)
        config = _render_config(broker)
        _format_storage(libs, config, home / "data")
        env = dict(os.environ, KAFKA_HEAP_OPTS=BROKER_HEAP)
        cmd = _java(
            libs, *BROKER_HEAP.split(),
            f"-Dlog4j2.configurationFile={TEMPLATES / 'log4j2.yaml'}",
            "kafka.Kafka", str(config),
        )  # fmt: skip
        pid = spawn(cmd, log_file=home / "broker.log", pid_file=pid_file, env=env)
        log.info("started Kafka broker (pid %d), log: %s", pid, home / "broker.log")
    wait_ready(broker.bootstrap)


def stop(broker: KafkaBrokerConfig) -> bool:
    return terminate(kafka_dir(broker) / "broker.pid")


class StandaloneBroker:
    """A second, throwaway single-node KRaft broker with its own ports and state directory.

    For tests that stop and restart a broker (outage tests) without touching the shared
    local broker other test sessions use. Same jars and broker settings as the local one.
    """

    def __init__(self, libs: Path, home: Path, port: int, controller_port: int,
                 heap: str = "-Xmx384m -Xms128m") -> None:  # fmt: skip
        self.libs, self.home, self.heap = libs, home, heap
        self.port, self.controller_port = port, controller_port
        self._pid: int | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 90.0) -> int:
        """Format the storage once, start the broker and wait until it answers; its pid.

        Blocking (it runs its own event loop to probe): from async code, use a thread.
        """
        self.home.mkdir(parents=True, exist_ok=True)
        config = self.home / "server.properties"
        config.write_text((TEMPLATES / "server.properties.in").read_text().format(
            port=self.port, controller_port=self.controller_port, data_dir=self.home / "data",
        ))  # fmt: skip
        _format_storage(self.libs, config, self.home / "data")
        cmd = _java(
            self.libs, *self.heap.split(),
            f"-Dlog4j2.configurationFile={TEMPLATES / 'log4j2.yaml'}", "kafka.Kafka", str(config),
        )  # fmt: skip
        env = dict(os.environ, KAFKA_HEAP_OPTS=self.heap)
        self._pid = spawn(cmd, log_file=self.home / "broker.log",
                          pid_file=self.home / "broker.pid", env=env)  # fmt: skip
        wait_ready(self.bootstrap, timeout_s)
        return self._pid

    def stop(self, timeout_s: float = 60.0) -> bool:
        """SIGTERM (controlled shutdown) and reap it (it is this process's child; SIGKILL
        past ``timeout_s``); the data directory is kept for a restart."""
        pid, self._pid = self._pid, None
        (self.home / "broker.pid").unlink(missing_ok=True)
        if pid is None:
            return False
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        while os.waitpid(pid, os.WNOHANG) == (0, 0):
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                break
            time.sleep(0.1)
        return True


def standalone_broker(broker: KafkaBrokerConfig, home: Path, port: int,
                      controller_port: int) -> StandaloneBroker:  # fmt: skip
    """A :class:`StandaloneBroker` using the local broker's jars (resolved if needed)."""
    return StandaloneBroker(ensure_jars(broker), home, port, controller_port)
