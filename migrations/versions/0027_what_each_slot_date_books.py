"""What each slot date books, for the « Planning » calendar: the slot's room and whether the date
is cancelled (its sequence or session is) on slot_date, and its trainers and co-trainer, with the
date's day and hours, in trainer_booking; filled from the slots as they stand

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-05 09:34:26

"""
import sqlalchemy as sa
from alembic import op


revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None

CALENDAR_INCLUDE = ['end_time', 'break_minutes', 'slot_id', 'room_id', 'cancelled']

DATE_STATE = (
    "UPDATE slot_date SET"
    " room_id = (SELECT s.room_id FROM slot s WHERE s.id = slot_date.slot_id),"
    " cancelled = EXISTS (SELECT 1 FROM slot s JOIN sequence q ON q.id = s.sequence_id"
    " JOIN training_session t ON t.id = q.session_id"
    " WHERE s.id = slot_date.slot_id AND (q.status = 'cancelled' OR t.status = 'cancelled'))"
)
# A co-trainer also listed among the slot's trainers is booked once.
TRAINER_BOOKINGS = (
    "INSERT INTO trainer_booking (slot_date_id, trainer_id, day, start_time, end_time, cancelled)"
    " SELECT d.id, st.trainer_id, d.day, d.start_time, d.end_time, d.cancelled"
    " FROM slot_date d JOIN slot_trainer st ON st.slot_id = d.slot_id"
    " UNION"
    " SELECT d.id, s.co_trainer_id, d.day, d.start_time, d.end_time, d.cancelled"
    " FROM slot_date d JOIN slot s ON s.id = d.slot_id WHERE s.co_trainer_id IS NOT NULL"
)


def upgrade():
    op.create_table('trainer_booking',
    sa.Column('slot_date_id', sa.Integer(), nullable=False),
    sa.Column('trainer_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('start_time', sa.Time(), nullable=False),
    sa.Column('end_time', sa.Time(), nullable=False),
    sa.Column('cancelled', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['slot_date_id'], ['slot_date.id'], name=op.f('fk_trainer_booking_slot_date_id_slot_date'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['trainer_id'], ['trainer.id'], name=op.f('fk_trainer_booking_trainer_id_trainer'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('slot_date_id', 'trainer_id', name=op.f('pk_trainer_booking'))
    )
    with op.batch_alter_table('slot_date', schema=None) as batch_op:
        batch_op.add_column(sa.Column('room_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('cancelled', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_foreign_key(batch_op.f('fk_slot_date_room_id_room'), 'room', ['room_id'], ['id'], ondelete='SET NULL')
    op.execute(DATE_STATE)
    op.execute(TRAINER_BOOKINGS)
    op.create_index('ix_slot_date_calendar', 'slot_date', ['day', 'start_time', 'id'], unique=False, postgresql_include=CALENDAR_INCLUDE)
    op.create_index('ix_trainer_booking_day_trainer_id', 'trainer_booking', ['day', 'trainer_id'], unique=False, postgresql_include=['start_time', 'end_time', 'cancelled'])


def downgrade():
    op.drop_index('ix_trainer_booking_day_trainer_id', table_name='trainer_booking')
    op.drop_index('ix_slot_date_calendar', table_name='slot_date')
    with op.batch_alter_table('slot_date', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_slot_date_room_id_room'), type_='foreignkey')
        batch_op.drop_column('cancelled')
        batch_op.drop_column('room_id')
    op.drop_table('trainer_booking')
