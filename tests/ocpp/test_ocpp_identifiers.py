"""ocpp.identifiers: the charging station identity."""

from __future__ import annotations

import re

import pytest
from pydantic import BaseModel, Field, ValidationError

from ocpp import STATION_ID_MAX_LENGTH, STATION_ID_PATTERN, is_station_id

VALID = ["CP-1", "a", "x" * 48, "A*b-c_d=e+f|g@h.i", "0123456789"]
INVALID = ["", "x" * 49, "a:b", "CP 1", "CP/1", "CP%2F1", "CP-1\n", "\nCP-1", "é", "(unidentified)"]


@pytest.mark.parametrize("text", VALID)
def test_valid_identities(text: str) -> None:
    assert is_station_id(text)


@pytest.mark.parametrize("text", INVALID)
def test_invalid_identities(text: str) -> None:
    assert not is_station_id(text)


class Body(BaseModel):
    station_id: str = Field(pattern=STATION_ID_PATTERN)


@pytest.mark.parametrize("text", VALID + INVALID)
def test_the_schema_pattern_agrees_with_is_station_id(text: str) -> None:
    try:
        Body(station_id=text)
    except ValidationError:
        accepted = False
    else:
        accepted = True
    assert accepted is is_station_id(text)


def test_the_pattern_states_the_length_limit() -> None:
    assert STATION_ID_MAX_LENGTH == 48
    assert re.search(r"\{1,48\}", STATION_ID_PATTERN)
