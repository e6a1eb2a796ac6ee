"""``csms up``, the command behind ``make up``: every service starts, a registered station
connects with Basic auth and boots, and Ctrl-C stops everything."""

from __future__ import annotations

import base64
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from csms.config import Settings
from tests.isolation import free_port, isolated_deployment
from tests.services import settings_env
from tests.stations import BOOT_16, Station

pytestmark = pytest.mark.integration


@pytest.fixture
def up_settings(base_settings: Settings) -> Iterator[Settings]:
    with isolated_deployment(base_settings, "u", gateway_open_mode=False) as settings:
        yield settings.model_copy(update={"gateway_port": free_port(), "api_port": free_port()})


def wait_api(settings: Settings, proc: subprocess.Popen[bytes], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "csms up exited"
        try:
            httpx.get(f"http://127.0.0.1:{settings.api_port}/docs", timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.3)
    raise AssertionError("the API never came up")


async def test_csms_up_runs_the_whole_system_until_interrupted(up_settings: Settings) -> None:
    settings = up_settings
    env = settings_env(settings)
    proc = subprocess.Popen([sys.executable, "-m", "csms.cli", "up"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        wait_api(settings, proc)
        auth = {"Authorization": f"Bearer {settings.api_token}"}
        registered = httpx.put(
            f"http://127.0.0.1:{settings.api_port}/api/v1/stations/UP-1",
            json={"security_profile": 1, "password": "up-station-password-1",
                  "registration_status": "Accepted"},
            headers=auth, timeout=30,
        )  # fmt: skip
        assert registered.status_code == 200, registered.text
        basic = base64.b64encode(b"UP-1:up-station-password-1").decode()
        async with connect(f"ws://127.0.0.1:{settings.gateway_port}/ocpp/UP-1",
                           subprotocols=[Subprotocol("ocpp1.6")],
                           additional_headers={"Authorization": f"Basic {basic}"},
                           open_timeout=30) as ws:  # fmt: skip
            reply = await Station(ws).call("BootNotification", BOOT_16, timeout=90)
        assert reply[0] == 3 and reply[2]["status"] == "Accepted"
    finally:
        proc.send_signal(signal.SIGINT)
        output = proc.communicate(timeout=60)[0].decode(errors="replace")
    assert proc.returncode == 0, output[-3000:]
    for service in ("gateway", "processor", "projector", "api"):
        assert f"{service:>9} |" in output  # every service ran, its log lines prefixed
