"""Booking questions and guests: event types ask their own questions and allow guests; bookings keep the answers

Revision ID: c6f2a8e4d1b7
Revises: b4e8d1a6c2f9
Create Date: 2026-12-07 21:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'c6f2a8e4d1b7'
down_revision = 'b4e8d1a6c2f9'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('event_types', schema=None) as batch_op:
        batch_op.add_column(sa.Column('questions', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('max_guests', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('answers', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_column('answers')
    with op.batch_alter_table('event_types', schema=None) as batch_op:
        batch_op.drop_column('max_guests')
        batch_op.drop_column('questions')
