"""pharmacy: stock lots, movements, central-pharmacy orders, delivery runs

Revision ID: 0007_pharmacy
Revises: 0006_prescriptions
Create Date: 2026-11-28 17:10:00
"""

from alembic import op
import sqlalchemy as sa
import gpassist.db


revision = '0007_pharmacy'
down_revision = '0006_prescriptions'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('stock_lots',
    sa.Column('id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('facility_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('drug_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('lot_no', sa.String(length=64), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=False),
    sa.Column('on_hand', sa.Integer(), nullable=False),
    sa.Column('reserved', sa.Integer(), nullable=False),
    sa.Column('received_at', gpassist.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('on_hand >= 0', name=op.f('ck_stock_lots_on_hand_not_negative')),
    sa.CheckConstraint('reserved >= 0 AND reserved <= on_hand', name=op.f('ck_stock_lots_reserved_within_on_hand')),
    sa.ForeignKeyConstraint(['drug_id'], ['drugs.id'], name=op.f('fk_stock_lots_drug_id_drugs')),
    sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'], name=op.f('fk_stock_lots_facility_id_facilities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_lots')),
    sa.UniqueConstraint('facility_id', 'drug_id', 'lot_no', name=op.f('uq_stock_lots_facility_id_drug_id_lot_no'))
    )
    op.create_table('delivery_runs',
    sa.Column('id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('town_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('created_by_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('created_at', gpassist.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_delivery_runs_created_by_id_users')),
    sa.ForeignKeyConstraint(['town_id'], ['towns.id'], name=op.f('fk_delivery_runs_town_id_towns')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_delivery_runs'))
    )
    op.create_table('pharmacy_orders',
    sa.Column('id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('prescription_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('patient_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('clinic_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('town_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('status', sa.Enum('pending', 'picked', 'dispatched', 'delivered', 'cancelled', name='orderstatus', native_enum=False, length=32), nullable=False),
    sa.Column('urgent', sa.Boolean(), nullable=False),
    sa.Column('free_delivery', sa.Boolean(), nullable=False),
    sa.Column('delivery_run_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=True),
    sa.Column('cancel_reason', sa.String(length=200), nullable=True),
    sa.Column('picked_up_at', gpassist.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', gpassist.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', gpassist.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['clinic_id'], ['facilities.id'], name=op.f('fk_pharmacy_orders_clinic_id_facilities')),
    sa.ForeignKeyConstraint(['delivery_run_id'], ['delivery_runs.id'], name=op.f('fk_pharmacy_orders_delivery_run_id_delivery_runs')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_pharmacy_orders_patient_id_patients')),
    sa.ForeignKeyConstraint(['prescription_id'], ['prescriptions.id'], name=op.f('fk_pharmacy_orders_prescription_id_prescriptions')),
    sa.ForeignKeyConstraint(['town_id'], ['towns.id'], name=op.f('fk_pharmacy_orders_town_id_towns')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pharmacy_orders')),
    sa.UniqueConstraint('prescription_id', name=op.f('uq_pharmacy_orders_prescription_id'))
    )
    op.create_table('pharmacy_order_lines',
    sa.Column('id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('order_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('prescription_line_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('drug_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('filled_drug_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=True),
    sa.Column('filled_quantity', sa.Integer(), nullable=True),
    sa.Column('short_reason', sa.Enum('out_of_stock', 'substituted', name='shortreason', native_enum=False, length=32), nullable=True),
    sa.ForeignKeyConstraint(['drug_id'], ['drugs.id'], name=op.f('fk_pharmacy_order_lines_drug_id_drugs')),
    sa.ForeignKeyConstraint(['filled_drug_id'], ['drugs.id'], name=op.f('fk_pharmacy_order_lines_filled_drug_id_drugs')),
    sa.ForeignKeyConstraint(['order_id'], ['pharmacy_orders.id'], name=op.f('fk_pharmacy_order_lines_order_id_pharmacy_orders')),
    sa.ForeignKeyConstraint(['prescription_line_id'], ['prescription_lines.id'], name=op.f('fk_pharmacy_order_lines_prescription_line_id_prescription_lines')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pharmacy_order_lines'))
    )
    op.create_table('pharmacy_allocations',
    sa.Column('id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('order_line_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('lot_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['lot_id'], ['stock_lots.id'], name=op.f('fk_pharmacy_allocations_lot_id_stock_lots')),
    sa.ForeignKeyConstraint(['order_line_id'], ['pharmacy_order_lines.id'], name=op.f('fk_pharmacy_allocations_order_line_id_pharmacy_order_lines')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pharmacy_allocations'))
    )
    op.create_table('pharmacy_order_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('order_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('from_status', sa.Enum('pending', 'picked', 'dispatched', 'delivered', 'cancelled', name='orderstatus', native_enum=False, length=32), nullable=True),
    sa.Column('to_status', sa.Enum('pending', 'picked', 'dispatched', 'delivered', 'cancelled', name='orderstatus', native_enum=False, length=32), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.Column('by_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('at', gpassist.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['by_id'], ['users.id'], name=op.f('fk_pharmacy_order_events_by_id_users')),
    sa.ForeignKeyConstraint(['order_id'], ['pharmacy_orders.id'], name=op.f('fk_pharmacy_order_events_order_id_pharmacy_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pharmacy_order_events'))
    )
    op.create_table('stock_movements',
    sa.Column('id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('lot_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('facility_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('drug_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.Enum('received', 'adjusted', 'dispensed', 'reserved', 'released', 'dispatched', name='movementkind', native_enum=False, length=32), nullable=False),
    sa.Column('on_hand_delta', sa.Integer(), nullable=False),
    sa.Column('reserved_delta', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Enum('count_correction', 'damaged', 'expired', 'returned', 'other', name='adjustreason', native_enum=False, length=32), nullable=True),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.Column('order_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=True),
    sa.Column('prescription_line_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=True),
    sa.Column('by_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=True),
    sa.Column('created_at', gpassist.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['by_id'], ['users.id'], name=op.f('fk_stock_movements_by_id_users')),
    sa.ForeignKeyConstraint(['drug_id'], ['drugs.id'], name=op.f('fk_stock_movements_drug_id_drugs')),
    sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'], name=op.f('fk_stock_movements_facility_id_facilities')),
    sa.ForeignKeyConstraint(['lot_id'], ['stock_lots.id'], name=op.f('fk_stock_movements_lot_id_stock_lots')),
    sa.ForeignKeyConstraint(['order_id'], ['pharmacy_orders.id'], name=op.f('fk_stock_movements_order_id_pharmacy_orders')),
    sa.ForeignKeyConstraint(['prescription_line_id'], ['prescription_lines.id'], name=op.f('fk_stock_movements_prescription_line_id_prescription_lines')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_movements'))
    )
    op.create_index('ix_stock_lots_pick', 'stock_lots', ['facility_id', 'drug_id', 'expires_on'], unique=False)
    op.create_index('ix_pharmacy_orders_board', 'pharmacy_orders', ['status', 'town_id'], unique=False)
    op.create_index(op.f('ix_pharmacy_orders_clinic_id'), 'pharmacy_orders', ['clinic_id'], unique=False)
    op.create_index(op.f('ix_pharmacy_orders_patient_id'), 'pharmacy_orders', ['patient_id'], unique=False)
    op.create_index(op.f('ix_pharmacy_order_lines_order_id'), 'pharmacy_order_lines', ['order_id'], unique=False)
    op.create_index(op.f('ix_pharmacy_allocations_order_line_id'), 'pharmacy_allocations', ['order_line_id'], unique=False)
    op.create_index(op.f('ix_pharmacy_order_events_order_id'), 'pharmacy_order_events', ['order_id'], unique=False)
    op.create_index(op.f('ix_stock_movements_lot_id'), 'stock_movements', ['lot_id'], unique=False)
    op.create_index('ix_stock_movements_use', 'stock_movements', ['facility_id', 'kind', 'created_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_stock_movements_use'), table_name='stock_movements')
    op.drop_index(op.f('ix_stock_movements_lot_id'), table_name='stock_movements')
    op.drop_table('stock_movements')
    op.drop_index(op.f('ix_pharmacy_order_events_order_id'), table_name='pharmacy_order_events')
    op.drop_table('pharmacy_order_events')
    op.drop_index(op.f('ix_pharmacy_allocations_order_line_id'), table_name='pharmacy_allocations')
    op.drop_table('pharmacy_allocations')
    op.drop_index(op.f('ix_pharmacy_order_lines_order_id'), table_name='pharmacy_order_lines')
    op.drop_table('pharmacy_order_lines')
    op.drop_index(op.f('ix_pharmacy_orders_patient_id'), table_name='pharmacy_orders')
    op.drop_index(op.f('ix_pharmacy_orders_clinic_id'), table_name='pharmacy_orders')
    op.drop_index(op.f('ix_pharmacy_orders_board'), table_name='pharmacy_orders')
    op.drop_table('pharmacy_orders')
    op.drop_table('delivery_runs')
    op.drop_index(op.f('ix_stock_lots_pick'), table_name='stock_lots')
    op.drop_table('stock_lots')
