"""consult: consultations, messages, attachments, presence, scheduler lease

Revision ID: 0005_consult
Revises: 0004_diagnosis
Create Date: 2026-11-28 17:10:00
"""

from alembic import op
import sqlalchemy as sa
import gpassist.db


revision = '0005_consult'
down_revision = '0004_diagnosis'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
