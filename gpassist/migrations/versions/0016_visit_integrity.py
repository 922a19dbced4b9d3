"""visit_integrity: a visit saved twice is one visit; a bill belongs to its visit

Encounters keep the Idempotency-Key of the save that recorded them (unique per doctor) and a
digest of that request, so a double tap or a retry after a dropped link replays the first save
instead of recording a second visit. Settlements name the encounter they bill (one bill per
visit: its fee and its prescriptions' drugs together).

Revision ID: 0016_visit_integrity
Revises: 0015_followup_visit_record
Create Date: 2026-12-06 06:10:00
"""

from alembic import op
import sqlalchemy as sa


revision = "0016_visit_integrity"
down_revision = "0015_followup_visit_record"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("encounters", schema=None) as batch_op:
        batch_op.add_column(sa.Column("idempotency_key", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("request_hash", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_encounters_doctor_id_idempotency_key"), ["doctor_id", "idempotency_key"]
        )
    with op.batch_alter_table("settlements", schema=None) as batch_op:
        batch_op.add_column(sa.Column("encounter_id", BIG_ID, nullable=True))
        batch_op.create_index(batch_op.f("ix_settlements_encounter_id"), ["encounter_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_settlements_encounter_id_encounters"), "encounters", ["encounter_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("settlements", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_settlements_encounter_id_encounters"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_settlements_encounter_id"))
        batch_op.drop_column("encounter_id")
    with op.batch_alter_table("encounters", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_encounters_doctor_id_idempotency_key"), type_="unique")
        batch_op.drop_column("request_hash")
        batch_op.drop_column("idempotency_key")
