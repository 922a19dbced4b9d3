"""pharmacy: stock lots, movements, central-pharmacy orders, delivery runs

Revision ID: 0007_pharmacy
Revises: 0006_prescriptions
Create Date: 2026-11-28 17:10:00
"""

from alembic import op
import sqlalchemy as sa
import gpassist.db


revision = '0007_pharmacy'
down_revision = '0006_prescriptions'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
