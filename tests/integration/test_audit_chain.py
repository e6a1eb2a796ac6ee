"""The audit projection's index and hash chain on the real stack, and ``csms audit verify``
(docs/AUDIT.md, "Tamper evidence"): a station's traffic is indexed with the links of its
records as they are in the log, its checkpoints verify with the public key, forged copies
of its stream are each caught with a report naming what differs, a forged checkpoint is
caught, and a rebuild of the audit projection writes the same rows."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from aiokafka import AIOKafkaProducer, ConsumerRecord
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from audit import chain, checkpoints
from audit.checkpoints import Checkpoint
from csms.config import Settings
from schemas.readmodel import AUDIT
from schemas.topics import Topics
from tests.integration.kafka_reading import read_all
from tests.isolation import isolated_deployment
from tests.services import ServiceSet, api_client, settings_env
from tests.stations import BOOT_16, Station, connect_station

pytestmark = pytest.mark.integration

EVERY = 4
STATION = "AUDIT-CHAIN-1"


@pytest.fixture(scope="module")
def audited(base_settings: Settings, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[ServiceSet]:  # fmt: skip
    """A stack of its own that checkpoints every few records, with a key of its own."""
    key = tmp_path_factory.mktemp("audit-key") / "signing-key.pem"
    logs = tmp_path_factory.mktemp("audit-logs")
    with (isolated_deployment(base_settings, audit_checkpoint_every=EVERY,
                              audit_signing_key=key) as settings,
          ServiceSet.running(settings, logs) as services):  # fmt: skip
        asyncio.run(_session(settings))
        asyncio.run(_wait_indexed(settings))
        yield services


def _meter(txn: int, n: int) -> dict[str, Any]:
    return {"connectorId": 1, "transactionId": txn, "meterValue": [{
        "timestamp": f"2026-03-01T10:{n:02d}:00Z", "sampledValue": [
            {"value": str(1000 + 250 * n), "measurand": "Energy.Active.Import.Register",
             "unit": "Wh"}]}]}  # fmt: skip


async def _session(settings: Settings) -> None:
    async with connect_station(settings.gateway_port, STATION, "ocpp1.6") as ws:
        cp = Station(ws)
        assert (await cp.call("BootNotification", BOOT_16, timeout=90))[0] == 3
        started = await cp.call("StartTransaction", {
            "connectorId": 1, "idTag": "CHAIN-TAG", "meterStart": 1000,
            "timestamp": "2026-03-01T10:00:00Z"}, timeout=90)  # fmt: skip
        txn = started[2]["transactionId"]
        for n in range(1, 6):
            assert (await cp.call("MeterValues", _meter(txn, n), timeout=90))[0] == 3
        await cp.call("StopTransaction", {"transactionId": txn, "meterStop": 2500,
                                          "timestamp": "2026-03-01T10:06:00Z"}, timeout=90)


def _station_records(records: list[ConsumerRecord[bytes, bytes]]
                     ) -> list[ConsumerRecord[bytes, bytes]]:  # fmt: skip
    return sorted((r for r in records if r.key == STATION.encode()),
                  key=lambda r: (r.partition, r.offset))  # fmt: skip


async def _wait_indexed(settings: Settings, timeout: float = 90.0) -> None:
    """Until the audit index holds every record of the station now in the frames log (its
    disconnection included) and every event they caused."""
    frames = Topics(settings.topic_prefix).frames
    deadline = time.monotonic() + timeout
    while True:
        logged = _station_records(await read_all(settings.bootstrap, frames))
        if logged and b'"disconnected"' in (logged[-1].value or b""):
            with psycopg.connect(settings.libpq_url) as db:
                (rows,) = db.execute("SELECT count(*) FROM frames WHERE station_id = %s",
                                     (STATION,)).fetchone() or (0,)  # fmt: skip
                (ended,) = db.execute("SELECT count(*) FROM frame_events WHERE type ="
                                      " 'TransactionEnded' AND station_id = %s",
                                      (STATION,)).fetchone() or (0,)  # fmt: skip
            if rows == len(logged) and ended:
                return
        if time.monotonic() > deadline:
            raise AssertionError("the audit index did not catch up with the frames log")
        await asyncio.sleep(0.3)


def _rows(settings: Settings, query: str, *params: object) -> list[tuple[Any, ...]]:
    with psycopg.connect(settings.libpq_url) as db:
        return db.execute(query, params).fetchall()


def _verify(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "csms.cli", "audit", "verify", *args],
                          env=settings_env(settings), capture_output=True, text=True,
                          timeout=300, check=False)  # fmt: skip


async def _copy(settings: Settings, values: list[bytes]) -> str:
    """A new topic holding ``values`` as the station's stream (keyed by it, in order)."""
    topic = f"{settings.topic_prefix}.forged-{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, settings.partitions, 1)])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap, acks="all",
                                enable_idempotence=True)  # fmt: skip
    await producer.start()
    try:
        for value in values:
            await producer.send_and_wait(topic, value, key=STATION.encode())
    finally:
        await producer.stop()
    return topic


