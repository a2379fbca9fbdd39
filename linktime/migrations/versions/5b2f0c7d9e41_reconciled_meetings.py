"""reconciled meetings: desired and synced revisions, claims with tokens, booking-link resends

Revision ID: 5b2f0c7d9e41
Revises: 21246c8b6894
Create Date: 2026-12-01 20:00:00

"""
from alembic import op
import sqlalchemy as sa
import linktime.models


revision = '5b2f0c7d9e41'
down_revision = '21246c8b6894'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.alter_column('zoom_meeting_id', new_column_name='external_id',
                              existing_type=sa.String(length=32), type_=sa.String(length=64))
        # What the provider was told is now a revision, not a fingerprint.
        batch_op.drop_column('synced_hash')
        batch_op.add_column(sa.Column('provider', sa.String(length=20), nullable=False, server_default='zoom'))
        batch_op.add_column(sa.Column('desired_state', sa.String(length=10), nullable=False, server_default='present'))
        batch_op.add_column(sa.Column('desired_revision', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('synced_revision', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('create_sent_at', linktime.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('create_unverified', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('sync_token', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('sync_claimed_until', linktime.models.UTCDateTime(timezone=True), nullable=True))
    # What exists already is as its booking wants it: created meetings are in sync, cancelled ones absent.
    op.execute("UPDATE meetings SET synced_revision = 1 WHERE status IN ('created', 'cancelled', 'no_connection', 'failed')")
    op.execute("UPDATE meetings SET desired_state = 'absent' WHERE status = 'cancelled'")
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claim_token', sa.String(length=32), nullable=True))
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('link_resent_at', linktime.models.UTCDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_column('link_resent_at')
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_column('claim_token')
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        for column in ('sync_claimed_until', 'sync_token', 'create_unverified', 'create_sent_at',
                       'synced_revision', 'desired_revision', 'desired_state', 'provider'):
            batch_op.drop_column(column)
        batch_op.add_column(sa.Column('synced_hash', sa.String(length=64), nullable=True))
        batch_op.alter_column('external_id', new_column_name='zoom_meeting_id',
                              existing_type=sa.String(length=64), type_=sa.String(length=32))
