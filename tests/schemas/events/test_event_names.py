"""No event type name is spelled as a string outside schemas/events/ (issue 11): code names an
event by its class (``StationBooted``, ``isinstance``, a class-keyed registry), so renaming
or versioning an event is a change the type checker follows.

The scan reads each module's syntax tree (``ast``) and reports every string literal equal to
the type name of a registered event class; docstrings and comments mentioning an event in a
sentence are not such literals.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from schemas.events import event_classes

ROOT = Path(__file__).resolve().parents[3]

ENFORCED = [
    "audit",
    "billing",
    "ocpp",
    "ingest",
    "processors",
    "projections",
    "api",
    "infra",
    "csms",
    "bench",
]
"""Every product package; ``schemas`` too, but for ``schemas/events`` (the one place where
the names are stated)."""


def event_type_names() -> frozenset[str]:
    return frozenset(cls.type_name for cls in event_classes())


def spelled_event_names(package: Path, names: frozenset[str],
                        skip: Path | None = None) -> list[str]:  # fmt: skip
    """``path:line: name`` for every string literal in ``package`` (but ``skip``) that is an
    event type name."""
    found = []
    for path in sorted(package.rglob("*.py")):
        if skip is not None and path.is_relative_to(skip):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and node.value in names:  # fmt: skip
                found.append(f"{path.relative_to(package.parent)}:{node.lineno}: {node.value!r}")
    return found


@pytest.mark.parametrize("package", ENFORCED)
def test_no_event_type_name_is_spelled_as_a_string(package: str) -> None:
    assert spelled_event_names(ROOT / package, event_type_names()) == []


def test_the_scan_finds_a_spelled_name_and_only_that(tmp_path: Path) -> None:
    (tmp_path / "handler.py").write_text(
        '"""StationBooted in a sentence is fine."""\n'
        'kind = "StationBooted"\n'
        'label = f"{kind}#StationBooted"\n'
        'match = {"StationBootedLater": 1}\n'
    )
    hits = spelled_event_names(tmp_path, frozenset({"StationBooted"}))
    assert [h.rsplit(":", 2)[1:] for h in hits] == [["2", " 'StationBooted'"]]


def test_only_schemas_events_states_the_names() -> None:
    schemas = ROOT / "schemas"
    assert spelled_event_names(schemas, event_type_names(), skip=schemas / "events") == []


def test_every_product_package_is_enforced() -> None:
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests", "schemas"}
    assert packages == set(ENFORCED)
