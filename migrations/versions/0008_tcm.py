"""tcm: TCM suggestions stored on encounters

Revision ID: 0008_tcm
Revises: 0007_pharmacy
Create Date: 2026-11-28 17:10:00
"""

from alembic import op
import sqlalchemy as sa
import gpassist.db


revision = '0008_tcm'
down_revision = '0007_pharmacy'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
