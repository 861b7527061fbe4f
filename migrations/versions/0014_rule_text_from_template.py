"""e-mail rule text from its template: a NULL subject or body reads the template's (no copy per session)

Existing rows keep their text (a copy of their template's at the session's creation, or the
session's own): they read the same as before.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 01:00:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('email_rule', schema=None) as batch_op:
        batch_op.alter_column('subject', existing_type=sa.String(length=250), nullable=True)
        batch_op.alter_column('body', existing_type=sa.Text(), nullable=True)


def downgrade():
    # The rules reading their template get its text back as their own copy.
    op.execute(
        "UPDATE email_rule SET"
        " subject = COALESCE(subject, (SELECT t.subject FROM email_template t WHERE t.kind = email_rule.kind)),"
        " body = COALESCE(body, (SELECT t.body FROM email_template t WHERE t.kind = email_rule.kind))"
        " WHERE subject IS NULL OR body IS NULL"
    )
    with op.batch_alter_table('email_rule', schema=None) as batch_op:
        batch_op.alter_column('subject', existing_type=sa.String(length=250), nullable=False)
        batch_op.alter_column('body', existing_type=sa.Text(), nullable=False)
