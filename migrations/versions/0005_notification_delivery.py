"""notification delivery: outbox links and claims, schedule preparation, template attachments

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 15:40:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

OLD_OWNER = (
    'session_id IS NOT NULL OR request_id IS NOT NULL OR cost_id IS NOT NULL OR email_rule_id IS NOT NULL'
)
NEW_OWNER = (
    'session_id IS NOT NULL OR request_id IS NOT NULL OR cost_id IS NOT NULL'
    ' OR email_rule_id IS NOT NULL OR email_template_id IS NOT NULL'
)


def upgrade():
    with op.batch_alter_table('email_schedule') as batch_op:
        batch_op.add_column(sa.Column('prepared_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('recipient_count', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('skipped', sa.Boolean(), nullable=False, server_default=sa.false()))

    with op.batch_alter_table('outbox_message') as batch_op:
        batch_op.add_column(sa.Column('rule_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('sequence_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('request_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('invitation_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('attachment_ids', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_message_rule_id'), ['rule_id'])
        batch_op.create_index(batch_op.f('ix_outbox_message_sequence_id'), ['sequence_id'])
        batch_op.create_index(batch_op.f('ix_outbox_message_request_id'), ['request_id'])
        batch_op.create_index(batch_op.f('ix_outbox_message_invitation_id'), ['invitation_id'])
        batch_op.create_foreign_key(
            batch_op.f('fk_outbox_message_rule_id_email_rule'), 'email_rule', ['rule_id'], ['id'],
            ondelete='SET NULL',
        )
        batch_op.create_foreign_key(
            batch_op.f('fk_outbox_message_sequence_id_sequence'), 'sequence', ['sequence_id'], ['id'],
            ondelete='SET NULL',
        )
        batch_op.create_foreign_key(
            batch_op.f('fk_outbox_message_request_id_training_request'), 'training_request',
            ['request_id'], ['id'], ondelete='SET NULL',
        )
        batch_op.create_foreign_key(
            batch_op.f('fk_outbox_message_invitation_id_calendar_invitation'), 'calendar_invitation',
            ['invitation_id'], ['id'], ondelete='SET NULL',
        )

    with op.batch_alter_table('document') as batch_op:
        batch_op.add_column(sa.Column('email_template_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_document_email_template_id'), ['email_template_id'])
        batch_op.create_foreign_key(
            batch_op.f('fk_document_email_template_id_email_template'), 'email_template',
            ['email_template_id'], ['id'], ondelete='CASCADE',
        )
        batch_op.drop_constraint(batch_op.f('ck_document_has_owner'), type_='check')
        batch_op.create_check_constraint('has_owner', sa.text(NEW_OWNER))


def downgrade():
    with op.batch_alter_table('document') as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_document_has_owner'), type_='check')
        batch_op.create_check_constraint('has_owner', sa.text(OLD_OWNER))
        batch_op.drop_constraint(batch_op.f('fk_document_email_template_id_email_template'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_document_email_template_id'))
        batch_op.drop_column('email_template_id')

    with op.batch_alter_table('outbox_message') as batch_op:
        for name, table in (
            ('invitation_id', 'calendar_invitation'),
            ('request_id', 'training_request'),
            ('sequence_id', 'sequence'),
            ('rule_id', 'email_rule'),
        ):
            batch_op.drop_constraint(batch_op.f(f'fk_outbox_message_{name}_{table}'), type_='foreignkey')
            batch_op.drop_index(batch_op.f(f'ix_outbox_message_{name}'))
            batch_op.drop_column(name)
        batch_op.drop_column('claimed_at')
        batch_op.drop_column('attachment_ids')

    with op.batch_alter_table('email_schedule') as batch_op:
        batch_op.drop_column('skipped')
        batch_op.drop_column('recipient_count')
        batch_op.drop_column('sent_at')
        batch_op.drop_column('prepared_at')
