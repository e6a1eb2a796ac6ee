"""csms.services: the gateway's own configuration, built from Settings."""

from __future__ import annotations

from pathlib import Path

from csms.config import Settings
from csms.services import ingest_config
from tests.pki import CertificateAuthority


def test_ingest_config_carries_the_gateway_settings() -> None:
    settings = Settings(
        kafka_bootstrap="b:1", database_url="postgresql://u@db/x", topic_prefix="t1",
        gateway_id="gw-1", gateway_port=9100, gateway_open_mode=True,
        gateway_rate_limit_per_s=7.0, gateway_backlog_max_frames=12,
        gateway_credential_cache_s=0.5,
    )  # fmt: skip
    config = ingest_config(settings)
    assert (config.server.gateway_id, config.server.port) == ("gw-1", 9100)
    assert config.server.open_mode and config.server.rate_limit_per_s == 7.0
    assert config.server.tls is None  # no certificate configured: no wss:// listener
    assert config.topics.frames == "t1.frames"
    assert config.topics.delivery(config.server.gateway_id) == "t1.deliver.gw-1"
    assert (config.bootstrap, config.database_url) == ("b:1", "postgresql://u@db/x")
    assert (config.backlog_max_frames, config.credential_cache_s) == (12, 0.5)


def test_tls_files_give_a_wss_listener(tmp_path: Path) -> None:
    ca = CertificateAuthority(tmp_path, "test")
    server = ca.issue("server", "localhost", server=True)
    settings = Settings(gateway_tls_port=9443, gateway_tls_cert=server.cert,
                        gateway_tls_key=server.key, gateway_tls_ca=ca.cert_file)  # fmt: skip
    tls = ingest_config(settings).server.tls
    assert tls is not None and tls.port == 9443
