"""Projection versions carry the parameters they are built with besides the code (a billing
backfill's tariff override and period, docs/BILLING.md).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("projection_versions", sa.Column("params", JSONB))


def downgrade() -> None:
    op.drop_column("projection_versions", "params")
