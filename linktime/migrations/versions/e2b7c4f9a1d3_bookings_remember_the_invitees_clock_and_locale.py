"""Bookings remember the invitee's clock and locale, for the messages they are sent

Revision ID: e2b7c4f9a1d3
Revises: d8a3f5c1e9b2
Create Date: 2026-12-07 22:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'e2b7c4f9a1d3'
down_revision = 'd8a3f5c1e9b2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('invitee_locale', sa.String(length=16), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('invitee_hours', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_column('invitee_hours')
        batch_op.drop_column('invitee_locale')
