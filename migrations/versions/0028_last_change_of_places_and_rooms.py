"""Last change of each place and room: the calendar feeds that name them (a place's address, a
room's name) change their ETag at once

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-05 10:05:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('location', schema=None) as batch_op:
        batch_op.add_column(sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('room', schema=None) as batch_op:
        batch_op.add_column(sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True))



def downgrade():
    with op.batch_alter_table('room', schema=None) as batch_op:
        batch_op.drop_column('updated_at')

    with op.batch_alter_table('location', schema=None) as batch_op:
        batch_op.drop_column('updated_at')

