"""history entries with their changes; cancelled outbox messages

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 19:30:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

OLD_STATES = ('pending', 'sent', 'failed', 'kept')
NEW_STATES = (*OLD_STATES, 'cancelled')


def _state(values):
    return sa.String(length=max(map(len, values)))


def upgrade():
    with op.batch_alter_table('session_history') as batch_op:
        batch_op.add_column(sa.Column('changes', sa.JSON(), nullable=True))
    with op.batch_alter_table('outbox_message') as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_outbox_message_outbox_state'), type_='check')
        batch_op.alter_column('state', existing_type=_state(OLD_STATES), type_=_state(NEW_STATES), existing_nullable=False)
    with op.batch_alter_table('outbox_message') as batch_op:
        batch_op.create_check_constraint('outbox_state', sa.column('state').in_(NEW_STATES))


def downgrade():
    op.execute("UPDATE outbox_message SET state = 'failed', error = 'cancelled' WHERE state = 'cancelled'")
    with op.batch_alter_table('outbox_message') as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_outbox_message_outbox_state'), type_='check')
        batch_op.alter_column('state', existing_type=_state(NEW_STATES), type_=_state(OLD_STATES), existing_nullable=False)
    with op.batch_alter_table('outbox_message') as batch_op:
        batch_op.create_check_constraint('outbox_state', sa.column('state').in_(OLD_STATES))
    with op.batch_alter_table('session_history') as batch_op:
        batch_op.drop_column('changes')
