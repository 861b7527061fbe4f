"""session import digest: an unchanged session of a partner's feed is recognised without reading its planning

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 23:10:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('training_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('import_digest', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('training_session', schema=None) as batch_op:
        batch_op.drop_column('import_digest')
