"""Tallies for « Rapports »: each demande's present, absent and excused half-days, each slot date's
present participants, each session's score sums per survey and question; filled from the marks,
signatures and responses already recorded; each session's responses, surveys sent and answered
per survey kind

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-05 07:52:51

"""
import datetime

import sqlalchemy as sa
from alembic import op


revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


#: Every half-day recorded on a taught date (neither pre-work nor a cancelled sequence) and covered
#: by its date (a morning before noon, an afternoon after 13:00 or from noon): the mark by hand,
#: else present when the participant signed.
MARKS = (
    "SELECT a.request_id AS request_id, a.slot_date_id AS slot_date_id, a.value AS value"
    " FROM attendance a JOIN slot_date d ON d.id = a.slot_date_id JOIN slot s ON s.id = d.slot_id"
    " JOIN sequence q ON q.id = s.sequence_id"
    " WHERE NOT q.is_prework AND q.status <> 'cancelled'"
    " AND ((a.half_day = 'am' AND d.start_time < :noon)"
    " OR (a.half_day = 'pm' AND (d.end_time > :one OR d.start_time >= :noon)))"
    " UNION ALL"
    " SELECT g.request_id, g.slot_date_id, 'present'"
    " FROM signature g JOIN slot_date d ON d.id = g.slot_date_id JOIN slot s ON s.id = d.slot_id"
    " JOIN sequence q ON q.id = s.sequence_id"
    " WHERE NOT q.is_prework AND q.status <> 'cancelled'"
    " AND ((g.half_day = 'am' AND d.start_time < :noon)"
    " OR (g.half_day = 'pm' AND (d.end_time > :one OR d.start_time >= :noon)))"
    " AND g.request_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM attendance h"
    " WHERE h.request_id = g.request_id AND h.slot_date_id = g.slot_date_id AND h.half_day = g.half_day)"
)

#: Each demande's half-days (`(marks)` stands for MARKS).
PER_REQUEST = (
    "UPDATE training_request SET present_half_days = m.present, absent_half_days = m.absent,"
    " excused_half_days = m.excused FROM (SELECT x.request_id,"
    " SUM(CASE WHEN x.value = 'present' THEN 1 ELSE 0 END) AS present,"
    " SUM(CASE WHEN x.value = 'absent' THEN 1 ELSE 0 END) AS absent,"
    " SUM(CASE WHEN x.value = 'excused' THEN 1 ELSE 0 END) AS excused"
    " FROM (marks) x GROUP BY x.request_id) m WHERE training_request.id = m.request_id"
)

#: Each date's enrolled participants present at least one half-day, where one is recorded.
PER_DATE = (
    "UPDATE slot_date SET present_participants = m.present FROM (SELECT x.slot_date_id,"
    " COUNT(DISTINCT CASE WHEN x.value = 'present' THEN x.request_id END) AS present"
    " FROM (marks) x JOIN training_request r ON r.id = x.request_id"
    " WHERE r.status = 'enrolled' GROUP BY x.slot_date_id) m WHERE slot_date.id = m.slot_date_id"
)

SCORES = {
    "postgresql": (
        "INSERT INTO survey_score (session_id, kind, question, answers, total)"
        " SELECT r.session_id, r.kind, m.key, COUNT(*), SUM(CAST(CAST(m.value AS TEXT) AS NUMERIC))"
        " FROM survey_response r CROSS JOIN json_each(r.answers) m WHERE json_typeof(m.value) = 'number'"
        " GROUP BY r.session_id, r.kind, m.key"
    ),
    "sqlite": (
        "INSERT INTO survey_score (session_id, kind, question, answers, total)"
        " SELECT r.session_id, r.kind, m.key, COUNT(*), SUM(m.value)"
        " FROM survey_response r CROSS JOIN json_each(r.answers) m WHERE m.type IN ('integer', 'real')"
        " GROUP BY r.session_id, r.kind, m.key"
    ),
}

SURVEY_TALLY = (
    "INSERT INTO survey_tally (session_id, kind, responses, invited, answered)"
    " SELECT b.session_id, b.kind, SUM(b.responses), SUM(b.invited), SUM(b.answered) FROM ("
    " SELECT session_id, kind, COUNT(*) AS responses, 0 AS invited, 0 AS answered"
    " FROM survey_response GROUP BY session_id, kind"
    " UNION ALL"
    " SELECT t.session_id, t.kind, 0, COUNT(*), SUM(t.answered) FROM ("
    " SELECT r.session_id, COALESCE(l.survey_kind, 'session') AS kind,"
    " MAX(CASE WHEN l.used_at IS NOT NULL THEN 1 ELSE 0 END) AS answered"
    " FROM access_link l JOIN training_request r ON r.id = l.request_id"
    " WHERE l.purpose = 'survey' AND r.status = 'enrolled'"
    " GROUP BY r.session_id, COALESCE(l.survey_kind, 'session'), l.request_id, l.sequence_id) t"
    " GROUP BY t.session_id, t.kind) b"
    " GROUP BY b.session_id, b.kind"
)


def _per_session_table(name, *columns):
    op.create_table(
        name,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('session_id', sa.Integer(), nullable=False),
        sa.Column(
            'kind',
            sa.Enum('hot', 'cold', 'session', name='survey_kind', native_enum=False, create_constraint=True),
            nullable=False,
        ),
        *columns,
        sa.ForeignKeyConstraint(
            ['session_id'],
            ['training_session.id'],
            name=op.f(f'fk_{name}_session_id_training_session'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f(f'pk_{name}')),
    )
    op.create_index(op.f(f'ix_{name}_session_id'), name, ['session_id'], unique=False)


def upgrade():
    _per_session_table(
        'survey_score',
        sa.Column('question', sa.Text(), nullable=False),
        sa.Column('answers', sa.Integer(), nullable=False),
        sa.Column('total', sa.Numeric(), nullable=False),
    )
    _per_session_table(
        'survey_tally',
        sa.Column('responses', sa.Integer(), nullable=False),
        sa.Column('invited', sa.Integer(), nullable=False),
        sa.Column('answered', sa.Integer(), nullable=False),
    )
    op.add_column('slot_date', sa.Column('present_participants', sa.Integer(), nullable=True))
    for column in ('present_half_days', 'absent_half_days', 'excused_half_days'):
        op.add_column(
            'training_request', sa.Column(column, sa.Integer(), server_default='0', nullable=False)
        )

    bind = op.get_bind()
    hours = [
        sa.bindparam('noon', datetime.time(12), type_=sa.Time()),
        sa.bindparam('one', datetime.time(13), type_=sa.Time()),
    ]
    for statement in (PER_REQUEST, PER_DATE):
        bind.execute(sa.text(statement.replace("(marks)", f"({MARKS})")).bindparams(*hours))
    bind.execute(sa.text(SCORES['postgresql' if bind.dialect.name == 'postgresql' else 'sqlite']))
    bind.execute(sa.text(SURVEY_TALLY))


def downgrade():
    with op.batch_alter_table('training_request') as batch_op:
        batch_op.drop_column('excused_half_days')
        batch_op.drop_column('absent_half_days')
        batch_op.drop_column('present_half_days')
    with op.batch_alter_table('slot_date') as batch_op:
        batch_op.drop_column('present_participants')
    for name in ('survey_tally', 'survey_score'):
        op.drop_index(op.f(f'ix_{name}_session_id'), table_name=name)
        op.drop_table(name)
