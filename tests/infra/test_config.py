"""infra.config: what infra is told, and the local services' addresses."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from infra import kafka, postgres, topics
from infra.config import (
    LOCAL_BOOTSTRAP,
    LOCAL_DATABASE_URL,
    LOCAL_KAFKA_PORT,
    LOCAL_POSTGRES_PORT,
    KafkaBrokerConfig,
    PostgresConfig,
    TopicsConfig,
)


def test_local_addresses_use_the_local_ports() -> None:
    assert LOCAL_BOOTSTRAP.endswith(f":{LOCAL_KAFKA_PORT}")
    assert f"127.0.0.1:{LOCAL_POSTGRES_PORT}/" in LOCAL_DATABASE_URL


def test_configs_are_frozen(tmp_path: Path) -> None:
    broker = KafkaBrokerConfig(tmp_path)
    assert broker.local and broker.bootstrap == LOCAL_BOOTSTRAP
    with pytest.raises(dataclasses.FrozenInstanceError):
        broker.local = False  # type: ignore[misc]


def test_the_local_broker_lives_under_the_state_dir(tmp_path: Path) -> None:
    assert kafka.kafka_dir(KafkaBrokerConfig(tmp_path)) == tmp_path / "kafka"


def test_nothing_is_started_for_an_external_server(tmp_path: Path) -> None:
    server = PostgresConfig(tmp_path, local=False)
    postgres.ensure_started(server)  # returns at once: no install, no initdb
    assert not postgres.stop(server)
    assert not (tmp_path / "postgres").exists()


def test_topics_follow_the_deployment() -> None:
    deployment = TopicsConfig("broker:9092", prefix="t1", partitions=3)
    forever = topics.forever_topics(deployment)
    assert [t.name for t in forever] == ["t1.frames", "t1.events", "t1.admin", "t1.commands"]
    assert {t.num_partitions for t in forever} == {3}
    assert all(t.topic_configs["retention.ms"] == "-1" for t in forever)
    delivery = topics.delivery_topic(deployment, "gw-a")
    assert (delivery.name, delivery.num_partitions) == ("t1.deliver.gw-a", 1)
