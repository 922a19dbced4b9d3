"""consult_opinion_reads: which doctor has read which consultation's opinion

A specialist's opinion reaches the requesting doctor on the visit page and on today's list with
an "unread" marker until the doctor opens it; the read state is kept here, per doctor, so it
follows them from tablet to desktop (issue 14).

Revision ID: 0013_consult_opinion_reads
Revises: 0012_essential_medicines
Create Date: 2026-12-06 06:10:00
"""

from alembic import op
import sqlalchemy as sa

import gpassist.db


revision = "0013_consult_opinion_reads"
down_revision = "0012_essential_medicines"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "consult_opinion_reads",
        sa.Column("consultation_id", BIG_ID, nullable=False),
        sa.Column("user_id", BIG_ID, nullable=False),
        sa.Column("read_at", gpassist.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["consultations.id"],
            name=op.f("fk_consult_opinion_reads_consultation_id_consultations"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_consult_opinion_reads_user_id_users")
        ),
        sa.PrimaryKeyConstraint(
            "consultation_id", "user_id", name=op.f("pk_consult_opinion_reads")
        ),
    )


def downgrade() -> None:
    op.drop_table("consult_opinion_reads")
