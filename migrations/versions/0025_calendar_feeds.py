"""calendar feeds of the training staff: a room's, a place's, a trainer's, a user's own sessions

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-05 07:06:54

"""
import sqlalchemy as sa
from alembic import op


revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None

PURPOSES = ('manager_decision', 'sign_in', 'countersign', 'survey', 'trainer_page')
COLUMNS = (('room_id', 'room'), ('location_id', 'location'), ('user_id', 'user_account'))


def _allow(batch_op, purposes):
    batch_op.drop_constraint(batch_op.f('ck_access_link_link_purpose'), type_='check')
    batch_op.create_check_constraint('link_purpose', sa.column('purpose').in_(purposes))


def upgrade():
    with op.batch_alter_table('access_link', schema=None) as batch_op:
        _allow(batch_op, (*PURPOSES, 'calendar_feed'))
        for column, table in COLUMNS:
            batch_op.add_column(sa.Column(column, sa.Integer(), nullable=True))
            batch_op.create_index(
                f'ix_access_link_{column}', [column], unique=False,
                postgresql_where=sa.text(f'{column} IS NOT NULL'), sqlite_where=sa.text(f'{column} IS NOT NULL'),
            )
            batch_op.create_foreign_key(
                batch_op.f(f'fk_access_link_{column}_{table}'), table, [column], ['id'], ondelete='CASCADE'
            )


def downgrade():
    table = sa.table('access_link', sa.column('purpose'))
    op.execute(table.delete().where(table.c.purpose == 'calendar_feed'))
    with op.batch_alter_table('access_link', schema=None) as batch_op:
        for column, table_name in reversed(COLUMNS):
            batch_op.drop_constraint(batch_op.f(f'fk_access_link_{column}_{table_name}'), type_='foreignkey')
            batch_op.drop_index(
                f'ix_access_link_{column}',
                postgresql_where=sa.text(f'{column} IS NOT NULL'), sqlite_where=sa.text(f'{column} IS NOT NULL'),
            )
            batch_op.drop_column(column)
        _allow(batch_op, PURPOSES)
