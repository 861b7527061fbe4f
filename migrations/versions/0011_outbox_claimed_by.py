"""outbox claims name their sender (the RQ job): a retried job takes its own rows back at once

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 10:00:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_message') as batch_op:
        batch_op.add_column(sa.Column('claimed_by', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('outbox_message') as batch_op:
        batch_op.drop_column('claimed_by')
