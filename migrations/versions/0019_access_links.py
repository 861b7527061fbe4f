"""access links: a token's hash bound to one purpose, person and object; the delays of the links

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05 05:21:51

"""
from alembic import op
import sqlalchemy as sa


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('access_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.Enum('manager_decision', 'sign_in', 'countersign', 'survey', 'trainer_page', name='link_purpose', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('recipient', sa.String(length=254), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=True),
    sa.Column('trainer_id', sa.Integer(), nullable=True),
    sa.Column('slot_date_id', sa.Integer(), nullable=True),
    sa.Column('half_day', sa.Enum('am', 'pm', name='half_day', native_enum=False, create_constraint=True), nullable=True),
    sa.Column('sequence_id', sa.Integer(), nullable=True),
    sa.Column('survey_kind', sa.Enum('hot', 'cold', 'session', name='survey_kind', native_enum=False, create_constraint=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['request_id'], ['training_request.id'], name=op.f('fk_access_link_request_id_training_request'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sequence_id'], ['sequence.id'], name=op.f('fk_access_link_sequence_id_sequence'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['slot_date_id'], ['slot_date.id'], name=op.f('fk_access_link_slot_date_id_slot_date'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['trainer_id'], ['trainer.id'], name=op.f('fk_access_link_trainer_id_trainer'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_access_link')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_access_link_token_hash'))
    )
    with op.batch_alter_table('access_link', schema=None) as batch_op:
        batch_op.create_index('ix_access_link_request_id', ['request_id'], unique=False, postgresql_where=sa.text('request_id IS NOT NULL'), sqlite_where=sa.text('request_id IS NOT NULL'))
        batch_op.create_index('ix_access_link_sequence_id', ['sequence_id'], unique=False, postgresql_where=sa.text('sequence_id IS NOT NULL'), sqlite_where=sa.text('sequence_id IS NOT NULL'))
        batch_op.create_index('ix_access_link_slot_date_id', ['slot_date_id'], unique=False, postgresql_where=sa.text('slot_date_id IS NOT NULL'), sqlite_where=sa.text('slot_date_id IS NOT NULL'))
        batch_op.create_index('ix_access_link_trainer_id', ['trainer_id'], unique=False, postgresql_where=sa.text('trainer_id IS NOT NULL'), sqlite_where=sa.text('trainer_id IS NOT NULL'))

    with op.batch_alter_table('organisation_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('manager_reminder_days', sa.Integer(), server_default='3', nullable=False))
        batch_op.add_column(sa.Column('manager_link_days', sa.Integer(), server_default='14', nullable=False))
        batch_op.add_column(sa.Column('survey_reminder_days', sa.Integer(), server_default='5', nullable=False))
        batch_op.add_column(sa.Column('signin_tolerance_minutes', sa.Integer(), server_default='30', nullable=False))
        batch_op.create_check_constraint(
            'link_delays',
            'manager_reminder_days BETWEEN 0 AND 60 AND manager_link_days BETWEEN 1 AND 90'
            ' AND survey_reminder_days BETWEEN 0 AND 60 AND signin_tolerance_minutes BETWEEN 0 AND 240',
        )



def downgrade():
    with op.batch_alter_table('organisation_settings', schema=None) as batch_op:
        batch_op.drop_constraint('link_delays', type_='check')
        batch_op.drop_column('signin_tolerance_minutes')
        batch_op.drop_column('survey_reminder_days')
        batch_op.drop_column('manager_link_days')
        batch_op.drop_column('manager_reminder_days')

    with op.batch_alter_table('access_link', schema=None) as batch_op:
        batch_op.drop_index('ix_access_link_trainer_id', postgresql_where=sa.text('trainer_id IS NOT NULL'), sqlite_where=sa.text('trainer_id IS NOT NULL'))
        batch_op.drop_index('ix_access_link_slot_date_id', postgresql_where=sa.text('slot_date_id IS NOT NULL'), sqlite_where=sa.text('slot_date_id IS NOT NULL'))
        batch_op.drop_index('ix_access_link_sequence_id', postgresql_where=sa.text('sequence_id IS NOT NULL'), sqlite_where=sa.text('sequence_id IS NOT NULL'))
        batch_op.drop_index('ix_access_link_request_id', postgresql_where=sa.text('request_id IS NOT NULL'), sqlite_where=sa.text('request_id IS NOT NULL'))

    op.drop_table('access_link')
