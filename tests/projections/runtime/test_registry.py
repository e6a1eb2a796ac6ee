"""The registry's pure parts: version labels, and which versions a projector follows."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from projections import LifecycleError
from projections.runtime.discovery import projection_named
from projections.runtime.registry import BUILDING, LIVE, READY, Version, followed, parse_label

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def _version(name: str, number: int, status: str, fingerprint: str | None) -> Version:
    return Version(name, number, status, fingerprint, NOW, None, None)


@pytest.mark.parametrize(("text", "parsed"), [
    ("transactions@2", ("transactions", 2)), ("station_settings@10", ("station_settings", 10)),
])  # fmt: skip
def test_a_label_names_a_projection_and_a_version(text: str, parsed: tuple[str, int]) -> None:
    assert parse_label(text) == parsed


@pytest.mark.parametrize("text", ["transactions", "transactions@", "@2", "transactions@0",
                                  "transactions@two", "transactions@-1"])  # fmt: skip
def test_a_bad_label_says_what_a_label_is(text: str) -> None:
    with pytest.raises(LifecycleError, match="NAME@VERSION"):
        parse_label(text)


def test_a_projector_follows_the_ready_and_live_versions_its_own_code_built() -> None:
    stations = projection_named("stations")
    mine = stations.fingerprint()
    registered = [
        _version("stations", 1, LIVE, mine), _version("stations", 2, READY, mine),
        _version("stations", 3, BUILDING, mine), _version("stations", 4, READY, "other-code"),
        _version("stations", 5, READY, None), _version("no_such_model", 1, LIVE, mine),
    ]  # fmt: skip
    assert [(t.label) for t in followed(registered, [stations])] == ["stations@1", "stations@2"]
    with_builds = followed(registered, [stations], (READY, LIVE, BUILDING))
    assert [t.label for t in with_builds] == ["stations@1", "stations@2", "stations@3"]
