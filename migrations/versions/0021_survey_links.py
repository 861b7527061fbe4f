"""surveys answered by link: anonymous evaluations; a response's sequence and comment

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05 05:31:15

"""
from alembic import op
import sqlalchemy as sa


revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('evaluation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('anonymous', sa.Boolean(), server_default=sa.false(), nullable=False))

    with op.batch_alter_table('survey_response', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sequence_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('comment', sa.Text(), nullable=True))
        batch_op.create_index('ix_survey_response_sequence_id', ['sequence_id'], unique=False, postgresql_where=sa.text('sequence_id IS NOT NULL'), sqlite_where=sa.text('sequence_id IS NOT NULL'))
        batch_op.create_foreign_key(batch_op.f('fk_survey_response_sequence_id_sequence'), 'sequence', ['sequence_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('survey_response', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_survey_response_sequence_id_sequence'), type_='foreignkey')
        batch_op.drop_index('ix_survey_response_sequence_id', postgresql_where=sa.text('sequence_id IS NOT NULL'), sqlite_where=sa.text('sequence_id IS NOT NULL'))
        batch_op.drop_column('comment')
        batch_op.drop_column('sequence_id')

    with op.batch_alter_table('evaluation', schema=None) as batch_op:
        batch_op.drop_column('anonymous')
