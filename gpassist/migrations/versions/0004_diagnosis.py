"""diagnosis: suggestions stored on encounters, confirmed diagnoses

Revision ID: 0004_diagnosis
Revises: 0003_settlement
Create Date: 2026-11-28 17:10:00
"""

from alembic import op
import sqlalchemy as sa
import gpassist.db
from sqlalchemy.dialects import postgresql


revision = '0004_diagnosis'
down_revision = '0003_settlement'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite')
JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    op.create_table('diagnosis_suggestions',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('encounter_id', BIG_ID, nullable=False),
    sa.Column('mode', sa.Enum('suggest', 'interview', name='suggestionmode', native_enum=False, length=32), nullable=False),
    sa.Column('model_name', sa.String(length=64), nullable=False),
    sa.Column('model_version', sa.String(length=64), nullable=False),
    sa.Column('request', JSON_DOC, nullable=False),
    sa.Column('differential', JSON_DOC, nullable=False),
    sa.Column('triage_level', sa.Enum('treat_here', 'refer', 'emergency', name='level', native_enum=False, length=32), nullable=False),
    sa.Column('triage_reasons', JSON_DOC, nullable=False),
    sa.Column('out_of_scope', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', BIG_ID, nullable=False),
    sa.Column('created_at', gpassist.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_diagnosis_suggestions_created_by_id_users')),
    sa.ForeignKeyConstraint(['encounter_id'], ['encounters.id'], name=op.f('fk_diagnosis_suggestions_encounter_id_encounters')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_diagnosis_suggestions'))
    )
    with op.batch_alter_table('diagnosis_suggestions', schema=None) as batch_op:
        batch_op.create_index('ix_diagnosis_suggestions_encounter', ['encounter_id', 'id'], unique=False)

    op.create_table('diagnosis_confirmations',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('encounter_id', BIG_ID, nullable=False),
    sa.Column('suggestion_id', BIG_ID, nullable=True),
    sa.Column('model_name', sa.String(length=64), nullable=True),
    sa.Column('condition_code', sa.String(length=200), nullable=True),
    sa.Column('icd10', sa.String(length=16), nullable=False),
    sa.Column('name_zh', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=True),
    sa.Column('matched_top1', sa.Boolean(), nullable=True),
    sa.Column('in_top3', sa.Boolean(), nullable=True),
    sa.Column('confirmed_by_id', BIG_ID, nullable=False),
    sa.Column('confirmed_at', gpassist.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['confirmed_by_id'], ['users.id'], name=op.f('fk_diagnosis_confirmations_confirmed_by_id_users')),
    sa.ForeignKeyConstraint(['encounter_id'], ['encounters.id'], name=op.f('fk_diagnosis_confirmations_encounter_id_encounters')),
    sa.ForeignKeyConstraint(['suggestion_id'], ['diagnosis_suggestions.id'], name=op.f('fk_diagnosis_confirmations_suggestion_id_diagnosis_suggestions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_diagnosis_confirmations'))
    )
    with op.batch_alter_table('diagnosis_confirmations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_diagnosis_confirmations_encounter_id'), ['encounter_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('diagnosis_confirmations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_diagnosis_confirmations_encounter_id'))
    op.drop_table('diagnosis_confirmations')
    with op.batch_alter_table('diagnosis_suggestions', schema=None) as batch_op:
        batch_op.drop_index('ix_diagnosis_suggestions_encounter')
    op.drop_table('diagnosis_suggestions')
