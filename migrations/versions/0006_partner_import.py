"""partner import: the file and progress of a run, one running run per partner, sessions of a run

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 10:00:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

RUNNING = sa.text("status = 'running'")


def upgrade():
    with op.batch_alter_table('import_run') as batch_op:
        batch_op.add_column(sa.Column('scheduled_for', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('payload', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('total', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('processed', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_import_run_status_queued_at', ['status', 'queued_at'], unique=False)
        batch_op.create_unique_constraint(
            batch_op.f('uq_import_run_partner_id_scheduled_for'), ['partner_id', 'scheduled_for']
        )
        batch_op.create_index(
            'uq_import_run_one_running', ['partner_id'], unique=True,
            postgresql_where=RUNNING, sqlite_where=RUNNING,
        )

    op.create_table('import_run_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=True),
    sa.Column('outcome', sa.Enum('created', 'updated', 'flagged', name='import_outcome', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('line', sa.String(length=120), nullable=True),
    sa.Column('reference', sa.String(length=120), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['import_run.id'], name=op.f('fk_import_run_session_run_id_import_run'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['training_session.id'], name=op.f('fk_import_run_session_session_id_training_session'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_run_session'))
    )
    with op.batch_alter_table('import_run_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_run_session_run_id'), ['run_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_import_run_session_session_id'), ['session_id'], unique=False)


def downgrade():
    with op.batch_alter_table('import_run_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_run_session_session_id'))
        batch_op.drop_index(batch_op.f('ix_import_run_session_run_id'))
    op.drop_table('import_run_session')

    with op.batch_alter_table('import_run') as batch_op:
        batch_op.drop_index('uq_import_run_one_running')
        batch_op.drop_constraint(batch_op.f('uq_import_run_partner_id_scheduled_for'), type_='unique')
        batch_op.drop_index('ix_import_run_status_queued_at')
        batch_op.drop_column('heartbeat_at')
        batch_op.drop_column('processed')
        batch_op.drop_column('total')
        batch_op.drop_column('payload')
        batch_op.drop_column('scheduled_for')
