"""sparse references indexed where they are set

A session's certification, dispositif, evaluation, source session and author, a slot's co-trainer
and organisation, a sequence's surveys are mostly empty: their indexes now hold only the rows that
have one (what a lookup by value or a delete of the referenced row reads), so a new row without one
costs no index entry.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05 05:40:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

SPARSE = {
    'training_session': (
        'certification_id', 'dispositif_id', 'evaluation_id', 'duplicated_from_id', 'created_by_id'
    ),
    'slot': ('co_trainer_id', 'organisation_id'),
    'sequence': ('hot_survey_evaluation_id', 'cold_survey_evaluation_id'),
}


def upgrade():
    for table, columns in SPARSE.items():
        for column in columns:
            name = f'ix_{table}_{column}'
            op.drop_index(name, table_name=table)
            where = sa.text(f'{column} IS NOT NULL')
            op.create_index(name, table, [column], postgresql_where=where, sqlite_where=where)


def downgrade():
    for table, columns in SPARSE.items():
        for column in columns:
            name = f'ix_{table}_{column}'
            op.drop_index(name, table_name=table)
            op.create_index(name, table, [column])
