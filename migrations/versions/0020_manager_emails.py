"""the manager's e-mails: a demande sent to the collaborator's manager, its reminder, the decision

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05 05:50:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

KINDS = (
    'enrolment', 'convocation', 'trainer_file', 'organisation', 'location', 'reminder', 'hot_survey',
    'cold_survey', 'cancellation',
)
NEW_KINDS = ('manager_request', 'manager_reminder', 'manager_decision')
ANCHORS = ('enrolment', 'sequence_start', 'sequence_end', 'cancellation')
NEW_ANCHORS = ('request',)


def _allow(kinds, anchors):
    length = max(len(kind) for kind in kinds)
    for table in ('email_template', 'email_rule'):
        with op.batch_alter_table(table) as batch_op:
            batch_op.alter_column('kind', type_=sa.String(length), existing_nullable=False)
            batch_op.drop_constraint(batch_op.f(f'ck_{table}_email_kind'), type_='check')
            batch_op.create_check_constraint('email_kind', sa.column('kind').in_(kinds))
            batch_op.drop_constraint(batch_op.f(f'ck_{table}_email_anchor'), type_='check')
            batch_op.create_check_constraint('email_anchor', sa.column('anchor').in_(anchors))


def upgrade():
    _allow(KINDS + NEW_KINDS, ANCHORS + NEW_ANCHORS)


def downgrade():
    for table in ('email_rule', 'email_template'):
        op.execute(sa.table(table, sa.column('kind')).delete().where(sa.column('kind').in_(NEW_KINDS)))
    _allow(KINDS, ANCHORS)
