"""calendar events: LinkTime's event for each booking in the host's destination calendar

Revision ID: 77e9e2dfa3ff
Revises: f30816944cde
Create Date: 2026-12-02 06:50:00

"""
from alembic import op
import sqlalchemy as sa
import linktime.models


revision = '77e9e2dfa3ff'
down_revision = 'f30816944cde'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('calendar_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=False),
    sa.Column('host_id', sa.Integer(), nullable=False),
    sa.Column('calendar_id', sa.Integer(), nullable=True),
    sa.Column('remote_id', sa.String(length=2000), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('desired_state', sa.String(length=10), nullable=False),
    sa.Column('desired_revision', sa.Integer(), nullable=False),
    sa.Column('synced_revision', sa.Integer(), nullable=False),
    sa.Column('write_sent_at', linktime.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('sync_token', sa.String(length=32), nullable=True),
    sa.Column('sync_claimed_until', linktime.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('updated_at', linktime.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_calendar_events_booking_id_bookings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['calendar_id'], ['connected_calendars.id'], name=op.f('fk_calendar_events_calendar_id_connected_calendars'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['host_id'], ['users.id'], name=op.f('fk_calendar_events_host_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_events')),
    sa.UniqueConstraint('booking_id', name=op.f('uq_calendar_events_booking_id'))
    )
    with op.batch_alter_table('calendar_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calendar_events_calendar_id'), ['calendar_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_calendar_events_host_id'), ['host_id'], unique=False)



def downgrade():
    with op.batch_alter_table('calendar_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calendar_events_host_id'))
        batch_op.drop_index(batch_op.f('ix_calendar_events_calendar_id'))

    op.drop_table('calendar_events')
