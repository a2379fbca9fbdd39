"""Languages: an event type's default language for invitees, a host's own

Revision ID: f4c9e2a7b5d1
Revises: e2b7c4f9a1d3
Create Date: 2026-12-07 22:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'f4c9e2a7b5d1'
down_revision = 'e2b7c4f9a1d3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('event_types', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=False, server_default=''))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('language')
    with op.batch_alter_table('event_types', schema=None) as batch_op:
        batch_op.drop_column('language')
