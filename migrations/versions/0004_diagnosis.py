"""diagnosis: suggestions stored on encounters, confirmed diagnoses

Revision ID: 0004_diagnosis
Revises: 0003_settlement
Create Date: 2026-11-28 17:10:00
"""

from alembic import op
import sqlalchemy as sa
import gpassist.db


revision = '0004_diagnosis'
down_revision = '0003_settlement'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
