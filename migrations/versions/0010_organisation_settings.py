"""organisation settings: name, address, contact, signatory and logo printed on the PDFs (one row)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 21:30:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('organisation_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), server_default='', nullable=False),
    sa.Column('address', sa.Text(), server_default='', nullable=False),
    sa.Column('city', sa.String(length=120), server_default='', nullable=False),
    sa.Column('training_email', sa.String(length=254), server_default='', nullable=False),
    sa.Column('training_phone', sa.String(length=40), server_default='', nullable=False),
    sa.Column('signatory_name', sa.String(length=120), server_default='', nullable=False),
    sa.Column('signatory_title', sa.String(length=120), server_default='', nullable=False),
    sa.Column('logo', sa.LargeBinary(), nullable=True),
    sa.Column('logo_content_type', sa.String(length=20), nullable=True),
    sa.Column('logo_name', sa.String(length=255), nullable=True),
    sa.Column('logo_size', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("logo_content_type IS NULL OR logo_content_type IN ('image/png', 'image/jpeg')", name=op.f('ck_organisation_settings_logo_kind')),
    sa.CheckConstraint('(logo IS NULL) = (logo_content_type IS NULL) AND (logo IS NULL) = (logo_name IS NULL) AND (logo IS NULL) = (logo_size IS NULL)', name=op.f('ck_organisation_settings_logo_complete')),
    sa.CheckConstraint('id = 1', name=op.f('ck_organisation_settings_singleton')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'], name=op.f('fk_organisation_settings_updated_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisation_settings'))
    )
    with op.batch_alter_table('organisation_settings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organisation_settings_updated_by_id'), ['updated_by_id'], unique=False)



def downgrade():
    with op.batch_alter_table('organisation_settings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organisation_settings_updated_by_id'))

    op.drop_table('organisation_settings')
