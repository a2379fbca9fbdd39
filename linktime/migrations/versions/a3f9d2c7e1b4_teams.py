"""Teams: members, team event types (round-robin, collective) and their hosts, a booking's other
hosts, and days out of office

Revision ID: a3f9d2c7e1b4
Revises: c9a4e7b2d1f8
Create Date: 2026-12-07 18:10:00

"""
from alembic import op
import sqlalchemy as sa
import linktime.models


revision = 'a3f9d2c7e1b4'
down_revision = 'c9a4e7b2d1f8'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'teams',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('slug', sa.String(length=60), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('description', sa.String(length=500), nullable=False),
        sa.Column('created_at', linktime.models.columns.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_teams')),
        sa.UniqueConstraint('slug', name=op.f('uq_teams_slug')),
    )
    op.create_table(
        'team_members',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('team_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('created_at', linktime.models.columns.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_team_members_team_id_teams'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_team_members_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_team_members')),
        sa.UniqueConstraint('team_id', 'user_id', name=op.f('uq_team_members_team_id')),
    )
    op.create_index(op.f('ix_team_members_team_id'), 'team_members', ['team_id'], unique=False)
    op.create_index(op.f('ix_team_members_user_id'), 'team_members', ['user_id'], unique=False)

    with op.batch_alter_table('event_types', schema=None) as batch_op:
        batch_op.add_column(sa.Column('team_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('scheduling', sa.String(length=20), nullable=False, server_default=''))
        batch_op.create_foreign_key(batch_op.f('fk_event_types_team_id_teams'), 'teams', ['team_id'], ['id'],
                                    ondelete='CASCADE')
        batch_op.create_index(batch_op.f('ix_event_types_team_id'), ['team_id'], unique=False)
        batch_op.drop_constraint('uq_event_types_host_id', type_='unique')
    op.create_index('uq_event_types_host_slug', 'event_types', ['host_id', 'slug'], unique=True,
                    sqlite_where=sa.text('team_id IS NULL'), postgresql_where=sa.text('team_id IS NULL'))
    op.create_index('uq_event_types_team_slug', 'event_types', ['team_id', 'slug'], unique=True,
                    sqlite_where=sa.text('team_id IS NOT NULL'), postgresql_where=sa.text('team_id IS NOT NULL'))

    op.create_table(
        'event_type_hosts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('event_type_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('priority', sa.Integer(), nullable=False),
        sa.Column('weight', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['event_type_id'], ['event_types.id'],
                                name=op.f('fk_event_type_hosts_event_type_id_event_types'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_event_type_hosts_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_event_type_hosts')),
        sa.UniqueConstraint('event_type_id', 'user_id', name=op.f('uq_event_type_hosts_event_type_id')),
    )
    op.create_index(op.f('ix_event_type_hosts_event_type_id'), 'event_type_hosts', ['event_type_id'], unique=False)
    op.create_index(op.f('ix_event_type_hosts_user_id'), 'event_type_hosts', ['user_id'], unique=False)

    op.create_table(
        'booking_hosts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('booking_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('calendar_event_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_booking_hosts_booking_id_bookings'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['calendar_event_id'], ['calendar_events.id'],
                                name=op.f('fk_booking_hosts_calendar_event_id_calendar_events'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_booking_hosts_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_booking_hosts')),
        sa.UniqueConstraint('booking_id', 'user_id', name=op.f('uq_booking_hosts_booking_id')),
    )
    op.create_index(op.f('ix_booking_hosts_booking_id'), 'booking_hosts', ['booking_id'], unique=False)
    op.create_index(op.f('ix_booking_hosts_user_id'), 'booking_hosts', ['user_id'], unique=False)
    op.create_index(op.f('ix_booking_hosts_calendar_event_id'), 'booking_hosts', ['calendar_event_id'], unique=False)

    with op.batch_alter_table('calendar_events', schema=None) as batch_op:
        batch_op.drop_constraint('uq_calendar_events_uid', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_calendar_events_uid'), ['uid', 'host_id'])
        batch_op.add_column(sa.Column('former_booking_id', sa.Integer(), nullable=True))
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('internal', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('guests', sa.JSON(), nullable=True))
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('replaces_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_meetings_replaces_id_meetings'), 'meetings', ['replaces_id'], ['id'],
                                    ondelete='SET NULL')
        batch_op.create_index(batch_op.f('ix_meetings_replaces_id'), ['replaces_id'], unique=False)

    op.create_table(
        'out_of_office',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('first_day', sa.Date(), nullable=False),
        sa.Column('last_day', sa.Date(), nullable=False),
        sa.Column('created_at', linktime.models.columns.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_out_of_office_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_out_of_office')),
    )
    op.create_index(op.f('ix_out_of_office_user_id'), 'out_of_office', ['user_id'], unique=False)


def downgrade():
    op.drop_table('out_of_office')
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_column('guests')
        batch_op.drop_column('internal')
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meetings_replaces_id'))
        batch_op.drop_constraint(batch_op.f('fk_meetings_replaces_id_meetings'), type_='foreignkey')
        batch_op.drop_column('replaces_id')
    op.execute("DELETE FROM calendar_events WHERE id IN (SELECT calendar_event_id FROM booking_hosts)")
    with op.batch_alter_table('calendar_events', schema=None) as batch_op:
        batch_op.drop_column('former_booking_id')
        batch_op.drop_constraint('uq_calendar_events_uid', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_calendar_events_uid'), ['uid'])
    op.drop_table('booking_hosts')
    op.drop_table('event_type_hosts')
    op.execute("DELETE FROM event_types WHERE team_id IS NOT NULL")
    op.drop_index('uq_event_types_team_slug', table_name='event_types')
    op.drop_index('uq_event_types_host_slug', table_name='event_types')
    with op.batch_alter_table('event_types', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_event_types_host_id', ['host_id', 'slug'])
        batch_op.drop_index(batch_op.f('ix_event_types_team_id'))
        batch_op.drop_constraint(batch_op.f('fk_event_types_team_id_teams'), type_='foreignkey')
        batch_op.drop_column('scheduling')
        batch_op.drop_column('team_id')
    op.drop_table('team_members')
    op.drop_table('teams')
