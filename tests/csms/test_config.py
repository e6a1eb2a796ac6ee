"""csms.config: Settings, and the configuration each part receives from it."""

from __future__ import annotations

from pathlib import Path

from csms.config import Settings
from infra.config import LOCAL_BOOTSTRAP, LOCAL_DATABASE_URL


def test_unset_addresses_mean_the_local_services(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path, kafka_bootstrap=None, database_url=None)
    assert settings.bootstrap == LOCAL_BOOTSTRAP
    assert settings.libpq_url == LOCAL_DATABASE_URL
    assert settings.kafka_broker.local and settings.kafka_broker.bootstrap == LOCAL_BOOTSTRAP
    assert settings.kafka_broker.state_dir == tmp_path
    assert settings.postgres_server.local and settings.postgres_server.state_dir == tmp_path


def test_external_services_are_not_ours_to_start(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path, kafka_bootstrap="broker:9092",
                        database_url="postgres://u:p@db/csms")  # fmt: skip
    assert not settings.kafka_broker.local
    assert settings.kafka_broker.bootstrap == "broker:9092"
    assert not settings.postgres_server.local
    assert settings.sqlalchemy_url == "postgresql+psycopg://u:p@db/csms"


def test_topics_config_names_the_deployment() -> None:
    topics = Settings(kafka_bootstrap="b:1", topic_prefix="t9", partitions=3).kafka_topics
    assert (topics.bootstrap, topics.prefix, topics.partitions) == ("b:1", "t9", 3)
