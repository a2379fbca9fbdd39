"""Calendar events remember the time they were last written at (never busy for their booking)

Revision ID: e8b3f1d2c7a5
Revises: d4a7c2e9f6b1
Create Date: 2026-12-07 06:10:00

"""
from alembic import op
import sqlalchemy as sa
import linktime.models


revision = 'e8b3f1d2c7a5'
down_revision = 'd4a7c2e9f6b1'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('calendar_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('written_start', linktime.models.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('written_end', linktime.models.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('released', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('released_at', linktime.models.UTCDateTime(), nullable=True))
    # Events written before: at their booking's time.
    op.execute("UPDATE calendar_events SET written_start = (SELECT start FROM bookings WHERE bookings.id = "
               "calendar_events.booking_id), written_end = (SELECT \"end\" FROM bookings WHERE bookings.id = "
               "calendar_events.booking_id) WHERE status = 'written'")


def downgrade():
    with op.batch_alter_table('calendar_events', schema=None) as batch_op:
        batch_op.drop_column('released_at')
        batch_op.drop_column('released')
        batch_op.drop_column('written_end')
        batch_op.drop_column('written_start')
