"""Finds the read models: every module ``projections/<model>.py`` that defines
``PROJECTION`` (a :class:`~projections.runtime.projection.Projection`). Adding a read model
is adding such a module (docs/ADDING_A_READ_MODEL.md); nothing lists them centrally."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

import projections
from projections.runtime.projection import Projection

__all__ = ["discover", "projection_named"]


@cache
def discover() -> tuple[Projection, ...]:
    """Every declared projection, by name."""
    found: dict[str, Projection] = {}
    for module in pkgutil.iter_modules(projections.__path__):
        if module.ispkg:
            continue
        declared = getattr(importlib.import_module(f"projections.{module.name}"),
                           "PROJECTION", None)  # fmt: skip
        if not isinstance(declared, Projection):
            continue
        if declared.name in found:
            raise TypeError(f"two read models are named {declared.name}")
        found[declared.name] = declared
    return tuple(found[name] for name in sorted(found))


def projection_named(name: str) -> Projection:
    """The projection called ``name``; raises ``KeyError`` naming the known ones."""
    for projection in discover():
        if projection.name == name:
            return projection
    known = ", ".join(p.name for p in discover())
    raise KeyError(f"no read model is named {name!r} (known: {known})")
