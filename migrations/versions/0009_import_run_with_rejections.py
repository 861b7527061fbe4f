"""import runs: a state of their own for a run that ended with rejected sessions

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 21:00:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

OLD = ('queued', 'running', 'succeeded', 'failed')
NEW = ('queued', 'running', 'succeeded', 'with_rejections', 'failed')


def _switch(states, length):
    with op.batch_alter_table('import_run') as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_import_run_import_status'), type_='check')
        batch_op.alter_column('status', existing_type=sa.String(length=9), type_=sa.String(length=length), existing_nullable=False)
    with op.batch_alter_table('import_run') as batch_op:
        batch_op.create_check_constraint('import_status', sa.column('status').in_(states))


def upgrade():
    _switch(NEW, 15)


def downgrade():
    op.execute("UPDATE import_run SET status = 'succeeded' WHERE status = 'with_rejections'")
    _switch(OLD, 9)
