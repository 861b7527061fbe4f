"""redundant indexes: the session's year and the slot date's slot, each the first column of another index

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 04:00:00

"""
from alembic import op


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('training_session', schema=None) as batch_op:
        batch_op.drop_index('ix_training_session_year')
    with op.batch_alter_table('slot_date', schema=None) as batch_op:
        batch_op.drop_index('ix_slot_date_slot_id')


def downgrade():
    with op.batch_alter_table('slot_date', schema=None) as batch_op:
        batch_op.create_index('ix_slot_date_slot_id', ['slot_id'], unique=False)
    with op.batch_alter_table('training_session', schema=None) as batch_op:
        batch_op.create_index('ix_training_session_year', ['year'], unique=False)
