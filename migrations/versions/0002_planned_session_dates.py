"""planned session dates

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 12:48:14.761029

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('training_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('planned_start_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('planned_end_date', sa.Date(), nullable=True))
        batch_op.create_check_constraint(
            'planned_dates',
            'planned_start_date IS NULL OR planned_end_date IS NULL OR planned_start_date <= planned_end_date',
        )


def downgrade():
    with op.batch_alter_table('training_session', schema=None) as batch_op:
        batch_op.drop_constraint('planned_dates', type_='check')
        batch_op.drop_column('planned_end_date')
        batch_op.drop_column('planned_start_date')

