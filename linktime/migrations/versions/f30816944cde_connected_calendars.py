"""connected calendars: accounts (their secret sealed) and the calendars a host chose

Revision ID: f30816944cde
Revises: 8c41d2a7f3b0
Create Date: 2026-12-02 05:13:00

"""
from alembic import op
import sqlalchemy as sa
import linktime.models


revision = 'f30816944cde'
down_revision = '8c41d2a7f3b0'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('calendar_connections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('provider', sa.String(length=20), nullable=False),
    sa.Column('account', sa.String(length=254), nullable=False),
    sa.Column('server_url', sa.String(length=2000), nullable=False),
    sa.Column('secret_enc', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('attention_reason', sa.Text(), nullable=False),
    sa.Column('read_failed_since', linktime.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('connected_at', linktime.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_calendar_connections_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_connections')),
    sa.UniqueConstraint('uid', name=op.f('uq_calendar_connections_uid'))
    )
    with op.batch_alter_table('calendar_connections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calendar_connections_user_id'), ['user_id'], unique=False)

    op.create_table('connected_calendars',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=False),
    sa.Column('remote_id', sa.String(length=2000), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('check_conflicts', sa.Boolean(), nullable=False),
    sa.Column('is_destination', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['connection_id'], ['calendar_connections.id'], name=op.f('fk_connected_calendars_connection_id_calendar_connections'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_connected_calendars')),
    sa.UniqueConstraint('connection_id', 'remote_id', name=op.f('uq_connected_calendars_connection_id'))
    )
    with op.batch_alter_table('connected_calendars', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_connected_calendars_connection_id'), ['connection_id'], unique=False)



def downgrade():
    with op.batch_alter_table('connected_calendars', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_connected_calendars_connection_id'))

    op.drop_table('connected_calendars')
    with op.batch_alter_table('calendar_connections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calendar_connections_user_id'))

    op.drop_table('calendar_connections')
