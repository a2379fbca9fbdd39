"""Meetings remember the provider's id of their account; jobs remember their first run

Revision ID: c3d8e5f1a2b4
Revises: b7e1c4a9d2f3
Create Date: 2026-12-07 04:30:00

"""
from alembic import op
import sqlalchemy as sa
import linktime.models


revision = 'c3d8e5f1a2b4'
down_revision = 'b7e1c4a9d2f3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('account_ref', sa.String(length=254), nullable=True))
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_tried_at', linktime.models.UTCDateTime(), nullable=True))
    # Meetings made before: the account they are on is the one their connection names.
    op.execute("UPDATE meetings SET account_ref = (SELECT zoom_user_id FROM zoom_connections "
               "WHERE zoom_connections.id = meetings.connection_id) WHERE connection_id IS NOT NULL")
    op.execute("UPDATE meetings SET account_ref = (SELECT account FROM calendar_connections "
               "WHERE calendar_connections.id = meetings.calendar_connection_id) "
               "WHERE calendar_connection_id IS NOT NULL")


def downgrade():
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_column('first_tried_at')
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_column('account_ref')
