"""« Relance enquête »: the reminder of a survey left unanswered, with a new link

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-05 06:05:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None

KINDS = (
    'enrolment', 'convocation', 'trainer_file', 'organisation', 'location', 'reminder', 'hot_survey',
    'cold_survey', 'cancellation', 'manager_request', 'manager_reminder', 'manager_decision',
)
ANCHORS = ('enrolment', 'sequence_start', 'sequence_end', 'cancellation', 'request')


def _allow(kinds, anchors):
    for table in ('email_template', 'email_rule'):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_constraint(batch_op.f(f'ck_{table}_email_kind'), type_='check')
            batch_op.create_check_constraint('email_kind', sa.column('kind').in_(kinds))
            batch_op.drop_constraint(batch_op.f(f'ck_{table}_email_anchor'), type_='check')
            batch_op.create_check_constraint('email_anchor', sa.column('anchor').in_(anchors))


def upgrade():
    _allow((*KINDS, 'survey_reminder'), (*ANCHORS, 'survey'))


def downgrade():
    for table in ('email_rule', 'email_template'):
        op.execute(sa.table(table, sa.column('kind')).delete().where(sa.column('kind') == 'survey_reminder'))
    _allow(KINDS, ANCHORS)
