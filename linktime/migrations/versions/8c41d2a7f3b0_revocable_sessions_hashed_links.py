"""revocable sessions, throttles, former usernames, invites by email, link tokens not stored

Revision ID: 8c41d2a7f3b0
Revises: 5b2f0c7d9e41
Create Date: 2026-12-01 22:00:00

"""
import hashlib
import uuid

from alembic import op
import sqlalchemy as sa
import linktime.models


revision = '8c41d2a7f3b0'
down_revision = '5b2f0c7d9e41'
branch_labels = None
depends_on = None


def _sha256(value):
    return hashlib.sha256(value.encode()).hexdigest()


def upgrade():
    op.create_table('former_usernames',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=40), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', linktime.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_former_usernames_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_former_usernames')),
    sa.UniqueConstraint('username', name=op.f('uq_former_usernames_username'))
    )
    op.create_index(op.f('ix_former_usernames_user_id'), 'former_usernames', ['user_id'], unique=False)
    op.create_table('revoked_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('nonce', sa.String(length=32), nullable=False),
    sa.Column('expires_at', linktime.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_revoked_sessions')),
    sa.UniqueConstraint('nonce', name=op.f('uq_revoked_sessions_nonce'))
    )
    op.create_index(op.f('ix_revoked_sessions_expires_at'), 'revoked_sessions', ['expires_at'], unique=False)
    op.create_table('rate_limits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('tat', sa.Double(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rate_limits')),
    sa.UniqueConstraint('key', name=op.f('uq_rate_limits_key'))
    )
    op.create_index(op.f('ix_rate_limits_tat'), 'rate_limits', ['tat'], unique=False)
    with op.batch_alter_table('event_types', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sms_countries', sa.String(length=200), nullable=False, server_default=''))
    op.create_index('ix_bookings_host_created', 'bookings', ['host_id', 'created_at'], unique=False)
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), nullable=False, server_default='0'))

    connection = op.get_bind()
    # Invites: a uid to derive the link from, an address, revocation; the old random token kept hashed.
    with op.batch_alter_table('invites', schema=None) as batch_op:
        batch_op.add_column(sa.Column('uid', sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column('email', sa.String(length=254), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('token_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('revoked_at', linktime.models.UTCDateTime(timezone=True), nullable=True))
    for row_id, token in connection.execute(sa.text("SELECT id, token FROM invites")).all():
        connection.execute(sa.text("UPDATE invites SET uid = :uid, token_hash = :hash WHERE id = :id"),
                           {"uid": str(uuid.uuid4()), "hash": _sha256(token), "id": row_id})
    with op.batch_alter_table('invites', schema=None) as batch_op:
        batch_op.alter_column('uid', existing_type=sa.String(length=36), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_invites_uid'), ['uid'])
        batch_op.create_unique_constraint(batch_op.f('uq_invites_token_hash'), ['token_hash'])
        batch_op.drop_constraint(batch_op.f('uq_invites_token'), type_='unique')
        batch_op.drop_column('token')

    # Bookings: links already sent keep working through the hash of their token.
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('manage_token_hash', sa.String(length=64), nullable=True))
    for row_id, token in connection.execute(sa.text("SELECT id, manage_token FROM bookings")).all():
        connection.execute(sa.text("UPDATE bookings SET manage_token_hash = :hash WHERE id = :id"),
                           {"hash": _sha256(token), "id": row_id})
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f('uq_bookings_manage_token_hash'), ['manage_token_hash'])
        batch_op.drop_constraint(batch_op.f('uq_bookings_manage_token'), type_='unique')
        batch_op.drop_column('manage_token')


def downgrade():
    # The old tokens cannot be recovered from their hashes: links sent before the upgrade stop working.
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('manage_token', sa.String(length=64), nullable=True))
    connection = op.get_bind()
    for (row_id,) in connection.execute(sa.text("SELECT id FROM bookings")).all():
        connection.execute(sa.text("UPDATE bookings SET manage_token = :t WHERE id = :id"),
                           {"t": uuid.uuid4().hex, "id": row_id})
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.alter_column('manage_token', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_bookings_manage_token'), ['manage_token'])
        batch_op.drop_constraint(batch_op.f('uq_bookings_manage_token_hash'), type_='unique')
        batch_op.drop_column('manage_token_hash')
    with op.batch_alter_table('invites', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token', sa.String(length=64), nullable=True))
    for (row_id,) in connection.execute(sa.text("SELECT id FROM invites")).all():
        connection.execute(sa.text("UPDATE invites SET token = :t WHERE id = :id"), {"t": uuid.uuid4().hex, "id": row_id})
    with op.batch_alter_table('invites', schema=None) as batch_op:
        batch_op.alter_column('token', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_invites_token'), ['token'])
        batch_op.drop_constraint(batch_op.f('uq_invites_token_hash'), type_='unique')
        batch_op.drop_constraint(batch_op.f('uq_invites_uid'), type_='unique')
        for column in ('revoked_at', 'token_hash', 'email', 'uid'):
            batch_op.drop_column(column)
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_version')
    op.drop_index('ix_bookings_host_created', table_name='bookings')
    with op.batch_alter_table('event_types', schema=None) as batch_op:
        batch_op.drop_column('sms_countries')
    op.drop_index(op.f('ix_rate_limits_tat'), table_name='rate_limits')
    op.drop_table('rate_limits')
    op.drop_index(op.f('ix_revoked_sessions_expires_at'), table_name='revoked_sessions')
    op.drop_table('revoked_sessions')
    op.drop_index(op.f('ix_former_usernames_user_id'), table_name='former_usernames')
    op.drop_table('former_usernames')