def _logged(settings: Settings) -> list[ConsumerRecord[bytes, bytes]]:
    frames = Topics(settings.topic_prefix).frames
    return _station_records(asyncio.run(read_all(settings.bootstrap, frames)))


# -- the index ------------------------------------------------------------------------------


def test_every_record_is_indexed_with_its_link_in_the_chain(audited: ServiceSet) -> None:
    settings = audited.settings
    logged = _logged(settings)
    rows = _rows(settings, 'SELECT seq, partition, "offset", link, kind, direction,'
                 " message_type, message_id, action FROM frames WHERE station_id = %s"
                 " ORDER BY seq", STATION)  # fmt: skip
    assert [r[0] for r in rows] == list(range(1, len(logged) + 1))
    link = chain.genesis(STATION)
    for row, record in zip(rows, logged, strict=True):
        link = chain.link(link, record.value or b"")
        assert (row[1], row[2], row[3]) == (record.partition, record.offset, link.hex())
    (head,) = _rows(settings, "SELECT seq, link FROM chain_heads WHERE station_id = %s",
                    STATION)  # fmt: skip
    assert head == (len(logged), link.hex())
    kinds = [r[4] for r in rows]
    assert kinds[0] == "connected" and kinds[-1] == "disconnected"
    boot_call = next(r for r in rows if r[8] == "BootNotification" and r[6] == 2)
    boot_answer = next(r for r in rows if r[7] == boot_call[7] and r[6] == 3)
    assert (boot_call[5], boot_answer[5], boot_answer[8]) == ("in", "out", "BootNotification")


def test_the_events_of_the_frames_are_indexed_with_their_transaction(
        audited: ServiceSet) -> None:  # fmt: skip
    settings = audited.settings
    rows = _rows(settings, "SELECT e.type, e.transaction_pk, f.action FROM frame_events e"
                 " JOIN frames f ON e.causation_id = f.topic || '/' || f.partition || '/'"
                 " || f.\"offset\" WHERE e.station_id = %s", STATION)  # fmt: skip
    by_type = {t: (pk, action) for t, pk, action in rows}
    pk = by_type["TransactionStarted"][0]
    assert pk is not None and by_type["TransactionStarted"][1] == "StartTransaction"
    assert by_type["MeterValuesReported"] == (pk, "MeterValues")
    assert by_type["TransactionEnded"] == (pk, "StopTransaction")
    assert by_type["StationBooted"][0] is None


def test_checkpoints_are_signed_at_the_first_record_then_every_n(audited: ServiceSet) -> None:
    settings = audited.settings
    logged = _logged(settings)
    stored = _rows(settings, 'SELECT seq, link, topic, partition, "offset", at, signature,'
                   " key_id FROM chain_checkpoints WHERE station_id = %s ORDER BY seq",
                   STATION)  # fmt: skip
    assert [s[0] for s in stored] == [1, *range(1 + EVERY, len(logged) + 1, EVERY)]
    ((pem,),) = _rows(settings, "SELECT public_key FROM chain_keys")
    key = checkpoints.load_public(pem)
    for seq, link, topic, partition, offset, at, signature, _ in stored:
        record = logged[seq - 1]
        assert (partition, offset) == (record.partition, record.offset)
        assert link == chain.head(STATION, [r.value or b"" for r in logged[:seq]]).hex()
        checkpoint = Checkpoint(STATION, seq, bytes.fromhex(link), topic, partition, offset, at)
        assert checkpoints.valid(checkpoint, bytes.fromhex(signature), key)


def test_the_public_key_is_served_and_printed(audited: ServiceSet) -> None:
    settings = audited.settings
    ((pem,),) = _rows(settings, "SELECT public_key FROM chain_keys")
    served = asyncio.run(_get(settings, "/api/v1/audit/public-key"))
    assert served.status_code == 200 and served.text == pem
    assert served.headers["content-type"].startswith("application/x-pem-file")
    assert audited.csms("audit", "public-key") == pem


async def _get(settings: Settings, path: str) -> httpx.Response:
    async with api_client(settings) as http:
        return await http.get(path)


# -- verification ---------------------------------------------------------------------------


