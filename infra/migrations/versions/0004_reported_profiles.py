"""Charging profiles reported by the station (2.0.1 ReportChargingProfiles) carry their
source: the CSMS's own (CSO) or an external limit (EMS, SO, Other).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("charging_profiles",
                  sa.Column("source", sa.Text, nullable=False, server_default="CSO"))  # fmt: skip


def downgrade() -> None:
    op.drop_column("charging_profiles", "source")
