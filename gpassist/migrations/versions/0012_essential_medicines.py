"""essential_medicines: the national essential medicines list, by edition, and its catalog drugs

The drug catalog grows to the whole national list (issue 16). Each list product is stored with
its edition, and linked to the catalog drugs (one per form and strength) that realise it; the
loader sets ``drugs.essential`` from the current edition. Drugs gain the flags that say their
price is synthetic and their insurance category estimated, and their dose limits may be unset
(unknown, which the prescribing rules refuse). Run ``gpassist load-clinics FOLDER`` after it.

Revision ID: 0012_essential_medicines
Revises: 0011_county_epidemiology
Create Date: 2026-12-06 03:00:00
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision = "0012_essential_medicines"
down_revision = "0011_county_epidemiology"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")
JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "essential_medicines",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("edition", sa.String(length=64), nullable=False),
        sa.Column("product_id", sa.String(length=64), nullable=False),
        sa.Column("serial", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=True),
        sa.Column(
            "part",
            sa.Enum("化学药品和生物制品", "中成药", name="listpart", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("therapeutic_class", sa.String(length=200), nullable=False),
        sa.Column("subclass", sa.String(length=200), nullable=True),
        sa.Column("forms_specs", JSON_DOC, nullable=False),
        sa.Column("specialist_only", sa.Boolean(), nullable=False),
        sa.Column("remark", sa.String(length=200), nullable=True),
        sa.Column("current", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_essential_medicines")),
        sa.UniqueConstraint(
            "edition", "product_id", name=op.f("uq_essential_medicines_edition_product_id")
        ),
    )
    op.create_table(
        "essential_medicine_drugs",
        sa.Column("product_id", BIG_ID, nullable=False),
        sa.Column("drug_id", BIG_ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["drug_id"], ["drugs.id"], name=op.f("fk_essential_medicine_drugs_drug_id_drugs")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["essential_medicines.id"],
            name=op.f("fk_essential_medicine_drugs_product_id_essential_medicines"),
        ),
        sa.PrimaryKeyConstraint("product_id", "drug_id", name=op.f("pk_essential_medicine_drugs")),
    )
    with op.batch_alter_table("drugs") as batch:
        batch.add_column(
            sa.Column("price_synthetic", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch.add_column(
            sa.Column("insurance_estimated", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch.alter_column("usual_daily_dose", existing_type=sa.Float(), nullable=True)
        batch.alter_column("max_daily_dose", existing_type=sa.Float(), nullable=True)
    with op.batch_alter_table("drugs") as batch:
        batch.alter_column("price_synthetic", server_default=None)
        batch.alter_column("insurance_estimated", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("drugs") as batch:
        batch.alter_column("max_daily_dose", existing_type=sa.Float(), nullable=False)
        batch.alter_column("usual_daily_dose", existing_type=sa.Float(), nullable=False)
        batch.drop_column("insurance_estimated")
        batch.drop_column("price_synthetic")
    op.drop_table("essential_medicine_drugs")
    op.drop_table("essential_medicines")
