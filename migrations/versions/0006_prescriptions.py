"""prescriptions: prescriptions and their lines

Revision ID: 0006_prescriptions
Revises: 0005_consult
Create Date: 2026-11-28 17:10:00
"""

from alembic import op
import sqlalchemy as sa
import gpassist.db


revision = '0006_prescriptions'
down_revision = '0005_consult'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
