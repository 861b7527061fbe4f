"""session label search: the label in lower case, kept by the database, with its trigram index

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 01:10:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('training_session', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('label_search', sa.String(length=200), sa.Computed('lower(label)', persisted=True), nullable=True)
        )
    if op.get_bind().dialect.name == 'postgresql':
        op.create_index(
            'ix_training_session_label_search_trgm', 'training_session', ['label_search'],
            postgresql_using='gin', postgresql_ops={'label_search': 'gin_trgm_ops'},
        )


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_index('ix_training_session_label_search_trgm', table_name='training_session')
    with op.batch_alter_table('training_session', schema=None) as batch_op:
        batch_op.drop_column('label_search')
