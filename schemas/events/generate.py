"""Write the JSON schema of every domain event from its model: ``<Type>.v<version>.json``.

    python -m schemas.events.generate           # (re)write the files beside the models
    python -m schemas.events.generate --check   # exit 1 if a file differs from its model

The models (:mod:`schemas.events`) are the source of truth; the files are for readers of
the log that are not this code (analytics, partners), and document every version ever
written, old ones included.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from schemas.events import DomainEvent, event_classes

HERE = Path(__file__).resolve().parent
DRAFT = "https://json-schema.org/draft/2020-12/schema"


def file_name(cls: type[DomainEvent]) -> str:
    return f"{cls.type_name}.v{cls.schema_version}.json"


def schema_of(cls: type[DomainEvent]) -> dict[str, Any]:
    """The JSON schema of an event's ``data`` (what the envelope carries)."""
    generated = cls.model_json_schema(mode="validation")
    _tidy(generated)
    return {
        "$schema": DRAFT,
        "$id": f"urn:csms:events:{cls.type_name}:v{cls.schema_version}",
        "title": cls.type_name,
        **{k: v for k, v in generated.items() if k != "title"},
    }


def _tidy(node: Any) -> None:
    """Property titles pydantic derives from field names say nothing the names do not;
    descriptions (docstrings) are kept on one line."""
    if isinstance(node, dict):
        if isinstance(node.get("description"), str):
            node["description"] = " ".join(node["description"].split())
        properties = node.get("properties")
        if isinstance(properties, dict):
            for prop in properties.values():
                if isinstance(prop, dict):
                    prop.pop("title", None)
        for value in node.values():
            _tidy(value)
    elif isinstance(node, list):
        for item in node:
            _tidy(item)


def rendered() -> dict[str, str]:
    """File name → text, for every registered event class (old versions included)."""
    return {file_name(cls): json.dumps(schema_of(cls), indent=2, ensure_ascii=False) + "\n"
            for cls in event_classes()}  # fmt: skip


def stale(directory: Path = HERE) -> list[str]:
    """Files that differ from their model, are missing, or have no model any more."""
    wanted = rendered()
    present = {p.name for p in directory.glob("*.v*.json") if not p.name.startswith("envelope.")}
    differing = [name for name, text in wanted.items() if _text(directory / name) != text]
    return sorted(differing + sorted(present - set(wanted)))


def _text(path: Path) -> str | None:
    return path.read_text() if path.exists() else None


def write(directory: Path = HERE) -> list[str]:
    wanted = rendered()
    for path in directory.glob("*.v*.json"):
        if path.name not in wanted and not path.name.startswith("envelope."):
            path.unlink()
    for name, text in wanted.items():
        (directory / name).write_text(text)
    return sorted(wanted)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m schemas.events.generate",
                                     description=__doc__.split("\n", 1)[0])  # fmt: skip
    parser.add_argument("--check", action="store_true", help="only report stale files")
    args = parser.parse_args(argv)
    if args.check:
        differing = stale()
        for name in differing:
            print(f"stale: schemas/events/{name}", file=sys.stderr)
        return 1 if differing else 0
    print(f"wrote {len(write())} event schemas to {HERE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
