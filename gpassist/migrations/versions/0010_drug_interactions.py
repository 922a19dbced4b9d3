"""drug_interactions: the county's dangerous drug pairs, stored by ``gpassist load-clinics``

Until now the service read the demo county's interactions.yaml from the source tree. After this
migration, run ``gpassist load-clinics FOLDER`` once more so the county's pairs are stored; until
then no prescription is refused for an interaction.

Revision ID: 0010_drug_interactions
Revises: 0009_settlement_policies
Create Date: 2026-12-06 00:40:00
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision = "0010_drug_interactions"
down_revision = "0009_settlement_policies"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")
JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "drug_interactions",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("groups_a", JSON_DOC, nullable=False),
        sa.Column("groups_b", JSON_DOC, nullable=False),
        sa.Column("effect_zh", sa.Text(), nullable=False),
        sa.Column("effect_en", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drug_interactions")),
        sa.UniqueConstraint("code", name=op.f("uq_drug_interactions_code")),
    )


def downgrade() -> None:
    op.drop_table("drug_interactions")
