"""tcm: TCM suggestions stored on encounters

Revision ID: 0008_tcm
Revises: 0007_pharmacy
Create Date: 2026-11-28 17:10:00
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
import gpassist.db


revision = "0008_tcm"
down_revision = "0007_pharmacy"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")
JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "tcm_suggestions",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("encounter_id", BIG_ID, nullable=False),
        sa.Column("model_name", sa.String(length=64), nullable=False),
        sa.Column("model_version", sa.String(length=64), nullable=False),
        sa.Column("request", JSON_DOC, nullable=False),
        sa.Column("disease", sa.String(length=64), nullable=False),
        sa.Column("disease_probability", sa.Float(), nullable=False),
        sa.Column("syndromes", JSON_DOC, nullable=False),
        sa.Column("out_of_scope", sa.Boolean(), nullable=False),
        sa.Column("created_by_id", BIG_ID, nullable=False),
        sa.Column("created_at", gpassist.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_tcm_suggestions_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["encounter_id"],
            ["encounters.id"],
            name=op.f("fk_tcm_suggestions_encounter_id_encounters"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tcm_suggestions")),
    )
    with op.batch_alter_table("tcm_suggestions", schema=None) as batch_op:
        batch_op.create_index("ix_tcm_suggestions_encounter", ["encounter_id", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("tcm_suggestions", schema=None) as batch_op:
        batch_op.drop_index("ix_tcm_suggestions_encounter")

    op.drop_table("tcm_suggestions")
