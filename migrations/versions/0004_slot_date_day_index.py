"""slot dates by day with their slot and hours, for the conflict checks

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 14:10:00

"""
from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        'ix_slot_date_day_slot_id', 'slot_date', ['day', 'slot_id'],
        postgresql_include=['start_time', 'end_time'],
    )
    op.drop_index('ix_slot_date_day', table_name='slot_date')


def downgrade():
    op.create_index('ix_slot_date_day', 'slot_date', ['day'])
    op.drop_index('ix_slot_date_day_slot_id', table_name='slot_date')
