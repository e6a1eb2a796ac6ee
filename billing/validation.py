"""Checks of a whole tariff before it is published (what its model alone cannot say)."""

from __future__ import annotations

from dataclasses import dataclass

from schemas.tariffs import Tariff


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a tariff: where (a pydantic-style location in the tariff's JSON,
    e.g. ``("elements", 1, "price_components", 0)``) and why."""

    loc: tuple[str | int, ...]
    msg: str


def problems(tariff: Tariff) -> list[Problem]:
    """Everything that makes ``tariff`` unfit to price sessions; empty when it is fit."""
    raise NotImplementedError
