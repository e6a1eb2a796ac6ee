"""Fixtures for the OCPP core tests: pure strings in, values out; no broker, no database."""

from __future__ import annotations

import pytest

from ocpp import OcppVersion


@pytest.fixture(params=list(OcppVersion), ids=lambda v: v.value)
def version(request: pytest.FixtureRequest) -> OcppVersion:
    """Each OCPP version in turn."""
    value: OcppVersion = request.param
    return value
