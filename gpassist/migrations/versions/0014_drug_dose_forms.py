"""drug_dose_forms: doses in the product's own unit, brand names and precomputed search keys

Each catalog drug gains the unit a dose is counted in (片, 粒, ml …), the ingredient one such unit
holds and its smallest divisible part, an optional largest single dose, common brand names and
the drug search's keys (characters, pinyin, initials, English). The loader fills them; a row
not reloaded since derives its dose form at run time and is found by name only. Run
``gpassist load-clinics FOLDER`` after it.

Revision ID: 0014_drug_dose_forms
Revises: 0013_consult_opinion_reads
Create Date: 2026-12-06 06:30:00
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision = "0014_drug_dose_forms"
down_revision = "0013_consult_opinion_reads"
branch_labels = None
depends_on = None

JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("drugs") as batch:
        batch.add_column(sa.Column("max_single_dose", sa.Float(), nullable=True))
        batch.add_column(sa.Column("dose_form_zh", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("dose_form_en", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("dose_form_amount", sa.Float(), nullable=True))
        batch.add_column(sa.Column("dose_form_step", sa.Float(), nullable=True))
        batch.add_column(
            sa.Column("brand_names", JSON_DOC, nullable=False, server_default=sa.text("'[]'"))
        )
        batch.add_column(sa.Column("search_keys", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("drugs") as batch:
        for column in (
            "search_keys",
            "brand_names",
            "dose_form_step",
            "dose_form_amount",
            "dose_form_en",
            "dose_form_zh",
            "max_single_dose",
        ):
            batch.drop_column(column)
