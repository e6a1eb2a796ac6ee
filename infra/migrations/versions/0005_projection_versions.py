"""Projection versions: each projection's tables move into their own schema (version 1),
schema ``public`` keeps a view per table onto the live version, and the offsets are keyed
by (projection, version, topic, partition). The rows and offsets of the single read model
("readmodel-v1") carry over, so nothing is rebuilt.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# The projections and their tables as they stood at this revision (later read models get
# their first version from the projector, docs/ADDING_A_READ_MODEL.md).
PROJECTIONS = {
    "stations": ("stations", "connectors"),
    "tokens": ("tokens",),
    "transactions": ("transactions", "meter_values"),
    "notifications": ("station_notifications",),
    "calls": ("calls",),
    "station_settings": ("station_configuration", "station_variables", "charging_profiles",
                         "reservations", "local_list_versions"),
}  # fmt: skip
SINGLE_READ_MODEL = "readmodel-v1"


def upgrade() -> None:
    op.create_table(
        "projection_versions",
        sa.Column("projection", sa.String(64), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("fingerprint", sa.String(64)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.Column("ready_at", sa.DateTime(timezone=True)),
        sa.Column("switched_at", sa.DateTime(timezone=True)),
    )  # fmt: skip
    op.create_index("one_live_version", "projection_versions", ["projection"], unique=True,
                    postgresql_where=sa.text("status = 'live'"))  # fmt: skip
    op.add_column("projection_offsets",
                  sa.Column("version", sa.Integer, nullable=False, server_default="1"))  # fmt: skip
    op.drop_constraint("projection_offsets_pkey", "projection_offsets")
    op.create_primary_key("projection_offsets_pkey", "projection_offsets",
                          ["projection", "version", "topic", "partition"])  # fmt: skip
    op.alter_column("projection_offsets", "version", server_default=None)
    for name, tables in PROJECTIONS.items():
        op.execute(f'CREATE SCHEMA "{name}_v1"')
        for table in tables:
            op.execute(f'ALTER TABLE public."{table}" SET SCHEMA "{name}_v1"')
            op.execute(f'CREATE VIEW public."{table}" AS SELECT * FROM "{name}_v1"."{table}"')
        op.execute(f"INSERT INTO projection_versions (projection, version, status, ready_at,"
                   f" switched_at) VALUES ('{name}', 1, 'live', now(), now())")  # fmt: skip
        op.execute(
            "INSERT INTO projection_offsets (projection, version, topic, partition, next_offset)"
            f" SELECT '{name}', 1, topic, partition, next_offset FROM projection_offsets"
            f" WHERE projection = '{SINGLE_READ_MODEL}'"
        )
    op.execute(f"DELETE FROM projection_offsets WHERE projection = '{SINGLE_READ_MODEL}'")


def downgrade() -> None:
    # Back to one read model in public: the live version of each projection, and its offsets
    # (the lowest of the projections', so nothing is skipped).
    op.execute(
        "INSERT INTO projection_offsets (projection, version, topic, partition, next_offset)"
        f" SELECT '{SINGLE_READ_MODEL}', 1, o.topic, o.partition, min(o.next_offset)"
        " FROM projection_offsets o JOIN projection_versions v"
        " ON (v.projection, v.version) = (o.projection, o.version) AND v.status = 'live'"
        " GROUP BY o.topic, o.partition"
    )
    op.execute(f"DELETE FROM projection_offsets WHERE projection <> '{SINGLE_READ_MODEL}'")
    bind = op.get_bind()
    live_versions = "SELECT projection, version FROM projection_versions WHERE status = 'live'"
    live = {name: version for name, version in bind.execute(sa.text(live_versions)).all()}
    for name, tables in PROJECTIONS.items():
        for table in tables:
            op.execute(f'DROP VIEW IF EXISTS public."{table}"')
            op.execute(f'ALTER TABLE "{name}_v{live.get(name, 1)}"."{table}" SET SCHEMA public')
    for name, version in bind.execute(sa.text(
            "SELECT projection, version FROM projection_versions")).all():  # fmt: skip
        op.execute(f'DROP SCHEMA IF EXISTS "{name}_v{version}" CASCADE')
    op.drop_constraint("projection_offsets_pkey", "projection_offsets")
    op.drop_column("projection_offsets", "version")
    op.create_primary_key("projection_offsets_pkey", "projection_offsets",
                          ["projection", "topic", "partition"])  # fmt: skip
    op.drop_index("one_live_version", "projection_versions")
    op.drop_table("projection_versions")
