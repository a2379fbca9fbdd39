"""Calendar accounts' OAuth renewals are claimed across processes, like Zoom's

Revision ID: d4a7c2e9f6b1
Revises: c3d8e5f1a2b4
Create Date: 2026-12-07 05:00:00

"""
from alembic import op
import sqlalchemy as sa
import linktime.models


revision = 'd4a7c2e9f6b1'
down_revision = 'c3d8e5f1a2b4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('calendar_connections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token_version', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('refresh_claimed_until', linktime.models.UTCDateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('calendar_connections', schema=None) as batch_op:
        batch_op.drop_column('refresh_claimed_until')
        batch_op.drop_column('token_version')
