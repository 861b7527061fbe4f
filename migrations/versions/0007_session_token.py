"""session token: a per-user value in every login session, changed on logout and password change

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 16:50:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user_account') as batch_op:
        batch_op.add_column(sa.Column('session_token', sa.String(length=32), nullable=False, server_default=''))
    # Existing sessions (which carry no token) end at deployment; each user gets a random token.
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("UPDATE user_account SET session_token = substr(md5(random()::text || id::text), 1, 32)")
    else:
        op.execute("UPDATE user_account SET session_token = lower(hex(randomblob(16)))")


def downgrade():
    with op.batch_alter_table('user_account') as batch_op:
        batch_op.drop_column('session_token')
