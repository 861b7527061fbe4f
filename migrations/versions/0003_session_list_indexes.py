"""session list indexes: newest-first order and trigram text search

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 13:40:00

"""
from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_training_session_year_id', 'training_session', ['year', 'id'])
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
        op.create_index(
            'ix_training_session_label_trgm', 'training_session', ['label'],
            postgresql_using='gin', postgresql_ops={'label': 'gin_trgm_ops'},
        )
        op.create_index(
            'ix_training_session_code_trgm', 'training_session', ['code'],
            postgresql_using='gin', postgresql_ops={'code': 'gin_trgm_ops'},
        )


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_index('ix_training_session_code_trgm', table_name='training_session')
        op.drop_index('ix_training_session_label_trgm', table_name='training_session')
    op.drop_index('ix_training_session_year_id', table_name='training_session')
