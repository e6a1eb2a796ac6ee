"""Pure handshake rules (ingest/handshake.py)."""

from __future__ import annotations

import base64

from ingest.handshake import basic_credentials, choose_version, station_id_from_path
from ocpp import OcppVersion


def basic(text: str) -> str:
    return "Basic " + base64.b64encode(text.encode()).decode()


def test_basic_credentials() -> None:
    assert basic_credentials(basic("CP-1:s3cret:with:colons")) == ("CP-1", "s3cret:with:colons")
    assert basic_credentials(basic("CP-1:")) == ("CP-1", "")
    assert basic_credentials("basic " + base64.b64encode(b"a:b").decode()) == ("a", "b")
    assert basic_credentials(basic("no-colon")) is None
    assert basic_credentials("Bearer abc") is None
    assert basic_credentials("Basic !!!not-base64") is None
    assert basic_credentials("Basic " + base64.b64encode(b"\xff:\xfe").decode()) is None
    assert basic_credentials("Basic") is None
    assert basic_credentials(None) is None


def test_station_id_from_path() -> None:
    assert station_id_from_path("/ocpp/CP-1") == "CP-1"
    assert station_id_from_path("/ocpp/CP%2D1?x=1") == "CP-1"
    assert station_id_from_path("/ocpp/") is None
    assert station_id_from_path("/other/CP-1") is None
    assert station_id_from_path("/ocpp/a:b") is None
    assert station_id_from_path("/ocpp/" + "x" * 49) is None
    assert station_id_from_path("/ocpp/CP-1%0A") is None  # Python's "$" would let it through


def test_choose_version_prefers_the_newest() -> None:
    assert choose_version(["ocpp1.6", "ocpp2.0.1"]) is OcppVersion.V201
    assert choose_version(["ocpp1.6"]) is OcppVersion.V16
    assert choose_version(["ocpp1.5"]) is None
