"""Bookings say who moved them last and why

Revision ID: b4e8d1a6c2f9
Revises: a3f9d2c7e1b4
Create Date: 2026-12-07 21:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'b4e8d1a6c2f9'
down_revision = 'a3f9d2c7e1b4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('moved_by', sa.String(length=10), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('move_reason', sa.Text(), nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_column('move_reason')
        batch_op.drop_column('moved_by')
