"""county_epidemiology: the county's season and region for the diagnosis prior

Stored by ``gpassist load-clinics`` from the county folder's optional ``epidemiology.yaml``.
After this migration, run ``gpassist load-clinics FOLDER`` once more; until then the diagnosis
service uses neutral multipliers (the model's own base rates).

Revision ID: 0011_county_epidemiology
Revises: 0010_drug_interactions
Create Date: 2026-12-06 03:00:00
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision = "0011_county_epidemiology"
down_revision = "0010_drug_interactions"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")
JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "county_epidemiology",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("county_id", BIG_ID, nullable=False),
        sa.Column("document", JSON_DOC, nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["county_id"], ["counties.id"], name=op.f("fk_county_epidemiology_county_id_counties")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_county_epidemiology")),
        sa.UniqueConstraint("county_id", name=op.f("uq_county_epidemiology_county_id")),
    )


def downgrade() -> None:
    op.drop_table("county_epidemiology")
