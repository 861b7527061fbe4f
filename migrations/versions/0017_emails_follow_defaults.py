"""sessions that follow the default e-mails: no rules of their own until they need them (an import's drafts)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 05:10:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    # (a plain ADD COLUMN: SQLite's batch mode would copy the table, and its generated label_search)
    op.add_column(
        'training_session',
        sa.Column('emails_follow_defaults', sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':  # (SQLite 3.35+ drops a column in place)
        op.execute('ALTER TABLE training_session DROP COLUMN emails_follow_defaults')
    else:
        op.drop_column('training_session', 'emails_follow_defaults')
