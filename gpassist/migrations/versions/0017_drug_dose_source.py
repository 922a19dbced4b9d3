"""drug_dose_source: where a drug's dose limits come from when not entered by hand

The generated essential-list patent medicines carry machine-drafted label doses (status
``machine``: drafted from the pharmacopoeia's text, not yet reviewed by a pharmacist); the
column says so, and the prescribing rules refuse such a drug for a child (the label's adult dose
is all that is recorded). Run ``gpassist load-clinics FOLDER`` after it.

Revision ID: 0017_drug_dose_source
Revises: 0016_visit_integrity
Create Date: 2026-12-07 09:00:00
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision = "0017_drug_dose_source"
down_revision = "0016_visit_integrity"
branch_labels = None
depends_on = None

JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("drugs") as batch:
        batch.add_column(sa.Column("dose_source", JSON_DOC, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("drugs") as batch:
        batch.drop_column("dose_source")
