"""« Émargement du jour »: each participant's links to sign the half-days of a date, that morning

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-05 06:15:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None

KINDS = (
    'enrolment', 'convocation', 'trainer_file', 'organisation', 'location', 'reminder', 'hot_survey',
    'cold_survey', 'cancellation', 'manager_request', 'manager_reminder', 'manager_decision',
    'survey_reminder',
)
ANCHORS = ('enrolment', 'sequence_start', 'sequence_end', 'cancellation', 'request', 'survey')


def _allow(kinds, anchors):
    for table in ('email_template', 'email_rule'):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_constraint(batch_op.f(f'ck_{table}_email_kind'), type_='check')
            batch_op.create_check_constraint('email_kind', sa.column('kind').in_(kinds))
            batch_op.drop_constraint(batch_op.f(f'ck_{table}_email_anchor'), type_='check')
            batch_op.create_check_constraint('email_anchor', sa.column('anchor').in_(anchors))


def upgrade():
    _allow((*KINDS, 'signin_links'), (*ANCHORS, 'signin_day'))


def downgrade():
    for table in ('email_rule', 'email_template'):
        op.execute(sa.table(table, sa.column('kind')).delete().where(sa.column('kind') == 'signin_links'))
    _allow(KINDS, ANCHORS)
