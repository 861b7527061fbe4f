"""signatures: the half-days signed by participants and trainers, the codes e-mailed after a QR scan

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-05 05:30:20

"""
from alembic import op
import sqlalchemy as sa


revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('signature',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slot_date_id', sa.Integer(), nullable=False),
    sa.Column('half_day', sa.Enum('am', 'pm', name='half_day', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=True),
    sa.Column('trainer_id', sa.Integer(), nullable=True),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('image', sa.LargeBinary(), nullable=False),
    sa.Column('image_sha256', sa.String(length=64), nullable=False),
    sa.Column('ip', sa.String(length=45), nullable=False),
    sa.Column('user_agent', sa.String(length=400), nullable=False),
    sa.Column('via', sa.Enum('link', 'qr', name='signature_via', native_enum=False, create_constraint=True), nullable=False),
    sa.CheckConstraint('(request_id IS NULL) <> (trainer_id IS NULL)', name=op.f('ck_signature_one_signer')),
    sa.ForeignKeyConstraint(['request_id'], ['training_request.id'], name=op.f('fk_signature_request_id_training_request'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['slot_date_id'], ['slot_date.id'], name=op.f('fk_signature_slot_date_id_slot_date'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['trainer_id'], ['trainer.id'], name=op.f('fk_signature_trainer_id_trainer'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signature')),
    sa.UniqueConstraint('slot_date_id', 'half_day', 'request_id', name='uq_signature_participant'),
    sa.UniqueConstraint('slot_date_id', 'half_day', 'trainer_id', name='uq_signature_trainer')
    )
    with op.batch_alter_table('signature', schema=None) as batch_op:
        batch_op.create_index('ix_signature_request_id', ['request_id'], unique=False, postgresql_where=sa.text('request_id IS NOT NULL'), sqlite_where=sa.text('request_id IS NOT NULL'))
        batch_op.create_index('ix_signature_trainer_id', ['trainer_id'], unique=False, postgresql_where=sa.text('trainer_id IS NOT NULL'), sqlite_where=sa.text('trainer_id IS NOT NULL'))

    op.create_table('signin_challenge',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('slot_date_id', sa.Integer(), nullable=False),
    sa.Column('half_day', sa.Enum('am', 'pm', name='half_day', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=True),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['request_id'], ['training_request.id'], name=op.f('fk_signin_challenge_request_id_training_request'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['slot_date_id'], ['slot_date.id'], name=op.f('fk_signin_challenge_slot_date_id_slot_date'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signin_challenge')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_signin_challenge_token_hash'))
    )
    with op.batch_alter_table('signin_challenge', schema=None) as batch_op:
        batch_op.create_index('ix_signin_challenge_request_id', ['request_id'], unique=False, postgresql_where=sa.text('request_id IS NOT NULL'), sqlite_where=sa.text('request_id IS NOT NULL'))
        batch_op.create_index(batch_op.f('ix_signin_challenge_slot_date_id'), ['slot_date_id'], unique=False)



def downgrade():
    with op.batch_alter_table('signin_challenge', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_signin_challenge_slot_date_id'))
        batch_op.drop_index('ix_signin_challenge_request_id', postgresql_where=sa.text('request_id IS NOT NULL'), sqlite_where=sa.text('request_id IS NOT NULL'))

    op.drop_table('signin_challenge')
    with op.batch_alter_table('signature', schema=None) as batch_op:
        batch_op.drop_index('ix_signature_trainer_id', postgresql_where=sa.text('trainer_id IS NOT NULL'), sqlite_where=sa.text('trainer_id IS NOT NULL'))
        batch_op.drop_index('ix_signature_request_id', postgresql_where=sa.text('request_id IS NOT NULL'), sqlite_where=sa.text('request_id IS NOT NULL'))

    op.drop_table('signature')
