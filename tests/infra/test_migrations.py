"""The Alembic migrations (infra/migrations) build exactly the read store the code declares
(schemas/readmodel.py): the stable tables of schema ``public``, a view there for every
read-model table, and each projection's version 1 in its own schema with the declared
columns, types, defaults and indexes; no difference on either side."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, create_engine, inspect

from csms.config import Settings
from projections.runtime.discovery import discover
from schemas.readmodel import STABLE, metadata

pytestmark = pytest.mark.integration

# Bookkeeping tables the code reaches by SQL only.
_NOT_DECLARED = {"alembic_version"}


def _differences(settings: Settings, declared: MetaData, schema: str | None) -> list[Any]:
    def only_this_schema(name: str | None, kind: str, parent: object) -> bool:
        return kind != "schema" or name == schema

    engine = create_engine(settings.sqlalchemy_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={
                "compare_server_default": True, "include_schemas": schema is not None,
                "include_name": only_this_schema,
            })  # fmt: skip
            return [d for d in compare_metadata(context, declared)
                    if not (d[0] == "remove_table" and d[1].name in _NOT_DECLARED)]  # fmt: skip
    finally:
        engine.dispose()


def test_schema_public_holds_the_stable_tables_and_a_view_per_read_model_table(
    settings: Settings,
) -> None:
    stable = MetaData()
    for table in STABLE:
        table.to_metadata(stable)
    assert _differences(settings, stable, None) == []
    engine = create_engine(settings.sqlalchemy_url)
    try:
        with engine.connect() as conn:
            views = set(inspect(conn).get_view_names())
    finally:
        engine.dispose()
    assert views == set(metadata.tables) - {t.name for t in STABLE}


@pytest.mark.parametrize("projection", discover(), ids=lambda p: p.name)
def test_each_projection_version_1_has_the_declared_tables(settings: Settings,
                                                           projection: Any) -> None:  # fmt: skip
    declared = MetaData()
    for table in projection.tables:
        table.to_metadata(declared, schema=projection.schema(1))
    assert _differences(settings, declared, projection.schema(1)) == []
