"""Parameters of the transactions projection: arrays written as PostgreSQL literals, meter
values as COPY text."""

from __future__ import annotations

import random
import uuid

import orjson

from projections.transactions import array_literal, copy_field, meter_value_lines


def test_array_literals_quote_strings_and_keep_ints() -> None:
    assert array_literal(None) == "{}" and array_literal([]) == "{}"
    assert array_literal([3, 7]) == "{3,7}"
    assert array_literal(["a b", 'say "x"', "c\\d", "NULL"]) == (
        '{"a b","say \\"x\\"","c\\\\d","NULL"}'
    )


def test_copy_fields_escape_what_copy_text_reads_specially() -> None:
    assert copy_field(None) == "\\N"
    assert copy_field("a\tb\nc\rd\\e") == "a\\tb\\nc\\rd\\\\e"
    assert copy_field(True) == "t" and copy_field(-3) == "-3" and copy_field(0.1) == "0.1"
    assert copy_field({"k": "x\ty"}) == '{"k":"x\\\\ty"}'


def _event(rng: random.Random, alphabet: str) -> dict[str, object]:
    def text() -> str | None:
        return rng.choice([None, "".join(rng.choices(alphabet, k=rng.randint(0, 6)))])

    def sample() -> dict[str, object]:
        return {"sampled_at": "2026-01-01T00:00:00Z", "measurand": text() or "Voltage",
                "phase": text(), "context": "Sample.Periodic", "location": "Outlet",
                "value": text() or "1", "unit": text(), "multiplier": rng.choice([None, -1]),
                "canonical_value": rng.choice([None, 2.5, 1e21]), "canonical_unit": text(),
                "format": text(), "signed_data": rng.choice([None, {"d": text()}])}  # fmt: skip

    return {"event_id": str(uuid.uuid4()), "station_id": text() or "S", "data": {
        "id": rng.choice([None, 5]), "transaction_id": text(), "evse_id": 1,
        "connector_id": None, "source": "MeterValues",
        "samples": [sample() for _ in range(rng.randint(0, 4))]}}  # fmt: skip


def test_the_plain_path_writes_what_the_escaping_path_writes() -> None:
    rng = random.Random(7)
    for _ in range(300):
        event = _event(rng, "ab Z-.ü⚡'")
        assert b"\\" not in orjson.dumps(event)
        assert meter_value_lines(event, True) == meter_value_lines(event, False)


def test_every_line_has_one_field_per_column() -> None:
    rng = random.Random(8)
    for _ in range(300):
        for line in meter_value_lines(_event(rng, "a\t\n\r\\b"), False):
            assert line.endswith("\n") and line.count("\t") == 19
            assert "\n" not in line[:-1] and "\r" not in line


def test_a_16_signed_data_text_is_written_as_a_json_string() -> None:
    sample = {"sampled_at": "2026-01-01T00:00:00Z", "measurand": "Energy.Active.Import.Register",
              "phase": None, "context": "Transaction.End", "location": "Outlet",
              "value": 'OCMF|{"RV":1}|{"SD":"30"}', "unit": None, "multiplier": None,
              "canonical_value": None, "canonical_unit": None, "format": "SignedData",
              "signed_data": 'OCMF|{"RV":1}|{"SD":"30"}'}  # fmt: skip
    event = {"event_id": str(uuid.uuid4()), "station_id": "S", "data": {
        "id": 5, "transaction_id": "5", "evse_id": 1, "connector_id": 1,
        "source": "StopTransaction", "samples": [sample]}}  # fmt: skip
    for plain in (True, False):
        [line] = meter_value_lines(event, plain)
        signed = line.split("\t")[18]
        copied = signed.replace("\\\\", "\\")  # COPY text reads a doubled backslash as one
        assert orjson.loads(copied) == sample["signed_data"]
