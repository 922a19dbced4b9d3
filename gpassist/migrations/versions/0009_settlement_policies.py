"""settlement_policies: the county's payer policy versions, stored by ``gpassist load-clinics``

Until now the service read the demo county's policy files from the source tree. After this
migration, run ``gpassist load-clinics FOLDER`` once more so the county's policy is stored;
until then a bill is refused with "No settlement policy is in force".

Revision ID: 0009_settlement_policies
Revises: 0008_tcm
Create Date: 2026-12-06 00:30:00
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision = "0009_settlement_policies"
down_revision = "0008_tcm"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")
JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "settlement_policies",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("county_id", BIG_ID, nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("document", JSON_DOC, nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["county_id"], ["counties.id"], name=op.f("fk_settlement_policies_county_id_counties")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settlement_policies")),
        sa.UniqueConstraint("code", name=op.f("uq_settlement_policies_code")),
    )


def downgrade() -> None:
    op.drop_table("settlement_policies")
