"""followup_visit_record: the standard's follow-up form on each follow-up; the demo's date

``followup_visits.record`` holds the fields of the national standard's follow-up record
(随访服务记录表) that the rules do not read: weight, BMI, smoking, drinking, exercise, salt,
adherence, the form's symptom checklist (``FollowUpRecord``). Existing follow-ups get ``{}``.
``counties.demo_as_of`` is the day a synthetic county's demo data is dated for (``seed-demo``
moves the demo's dates forward to the day it runs); NULL for a real county.

Revision ID: 0015_followup_visit_record
Revises: 0014_drug_dose_forms
Create Date: 2026-12-06 06:30:00
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision = "0015_followup_visit_record"
down_revision = "0014_drug_dose_forms"
branch_labels = None
depends_on = None

JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("followup_visits", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("record", JSON_DOC, nullable=False, server_default=sa.text("'{}'"))
        )
    with op.batch_alter_table("followup_visits", schema=None) as batch_op:
        batch_op.alter_column("record", server_default=None)
    with op.batch_alter_table("counties", schema=None) as batch_op:
        batch_op.add_column(sa.Column("demo_as_of", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("counties", schema=None) as batch_op:
        batch_op.drop_column("demo_as_of")
    with op.batch_alter_table("followup_visits", schema=None) as batch_op:
        batch_op.drop_column("record")