def test_the_log_as_written_verifies(audited: ServiceSet) -> None:
    done = _verify(audited.settings, "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    (station,) = [s for s in report["stations"] if s["station_id"] == STATION]
    assert station["status"] == "ok"
    assert station["records"] == len(_logged(audited.settings))
    assert report["frames_per_s"] > 0


def _meter_record(logged: list[ConsumerRecord[bytes, bytes]]) -> int:
    return next(i for i, r in enumerate(logged) if b"MeterValues" in (r.value or b"")
                and b'"in"' in (r.value or b"") and i > 2)  # fmt: skip


@pytest.mark.parametrize("forgery", ["changed", "removed", "reordered"])
def test_a_forged_copy_of_the_stream_is_caught(audited: ServiceSet, forgery: str) -> None:
    settings = audited.settings
    values = [r.value or b"" for r in _logged(settings)]
    i = _meter_record(_logged(settings))
    if forgery == "changed":
        values[i] = values[i].replace(b'\\"value\\": \\"', b'\\"value\\": \\"9', 1)
        assert values[i] != _logged(settings)[i].value
    elif forgery == "removed":
        del values[i]
    else:
        values[i], values[i + 1] = values[i + 1], values[i]
    topic = asyncio.run(_copy(settings, values))
    done = _verify(settings, "--topic", topic, "--station", STATION, "--json")
    assert done.returncode == 1, done.stdout + done.stderr
    (station,) = json.loads(done.stdout)["stations"]
    assert station["status"] == "broken"
    expected = {"changed": "changed", "removed": "missing", "reordered": "reordered"}[forgery]
    assert station["break"]["kind"] == expected, station
    assert station["break"]["seq"] == i + 1
    text = _verify(settings, "--topic", topic, "--station", STATION)
    assert f"seq {i + 1}" in text.stdout and expected in text.stdout


def test_a_faithful_copy_verifies(audited: ServiceSet) -> None:
    settings = audited.settings
    topic = asyncio.run(_copy(settings, [r.value or b"" for r in _logged(settings)]))
    done = _verify(settings, "--topic", topic, "--station", STATION)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{STATION}: ok" in done.stdout


@pytest.mark.parametrize("column", ["link", "signature"])
def test_a_forged_checkpoint_is_caught(audited: ServiceSet, column: str) -> None:
    settings = audited.settings
    with psycopg.connect(settings.libpq_url) as db:
        (seq, before) = db.execute(
            f"SELECT seq, {column} FROM chain_checkpoints WHERE station_id = %s AND seq > 1"
            " ORDER BY seq LIMIT 1", (STATION,)).fetchone() or (0, "")  # fmt: skip
        forged = ("00" if before[:2] != "00" else "11") + before[2:]
        db.execute(f"UPDATE chain_checkpoints SET {column} = %s WHERE station_id = %s"
                   " AND seq = %s", (forged, STATION, seq))  # fmt: skip
        db.commit()
        try:
            done = _verify(settings, "--station", STATION, "--json")
        finally:
            db.execute(f"UPDATE chain_checkpoints SET {column} = %s WHERE station_id = %s"
                       " AND seq = %s", (before, STATION, seq))  # fmt: skip
            db.commit()
    assert done.returncode == 1, done.stdout + done.stderr
    (station,) = json.loads(done.stdout)["stations"]
    assert station["break"]["kind"] == "forged checkpoint"
    assert station["break"]["seq"] == seq


def test_a_rebuild_writes_the_same_rows(audited: ServiceSet) -> None:
    settings = audited.settings
    audited.csms("projections", "build", AUDIT, "--detach")
    with psycopg.connect(settings.libpq_url) as db:
        versions = [v for (v,) in db.execute("SELECT version FROM projection_versions"
                                              " WHERE projection = %s ORDER BY version",
                                              (AUDIT,))]  # fmt: skip
    old, new = (audited.csms("projections", "checksum", f"{AUDIT}@{v}") for v in versions[-2:])
    assert old == new
    rows = {line.split()[0]: int(line.split()[1]) for line in old.splitlines()[1:]}
    assert rows["frames"] > 0 and rows["chain_checkpoints"] > 1 and rows["frame_events"] > 0


def test_the_checkpoint_settings_reach_the_projector(tmp_path: Path) -> None:
    from csms.projection_commands import projector_config

    config = projector_config(Settings(audit_checkpoint_every=7, state_dir=tmp_path))
    audit = config.settings[AUDIT]
    assert getattr(audit, "checkpoint_every", None) == 7
    assert getattr(audit, "signing_key", None) == tmp_path / "audit/checkpoint-signing-key.pem"
    assert config.frames_topic == Topics("csms").frames

